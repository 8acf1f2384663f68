"""Comparisons of who a person is: name, birth date, sex, nationality, country of birth.

These are the fields a person is described by (rather than the things a person holds): the name
levels carry their own similarity scoring (rapidfuzz, token by token, across scripts), which the
phone comparison reuses to tell a person's own line from one a network shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType
from rapidfuzz.distance import JaroWinkler, Levenshtein

from transforms.comparison_base import Comparison, L, Level, R, _empty


# -- names ----------------------------------------------------------------------------------------
def _split(spellings: list[str]) -> list[list[str]]:
    return [x.split() for x in spellings if x]


def _assigned_similarities(short: list[str], long_: list[str]) -> list[float]:
    """Jaro-Winkler of each token of `short` with a distinct partner in `long_` (greedy, best
    pairs first), so "georgi georgiev" cannot match both its tokens to "georgi"."""
    jw = JaroWinkler.normalized_similarity
    if len(short) == 1:
        # The greedy assignment of one token is its best partner (most names in most pairs).
        s = short[0]
        return [max(jw(s, t) for t in long_)]
    if len(short) == 2 and len(long_) == 2:
        # Two against two (most pairs of full names): the greedy pick is one of the diagonals,
        # the one holding the best (similarity, i, j), as in the general sort below.
        (a0, a1), (b0, b1) = short, long_
        s00, s01, s10, s11 = jw(a0, b0), jw(a0, b1), jw(a1, b0), jw(a1, b1)
        _, i, j = max((s00, 0, 0), (s01, 0, 1), (s10, 1, 0), (s11, 1, 1))
        return [s00, s11] if i == j else [s01, s10]
    scored = sorted(
        ((jw(s, t), i, j) for i, s in enumerate(short) for j, t in enumerate(long_)),
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


def _split_similarity(xs: list[list[str]], ys: list[list[str]]) -> tuple[float, float]:
    """`token_set_similarity` of spellings already split into tokens."""
    best = (0.0, 0.0)
    y_joined = ["".join(sorted(yt)) for yt in ys]
    for xt in xs:
        x_joined = "".join(sorted(xt))
        for yt, y_join in zip(ys, y_joined, strict=True):
            short, long_ = (xt, yt) if len(xt) <= len(yt) else (yt, xt)
            sims = _assigned_similarities(short, long_)
            mean, worst = sum(sims) / len(sims), min(sims)
            if len(short) == 1 and len(long_) > 1:
                mean, worst = mean * 0.9, worst * 0.9
            joined = Levenshtein.normalized_similarity(x_joined, y_join)
            if joined > mean:
                mean = worst = joined
            if (mean, worst) > best:
                best = (mean, worst)
                if worst >= 1.0:
                    return best
    return best


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
    return _split_similarity(_split(a), _split(b))


def name_set_similarity(a: list[str], b: list[str]) -> float:
    """Mean token similarity of the best pair of spellings (see `token_set_similarity`)."""
    return token_set_similarity(a, b)[0]


def _split_subset(xs: list[list[str]], ys: list[list[str]]) -> bool:
    """All tokens (at least two) of one spelling appear in a spelling of the other: a middle
    name dropped or added ("chinedu okafor" / "chinedu okafor osaro")."""
    ysets = [set(yt) for yt in ys]
    for xt in xs:
        x = set(xt)
        for y in ysets:
            small, big = (x, y) if len(x) <= len(y) else (y, x)
            if len(small) >= 2 and small <= big:
                return True
    return False


# Codes of the fuzzy name levels (the exact, variant and skeleton levels are array overlaps).
FUZZY_SUBSET, FUZZY_HIGH, FUZZY_MID, FUZZY_TOKEN, FUZZY_NONE = 4, 3, 2, 1, 0


def fuzzy_name_code(a: list[str], b: list[str], high: float, mid: float) -> int:
    """The best fuzzy level two lists of canonical spellings reach (FUZZY_* codes)."""
    if not set(a).isdisjoint(b):
        # A shared spelling is the variant level, which outranks every fuzzy one: no need to
        # score it (about half of all candidate pairs).
        return FUZZY_SUBSET
    # Split once: this runs for millions of candidate pairs.
    xs, ys = _split(a), _split(b)
    if _split_subset(xs, ys):
        return FUZZY_SUBSET
    mean, worst = _split_similarity(xs, ys)
    if mean >= high and worst >= high - 0.07:
        return FUZZY_HIGH
    if mean >= mid and worst >= mid - 0.15:
        return FUZZY_MID
    if mean >= mid:
        return FUZZY_TOKEN
    tokens_b = {t for y in ys for t in y if len(t) >= 2}
    if any(len(t) >= 2 and t in tokens_b for x in xs for t in x):
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
