"""Comparison vectors: one gamma per comparison, and the shared values behind it, per pair.

A vector is computed once per pair and stored (`vector_columns`); the weights are a cheap function
of the vector, the model and the term-frequency tables (`transforms.fellegi_sunter`), so an
incremental run re-weights old pairs without re-comparing them. Estimation
(`transforms.fs_estimation`) and scoring both start from here, hence a module of its own.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.comparisons import Comparison, record_columns

# -- comparison vectors ---------------------------------------------------------------------------
PAIR_BROADCAST_RECORDS = 400_000
"""Up to this many records, their comparison columns are broadcast to the pairs rather than both
shuffled by record key, twice (left, then right). At 100k persons (185,952 records, 5.8M
candidate pairs; 37 MiB of comparison columns as Arrow) the two joins took 13.3 s instead of
34.8 s and the whole comparison query 103.5 s instead of 137.1 s. Past it the broadcast would
grow with the world (at 1M persons about ten times as large, by proportion, not measured; and
built twice, on a 4 GiB driver): sort-merge."""


def pair_frame(
    pairs: DataFrame,
    records: DataFrame,
    comparisons: list[Comparison],
    *,
    broadcast: bool = False,
) -> DataFrame:
    """Join both records' comparison columns onto (l_rk, r_rk, ...) as l_<col> / r_<col>;
    `broadcast` (`PAIR_BROADCAST_RECORDS`) sends the records to the pairs."""
    cols = record_columns(comparisons)
    left = records.select(F.col("rk").alias("l_rk"), *[F.col(c).alias(f"l_{c}") for c in cols])
    right = records.select(F.col("rk").alias("r_rk"), *[F.col(c).alias(f"r_{c}") for c in cols])
    if broadcast:
        left, right = F.broadcast(left), F.broadcast(right)
    return pairs.join(left, "l_rk").join(right, "r_rk")


def _tf_values(comp: Comparison, types: dict[str, str]) -> Column:
    """The shared values behind the level that fired, for its term-frequency adjustment."""
    g = F.col(f"g_{comp.name}")
    expr = None
    for gamma, col in comp.tf_level().items():
        left, right = F.col(f"l_{col}"), F.col(f"r_{col}")
        if types[f"l_{col}"].startswith("array"):
            shared = F.array_intersect(left, right)
        else:
            shared = F.when(left == right, F.array(left.cast("string")))
        expr = F.when(g == gamma, shared) if expr is None else expr.when(g == gamma, shared)
    empty = F.array().cast("array<string>")
    if expr is None:
        return empty
    return F.coalesce(expr.otherwise(empty), empty)


def vector_columns(comparisons: list[Comparison]) -> list[str]:
    """Columns of a stored comparison-vector table for this set of comparisons (the pair's
    rules and sessions are not stored: they come from the current run's pair set)."""
    return [
        "l_rk",
        "r_rk",
        *[f"g_{c.name}" for c in comparisons],
        *[f"tf_{c.name}" for c in comparisons if c.tf_level()],
    ]


def comparison_vectors(
    pairs: DataFrame,
    records: DataFrame,
    comparisons: list[Comparison],
    *,
    broadcast: bool = False,
) -> DataFrame:
    """(l_rk, r_rk, [rules], g_<comparison>..., tf_<comparison>...) for each pair; `broadcast`
    as `pair_frame`."""
    df = pair_frame(pairs, records, comparisons, broadcast=broadcast)
    for c in comparisons:
        df = c.prepare(df)
    df = df.select("*", *[c.gamma() for c in comparisons])
    types = dict(df.dtypes)
    extra = [x for x in ("rules", "sessions") if x in pairs.columns]
    return df.select(
        "l_rk",
        "r_rk",
        *extra,
        *[f"g_{c.name}" for c in comparisons],
        *[_tf_values(c, types).alias(f"tf_{c.name}") for c in comparisons if c.tf_level()],
    )
