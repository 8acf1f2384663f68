"""The comparison framework: `Level`, the `Comparison` base class and its gamma compilation.

Every concrete comparison (`transforms.identity_comparisons`, `transforms.identifier_comparisons`)
builds on these few definitions and Fellegi–Sunter (`transforms.fellegi_sunter`) reads only them,
so they stand alone: a module of comparisons never needs another to define its levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

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

    def _shape(self) -> tuple[list[str], str | None, dict[int, str]]:
        """(labels, neutral label, tf levels): plain values read many times per run, each read
        otherwise rebuilding every level's Spark expression (seconds per resolve). Kept per
        field values, so a comparison whose fields change is described afresh."""
        key = repr(self)
        cached = self.__dict__.get("_shape_cache")
        if cached is None or cached[0] != key:
            levels = self.levels()
            counted = [lv for lv in levels if not lv.neutral]
            shape = (
                ["else", *[lv.label for lv in reversed(counted)]],
                next((lv.label for lv in levels if lv.neutral), None),
                {len(counted) - i: lv.tf_keys for i, lv in enumerate(counted) if lv.tf_keys},
            )
            cached = (key, shape)
            self.__dict__["_shape_cache"] = cached
        return cached[1]

    def labels(self) -> list[str]:
        """Label per gamma value: index 0 is 'else', the last is the best level."""
        return list(self._shape()[0])

    def neutral_label(self) -> str | None:
        """Label of the neutral level (gamma `NEUTRAL`), if the comparison has one."""
        return self._shape()[1]

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
        return dict(self._shape()[2])


def _empty(c: Column) -> Column:
    return c.isNull() | (F.size(c) == 0)
