"""Small helpers shared by the gold link modules."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.persons import record_key


def union_all(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b), frames)


def case_rk() -> Column:
    """A case record's key, `country|record_id` (as a person record's)."""
    return record_key(F.col("source_country"), F.col("record_id"))
