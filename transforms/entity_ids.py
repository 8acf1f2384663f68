"""Stable entity IDs across runs, with merge and split events.

The previous run's (record key -> entity id) map is persisted. A new clustering assigns IDs so
that analysts' references keep working:

1. each previous ID is *owned* by the new cluster holding most of its records (ties: smallest
   cluster key), so one ID never lands on two clusters;
2. each cluster takes, among the IDs it owns, the one held by most of its records (ties: the
   oldest ID, minted in the earliest run, then the smallest ID);
3. a cluster with no ID to inherit gets a new one, derived from its smallest record key and the
   run number (deterministic, never reused).

Events: `merge` (a cluster gathers records of several previous IDs), `split` (the records of one
previous ID now sit in several clusters), `created` (ID minted), `retired` (an ID no cluster
took: merged away, or all its records deleted).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from transforms.driver_frames import on_driver

MAP_SCHEMA = "rk string, entity_id string"
REGISTRY_SCHEMA = "entity_id string, minted_run long, status string"
EVENTS_SCHEMA = (
    "run_seq long, event string, entity_id string, related_entity_ids array<string>, records long"
)


def empty_map(spark: SparkSession) -> DataFrame:
    return on_driver(spark, [], MAP_SCHEMA)


def empty_registry(spark: SparkSession) -> DataFrame:
    return on_driver(spark, [], REGISTRY_SCHEMA)


def mint_id(component: F.Column, run_seq: int) -> F.Column:
    digest = F.sha2(F.concat(component, F.lit(f"#{run_seq}")), 256)
    return F.concat(F.lit("P-"), F.upper(F.substring(digest, 1, 16)))


def assign_ids(
    clusters: DataFrame,
    previous: DataFrame,
    registry: DataFrame,
    run_seq: int,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Return (assignment rk -> entity_id, events, new registry).

    clusters: (rk, component); previous: (rk, entity_id); registry: (entity_id, minted_run, status).
    """
    overlap = (
        clusters.join(previous.select("rk", F.col("entity_id").alias("prev_id")), "rk")
        .groupBy("component", "prev_id")
        .agg(F.count("*").alias("n"))
    )
    by_id = Window.partitionBy("prev_id").orderBy(F.col("n").desc(), F.col("component"))
    owned = (
        overlap.withColumn("r", F.row_number().over(by_id))
        .where("r = 1")
        .drop("r")
        .join(registry.select(F.col("entity_id").alias("prev_id"), "minted_run"), "prev_id", "left")
    )
    by_comp = Window.partitionBy("component").orderBy(
        F.col("n").desc(), F.col("minted_run").asc_nulls_last(), F.col("prev_id")
    )
    inherited = (
        owned.withColumn("r", F.row_number().over(by_comp))
        .where("r = 1")
        .select("component", F.col("prev_id").alias("inherited"))
    )
    comps = clusters.select("component").distinct().join(inherited, "component", "left")
    comps = comps.withColumn(
        "entity_id", F.coalesce(F.col("inherited"), mint_id(F.col("component"), run_seq))
    ).withColumn("minted", F.col("inherited").isNull())
    assignment = clusters.join(comps, "component").select("rk", "component", "entity_id", "minted")

    sizes = assignment.groupBy("entity_id").agg(F.count("*").alias("records"))
    merges = (
        overlap.join(comps.select("component", "entity_id"), "component")
        .groupBy("entity_id")
        .agg(F.array_sort(F.collect_set("prev_id")).alias("related_entity_ids"))
        .where(F.size("related_entity_ids") > 1)
        .join(sizes, "entity_id")
        .withColumn("event", F.lit("merge"))
    )
    splits = (
        overlap.join(comps.select("component", "entity_id"), "component")
        .groupBy("prev_id")
        .agg(
            F.array_sort(F.collect_set("entity_id")).alias("related_entity_ids"),
            F.sum("n").alias("records"),
        )
        .where(F.size("related_entity_ids") > 1)
        .withColumnRenamed("prev_id", "entity_id")
        .withColumn("event", F.lit("split"))
    )
    created = (
        comps.where("minted")
        .join(sizes, "entity_id")
        .select(
            "entity_id",
            F.array().cast("array<string>").alias("related_entity_ids"),
            "records",
            F.lit("created").alias("event"),
        )
    )
    active = comps.select("entity_id").distinct()
    prev_ids = previous.select("entity_id").distinct()
    retired_ids = prev_ids.join(active, "entity_id", "left_anti")
    # A retired ID points at where its records went (if anywhere).
    went_to = (
        previous.join(retired_ids, "entity_id")
        .join(assignment.select("rk", F.col("entity_id").alias("now")), "rk")
        .groupBy("entity_id")
        .agg(F.array_sort(F.collect_set("now")).alias("related_entity_ids"))
    )
    retired = retired_ids.join(went_to, "entity_id", "left").select(
        "entity_id",
        F.coalesce("related_entity_ids", F.array().cast("array<string>")).alias(
            "related_entity_ids"
        ),
        F.lit(0).cast("long").alias("records"),
        F.lit("retired").alias("event"),
    )
    cols = ["event", "entity_id", "related_entity_ids", "records"]
    events = (
        merges.select(*cols)
        .unionByName(splits.select(*cols))
        .unionByName(created.select(*cols))
        .unionByName(retired.select(*cols))
        .select(F.lit(run_seq).cast("long").alias("run_seq"), *cols)
        .withColumn("records", F.col("records").cast("long"))
    )

    new_ids = comps.where("minted").select(
        "entity_id", F.lit(run_seq).cast("long").alias("minted_run")
    )
    reg = registry.select("entity_id", "minted_run").unionByName(new_ids).distinct()
    reg = reg.join(active.withColumn("active", F.lit(True)), "entity_id", "left").select(
        "entity_id",
        "minted_run",
        F.when(F.col("active"), "active").otherwise("retired").alias("status"),
    )
    return assignment.select("rk", "entity_id"), events, reg


