"""Comparisons of what a person holds: documents, forensic references, phones, e-mail, address.

Identifiers are shared values rather than descriptions: their levels ask whether two records hold
the same value, or one a keying error away (a document number, an address token copied by hand).
Addresses carry their own fuzzy token matching, hence a module apart from names and dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType
from rapidfuzz.distance import JaroWinkler, Levenshtein

from transforms.comparison_base import Comparison, L, Level, R, _empty
from transforms.identity_comparisons import NameComparison, names_alike


def _shared(column: str) -> Column:
    return F.arrays_overlap(L(column), R(column))


def one_keying_error(a: Column, b: Column) -> Column:
    """Two identifiers of one issuer (`ISO3:NUMBER`, at least six characters of number) one
    keying error apart: one character typed wrong, added or dropped, or two adjacent characters
    swapped (`6988048` / `6988084`)."""
    same_length = F.length(a) == F.length(b)
    swapped = (
        same_length
        & (F.levenshtein(a, b) == 2)
        & (F.array_sort(F.split(a, "")) == F.array_sort(F.split(b, "")))
    )
    issuer = F.substring_index(a, ":", 1) == F.substring_index(b, ":", 1)
    long_enough = F.length(F.substring_index(a, ":", -1)) >= 6
    return issuer & long_enough & ((F.levenshtein(a, b) <= 1) | swapped)


def _near(column: str) -> Column:
    return F.exists(L(column), lambda a: F.exists(R(column), lambda b: one_keying_error(a, b)))


@dataclass
class DocumentComparison(Comparison):
    """A shared travel or identity document (number + issuing country), or one a single keying
    error away (a digit mistyped or two swapped: clerks copy numbers by hand, and EM learns how
    often the same person's number differs so, against how often two persons' do); generic
    values (a placeholder passport, a number shared by many people) were removed upstream."""

    name: str = "document"
    columns: tuple[str, ...] = ("ids_doc",)

    def null_condition(self) -> Column:
        return _empty(L("ids_doc")) | _empty(R("ids_doc"))

    def levels(self) -> list[Level]:
        return [Level("shared", _shared("ids_doc")), Level("one_keying_error", _near("ids_doc"))]


@dataclass
class ForensicComparison(Comparison):
    """A shared forensic reference (fingerprint, DNA profile) in the same database."""

    name: str = "forensic"
    columns: tuple[str, ...] = ("ids_forensic",)

    def null_condition(self) -> Column:
        return _empty(L("ids_forensic")) | _empty(R("ids_forensic"))

    def levels(self) -> list[Level]:
        return [Level("shared", _shared("ids_forensic"))]


@dataclass
class PhoneComparison(Comparison):
    """A shared phone: the person's own line, or a line several persons use.

    Members of one smuggling network, or of one family, share phones: a phone held by records of
    `BlockingConfig.shared_min_persons` or more distinct persons is a *shared line*
    (`ids_phone_shared`) and gets its own level, whose m and u EM learns. A phone shared by two
    records whose names are not alike is the neutral level `names_differ`: recorded, 0 bits, left
    out of m/u estimation, since under the independence assumption it would otherwise outweigh
    the name disagreement. Generic values (a hotline) were removed upstream.
    """

    name: str = "phone"
    columns: tuple[str, ...] = (
        "ids_phone",
        "ids_phone_shared",
        "name_keys",
        "canon_keys",
        "skel_keys",
    )

    def prepare(self, pairs: DataFrame) -> DataFrame:
        return NameComparison().prepare(pairs)

    def null_condition(self) -> Column:
        return _empty(L("ids_phone")) | _empty(R("ids_phone"))

    def levels(self) -> list[Level]:
        common = F.array_intersect(L("ids_phone"), R("ids_phone"))
        own = F.size(F.array_except(common, F.coalesce(L("ids_phone_shared"), F.array()))) > 0
        alike = names_alike()
        return [
            Level("own_line", own & alike),
            Level("shared_line", (F.size(common) > 0) & alike),
            Level("names_differ", F.size(common) > 0, neutral=True),
        ]


@dataclass
class EmailComparison(Comparison):
    name: str = "email"
    columns: tuple[str, ...] = ("ids_email",)

    def null_condition(self) -> Column:
        return _empty(L("ids_email")) | _empty(R("ids_email"))

    def levels(self) -> list[Level]:
        return [Level("shared", _shared("ids_email"))]


ADDRESS_MOST, ADDRESS_HALF, ADDRESS_SOME, ADDRESS_NONE = 3, 2, 1, 0


def _address_token_match(a: str, b: str) -> bool:
    """One address token matches another: equal; or both words of four letters or more at most
    one keying error apart (`middletoz` / `middleton`, `nerrgia` / `nerriga`). Numbers (house,
    postcode) match only exactly: 12 and 13 are different houses."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    # Cheap rejections first (this runs for every token pair of millions of pairs): one keying
    # error changes the length by at most one, and the Jaro-Winkler level needs equal lengths.
    if la < 4 or lb < 4 or la - lb > 1 or lb - la > 1 or a.isdigit() or b.isdigit():
        return False
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1 or (
        la == lb and JaroWinkler.normalized_similarity(a, b, score_cutoff=0.93) >= 0.93
    )


