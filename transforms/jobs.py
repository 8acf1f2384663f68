"""The two jobs the pipeline runs: bronze → silver, silver → gold.

Each job reads the lake, calls pure transforms and writes whole tables (overwrite), so a rerun on
the same lake gives the same tables. Person resolution keeps a small state under
`<lake>/state/persons/` (record hashes, comparison vectors, key statuses, the record → entity id
map, the ID registry and the event history): that is what makes entity IDs stable and lets an
incremental run compare only what changed. `full=True` ignores the stored vectors and recomputes
every pair (the IDs are still inherited from the stored map).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.registry import FEEDS
from transforms import lake_io
from transforms import links as LK
from transforms.comparisons import default_comparisons
from transforms.entity_ids import assign_ids, empty_map, empty_registry
from transforms.fellegi_sunter import vector_columns
from transforms.persons import (
    PreviousState,
    ResolutionConfig,
    generic_values_output,
    pairs_output,
    resolve_persons,
    to_records,
)
from transforms.standardize import build_silver_frame

log = logging.getLogger("interlink.transforms")

STATE = "persons"


def build_silver(spark: SparkSession, lake_root: str) -> dict[str, int]:
    """Write silver/<feed>/ for each feed present in bronze; return the row count per feed.

    Each table is rebuilt from all of the feed's bronze (bronze is immutable and small next to
    the work of gold), so reruns are idempotent and a delete anywhere in bronze always applies.
    A feed with no bronze at all keeps whatever silver it had.
    """
    counts: dict[str, int] = {}
    for feed in FEEDS:
        bronze = lake_io.read_bronze(spark, lake_root, feed)
        if bronze is None:
            continue
        counts[feed] = lake_io.write_table(
            build_silver_frame(bronze, feed), lake_root, "silver", feed
        )
    return counts


# -- gold -----------------------------------------------------------------------------------------
def _state(spark: SparkSession, lake_root: str, name: str) -> DataFrame | None:
    return lake_io.read_table(spark, lake_root, "state", f"{STATE}/{name}")


def _write_state(df: DataFrame, lake_root: str, name: str) -> int:
    return lake_io.write_table_via_temp(df, lake_root, "state", f"{STATE}/{name}")


def _previous(spark: SparkSession, lake_root: str, full: bool) -> PreviousState | None:
    if full:
        return None
    parts = [_state(spark, lake_root, n) for n in ("records", "vectors", "keys")]
    if any(p is None for p in parts):
        return None
    records, vectors, flagged = parts
    assert records is not None and vectors is not None and flagged is not None
    return PreviousState(records=records, vectors=vectors, flagged=flagged)


def resolve_and_persist(
    spark: SparkSession,
    lake_root: str,
    persons: DataFrame,
    *,
    full: bool = False,
    config: ResolutionConfig | None = None,
) -> dict[str, Any]:
    """Person resolution on silver persons, gold person tables written, state updated."""
    config = config or ResolutionConfig()
    meta = lake_io.read_json(lake_root, "state", f"{STATE}/meta.json") or {"run_seq": 0}
    run_seq = int(meta["run_seq"]) + 1
    previous = _previous(spark, lake_root, full)
    # Vectors stored by a model with other comparisons (an upgrade) cannot be reused pair by pair.
    if previous is not None and sorted(previous.vectors.columns) != sorted(
        vector_columns(default_comparisons())
    ):
        log.warning("stored comparison vectors are from another model: rebuilding all pairs")
        previous = None
    records = to_records(persons)
    res = resolve_persons(records, config=config, previous=previous)

    prev_map = _state(spark, lake_root, "id_map") or empty_map(spark)
    registry = _state(spark, lake_root, "registry") or empty_registry(spark)
    assignment, events, new_registry = assign_ids(res.clusters, prev_map, registry, run_seq)
    assignment = assignment.localCheckpoint(eager=True)
    events = events.localCheckpoint(eager=True)
    new_registry = new_registry.localCheckpoint(eager=True)
    history = _state(spark, lake_root, "events")
    all_events = events if history is None else history.unionByName(events)
    all_events = all_events.localCheckpoint(eager=True)

    # Gold: one row per current record with its entity and provenance.
    sizes = assignment.groupBy("entity_id").agg(
        F.count("*").alias("entity_records"),
    )
    countries = (
        assignment.join(records.select("rk", "source_country"), "rk")
        .groupBy("entity_id")
        .agg(F.countDistinct("source_country").alias("entity_countries"))
    )
    entities = (
        persons.withColumn("rk", F.concat_ws("|", "source_country", "record_id"))
        .join(assignment, "rk")
        .join(res.clusters.select("rk", "guard"), "rk")
        .join(sizes, "entity_id")
        .join(countries, "entity_id")
        .drop("rk")
    )
    first = ["source_country", "record_id", "entity_id"]
    entities = entities.select(*first, *[c for c in entities.columns if c not in first])
    n_entities_rows = lake_io.write_table(
        entities.orderBy("entity_id", "source_country", "record_id"),
        lake_root,
        "gold",
        "person_entities",
    )
    n_pairs = lake_io.write_table(
        pairs_output(res.accepted, assignment).orderBy(
            "l_source_country", "l_record_id", "r_source_country", "r_record_id"
        ),
        lake_root,
        "gold",
        "person_pairs",
    )
    n_generic = lake_io.write_table(
        generic_values_output(res.flagged).orderBy("kind", "value"),
        lake_root,
        "gold",
        "generic_values",
    )
    lake_io.write_table(
        all_events.orderBy("run_seq", "event", "entity_id"), lake_root, "gold", "entity_events"
    )

    # State for the next run (written after gold, so a failed run leaves the old state intact).
    _write_state(records.select("rk", "payload_hash"), lake_root, "records")
    _write_state(res.vectors.select(*vector_columns(default_comparisons())), lake_root, "vectors")
    _write_state(res.flagged, lake_root, "keys")
    _write_state(assignment, lake_root, "id_map")
    _write_state(new_registry, lake_root, "registry")
    _write_state(all_events, lake_root, "events")

    n_entities = assignment.select("entity_id").distinct().count()
    cross = countries.where(F.col("entity_countries") > 1).count()
    ev = {r["event"]: r["count"] for r in events.groupBy("event").count().collect()}
    guarded = res.clusters.where(F.col("guard").isNotNull()).count()
    summary: dict[str, Any] = {
        "run_seq": run_seq,
        "mode": "full" if previous is None else "incremental",
        "records": n_entities_rows,
        "entities": n_entities,
        "cross_country_entities": cross,
        "pairs": n_pairs,
        "candidate_pairs": res.model.candidate_pairs,
        "pairs_compared_this_run": res.new_vectors,
        "dirty_records": res.dirty,
        "generic_values": n_generic,
        "guarded_records": guarded,
        "events": ev,
        "threshold_probability": config.threshold,
        "model": res.model.as_dict(),
    }
    lake_io.write_json(
        lake_root,
        "state",
        f"{STATE}/meta.json",
        {
            "run_seq": run_seq,
            "run_at": datetime.now(UTC).isoformat(),
            "vector_columns": vector_columns(default_comparisons()),
            "model": res.model.as_dict(),
        },
    )
    summary["_resolution"] = res
    summary["_assignment"] = assignment
    return summary


def build_gold(spark: SparkSession, lake_root: str, *, full: bool = False) -> dict[str, Any]:
    """Write every gold table from silver; return summary counts (JSON-able).

    Persons: person_entities, person_pairs, generic_values, entity_events. Documents: documents,
    document_alerts. Notices: notice_hits. Cases: case_links, networks, trends.
    """
    out: dict[str, Any] = {}
    persons = lake_io.read_table(spark, lake_root, "silver", "person")
    cases = lake_io.read_table(spark, lake_root, "silver", "case")
    docs = lake_io.read_table(spark, lake_root, "silver", "travel_document")
    notices = lake_io.read_table(spark, lake_root, "silver", "notice")
    assignment = None
    res = None
    if persons is not None:
        summary = resolve_and_persist(spark, lake_root, persons, full=full)
        res = summary.pop("_resolution")
        assignment = summary.pop("_assignment")
        out["persons"] = summary
        out.update(
            {k: summary[k] for k in ("records", "entities", "cross_country_entities", "pairs")}
        )
    out["documents"] = (
        lake_io.write_table(
            LK.documents_table(docs, persons, cases, notices), lake_root, "gold", "documents"
        )
        if any(x is not None for x in (docs, persons, cases, notices))
        else 0
    )
    if docs is not None:
        out["document_alerts"] = lake_io.write_table(
            LK.document_alerts(docs, persons, cases, notices), lake_root, "gold", "document_alerts"
        )
    if notices is not None and res is not None and assignment is not None:
        out["notice_hits"] = lake_io.write_table(
            LK.notice_hits(notices, persons, res, assignment), lake_root, "gold", "notice_hits"
        )
    if cases is not None:
        links = LK.case_links(cases, persons, assignment).localCheckpoint(eager=True)
        out["case_links"] = lake_io.write_table(links, lake_root, "gold", "case_links")
        nets, members = LK.networks(cases, links, persons, assignment)
        out["networks"] = lake_io.write_table(nets, lake_root, "gold", "networks")
        lake_io.write_table(members, lake_root, "gold", "network_members")
        out["trends"] = lake_io.write_table(
            LK.trends(cases, persons, assignment), lake_root, "gold", "trends"
        )
    return out