@dataclass(frozen=True)
class IdChanges:
    """`id_changes`' tables, and what changed in the ID map and registry: the rows of
    the redone records and of the IDs they held or took, replacing those of the reached records
    and of the IDs those held (what the state write appends instead of rewriting both)."""

    assignment: DataFrame
    events: DataFrame
    registry: DataFrame
    map_added: DataFrame
    map_removed: frozenset[str]
    registry_added: DataFrame
    registry_removed: frozenset[str]


def id_changes(
    clusters: DataFrame,
    previous: DataFrame,
    registry: DataFrame,
    run_seq: int,
    *,
    redone: Collection[str],
    reached: Collection[str],
) -> IdChanges:
    """`assign_ids` when only some clusters were computed again (an incremental resolution),
    with the delta of the ID map and registry (`IdChanges`).

    `redone`: the current records whose clusters were computed again; `reached`: the previous
    records of the components that were (deleted ones included). Every other cluster is a
    previous cluster with the same records, which held one ID and all of its records: it owns
    and inherits that ID, and takes part in no merge, split, creation or retirement. So the rules
    above, applied to the redone clusters and the previous IDs of the reached records, give what
    they give applied to everything; the other records keep their previous IDs and the other
    IDs their registry rows. That assumes `previous` was written with the clusters the redone
    ones replace: the state is read only as one run's snapshot (`transforms.state_io`).
    """
    prev_sub = previous.where(F.col("rk").isin(sorted(reached)))
    sub_ids = {r[0] for r in prev_sub.select("entity_id").distinct().collect()}
    reg_sub = registry.where(F.col("entity_id").isin(sorted(sub_ids)))
    assignment, events, reg = assign_ids(
        clusters.where(F.col("rk").isin(sorted(redone))), prev_sub, reg_sub, run_seq
    )
    kept = previous.where(~F.col("rk").isin(sorted(reached))).select("rk", "entity_id")
    kept_reg = registry.where(~F.col("entity_id").isin(sorted(sub_ids)))
    return IdChanges(
        assignment=kept.unionByName(assignment),
        events=events,
        registry=kept_reg.select(*reg.columns).unionByName(reg),
        map_added=assignment,
        map_removed=frozenset(reached),
        registry_added=reg,
        registry_removed=frozenset(sub_ids),
    )
