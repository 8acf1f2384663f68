"""The two jobs the pipeline runs: bronze → silver, silver → gold.

Each job reads the lake, calls pure transforms and writes whole tables (overwrite), so a rerun on
the same lake gives the same tables. Person resolution keeps its state under
`contracts.lake.PERSON_STATE` (record hashes and keys, key statuses, scored pairs, clusters, the
record → entity id map, the ID registry and the event history) and its trained model under
`PERSON_MODEL`: that is what makes entity IDs stable and lets an incremental run score only what
changed with the stored model. The state tables are segmented (`transforms.state_io`): an
incremental run writes the rows it added and the keys it removed, a full run writes them whole.
`full=True` retrains the model and scores every pair (the IDs are still inherited from the
stored map); `transforms.retrain` says when a run retrains on its own.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from contracts.lake import (
    LINK_STATE,
    PERSON_MODEL,
    PERSON_MODEL_FORMAT,
    PERSON_STATE,
    PERSON_STATE_WRITING,
)
from contracts.registry import FEEDS
from transforms import lake_io, state_io
from transforms import links_delta as LD
from transforms.config import ResolutionConfig
from transforms.entity_ids import empty_map, empty_registry
from transforms.fs_estimation import Model
from transforms.gold_schema import check_gold
from transforms.lake_io import LakeRoot
from transforms.links_delta import PreviousLinks
from transforms.links_facts import FACTS_FORMAT
from transforms.person_gold import PersonGold, person_gold
from transforms.person_gold_io import write_person_gold
from transforms.persons import Phases, Progress
from transforms.persons_delta import StoredResolution
from transforms.silver_built import (
    MERGE_MAX_FILES,
    MERGE_WHOLE_BELOW_BYTES,
    FileVersion,
    SilverPlan,
    erased_digests,
    files_digest,
    held_by_file,
    landed_countries,
    merged_silver,
    plan_feed,
)
from transforms.standardize import build_silver_frame, without_erased

MODEL_FILE = "model.json"
TF_TABLE = "tf"
LINK_FACTS = "facts"
LINK_NOTICE_KEYS = "notice_keys"
LINK_META = "meta.json"
STORED_TABLES = ("records", "keys", "pairs", "over", "clusters")
"""The state tables an incremental run needs besides the model (`StoredResolution`)."""


class SilverCounts(dict[str, int]):
    """Rows per feed's silver table (what `build_silver` always returned), and which tables this
    run rebuilt whole, which it merged its new records into and which it left as they were."""

    def __init__(self) -> None:
        super().__init__()
        self.rebuilt: list[str] = []
        self.merged: list[str] = []
        self.unchanged: list[str] = []

    def summary(self) -> dict[str, list[str]]:
        return {"rebuilt": self.rebuilt, "merged": self.merged, "unchanged": self.unchanged}


def build_silver(
    spark: SparkSession,
    lake_root: LakeRoot,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SilverCounts:
    """Write silver/<feed>/ for each feed present in bronze; return the row count per feed.

    Every table is the one a rebuild from all of the feed's bronze would write, so reruns are
    idempotent and a delete anywhere in bronze always applies. An erased record (the lake's
    tombstones) never reaches silver, whatever bronze holds (a restored backup, a file landed
    before the erasure). A feed with no bronze at all keeps whatever silver it had.

    The work follows the delta (`transforms.silver_built`): a feed whose bronze files, erased
    keys and standardization are those its table was built from is not touched (its count comes
    from the table's record); a feed that only gained bronze files has just the records those
    files name rebuilt and merged in; any other change rebuilds the feed's table whole. `full`
    rebuilds every table whole. `progress` hears each feed written and the unchanged ones.
    """
    counts = SilverCounts()
    phases = Phases(progress)
    checking = 0.0  # seconds spent on the feeds found unchanged: listings and records only
    tomb_listing = files_digest(lake_io.tombstone_files(lake_root))
    erased: dict[str, str] = {}
    tombstones: list[DataFrame | None] = []  # read once, by the first feed that is written

    def erased_of(feed: str) -> str:
        if not erased:
            erased.update(erased_digests(lake_io.read_tombstone_keys(lake_root), FEEDS))
        return erased[feed]

    for feed in FEEDS:
        t0 = time.perf_counter()
        # Listed before Spark reads: a file landing meanwhile may be read but is not recorded,
        # so the next run reads its records again rather than skipping a file it never recorded.
        files = lake_io.bronze_files(lake_root, feed)
        if not files:
            continue
        plan = plan_feed(
            record=lake_io.read_silver_built(lake_root, feed),
            bronze=files,
            silver=lake_io.silver_files(lake_root, feed),
            tombstone_files=tomb_listing,
            erased=functools.partial(erased_of, feed),
            full=full,
        )
        if plan.action == "unchanged":
            assert plan.record is not None
            counts[feed] = int(plan.record["rows"])
            counts.unchanged.append(feed)
            if (refreshed := plan.refreshed()) is not None:
                lake_io.write_silver_built(lake_root, feed, refreshed)
            checking += time.perf_counter() - t0
            continue
        label = f"silver {feed}" if plan.action == "rebuilt" else f"silver {feed} merged"
        with phases(label):
            if not tombstones:
                tombstones.append(lake_io.read_tombstones(spark, lake_root))
            _write_silver(spark, lake_root, feed, plan, files, tombstones[0], counts)
    if counts.unchanged and progress is not None:
        progress(f"silver unchanged: {', '.join(counts.unchanged)}", checking)
    return counts


def _write_silver(
    spark: SparkSession,
    lake_root: LakeRoot,
    feed: str,
    plan: SilverPlan,
    files: list[FileVersion],
    tombstones: DataFrame | None,
    counts: SilverCounts,
) -> None:
    """Rebuild or merge one feed's silver table as `plan` says, then write its record."""
    # A merge needs the bronze of the landed records alone: their countries' partitions.
    countries = None if plan.added is None else landed_countries(plan.added)
    bronze = lake_io.read_bronze(spark, lake_root, feed, countries)
    if bronze is None:  # its files went between the listing and the read
        return
    if tombstones is not None:
        bronze = without_erased(bronze, tombstones)
    # From here until the new record is written the table has none: a crash anywhere in between
    # leaves a table the next run rebuilds whole.
    lake_io.forget_silver_built(lake_root, feed)
    if plan.added is None:
        frame = build_silver_frame(bronze, feed)
        counts[feed] = lake_io.write_table(frame, lake_root, "silver", feed)
        counts.rebuilt.append(feed)
    else:
        old = lake_io.read_table(spark, lake_root, "silver", feed)
        landed = lake_io.read_bronze_files(spark, lake_root, feed, [f[0] for f in plan.added])
        assert old is not None  # a merge is planned only for an intact table
        counts[feed] = _merge_silver(spark, lake_root, feed, old, bronze, landed)
        counts.merged.append(feed)
    written = lake_io.silver_files(lake_root, feed)
    lake_io.write_silver_built(lake_root, feed, plan.source.record(counts[feed], written, files))


def _merge_silver(
    spark: SparkSession,
    lake_root: LakeRoot,
    feed: str,
    old: DataFrame,
    bronze: DataFrame,
    landed: DataFrame,
) -> int:
    """Merge the landed records into the table, rewriting only its files that hold one of them
    (the others stay as they are); the whole table once it has `MERGE_MAX_FILES` files or is
    smaller than `MERGE_WHOLE_BELOW_BYTES`. Returns the table's rows."""
    table = lake_io.silver_files(lake_root, feed)
    files = (
        {}
        if sum(size for _, size, _ in table) < MERGE_WHOLE_BELOW_BYTES
        else {r["file"]: (r["rows"], r["held"]) for r in held_by_file(old, landed, feed).collect()}
    )
    if not files or len(files) >= MERGE_MAX_FILES:
        frame = merged_silver(old, bronze, landed, feed)
        return lake_io.write_table_via_temp(frame, lake_root, "silver", feed)
    by_name = {rel.rsplit("/", 1)[-1]: rel for rel, _, _ in table}
    hit = sorted(by_name[f] for f, (_, held) in files.items() if held)
    # No file holds a landed record: an empty frame of the table's schema (not a Python RDD,
    # which would start Python workers when read; see transforms.driver_frames).
    part = lake_io.read_files(spark, lake_root, hit) if hit else old.limit(0)
    added = lake_io.replace_files(
        merged_silver(part, bronze, landed, feed), lake_root, "silver", feed, hit
    )
    return added + sum(rows for rows, held in files.values() if not held)


# -- gold -----------------------------------------------------------------------------------------
def read_model_meta(lake_root: LakeRoot) -> dict[str, Any] | None:
    """The stored model's `model.json` (metadata and parameters), or None."""
    return lake_io.read_json(lake_root, PERSON_MODEL, MODEL_FILE)


def read_stored(
    spark: SparkSession, lake_root: LakeRoot, meta: dict[str, Any] | None
) -> StoredResolution | None:
    """The previous run's resolution state, or None when there is none in this version's
    format (a first run, or state from before an upgrade: the run then retrains)."""
    if meta is None or meta.get("format") != PERSON_MODEL_FORMAT:
        return None
    if lake_io.read_json(lake_root, PERSON_STATE, PERSON_STATE_WRITING) is not None:
        return None  # a run died while writing the state: its tables may not agree
    tf = lake_io.read_table(spark, lake_root, PERSON_MODEL, TF_TABLE)
    manifest = state_io.read_manifest(lake_root)
    records, flagged, pairs, over, clusters = (
        state_io.read_state(spark, lake_root, n, manifest) for n in STORED_TABLES
    )
    if (
        tf is None
        or records is None
        or flagged is None
        or pairs is None
        or over is None
        or clusters is None
    ):
        return None
    return StoredResolution(
        model=Model.from_state(meta["model"]),
        tf=tf,
        records=records,
        flagged=flagged,
        pairs=pairs,
        over=over,
        clusters=clusters,
    )


def _live_counts(
    spark: SparkSession, lake_root: LakeRoot, staged: state_io.Staged, guarded: Observation
) -> tuple[int, int]:
    """The staged snapshot's candidate pairs and guarded records: from the writes when the
    tables were written whole, else one query over the two tables as the snapshot reads them."""
    pairs_whole, clusters_whole = "pairs" in staged.whole, "clusters" in staged.whole
    if pairs_whole and clusters_whole:
        return staged.rows["pairs"], int(guarded.get["n"])
    pairs = state_io.read_state(spark, lake_root, "pairs", staged.manifest)
    clusters = state_io.read_state(spark, lake_root, "clusters", staged.manifest)
    assert pairs is not None and clusters is not None
    both = pairs.select(F.lit(1).alias("p"), F.lit(0).alias("g")).unionByName(
        clusters.select(F.lit(0).alias("p"), F.col("guard").isNotNull().cast("int").alias("g"))
    )
    n_pairs, n_guarded = both.agg(F.sum("p"), F.sum("g")).collect()[0]
    return int(n_pairs or 0), int(n_guarded or 0)


def read_person_inputs(
    spark: SparkSession, lake_root: LakeRoot
) -> tuple[int, DataFrame, DataFrame, DataFrame | None]:
    """What `person_gold` needs from the previous run besides its resolution state: this run's
    number, the ID map, the ID registry and the event history."""
    meta = lake_io.read_json(lake_root, PERSON_STATE, "meta.json") or {"run_seq": 0}
    run_seq = int(meta["run_seq"]) + 1
    manifest = state_io.read_manifest(lake_root)  # once: the three tables of one snapshot

    def state(name: str) -> DataFrame | None:
        return state_io.read_state(spark, lake_root, name, manifest)

    id_map = state("id_map") or empty_map(spark)
    registry = state("registry") or empty_registry(spark)
    return run_seq, id_map, registry, state("events")


def persist_person_gold(
    lake_root: LakeRoot, gold: PersonGold, config: ResolutionConfig
) -> dict[str, Any]:
    """Write the person gold tables, then the state and a retrained model (after gold, so a
    failed run leaves the old state intact), then the run's metadata; return the JSON-able
    summary."""
    # The event history is appended to while the snapshot in force recorded it intact
    # (`transforms.person_gold_io`); what it is now goes into the manifest committed below.
    current = state_io.read_manifest(lake_root)
    gold_rows, gold_record = write_person_gold(
        lake_root, gold, None if current is None else current.get("gold")
    )
    # The summary's count of guarded records comes with the clusters' write when it is whole
    # (an Observation, like lake_io's row count): a count query cost a few Spark jobs.
    guarded = Observation(f"guarded-{uuid.uuid4().hex}")
    state = dict(gold.state)
    clusters = state["clusters"]
    state["clusters"] = replace(
        clusters, rows=clusters.rows.observe(guarded, F.count(F.col("guard")).alias("n"))
    )
    # Written beside the snapshot in force, which stays the state until `commit` below.
    staged = state_io.stage(lake_root, gold.run_seq, state, erased=gold.erased)
    if gold.retrained:
        # The model and the snapshot must agree: from here until the marker goes, a crash
        # leaves a new model beside the old snapshot and the next run retrains.
        lake_io.write_json(lake_root, PERSON_STATE, PERSON_STATE_WRITING, {"run_seq": gold.run_seq})
        lake_io.write_table_via_temp(gold.resolution.tf, lake_root, PERSON_MODEL, TF_TABLE)
    model_meta = dict(gold.model_meta)
    if gold.retrained:  # trained on every current record: the rows of the ID map
        model_meta["trained_records"] = staged.rows["id_map"]
    lake_io.write_json(lake_root, PERSON_MODEL, MODEL_FILE, model_meta)
    pairs, n_guarded = _live_counts(gold.entities.sparkSession, lake_root, staged, guarded)
    counts = gold.summary(config, pairs=pairs, guarded=n_guarded)
    # meta.json before the manifest: a crash between the two leaves a run number ahead of the
    # snapshot, which only makes the next run mint with a higher number and link whole.
    lake_io.write_json(
        lake_root,
        PERSON_STATE,
        "meta.json",
        {"run_seq": gold.run_seq, "run_at": datetime.now(UTC).isoformat(), "mode": counts["mode"]},
    )
    staged.manifest["gold"] = gold_record
    state_io.commit(lake_root, staged)
    lake_io.delete(lake_root, PERSON_STATE, PERSON_STATE_WRITING)
    written = {
        "records": gold_rows["person_entities"],
        "pairs": gold_rows["person_pairs"],
        "generic_values": gold_rows["generic_values"],
    }
    order = [
        "run_seq", "mode", "retrain_reason", "model_trained_at", "records", "entities",
        "cross_country_entities", "pairs", "candidate_pairs", "pairs_compared_this_run",
        "dirty_records", "generic_values", "guarded_records", "events", "threshold_probability",
        "model",
    ]  # fmt: skip
    both = {**counts, **written}
    return {k: both[k] for k in order}


def read_previous_links(
    spark: SparkSession, lake_root: LakeRoot, *, run_seq: int, config: ResolutionConfig
) -> PreviousLinks | None:
    """The link tables and facts the previous run wrote, when that run finished them against
    the person state this run starts from (else None: the tables are built whole)."""
    meta = lake_io.read_json(lake_root, LINK_STATE, LINK_META)
    expected = {
        "person_run_seq": run_seq - 1,
        "threshold": config.threshold,
        "facts_format": FACTS_FORMAT,
    }
    if meta is None or any(meta.get(k) != v for k, v in expected.items()):
        return None
    facts = lake_io.read_table(spark, lake_root, LINK_STATE, LINK_FACTS)
    if facts is None:
        return None
    tables = {
        name: df
        for name in LD.LINK_TABLES
        if (df := lake_io.read_table(spark, lake_root, "gold", name)) is not None
    }
    return PreviousLinks(
        tables=tables,
        facts=facts,
        rows=dict(meta.get("rows", {})),
        notice_keys=lake_io.read_table(spark, lake_root, LINK_STATE, LINK_NOTICE_KEYS),
    )


def build_gold(
    spark: SparkSession,
    lake_root: LakeRoot,
    *,
    full: bool = False,
    config: ResolutionConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write every gold table from silver; return summary counts (JSON-able). `progress` hears
    each person-resolution phase and each gold table's start and end.

    Persons: person_entities, person_pairs, generic_values, entity_events. Documents: documents,
    document_alerts. Notices: notice_hits. Cases: case_links, networks, trends. Unless `full`,
    the link tables are merged from the previous run's for what changed (`transforms.links_delta`).
    """
    out: dict[str, Any] = {}
    persons = lake_io.read_table(spark, lake_root, "silver", "person")
    cases = lake_io.read_table(spark, lake_root, "silver", "case")
    docs = lake_io.read_table(spark, lake_root, "silver", "travel_document")
    notices = lake_io.read_table(spark, lake_root, "silver", "notice")
    assignment = None
    res = None
    config = config or ResolutionConfig()
    phases = Phases(progress)
    run_seq = int((lake_io.read_json(lake_root, PERSON_STATE, "meta.json") or {}).get("run_seq", 0))
    if persons is not None:
        run_seq, id_map, registry, history = read_person_inputs(spark, lake_root)
        meta = read_model_meta(lake_root)
        gold = person_gold(
            persons,
            stored=None if full else read_stored(spark, lake_root, meta),
            model_meta=meta,
            id_map=id_map,
            registry=registry,
            history=history,
            run_seq=run_seq,
            config=config,
            now=datetime.now(UTC),
            full=full,
            progress=progress,
        )
        with phases("write persons"):
            summary = persist_person_gold(lake_root, gold, config)
        res, assignment = gold.resolution, gold.assignment
        out["persons"] = summary
        out.update(
            {k: summary[k] for k in ("records", "entities", "cross_country_entities", "pairs")}
        )
    if all(x is None for x in (docs, persons, cases, notices)):
        out["documents"] = 0
        return out
    previous = (
        None if full else read_previous_links(spark, lake_root, run_seq=run_seq, config=config)
    )
    # The per-case facts and the diff against the previous run's are computed here (eagerly).
    with phases("gold diff" if previous is not None else "gold facts"):
        links = LD.link_gold(
            LD.LinkInputs(docs, persons, cases, notices, res, assignment), config, previous
        )
    # A crash between here and the new meta leaves no meta: the next run builds whole tables
    # rather than merging with a mix of two runs' tables and facts.
    lake_io.delete(lake_root, LINK_STATE, LINK_META)
    # Tables are lazy until written: each write is the phase that computes it, so a long gold
    # linking reports table by table (`resolve › gold networks 12.3 s`) instead of going silent.
    # A merged table reads its previous version: it is written beside it and moved into place.
    # An unchanged one is the previous table's files: left in place, its count from the meta.
    rows: dict[str, int] = {}
    for name, df in links.tables.items():
        if name in links.unchanged and previous is not None and name in previous.rows:
            check_gold(name, df)
            rows[name] = previous.rows[name]
            continue
        with phases(f"gold {name}"):
            rows[name] = lake_io.write_gold(df, lake_root, name, via_temp=name in links.incremental)
    out.update({k: n for k, n in rows.items() if k != "network_members"})
    with phases("gold facts written"):
        lake_io.write_table_via_temp(links.facts, lake_root, LINK_STATE, LINK_FACTS)
        if links.notice_keys is not None:
            lake_io.write_table(links.notice_keys, lake_root, LINK_STATE, LINK_NOTICE_KEYS)
    link_meta = {
        "person_run_seq": run_seq,
        "threshold": config.threshold,
        "facts_format": FACTS_FORMAT,
        "rows": rows,
    }
    lake_io.write_json(lake_root, LINK_STATE, LINK_META, link_meta)
    out["links"] = {
        "mode": "incremental" if links.incremental else "full",
        "merged": list(links.incremental),
        "unchanged": list(links.unchanged),
    }
    if "documents" not in links.tables:
        out["documents"] = 0
    return out
