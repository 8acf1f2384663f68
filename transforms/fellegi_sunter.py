"""Fellegi–Sunter scoring: comparison vectors, u from random pairs, m by EM, the prior, TF.

- A *comparison vector* (gammas) is computed once per pair and stored; the weights are a cheap
  function of the vector, the model and the term-frequency tables, so an incremental run
  re-weights old pairs without re-comparing them.
- *u* (P(level | two different persons)) is measured on a deterministic sample of record pairs
  (records ordered by a hash of their key, each paired with its next k neighbours): almost all
  random pairs are different persons, and the same data always gives the same sample.
- *m* (P(level | same person)) comes from EM over the pattern counts of *training pairs*, u held
  fixed, in two sessions as Splink does: pairs sharing a whole name teach every field but the
  name and what goes with a name (sex, nationality, country of birth: a name tells its culture
  and gender, so namesakes agree on those too); pairs sharing a full birth date teach every field
  but the birth date. A field learnt in both sessions takes the mean.
- The *prior* λ is the probability that two records drawn at random are the same person: u and m
  describe all pairs, so λ must too. It is the fixed point of one EM step over the whole pair
  space in which pairs never proposed by blocking count as non-matches: λ = (expected matches
  among the candidates) / (all pairs). Estimating λ among candidates instead (with u from random
  pairs) is inconsistent and overstated it by ten bits, which chained namesakes together.
- *Term frequency*: at the levels that say "the same value" (exact, variant and skeleton names,
  the exact birth date) the weight uses the frequency of the rarest shared value instead of the
  level's average u: log2(m / tf(value)), so "mohammed ali" or 1990-07-14 held by many counts
  less than a rare name or date. tf = holders / (records + 1/u): Splink's holders/records on
  large data, shrunk towards u on small data, where a value held only by the pair itself would
  otherwise look common.

Comparison vectors live in `transforms.fs_vectors`, the model and its estimation (u, m, λ) in
`transforms.fs_estimation`; this module scores pairs under a fitted model and re-exports the
other two, so `transforms.fellegi_sunter` stays the one name callers use.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.comparisons import NEUTRAL, Comparison
from transforms.driver_frames import on_driver
from transforms.fs_estimation import (
    CANDIDATES,
    PRIOR_PAIRS,
    SESSIONS,
    U_PSEUDO,
    Model,
    Patterns,
    estimate_lambda,
    estimate_m,
    estimate_u,
    fit,
    sample_pairs,
    sample_patterns,
    training_patterns,
    u_from_patterns,
)
from transforms.fs_vectors import (
    PAIR_BROADCAST_RECORDS,
    comparison_vectors,
    pair_frame,
    vector_columns,
)

__all__ = [
    "CANDIDATES",
    "PAIR_BROADCAST_RECORDS",
    "PRIOR_PAIRS",
    "SESSIONS",
    "TF_BROADCAST_ROWS",
    "TF_CLAMP",
    "U_PSEUDO",
    "Model",
    "Patterns",
    "add_weight",
    "comparison_vectors",
    "estimate_lambda",
    "estimate_m",
    "estimate_u",
    "explanation",
    "field_weights",
    "fit",
    "pair_frame",
    "sample_pairs",
    "sample_patterns",
    "tf_tables",
    "training_patterns",
    "u_from_patterns",
    "vector_columns",
    "weight_histogram",
]

TF_CLAMP = 5.0  # bits: a single rare or common value may not swing the weight more than this
TF_BROADCAST_ROWS = 3_000_000  # term-frequency rows small enough to ship to every task


# -- weights --------------------------------------------------------------------------------------
def tf_tables(records: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """(comparison, gamma, value, holders, n): per term-frequency level, how many records hold
    each value of the level's column (values held by two or more), and how many records have
    the field at all.

    One pass for every level (each record's values of all levels exploded together, then one
    aggregation): a union of one aggregation per level cost five times the Spark jobs, which on
    a few thousand records took longer than the counting."""
    types = dict(records.dtypes)
    entries = []
    for c in comparisons:
        for gamma, col in c.tf_level().items():
            values = F.col(col)
            if types[col].startswith("array"):
                held = F.array_distinct(values)
            else:
                held = F.when(values.isNotNull(), F.array(values.cast("string")))
            entries.append(
                F.struct(
                    F.lit(c.name).alias("comparison"),
                    F.lit(gamma).alias("gamma"),
                    held.cast("array<string>").alias("values"),
                )
            )
    if not entries:
        spark = records.sparkSession
        return on_driver(
            spark, [], "comparison string, gamma int, value string, holders long, n long"
        )
    exploded = records.select("rk", F.explode(F.array(*entries)).alias("e")).select(
        "rk", "e.comparison", "e.gamma", F.explode("e.values").alias("value")
    )
    level = ["comparison", "gamma"]
    n = exploded.groupBy(*level).agg(F.countDistinct("rk").alias("n"))
    return (
        exploded.groupBy(*level, "value")
        .agg(F.countDistinct("rk").alias("holders"))
        # A value only one record holds is never shared by a pair: not worth a row.
        .where(F.col("holders") > 1)
        .join(F.broadcast(n), level)
        .select(*level, "value", "holders", "n")
    )


def field_weights(
    vectors: DataFrame,
    tf: DataFrame,
    comparisons: list[Comparison],
    model: Model,
    *,
    tf_rows: int | None = None,
) -> DataFrame:
    """Add w_<comparison> (bits, TF-adjusted) per pair and their sum `field_weight`. `tf_rows`:
    the rows of `tf` when the caller counted them already (`persons.checkpoint_counted`)."""
    df = vectors
    for c in comparisons:
        g = F.col(f"g_{c.name}")
        w = F.lit(0.0)
        for gamma in range(len(c.labels())):
            w = F.when(g == gamma, F.lit(model.weight(c.name, gamma))).otherwise(w)
        df = df.withColumn(f"w_{c.name}", F.when(g < 0, F.lit(0.0)).otherwise(w))
    tf_comps = [c for c in comparisons if c.tf_level()]
    if tf_comps:
        # The rarest shared value is the evidence: min tf over the values the pair shares.
        ex = df.select(
            "l_rk",
            "r_rk",
            F.explode(
                F.array(
                    *[
                        F.struct(
                            F.lit(c.name).alias("comparison"),
                            F.col(f"g_{c.name}").alias("gamma"),
                            F.col(f"tf_{c.name}").alias("values"),
                        )
                        for c in tf_comps
                    ]
                )
            ).alias("x"),
        ).select("l_rk", "r_rk", "x.comparison", "x.gamma", F.explode("x.values").alias("value"))
        # The table of shared values is small next to the pairs: broadcast, so the pairs keep
        # their layout (partitioned by pair) through the lookup, the min and the join back.
        rows = tf.count() if tf_rows is None else tf_rows
        lookup = F.broadcast(tf) if rows <= TF_BROADCAST_ROWS else tf
        best = (
            ex.join(lookup, ["comparison", "gamma", "value"])
            .groupBy("l_rk", "r_rk")
            .pivot("comparison", [c.name for c in tf_comps])
            .agg(F.min(F.struct("holders", "n")))
        )
        best = best.select(
            "l_rk", "r_rk", *[F.col(c.name).alias(f"_tf_{c.name}") for c in tf_comps]
        )
        df = df.join(best, ["l_rk", "r_rk"], "left")
        for c in tf_comps:
            g = F.col(f"g_{c.name}")
            held = F.col(f"_tf_{c.name}")
            u = _u_of(model, c.name, g)
            # How often a record of another person holds this value: its holders over the
            # records, shrunk towards the level's average u (as if 1/u records held it once).
            # Large data: holders/records, Splink's term frequency; small data: no value looks
            # common merely because the pair itself holds it twice.
            tfv = held["holders"] / (held["n"] + F.lit(1.0) / u)
            # log2(m/u) + log2(u/tf) = log2(m/tf): the level's average u replaced by the value's.
            adj = F.log2(u / tfv)
            adj = F.greatest(F.lit(-TF_CLAMP), F.least(F.lit(TF_CLAMP), adj))
            df = df.withColumn(
                f"w_{c.name}",
                F.when(held.isNotNull(), F.col(f"w_{c.name}") + adj).otherwise(
                    F.col(f"w_{c.name}")
                ),
            ).drop(f"_tf_{c.name}")
    total = F.lit(0.0)
    for c in comparisons:
        total = total + F.col(f"w_{c.name}")
    return df.withColumn("field_weight", total)


def weight_histogram(weighted: DataFrame) -> list[tuple[float, int]]:
    """(field weight rounded to 0.01 bit, pairs): what `estimate_lambda` needs, a few
    thousand rows whatever the number of pairs."""
    rows = weighted.groupBy(F.round("field_weight", 2).alias("w")).count().collect()
    return [(float(r["w"]), int(r["count"])) for r in rows]


def add_weight(weighted: DataFrame, model: Model) -> DataFrame:
    """Add match_weight (prior + field weights, bits) and match_probability."""
    total = F.col("field_weight") + F.lit(model.prior_weight)
    return weighted.withColumn("match_weight", total).withColumn(
        "match_probability", F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -total))
    )


def explanation(scored: DataFrame, comparisons: list[Comparison], model: Model) -> DataFrame:
    """Replace the per-field weight columns by the explanation maps.

    `contributions` is a map comparison -> bits (plus `prior`) and `levels` a map comparison ->
    level label, so each pair carries its own explanation. Built only where someone reads it
    (the accepted pairs): two maps per pair cost more than the weights themselves.
    """
    prior = model.prior_weight
    contributions = F.create_map(
        F.lit("prior"),
        F.lit(prior),
        *[x for c in comparisons for x in (F.lit(c.name), F.col(f"w_{c.name}"))],
    )
    levels = F.create_map(
        *[x for c in comparisons for x in (F.lit(c.name), _label_expr(c, F.col(f"g_{c.name}")))]
    )
    return (
        scored.withColumn("contributions", contributions)
        .withColumn("levels", levels)
        .drop("field_weight", *[f"w_{c.name}" for c in comparisons])
    )


def _u_of(model: Model, comp: str, g: Column) -> Column:
    expr = F.lit(1.0)
    for gamma, u in enumerate(model.u[comp]):
        expr = F.when(g == gamma, F.lit(u)).otherwise(expr)
    return expr


def _label_expr(c: Comparison, g: Column) -> Column:
    expr = F.lit("missing")
    if (neutral := c.neutral_label()) is not None:
        expr = F.when(g == NEUTRAL, F.lit(neutral)).otherwise(expr)
    for gamma, label in enumerate(c.labels()):
        expr = F.when(g == gamma, F.lit(label)).otherwise(expr)
    return expr
