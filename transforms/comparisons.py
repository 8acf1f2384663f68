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
from pyspark.sql.types import DoubleType
from rapidfuzz.distance import JaroWinkler

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
def name_set_similarity(a: list[str], b: list[str]) -> float:
    """Best similarity between any spelling of A and any spelling of B, tokens in any order.

    Each spelling is a string of canonical tokens. For a pair of spellings, every token of the
    shorter one is matched to its most similar token of the other (Jaro-Winkler) and the scores are
    averaged; the tokens concatenated in sorted order are compared too, so "li xiaolong" still
    meets "lixiaolong". The best pair of spellings wins.
    """
    best = 0.0
    for x in a:
        xt = x.split()
        for y in b:
            yt = y.split()
            short, long_ = (xt, yt) if len(xt) <= len(yt) else (yt, xt)
            if not short:
                continue
            tok = sum(max(JaroWinkler.normalized_similarity(s, t) for t in long_) for s in short)
            tok /= len(short)
            joined = JaroWinkler.normalized_similarity("".join(sorted(xt)), "".join(sorted(yt)))
            best = max(best, tok, joined)
            if best >= 1.0:
                return 1.0
    return best


@F.pandas_udf(DoubleType())  # type: ignore[call-overload]
def _name_sim_udf(a: pd.Series, b: pd.Series) -> pd.Series:
    return pd.Series(
        [
            None if x is None or y is None else name_set_similarity(list(x), list(y))
            for x, y in zip(a, b, strict=True)
        ],
        dtype="float64",
    )


@dataclass
class NameComparison(Comparison):
    """Names in any token order, across scripts: exact, variant, consonant skeleton, fuzzy."""

    name: str = "name"
    columns: tuple[str, ...] = ("name_keys", "canon_keys", "skel_keys")
    high: float = 0.92
    mid: float = 0.80

    def prepare(self, pairs: DataFrame) -> DataFrame:
        return pairs.withColumn("name_sim", _name_sim_udf(L("canon_keys"), R("canon_keys")))

    def null_condition(self) -> Column:
        return _empty(L("name_keys")) | _empty(R("name_keys"))

    def levels(self) -> list[Level]:
        return [
            Level("exact", F.arrays_overlap(L("name_keys"), R("name_keys")), "name_keys"),
            Level("variant", F.arrays_overlap(L("canon_keys"), R("canon_keys")), "canon_keys"),
            Level("skeleton", F.arrays_overlap(L("skel_keys"), R("skel_keys")), "skel_keys"),
            Level(f"similar>={self.high}", F.col("name_sim") >= self.high),
            Level(f"similar>={self.mid}", F.col("name_sim") >= self.mid),
        ]


# -- birth date -----------------------------------------------------------------------------------
@dataclass
class BirthDateComparison(Comparison):
    """Exact, compatible at the coarser precision, day/month transposed, year ±1."""

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
        return [
            Level("exact", both_full & (L("birth_date") == R("birth_date"))),
            Level("partial", same_year & month_ok & day_ok),
            Level(
                "transposed",
                same_year
                & both_full
                & (L("birth_day") == R("birth_month"))
                & (L("birth_month") == R("birth_day")),
            ),
            Level("year±1", F.abs(L("birth_year") - R("birth_year")) <= 1),
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
class IdentifierComparison(Comparison):
    """Shared document, forensic reference, phone or e-mail; generic values removed upstream.

    The record columns `ids_doc`, `ids_forensic`, `ids_contact` hold only non-generic values (see
    `transforms.blocking.with_evidence_ids`), so a hotline number shared by dozens of people is no
    evidence.

    A shared phone or e-mail cannot stand alone: members of one smuggling network share phones,
    so a contact counts only when the names are at least somewhat alike (same consonant skeleton
    or token-set similarity >= `names_alike`). Shared but with names that disagree, it is the
    neutral level `contact_names_differ`: recorded, 0 bits, and kept out of m/u estimation, since
    under the independence assumption it would otherwise outweigh the name disagreement.
    Documents and forensic references stay strong on their own.
    """

    name: str = "identifiers"
    columns: tuple[str, ...] = ("ids_doc", "ids_forensic", "ids_contact", "canon_keys", "skel_keys")
    names_alike: float = 0.80

    def prepare(self, pairs: DataFrame) -> DataFrame:
        if "name_sim" in pairs.columns:
            return pairs
        return pairs.withColumn("name_sim", _name_sim_udf(L("canon_keys"), R("canon_keys")))

    def null_condition(self) -> Column:
        none_l = _empty(L("ids_doc")) & _empty(L("ids_forensic")) & _empty(L("ids_contact"))
        none_r = _empty(R("ids_doc")) & _empty(R("ids_forensic")) & _empty(R("ids_contact"))
        return none_l | none_r

    def levels(self) -> list[Level]:
        contact = F.arrays_overlap(L("ids_contact"), R("ids_contact"))
        names_alike = F.arrays_overlap(L("skel_keys"), R("skel_keys")) | (
            F.coalesce(F.col("name_sim"), F.lit(0.0)) >= self.names_alike
        )
        return [
            Level("forensic", F.arrays_overlap(L("ids_forensic"), R("ids_forensic"))),
            Level("document", F.arrays_overlap(L("ids_doc"), R("ids_doc"))),
            Level("phone_or_email", contact & names_alike),
            Level("contact_names_differ", contact, neutral=True),
        ]


@dataclass
class AddressComparison(Comparison):
    """Address tokens (locality and line): most tokens shared, or some shared."""

    name: str = "address"
    columns: tuple[str, ...] = ("address_tokens",)

    def null_condition(self) -> Column:
        return _empty(L("address_tokens")) | _empty(R("address_tokens"))

    def levels(self) -> list[Level]:
        inter = F.size(F.array_intersect(L("address_tokens"), R("address_tokens")))
        union = F.size(F.array_union(L("address_tokens"), R("address_tokens")))
        return [
            Level("jaccard>=0.5", inter >= union * 0.5),
            Level("some_shared", inter > 0),
        ]


def default_comparisons() -> list[Comparison]:
    """The person model: the fields an analyst would check, each with its levels."""
    return [
        NameComparison(),
        BirthDateComparison(),
        SexComparison(),
        NationalityComparison(),
        IdentifierComparison(),
        AddressComparison(),
    ]


def record_columns(comparisons: list[Comparison]) -> list[str]:
    cols: list[str] = []
    for c in comparisons:
        cols += [x for x in c.columns if x not in cols]
    return cols
