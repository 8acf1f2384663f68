"""The lake layout, declared once: its zones, the bronze partitions and file names, and the
bronze schema (derived from the envelope model, which stays the source of truth).

Every stage that reads or writes the lake imports from here (the ingest lands bronze, the
validation quarantines it, the transforms read it, retention rewrites it, the report reads it),
so no stage spells another stage's paths or columns again. docs/wire-format.md ("Lake layout")
describes the same layout for readers; `tests/contracts/test_lake.py` keeps the two and the
envelope model in step.

Paths here are relative to the lake root (a local directory or `s3://`), `/`-separated.
"""

from __future__ import annotations

import re
import types
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic.fields import FieldInfo

from contracts.envelope import Envelope, Handling

# -- zones --------------------------------------------------------------------------------------
BRONZE = "bronze"
"""What arrived, as Parquet, immutable: `bronze/feed=<feed>/country=<ISO3>/date=<day>/<file>`."""
QUARANTINE = "quarantine"
"""Bronze files of batches that failed their Great Expectations suite, under the same relative
names as in bronze."""
SILVER = "silver"
"""Standardized records, latest version per record, deletions applied: `silver/<feed>/`, with
`SILVER_BUILT` beside its data files."""
GOLD = "gold"
"""Curated tables: `gold/<table>/`."""
STATE = "state"
"""What the resolution keeps between runs (the model, entity ids), and the ingest's index of the
message ids it landed (`seen_index_path`)."""
TOMBSTONES = "tombstones"
"""What was erased and must never land again: one Parquet file per erasure run,
`tombstones/country=<ISO3>/<stamp>.parquet`, rows of `TOMBSTONE_SCHEMA`. Never purged: it holds
keys and versions only, no personal data."""
REPORTS = "reports"
"""Run reports, GX results and Data Docs, validation markers, retention notices."""
QUALITY_REPORTS = f"{REPORTS}/quality"
"""Great Expectations: `results/<batch>.json`, `validated/<bronze file stem>.json` markers (naming
each file's batch), the GX stores and the Data Docs."""
AUDIT = "audit"
"""Who did what to the lake and why (quality releases, key revocations, erasures):
`audit/<action>/<day>/<stamp>-<id>.json`, one `AUDIT_FIELDS` object per file (a file per event,
so two operators never overwrite each other's rows, on S3 too). Never purged."""
SCRATCH = "scratch"
"""Spark's working files on the lake's shared storage (checkpoints of long lineages, which every
executor and the driver must see): nothing reads them after the run that wrote them."""

# -- person resolution state --------------------------------------------------------------------
PERSON_STATE = f"{STATE}/persons"
"""Person resolution's state: the segmented tables of `PERSON_STATE_TABLES` (records, keys,
pairs, over, clusters, id_map, registry, events) under the snapshot `PERSON_STATE_MANIFEST`
names, and `meta.json`, the last run's number and summary."""
PERSON_STATE_WRITING = "_writing.json"
"""Present under PERSON_STATE while a run rewrites the state tables one after another: a run
that finds it reads no stored resolution (it retrains), since the tables may come from two runs
and an incremental run trusts that they agree (records, pairs, clusters, ID map)."""
PERSON_STATE_MANIFEST = "_manifest.json"
"""Under PERSON_STATE: the state snapshot, naming for each table (`PERSON_STATE_TABLES`) its base
directory and its segments, oldest first. Written last and whole (one object), so a run that
dies before it leaves the previous snapshot in force; directories it does not name are leftovers
(of a crashed run, or superseded by a compaction) that nothing reads and the next write deletes."""


@dataclass(frozen=True)
class StateTable:
    """One segmented state table: `<PERSON_STATE>/<name>/base-<run>-<id>/` (Parquet, every row
    at the last compaction) plus, per incremental run since, `add-<run>-<id>/` (the rows the run
    added) and `del-<run>-<id>.parquet` (`STATE_REMOVED_SCHEMA`: the keys it dropped).

    A row is live unless a removal written by a *later* run names it: a row whose `key` column
    (any of them: a pair table drops every pair of a removed record) holds a removed value. A run
    that replaces a row removes its key and adds the new row; its removals never touch its own
    additions."""

    name: str
    key: tuple[str, ...]
    """The columns a removed key is matched against (one string each)."""
    removes: bool = True
    """False for an append-only table (the event history): its segments never remove."""
    personal: bool = False
    """Holds values of the records (names, numbers in blocking keys): a run that deletes
    records writes it whole, so an erased record's values leave the lake on the next run, as
    they leave every other lake copy, instead of lingering in a base until its compaction."""


