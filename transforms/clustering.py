"""Connected components in Spark DataFrames, with a guard against giant components.

Min-label propagation: every node starts with its own key as label and repeatedly takes the
smallest label among itself and its neighbours until nothing changes (as many rounds as the
longest shortest path). The lineage is cut with a checkpoint every few rounds so that the plan does
not grow with the number of rounds.

Transitive closure is dangerous in entity resolution: one wrong edge between two big clusters, or
a chain of slightly-similar records, joins unrelated people. The guard re-clusters any component
larger than `max_size` using only its stronger edges (tiered weight thresholds); what is still too
big after the last tier is not chained at all: its records stay on their own and are flagged, for
an analyst to review.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

CHECKPOINT_EVERY = 3


def _cut(df: DataFrame) -> DataFrame:
    """Checkpoint when a checkpoint dir is set (reliable), else a local checkpoint."""
    sc = df.sparkSession.sparkContext
    return df.checkpoint(eager=True) if sc.getCheckpointDir() else df.localCheckpoint(eager=True)


def connected_components(nodes: DataFrame, edges: DataFrame, max_rounds: int = 100) -> DataFrame:
    """(rk, component) for every node; `component` is the smallest rk of its component.

    nodes: column `rk`; edges: columns `l_rk`, `r_rk` (undirected).
    """
    both = (
        edges.select(F.col("l_rk").alias("src"), F.col("r_rk").alias("dst"))
        .unionByName(edges.select(F.col("r_rk").alias("src"), F.col("l_rk").alias("dst")))
        .distinct()
    )
    both = _cut(both)
    labels = _cut(nodes.select("rk").distinct().withColumn("component", F.col("rk")))
    for i in range(1, max_rounds + 1):
        incoming = (
            both.join(labels.withColumnRenamed("rk", "src"), "src")
            .groupBy("dst")
            .agg(F.min("component").alias("nbr"))
            .withColumnRenamed("dst", "rk")
        )
        updated = labels.join(incoming, "rk", "left").select(
            "rk",
            F.least("component", F.coalesce("nbr", "component")).alias("component"),
            (F.col("nbr") < F.col("component")).alias("changed"),
        )
        updated = _cut(updated) if i % CHECKPOINT_EVERY == 0 else updated.cache()
        changed = updated.where("changed").limit(1).count()
        labels = updated.drop("changed")
        if changed == 0:
            return labels
    raise RuntimeError(
        f"connected components did not converge in {max_rounds} rounds: raise max_rounds "
        "(very long chains usually mean a too-low match threshold)"
    )


def guarded_components(
    nodes: DataFrame,
    edges: DataFrame,
    *,
    max_size: int,
    tiers: tuple[float, ...],
) -> DataFrame:
    """(rk, component, guard): components, with those above `max_size` split or isolated.

    edges need `match_weight`. `tiers` are increasing weight thresholds tried in turn on an
    oversized component. `guard` is null for normal components, `split@<w>` when the component was
    re-clustered at weight w, `isolated` when even the strictest tier left it oversized.
    """
    comps = connected_components(nodes, edges).withColumn("guard", F.lit(None).cast("string"))
    for tier in (*tiers, None):
        sizes = comps.groupBy("component").agg(F.count("*").alias("size"))
        big = sizes.where(F.col("size") > max_size).select("component")
        if big.limit(1).count() == 0:
            return comps
        members = comps.join(big, "component").select("rk")
        ok = comps.join(big, "component", "left_anti")
        if tier is None:
            isolated = members.select(
                "rk", F.col("rk").alias("component"), F.lit("isolated").alias("guard")
            )
            return ok.unionByName(isolated)
        strong = (
            edges.where(F.col("match_weight") >= tier)
            .join(members.withColumnRenamed("rk", "l_rk"), "l_rk")
            .join(members.withColumnRenamed("rk", "r_rk"), "r_rk")
        )
        again = connected_components(members, strong).withColumn("guard", F.lit(f"split@{tier:g}"))
        comps = _cut(ok.unionByName(again))
    return comps