def _joined_fragments(tokens: list[str], other: list[str]) -> set[str]:
    """Tokens of `tokens` that are fragments of one token of `other` split by a stray space
    (`sweet w atdrs` / `sweetwaters`): adjacent tokens whose concatenation matches it."""
    hits: set[str] = set()
    for i in range(len(tokens) - 1):
        glued = tokens[i] + tokens[i + 1]
        n = len(glued)
        if any(abs(len(o) - n) <= 1 and _address_token_match(glued, o) for o in other):
            hits.update((tokens[i], tokens[i + 1]))
    return hits


def address_code(a: list[str], b: list[str]) -> int:
    """ADDRESS_* level of two address token lists (locality and line, in written order).

    The share of the shorter address's tokens that find a distinct fuzzy partner in the other
    (`_address_token_match`), fragments of a split token counted with it: at least 0.8 is
    `most`, at least 0.5 `half`, one token `some`.
    """
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return ADDRESS_NONE
    free = list(long_)
    matched = 0
    for t in short:
        for i, o in enumerate(free):
            if _address_token_match(t, o):
                matched += 1
                del free[i]
                break
    if matched < len(short):
        # Fragments only ever add matches; with every token matched the share is already 1.
        frags = _joined_fragments(short, long_) | _joined_fragments(long_, short)
        if frags:
            matched += sum(1 for t in short if t in frags) // 2
    share = min(matched, len(short)) / len(short)
    if share >= 0.8:
        return ADDRESS_MOST
    if share >= 0.5:
        return ADDRESS_HALF
    return ADDRESS_SOME if matched else ADDRESS_NONE


@F.pandas_udf(IntegerType())  # type: ignore[call-overload]
def _address_udf(a: pd.Series, b: pd.Series) -> pd.Series:
    return pd.Series(
        [
            None if x is None or y is None else address_code(list(x), list(y))
            for x, y in zip(a, b, strict=True)
        ],
        dtype="Int32",
    )


@dataclass
class AddressComparison(Comparison):
    """Address tokens (locality and line, numbers included): the same tokens (with a term
    frequency on the rarest shared token: a rare street is strong evidence, "street" is not),
    most tokens alike, half alike, one alike, else.

    Tokens are alike when equal or one keying error apart (`address_code`); a house or postal
    number only when equal. Records of one person often carry the same address with typos, a
    token split or dropped; family members share it exactly, which the exact level's term
    frequency and the name and birth-date evidence keep apart.
    """

    name: str = "address"
    columns: tuple[str, ...] = ("address_tokens",)

    def prepare(self, pairs: DataFrame) -> DataFrame:
        if "address_fuzzy" in pairs.columns:
            return pairs
        return pairs.withColumn(
            "address_fuzzy", _address_udf(L("address_tokens"), R("address_tokens"))
        )

    def null_condition(self) -> Column:
        return _empty(L("address_tokens")) | _empty(R("address_tokens"))

    def levels(self) -> list[Level]:
        fuzzy = F.col("address_fuzzy")
        same = F.array_sort(F.array_distinct(L("address_tokens"))) == F.array_sort(
            F.array_distinct(R("address_tokens"))
        )
        return [
            Level("exact", same, "address_tokens"),
            Level("most_alike", fuzzy == ADDRESS_MOST),
            Level("half_alike", fuzzy == ADDRESS_HALF),
            Level("one_alike", fuzzy == ADDRESS_SOME),
        ]