PERSON_STATE_TABLES: tuple[StateTable, ...] = (
    StateTable("records", ("rk",), personal=True),
    StateTable("keys", ("key",), personal=True),
    StateTable("pairs", ("l_rk", "r_rk")),
    StateTable("over", ("l_rk", "r_rk")),
    StateTable("clusters", ("rk",)),
    StateTable("id_map", ("rk",)),
    StateTable("registry", ("entity_id",)),
    StateTable("events", (), removes=False),
)
"""The person state tables, segmented (`StateTable`); `transforms.state_io` reads and writes
them."""
STATE_REMOVED_SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False)])
"""A removal segment's rows: the keys one run dropped from one table."""
STATE_COMPACT_SEGMENTS = 8
"""A table is compacted (its live rows written as a new base, no segments) when an incremental
run would leave it more segments than this..."""
STATE_COMPACT_SHARE = 0.2
"""...or when the rows its segments add plus the keys they remove exceed this share of its base
rows: past that, reading the segments costs more than rewriting the base once. A full run
(retrain) compacts every table."""
PERSON_MODEL = f"{PERSON_STATE}/model"
"""The trained model: `model.json` (u, m, λ, when and on how many records it was trained, its
format) and `tf/`, the term-frequency table it was trained with. Incremental runs score with it;
a retrain replaces both (docs/entity-resolution.md, "Incremental runs and retraining")."""
LINK_STATE = f"{STATE}/links"
"""What the link gold tables (documents … trends) were built from: `facts/`, one (family, key,
detail) row per fact, that the next run diffs to rebuild only what changed, `notice_keys/`, the
active notices' blocking keys (rk, key), kept while no notice changes, and `meta.json`, the
person run and threshold they were built against (`transforms.links_delta`)."""
PERSON_MODEL_FORMAT = 1
"""Version of what PERSON_MODEL and the state tables hold: raise it whenever their layout or
meaning changes (a comparison added, a column renamed), so the next run retrains instead of
scoring new pairs with a model that no longer fits them."""

# -- what a silver table was built from ---------------------------------------------------------
SILVER_BUILT = "_built.json"
"""`silver/<feed>/_built.json`: what the table was built from (`SILVER_FORMAT`, a digest of the
feed's bronze files with their sizes and versions, a digest of its erased keys, its row count).
Written after the table and removed before it is rewritten, so a missing or different record
means "rebuild" and a crashed write never looks built. The `_` keeps Spark and DuckDB from
reading it as data."""
SILVER_FORMAT = 1
"""Version of what silver holds: raise it whenever standardization changes a silver column or its
meaning, so that tables built by the previous version are rebuilt although their bronze is the
same (`interlink run --full` and the daily retrain rebuild every silver table anyway)."""


def silver_built(feed: str) -> str:
    """The `SILVER_BUILT` record of one feed's silver table."""
    return f"{SILVER}/{feed}/{SILVER_BUILT}"


# -- bronze partitions and file names ----------------------------------------------------------
def partition_dir(zone: str, feed: str, country: str | None = None) -> str:
    """`<zone>/feed=<feed>[/country=<ISO3>]`: one feed (of one country) in bronze or quarantine."""
    base = f"{zone}/feed={feed}"
    return base if country is None else f"{base}/country={country}"


def bronze_dir(feed: str, country: str) -> str:
    """The bronze folder of one (feed, country)."""
    return partition_dir(BRONZE, feed, country)


