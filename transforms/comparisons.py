"""Comparisons for person matching: one class per field, each a list of levels, best first.

A comparison is declarative: it names the record columns it reads, optionally adds helper columns
to the pair frame (`prepare`, e.g. a name similarity computed with rapidfuzz), and lists its
levels as Spark conditions over the pair frame (columns `l_<col>` and `r_<col>`). `gamma()`
compiles the levels to one integer column: -1 when the field is missing on either side (no
evidence either way), then the index of the first level that holds, counted from the worst ("else"
= 0) upwards, so a higher gamma means stronger agreement. Fellegi–Sunter then learns one m and
one u probability per level (`transforms.fellegi_sunter`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType
from rapidfuzz.distance import JaroWinkler, Levenshtein

NEUTRAL = -2
"""Gamma of a neutral level: like a missing field it gives no evidence either way."""


def L(c: str) -> Column:
    return F.col(f"l_{c}")


def R(c: str) -> Column:
    return F.col(f"r_{c}")


@dataclass(frozen=True)
class Level:
    """One agreement level: a label an analyst reads, and the Spark condition that selects it.

    `tf_keys`, when set, names the record column (an array of values) whose shared value gets a
    term-frequency adjustment at this level: sharing a rare name is stronger evidence than
    sharing "mohammed ali".
    """

    label: str
    condition: Column
    tf_keys: str | None = None
    neutral: bool = False
    """A neutral level is recognised and labelled but weighs 0 bits and is left out of u and m
    estimation (gamma `NEUTRAL`): evidence that cannot stand alone, e.g. a phone shared by two
    records whose names disagree (members of one network share phones)."""


@dataclass
class Comparison:
    """Base: subclasses set `name`, `columns` and implement `null_condition` and `levels`."""

    name: str = ""
    columns: tuple[str, ...] = field(default_factory=tuple)

    def prepare(self, pairs: DataFrame) -> DataFrame:
        return pairs

    def null_condition(self) -> Column:
        raise NotImplementedError

    def levels(self) -> list[Level]:
        """Levels from best to worst, excluding the implicit final 'else' level."""
        raise NotImplementedError

    def _counted(self) -> list[Level]:
        return [lv for lv in self.levels() if not lv.neutral]

    def labels(self) -> list[str]:
        """Label per gamma value: index 0 is 'else', the last is the best level."""
        return ["else", *[lv.label for lv in reversed(self._counted())]]

    def neutral_label(self) -> str | None:
        """Label of the neutral level (gamma `NEUTRAL`), if the comparison has one."""
        return next((lv.label for lv in self.levels() if lv.neutral), None)

    def gamma(self) -> Column:
        levels = self.levels()
        expr = F.when(self.null_condition(), F.lit(-1))
        rank = sum(1 for lv in levels if not lv.neutral)
        for lv in levels:
            g = NEUTRAL if lv.neutral else rank
            rank -= 0 if lv.neutral else 1
            expr = expr.when(lv.condition, F.lit(g))
        return expr.otherwise(F.lit(0)).alias(f"g_{self.name}")

    def tf_level(self) -> dict[int, str]:
        """gamma value -> record column used for its term-frequency adjustment."""
        counted = self._counted()
        return {len(counted) - i: lv.tf_keys for i, lv in enumerate(counted) if lv.tf_keys}


def _empty(c: Column) -> Column:
    return c.isNull() | (F.size(c) == 0)


# -- names ----------------------------------------------------------------------------------------
def _split(spellings: list[str]) -> list[list[str]]:
    return [x.split() for x in spellings if x]


def _assigned_similarities(short: list[str], long_: list[str]) -> list[float]:
    """Jaro-Winkler of each token of `short` with a distinct partner in `long_` (greedy, best
    pairs first), so "georgi georgiev" cannot match both its tokens to "georgi"."""
    scored = sorted(
        (
            (JaroWinkler.normalized_similarity(s, t), i, j)
            for i, s in enumerate(short)
            for j, t in enumerate(long_)
        ),
        reverse=True,
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    out: list[float] = []
    for sim, i, j in scored:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        out.append(sim)
        if len(out) == len(short):
            break
    return out


def token_set_similarity(a: list[str], b: list[str]) -> tuple[float, float]:
    """(mean, worst) token similarity of the best pair of spellings, tokens in any order.

    Each spelling is a string of canonical tokens. For a pair of spellings, every token of the
    shorter one is matched to a distinct, most similar token of the other (Jaro-Winkler): the mean
    and the worst of those scores describe the pair ("ivan petrov" / "ivan petrow": mean 0.97,
    worst 0.95; "maryam rahimi" / "maryam nuri": mean 0.81, worst 0.61, two people sharing a given
    name). A lone token against a longer name is discounted (x 0.9): one shared word is thin
    evidence. The tokens concatenated in sorted order are compared too (normalised Levenshtein),
    so "li xiaolong" meets "lixiaolong". The best pair of spellings wins.
    """
    best = (0.0, 0.0)
    for xt in _split(a):
        for yt in _split(b):
            short, long_ = (xt, yt) if len(xt) <= len(yt) else (yt, xt)
            sims = _assigned_similarities(short, long_)
            mean, worst = sum(sims) / len(sims), min(sims)
            if len(short) == 1 and len(long_) > 1:
                mean, worst = mean * 0.9, worst * 0.9
            joined = Levenshtein.normalized_similarity("".join(sorted(xt)), "".join(sorted(yt)))
            if joined > mean:
                mean = worst = joined
            best = max(best, (mean, worst))
            if best[1] >= 1.0:
                return best
    return best


def name_set_similarity(a: list[str], b: list[str]) -> float:
    """Mean token similarity of the best pair of spellings (see `token_set_similarity`)."""
    return token_set_similarity(a, b)[0]


def _subset(a: list[str], b: list[str]) -> bool:
    """All tokens (at least two) of one spelling appear in a spelling of the other: a middle
    name dropped or added ("chinedu okafor" / "chinedu okafor osaro")."""
    for xt in _split(a):
        xs = set(xt)
        for yt in _split(b):
            ys = set(yt)
            small, big = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
            if len(small) >= 2 and small <= big:
                return True
    return False


# Codes of the fuzzy name levels (the exact, variant and skeleton levels are array overlaps).
FUZZY_SUBSET, FUZZY_HIGH, FUZZY_MID, FUZZY_TOKEN, FUZZY_NONE = 4, 3, 2, 1, 0


def fuzzy_name_code(a: list[str], b: list[str], high: float, mid: float) -> int:
    """The best fuzzy level two lists of canonical spellings reach (FUZZY_* codes)."""
    if set(a) & set(b):
        # A shared spelling is the variant level, which outranks every fuzzy one: no need to
        # score it (about half of all candidate pairs).
        return FUZZY_SUBSET
    if _subset(a, b):
        return FUZZY_SUBSET
    mean, worst = token_set_similarity(a, b)
    if mean >= high and worst >= high - 0.07:
        return FUZZY_HIGH
    if mean >= mid and worst >= mid - 0.15:
        return FUZZY_MID
    tokens_a = {t for x in _split(a) for t in x if len(t) >= 2}
    tokens_b = {t for x in _split(b) for t in x if len(t) >= 2}
    if tokens_a & tokens_b or mean >= mid:
        return FUZZY_TOKEN
    return FUZZY_NONE


def _fuzzy_udf(high: float, mid: float):  # type: ignore[no-untyped-def]
    @F.pandas_udf(IntegerType())  # type: ignore[call-overload]
    def fuzzy(a: pd.Series, b: pd.Series) -> pd.Series:
        return pd.Series(
            [
                None if x is None or y is None else fuzzy_name_code(list(x), list(y), high, mid)
                for x, y in zip(a, b, strict=True)
            ],
            dtype="Int32",
        )

    return fuzzy


@dataclass
class NameComparison(Comparison):
    """Names in any token order, across scripts: exact, variant, skeleton, subset, fuzzy.

    The exact, variant and skeleton levels carry a term-frequency adjustment: sharing a rare name
    is stronger evidence than sharing "mohammed ali". `canon_keys` hold the canonical and the bare
    (particle-free) forms of every spelling, `skel_keys` their consonant skeletons.
    """

    name: str = "name"
    columns: tuple[str, ...] = ("name_keys", "canon_keys", "skel_keys")
    high: float = 0.92
    mid: float = 0.85

    def prepare(self, pairs: DataFrame) -> DataFrame:
        if "name_fuzzy" in pairs.columns:
            return pairs
        udf = _fuzzy_udf(self.high, self.mid)
        return pairs.withColumn("name_fuzzy", udf(L("canon_keys"), R("canon_keys")))

    def null_condition(self) -> Column:
        return _empty(L("name_keys")) | _empty(R("name_keys"))

    def levels(self) -> list[Level]:
        fuzzy = F.col("name_fuzzy")
        return [
            Level("exact", F.arrays_overlap(L("name_keys"), R("name_keys")), "name_keys"),
            Level("variant", F.arrays_overlap(L("canon_keys"), R("canon_keys")), "canon_keys"),
            Level("skeleton", F.arrays_overlap(L("skel_keys"), R("skel_keys")), "skel_keys"),
            Level("subset", fuzzy == FUZZY_SUBSET),
            Level(f"similar>={self.high}", fuzzy == FUZZY_HIGH),
            Level(f"similar>={self.mid}", fuzzy == FUZZY_MID),
            Level("one_token_shared", fuzzy == FUZZY_TOKEN),
        ]


def names_alike() -> Column:
    """Pair-frame condition: the names agree at least at the "similar >= high" level (the same
    person written differently, not two people sharing one word of a name, as relatives and
    network members often do). Needs `name_fuzzy`."""
    return (
        F.arrays_overlap(L("name_keys"), R("name_keys"))
        | F.arrays_overlap(L("canon_keys"), R("canon_keys"))
        | F.arrays_overlap(L("skel_keys"), R("skel_keys"))
        | (F.coalesce(F.col("name_fuzzy"), F.lit(0)) >= FUZZY_HIGH)
    )


# -- birth date -----------------------------------------------------------------------------------
@dataclass
class BirthDateComparison(Comparison):
    """Exact (with term frequency), compatible at the coarser precision, day/month transposed,
    year off with the same day and month, one keying error, two adjacent digits swapped, within
    a year, else.

    The matching view reads a 1 January date as a year (`transforms.persons.to_records`): many
    registrations record an unknown day and month that way.
    """

    name: str = "birth_date"
    columns: tuple[str, ...] = ("birth_date", "birth_year", "birth_month", "birth_day")

    def null_condition(self) -> Column:
        return L("birth_year").isNull() | R("birth_year").isNull()

    def levels(self) -> list[Level]:
        same_year = L("birth_year") == R("birth_year")
        month_ok = (
            L("birth_month").isNull()
            | R("birth_month").isNull()
            | (L("birth_month") == R("birth_month"))
        )
        day_ok = (
            L("birth_day").isNull() | R("birth_day").isNull() | (L("birth_day") == R("birth_day"))
        )
        both_full = L("birth_day").isNotNull() & R("birth_day").isNotNull()
        years_apart = F.abs(L("birth_year") - R("birth_year"))
        return [
            Level("exact", both_full & (L("birth_date") == R("birth_date")), "birth_date"),
            Level("partial", same_year & month_ok & day_ok),
            Level(
                "transposed",
                same_year
                & both_full
                & (L("birth_day") == R("birth_month"))
                & (L("birth_month") == R("birth_day")),
            ),
            Level(
                "year_off",
                both_full
                & (years_apart <= 2)
                & (L("birth_month") == R("birth_month"))
                & (L("birth_day") == R("birth_day")),
            ),
            Level("one_edit", both_full & (F.levenshtein(L("birth_date"), R("birth_date")) <= 1)),
            # Two adjacent digits typed in the wrong order (1972-08-12 / 1972-08-21, 1927 /
            # 1972): two edits apart, but the same digits.
            Level(
                "digits_swapped",
                both_full
                & (F.levenshtein(L("birth_date"), R("birth_date")) == 2)
                & (
                    F.array_sort(F.split(L("birth_date"), ""))
                    == F.array_sort(F.split(R("birth_date"), ""))
                ),
            ),
            Level("within_a_year", (years_apart <= 1) & month_ok & day_ok),
        ]


@dataclass
class SexComparison(Comparison):
    name: str = "sex"
    columns: tuple[str, ...] = ("sex",)

    def null_condition(self) -> Column:
        return L("sex").isNull() | R("sex").isNull()

    def levels(self) -> list[Level]:
        return [Level("same", L("sex") == R("sex"))]


@dataclass
class NationalityComparison(Comparison):
    name: str = "nationality"
    columns: tuple[str, ...] = ("nationalities",)

    def null_condition(self) -> Column:
        return _empty(L("nationalities")) | _empty(R("nationalities"))

    def levels(self) -> list[Level]:
        return [Level("overlap", F.arrays_overlap(L("nationalities"), R("nationalities")))]


@dataclass
class BirthCountryComparison(Comparison):
    name: str = "birth_country"
    columns: tuple[str, ...] = ("birth_country",)

    def null_condition(self) -> Column:
        return L("birth_country").isNull() | R("birth_country").isNull()

    def levels(self) -> list[Level]:
        return [Level("same", L("birth_country") == R("birth_country"))]


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
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4:
        return False
    return bool(Levenshtein.distance(a, b, score_cutoff=1) <= 1) or (
        len(a) == len(b) and JaroWinkler.normalized_similarity(a, b) >= 0.93
    )


def _joined_fragments(tokens: list[str], other: set[str]) -> set[str]:
    """Tokens of `tokens` that are fragments of one token of `other` split by a stray space
    (`sweet w atdrs` / `sweetwaters`): adjacent tokens whose concatenation matches it."""
    hits: set[str] = set()
    for i in range(len(tokens) - 1):
        glued = tokens[i] + tokens[i + 1]
        if any(_address_token_match(glued, o) for o in other):
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
        hit = next((i for i, o in enumerate(free) if _address_token_match(t, o)), None)
        if hit is not None:
            matched += 1
            free.pop(hit)
    frags = _joined_fragments(short, set(long_)) | _joined_fragments(long_, set(short))
    matched = max(matched, matched + sum(1 for t in short if t in frags) // 2)
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


def default_comparisons() -> list[Comparison]:
    """The person model: the fields an analyst would check, each with its levels."""
    return [
        NameComparison(),
        BirthDateComparison(),
        SexComparison(),
        NationalityComparison(),
        BirthCountryComparison(),
        DocumentComparison(),
        ForensicComparison(),
        PhoneComparison(),
        EmailComparison(),
        AddressComparison(),
    ]


def record_columns(comparisons: list[Comparison]) -> list[str]:
    cols: list[str] = []
    for c in comparisons:
        cols += [x for x in c.columns if x not in cols]
    return cols
