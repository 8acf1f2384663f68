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

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from transforms.driver_frames import among, on_driver

MAP_SCHEMA = "rk string, entity_id string"
REGISTRY_SCHEMA = "entity_id string, minted_run long, status string"
REGISTRY_COLUMNS = ("entity_id", "minted_run", "status")
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


def mint_id_of(component: str, run_seq: int) -> str:
    """`mint_id` on the driver: the same ID for the same cluster key and run."""
    digest = hashlib.sha256(f"{component}#{run_seq}".encode()).hexdigest()
    return "P-" + digest[:16].upper()


Row = tuple[Any, ...]


def assign_ids_rows(
    clusters: Iterable[Row], previous: Iterable[Row], registry: Iterable[Row], run_seq: int
) -> tuple[list[Row], list[Row], list[Row]]:
    """`assign_ids` on rows the driver holds, for the few clusters an incremental run redid:
    the same three rules and events, without the 46 Spark jobs its joins, windows and
    aggregations launch on a frame of a few hundred rows (at 100k persons, 4 s of an
    incremental run's 5 s *ids* phase). `test_entity_ids` checks both give the same rows.

    clusters: (rk, component); previous: (rk, entity_id); registry: (entity_id, minted_run,
    status). Returns (assignment (rk, entity_id), events `EVENTS_SCHEMA`, registry rows).
    """
    comp_of = dict(clusters)
    prev_of = dict(previous)
    minted_run = {e: m for e, m, _ in registry}
    overlap: Counter[tuple[str, str]] = Counter(
        (comp_of[rk], prev) for rk, prev in prev_of.items() if rk in comp_of
    )
    # 1. Each previous ID is owned by the cluster holding most of its records (ties: the
    # smallest cluster key).
    owner: dict[str, tuple[str, int]] = {}
    for (comp, prev), n in overlap.items():
        best = owner.get(prev)
        if best is None or (-n, comp) < (-best[1], best[0]):
            owner[prev] = (comp, n)

    # 2. Each cluster takes the owned ID most of its records held (ties: the oldest, then the
    # smallest ID; an ID the registry does not know sorts last).
    def rank(prev: str, n: int) -> tuple[int, bool, int, str]:
        run = minted_run.get(prev)
        return (-n, run is None, run or 0, prev)

    inherited: dict[str, str] = {}
    for prev, (comp, n) in owner.items():
        if comp not in inherited or rank(prev, n) < rank(
            inherited[comp], owner[inherited[comp]][1]
        ):
            inherited[comp] = prev
    # 3. A cluster with no ID to inherit gets a new one.
    entity_of = {c: inherited.get(c) or mint_id_of(c, run_seq) for c in set(comp_of.values())}
    minted = {c for c in entity_of if c not in inherited}
    assignment = [(rk, entity_of[c]) for rk, c in comp_of.items()]
    sizes = Counter(e for _, e in assignment)

    events: list[Row] = []
    prev_of_entity: dict[str, set[str]] = {}
    entities_of_prev: dict[str, set[str]] = {}
    records_of_prev: Counter[str] = Counter()
    for (comp, prev), n in overlap.items():
        prev_of_entity.setdefault(entity_of[comp], set()).add(prev)
        entities_of_prev.setdefault(prev, set()).add(entity_of[comp])
        records_of_prev[prev] += n
    for entity, prevs in prev_of_entity.items():
        if len(prevs) > 1:
            events.append((run_seq, "merge", entity, sorted(prevs), sizes[entity]))
    for prev, entities in entities_of_prev.items():
        if len(entities) > 1:
            events.append((run_seq, "split", prev, sorted(entities), records_of_prev[prev]))
    for comp in minted:
        events.append((run_seq, "created", entity_of[comp], [], sizes[entity_of[comp]]))
    active = set(entity_of.values())
    now = dict(assignment)
    went_to: dict[str, set[str]] = {}
    for rk, prev in prev_of.items():
        if prev not in active:
            went = went_to.setdefault(prev, set())
            if rk in now:
                went.add(now[rk])
    for prev, went in went_to.items():  # a retired ID points at where its records went
        events.append((run_seq, "retired", prev, sorted(went), 0))

    runs = {(e, m) for e, m, _ in registry} | {(entity_of[c], run_seq) for c in minted}
    reg = [(e, m, "active" if e in active else "retired") for e, m in sorted(runs, key=str)]
    return assignment, events, reg


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
    spark = clusters.sparkSession
    # The redone clusters and what they replace are a few hundred rows: the ID rules run on the
    # driver (`assign_ids_rows`), three small collects instead of a Spark job per join.
    prev_sub = [
        (r["rk"], r["entity_id"])
        for r in previous.where(among("rk", reached)).select("rk", "entity_id").collect()
    ]
    sub_ids = {e for _, e in prev_sub}
    reg_sub = [
        (r["entity_id"], r["minted_run"], r["status"])
        for r in registry.where(among("entity_id", sub_ids)).select(*REGISTRY_COLUMNS).collect()
    ]
    redone_rows = [
        (r["rk"], r["component"])
        for r in clusters.where(among("rk", redone)).select("rk", "component").collect()
    ]
    map_rows, event_rows, reg_rows = assign_ids_rows(redone_rows, prev_sub, reg_sub, run_seq)
    assignment = on_driver(spark, map_rows, MAP_SCHEMA)
    events = on_driver(spark, event_rows, EVENTS_SCHEMA)
    reg = on_driver(spark, reg_rows, REGISTRY_SCHEMA)
    kept = previous.where(~among("rk", reached)).select("rk", "entity_id")
    kept_reg = registry.where(~among("entity_id", sub_ids))
    return IdChanges(
        assignment=kept.unionByName(assignment),
        events=events,
        registry=kept_reg.select(*reg.columns).unionByName(reg),
        map_added=assignment,
        map_removed=frozenset(reached),
        registry_added=reg,
        registry_removed=frozenset(sub_ids),
    )