def bronze_name(feed: str, country: str, day: str, topic: str, partition: int, first: int,
                last: int, incarnation: int = 0) -> str:  # fmt: skip
    """Relative bronze path of the messages first..last of topic/partition.

    Named from the Kafka coordinates, so a replay of the same offsets rewrites the same file:
    this is what makes bronze exactly-once without Kafka transactions (`streams.ingest`). `day`
    is the UTC day of the first message's Kafka timestamp, never the wall clock, for the same
    reason. A topic whose log started again at offset 0 (deleted and recreated, a broker on
    `memory://` storage restarted) may bring other messages to coordinates a landed file already
    names: those land under `incarnation` 1, 2, … (`<first>-<last>.i<n>.parquet`), never over it.
    """
    suffix = f".i{incarnation}" if incarnation else ""
    return (
        f"{bronze_dir(feed, country)}/date={day}/{topic}+{partition}+{first}-{last}{suffix}.parquet"
    )


_FILE_RE = re.compile(
    r"^(?P<topic>.+)\+(?P<partition>\d+)\+(?P<first>\d+)-(?P<last>\d+)(?:\.i[1-9]\d*)?\.parquet$"
)


def parse_bronze_name(rel: str) -> tuple[str, int, int, int] | None:
    """(topic, partition, first, last) of a bronze file name (whatever its incarnation), or None
    for other files."""
    m = _FILE_RE.match(rel.rsplit("/", 1)[-1])
    if m is None:
        return None
    return m["topic"], int(m["partition"]), int(m["first"]), int(m["last"])


def partition_values(rel: str) -> dict[str, str]:
    """The hive partition values in a lake path (`feed`, `country`, `date`), by name."""
    return dict(p.split("=", 1) for p in PurePosixPath(rel).parts if "=" in p)


def quarantine_path(bronze_rel: str) -> str:
    """Where a bronze file goes when its batch fails validation: the same relative name under
    quarantine/, so the delete index and retention find it the way they find bronze."""
    return f"{QUARANTINE}/" + bronze_rel.removeprefix(f"{BRONZE}/")


def validation_marker(bronze_rel: str) -> str:
    """The marker of a bronze (or quarantined) file: its batch id and outcome, JSON."""
    stem = PurePosixPath(bronze_rel).name.removesuffix(".parquet")
    return f"{QUALITY_REPORTS}/validated/{stem}.json"


def bronze_path_of(quarantined_rel: str) -> str:
    """The bronze path a quarantined file came from (and goes back to when released)."""
    return f"{BRONZE}/" + quarantined_rel.removeprefix(f"{QUARANTINE}/")


