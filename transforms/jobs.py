"""The two jobs the pipeline runs: bronze → silver, silver → gold.

Each job reads the lake, calls pure transforms and writes whole tables (overwrite), so a rerun on
the same lake gives the same tables. Person resolution keeps a small state under
`<lake>/state/persons/` (record hashes, comparison vectors, key statuses, the record → entity id
map, the ID registry and the event history): that is what makes entity IDs stable and lets an
incremental run compare only what changed. `full=True` ignores the stored vectors and recomputes
every pair (the IDs are still inherited from the stored map).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from contracts.registry import FEEDS
from transforms import lake_io
from transforms import links as LK
from transforms.comparisons import default_comparisons
from transforms.config import ResolutionConfig
from transforms.entity_ids import empty_map, empty_registry
from transforms.fellegi_sunter import vector_columns
from transforms.person_gold import PersonGold, person_gold
from transforms.persons import PreviousState, Progress, Resolution
from transforms.standardize import build_silver_frame, without_erased

STATE = "persons"


def build_silver(spark: SparkSession, lake_root: str) -> dict[str, int]:
    """Write silver/<feed>/ for each feed present in bronze; return the row count per feed.

    Each table is rebuilt from all of the feed's bronze (bronze is immutable and small next to
    the work of gold), so reruns are idempotent and a delete anywhere in bronze always applies.
    An erased record (the lake's tombstones) never reaches silver, whatever bronze holds (a
    restored backup, a file landed before the erasure). A feed with no bronze at all keeps
    whatever silver it had.
    """
    counts: dict[str, int] = {}
    tombstones = lake_io.read_tombstones(spark, lake_root)
    for feed in FEEDS:
        bronze = lake_io.read_bronze(spark, lake_root, feed)
        if bronze is None:
            continue
        if tombstones is not None:
            bronze = without_erased(bronze, tombstones)
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


def read_person_inputs(
    spark: SparkSession, lake_root: str, *, full: bool
) -> tuple[int, PreviousState | None, DataFrame, DataFrame, DataFrame | None]:
    """What `person_gold` needs from the previous run: this run's number, the reusable state
    (None on a full run), the ID map, the ID registry and the event history."""
    meta = lake_io.read_json(lake_root, "state", f"{STATE}/meta.json") or {"run_seq": 0}
    run_seq = int(meta["run_seq"]) + 1
    previous = _previous(spark, lake_root, full)
    id_map = _state(spark, lake_root, "id_map") or empty_map(spark)
    registry = _state(spark, lake_root, "registry") or empty_registry(spark)
    return run_seq, previous, id_map, registry, _state(spark, lake_root, "events")


def persist_person_gold(
    lake_root: str, gold: PersonGold, config: ResolutionConfig
) -> dict[str, Any]:
    """Write the person gold tables, then the state (after gold, so a failed run leaves the old
    state intact), then the run's metadata; return the JSON-able summary."""
    n_records = lake_io.write_gold(gold.entities, lake_root, "person_entities")
    n_pairs = lake_io.write_gold(gold.pairs, lake_root, "person_pairs")
    n_generic = lake_io.write_gold(gold.generic_values, lake_root, "generic_values")
    lake_io.write_gold(gold.all_events, lake_root, "entity_events")
    for name, df in gold.state.items():
        _write_state(df, lake_root, name)
    counts = gold.summary(config)
    model = counts["model"]
    lake_io.write_json(
        lake_root,
        "state",
        f"{STATE}/meta.json",
        {
            "run_seq": gold.run_seq,
            "run_at": datetime.now(UTC).isoformat(),
            "vector_columns": vector_columns(default_comparisons()),
            "model": model,
        },
    )
    written = {"records": n_records, "pairs": n_pairs, "generic_values": n_generic}
    order = [
        "run_seq", "mode", "records", "entities", "cross_country_entities", "pairs",
        "candidate_pairs", "pairs_compared_this_run", "dirty_records", "generic_values",
        "guarded_records", "events", "threshold_probability", "model",
    ]  # fmt: skip
    both = {**counts, **written}
    return {k: both[k] for k in order}


def build_gold(
    spark: SparkSession,
    lake_root: str,
    *,
    full: bool = False,
    config: ResolutionConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write every gold table from silver; return summary counts (JSON-able). `progress` hears
    each person-resolution phase start and end.

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
    config = config or ResolutionConfig()
    if persons is not None:
        run_seq, previous, id_map, registry, history = read_person_inputs(
            spark, lake_root, full=full
        )
        gold = person_gold(
            persons,
            previous=previous,
            id_map=id_map,
            registry=registry,
            history=history,
            run_seq=run_seq,
            config=config,
            progress=progress,
        )
        summary = persist_person_gold(lake_root, gold, config)
        res, assignment = gold.resolution, gold.assignment
        out["persons"] = summary
        out.update(
            {k: summary[k] for k in ("records", "entities", "cross_country_entities", "pairs")}
        )
    tables = link_gold(docs, persons, cases, notices, res, assignment, config)
    for name, df in tables.items():
        n = lake_io.write_gold(df, lake_root, name)
        if name != "network_members":
            out[name] = n
    if "documents" not in tables:
        out["documents"] = 0
    return out


def link_gold(
    docs: DataFrame | None,
    persons: DataFrame | None,
    cases: DataFrame | None,
    notices: DataFrame | None,
    res: Resolution | None,
    assignment: DataFrame | None,
    config: ResolutionConfig,
) -> dict[str, DataFrame]:
    """The gold tables built on silver and the person entities, by name, in the order they are
    written: documents, document_alerts, notice_hits, case_links, networks, network_members,
    trends (each only when its inputs exist). Pure: nothing is read or written."""
    tables: dict[str, DataFrame] = {}
    if any(x is not None for x in (docs, persons, cases, notices)):
        tables["documents"] = LK.documents_table(docs, persons, cases, notices)
    if docs is not None:
        tables["document_alerts"] = LK.document_alerts(docs, persons, cases, notices)
    if notices is not None and res is not None and assignment is not None:
        tables["notice_hits"] = LK.notice_hits(notices, persons, res, assignment, config=config)
    if cases is not None:
        links = LK.case_links(cases, persons, assignment).localCheckpoint(eager=True)
        tables["case_links"] = links
        tables["networks"], tables["network_members"] = LK.networks(
            cases, links, persons, assignment
        )
        tables["trends"] = LK.trends(cases, persons, assignment)
    return tables