# -- the bronze schema --------------------------------------------------------------------------
KAFKA_COLUMNS = pa.schema(
    [
        pa.field("topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("kafka_timestamp", pa.timestamp("ms", tz="UTC")),
        pa.field("ingest_time", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""Where and when a message was read: the columns before the envelope's."""

RAW_COLUMN = pa.field("raw", pa.binary(), nullable=False)
"""The message value, byte for byte: the last bronze column."""

_NOT_IN_BRONZE = {"signature"}
"""Verified at ingest and kept inside `raw`; a column of its own would say nothing more."""

_ARROW_OVERRIDES: dict[str, pa.DataType] = {
    # `PositiveInt` says nothing about width: versions of a feed's schema stay small.
    "schema_version": pa.int32(),
    # The payload as sent, re-encoded compactly as JSON text: its shape is the feed's, not ours.
    "payload": pa.string(),
}

_UTC_MICROS = pa.timestamp("us", tz="UTC")


def _arrow_type(name: str, annotation: Any) -> pa.DataType:
    """The Arrow type of one envelope field's annotation (pydantic keeps constraints aside)."""
    if name in _ARROW_OVERRIDES:
        return _ARROW_OVERRIDES[name]
    origin = get_origin(annotation)
    if origin is Annotated:  # nested in a container (`list[Recipient]`): the type comes first
        return _arrow_type(name, get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return _arrow_type(name, inner)
    if origin is Literal:
        if not all(isinstance(a, str) for a in get_args(annotation)):
            raise TypeError(f"envelope field {name}: only string Literals map to bronze")
        return pa.string()
    if origin is list:
        (item,) = get_args(annotation)
        return pa.list_(_arrow_type(name, item))
    simple: dict[Any, pa.DataType] = {
        str: pa.string(),
        uuid.UUID: pa.string(),
        int: pa.int64(),
        datetime: _UTC_MICROS,
        date: pa.date32(),
    }
    if annotation in simple:
        return simple[annotation]
    raise TypeError(
        f"envelope field {name} has type {annotation!r}, which has no bronze column type: "
        "add it to contracts/lake.py (_arrow_type) and to docs/wire-format.md"
    )


def _envelope_fields() -> list[pa.Field]:
    fields: list[pa.Field] = []
    for name, info in Envelope.model_fields.items():
        if name in _NOT_IN_BRONZE:
            continue
        if name == "handling":
            # Flattened in place. Its columns stay nullable whatever the model requires: bronze
            # written so far has them so, and the Parquet schema of a zone must not change.
            fields += [
                pa.field(sub, _arrow_type(sub, sub_info.annotation), nullable=True)
                for sub, sub_info in Handling.model_fields.items()
            ]
            continue
        fields.append(pa.field(name, _arrow_type(name, info.annotation), _nullable(info)))
    return fields


def _nullable(info: FieldInfo) -> bool:
    return not info.is_required()


BRONZE_ENVELOPE_COLUMNS: tuple[str, ...] = tuple(f.name for f in _envelope_fields())
"""The bronze columns that come from the envelope, in order (its fields, `handling` flattened,
`signature` left out)."""

BRONZE_SCHEMA = pa.schema([*KAFKA_COLUMNS, *_envelope_fields(), RAW_COLUMN])
"""Bronze columns, as docs/wire-format.md lists them: Kafka coordinates, the envelope, raw."""


# -- the ingest's memory of message ids -------------------------------------------------------
def seen_index_path(feed: str, country: str) -> str:
    """The compacted index of the message ids landed for one (feed, country), under state/:
    `SEEN_INDEX_SCHEMA` rows, with the bronze file names it covers in its Parquet metadata
    (`SEEN_INDEX_FILES_KEY`), so a restart reads it and only the files landed since."""
    return f"{STATE}/ingest/seen/feed={feed}/country={country}.parquet"


SEEN_INDEX_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string()),
        pa.field("record_id", pa.string()),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
    ]
)
"""One row per first sighting: of a message id (a later sighting is a replay), and of a record
id (a delete must name a record seen before it); one row serves both when they coincide."""

SEEN_INDEX_FILES_KEY = b"interlink.covers"
"""Parquet metadata key: JSON list of the bronze file names (zone left out) the index covers."""


def zone_relative(rel: str) -> str:
    """A bronze or quarantine path without its zone: the name a file keeps across both."""
    return rel.split("/", 1)[1] if "/" in rel else rel


# -- tombstones -------------------------------------------------------------------------------
TOMBSTONE_SCHEMA = pa.schema(
    [
        pa.field("source_country", pa.string(), nullable=False),
        pa.field("feed", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("record_version", pa.int64(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("erased_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""An erased record: every version up to `record_version` stays out of every zone and warehouse
(a later version, such as a source extending `review_by`, may land). `action` is the warehouse's
(`source_delete`, `retention_purge`)."""


def tombstone_dir(country: str | None = None) -> str:
    """`tombstones/` or one country's `tombstones/country=<ISO3>`."""
    return TOMBSTONES if country is None else f"{TOMBSTONES}/country={country}"


def tombstone_name(country: str, stamp: str) -> str:
    """One erasure run's tombstones of one country (`stamp`: UTC, sortable, unique per run)."""
    return f"{tombstone_dir(country)}/{stamp}.parquet"


# -- audit ----------------------------------------------------------------------------------------
AUDIT_FIELDS: tuple[str, ...] = (
    "audit_id",
    "action",
    "at",
    "actor",
    "reason",
    "source_country",
    "feed",
    "record_id",
    "record_version",
    "details",
)
"""An audit row in the lake, as JSON: `actor` is the operating-system user who ran the command,
`details` an object of what was touched (files, key ids, batch ids)."""

AUDIT_ACTIONS = ("quality_release", "key_revoke", "lake_erasure", "dlq_replay_refused")
"""What the lake's audit zone records (the warehouse's `interlink.audit_log` records its own)."""


def audit_name(action: str, day: str, stamp: str, audit_id: str) -> str:
    """`audit/<action>/<day>/<stamp>-<id>.json`."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: declare it in AUDIT_ACTIONS")
    return f"{AUDIT}/{action}/{day}/{stamp}-{audit_id}.json"
