"""The person state tables' I/O: a base and segments per table, one manifest per snapshot.

Rewriting every state table whole made each incremental run cost the whole world (at 20k
persons, most of "write persons" and of "ids"). Here a table is a base directory plus, per
incremental run since the last compaction, the rows that run added and the keys it removed
(`contracts.lake.StateTable`); `PERSON_STATE_MANIFEST` names them all. A run writes its files
under fresh names (`stage`), then the manifest (`commit`): until that one atomic write the
previous snapshot is the state, whatever a crash left beside it. Files no manifest names are
never read; the next `stage` deletes them (not this run's: its lazy frames may still read the
files a compaction superseded).

A table is written whole (compacted: a new base, no segments) when the run gives no change for
it (a full run, a first run, a lake from before this layout), when it has piled up segments
(`STATE_COMPACT_SEGMENTS`, `STATE_COMPACT_SHARE`), or when it holds the records' values and the
run deleted records (`StateTable.personal`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from contracts.lake import (
    PERSON_STATE,
    PERSON_STATE_MANIFEST,
    PERSON_STATE_TABLES,
    STATE_COMPACT_SEGMENTS,
    STATE_COMPACT_SHARE,
    STATE_REMOVED_SCHEMA,
    StateTable,
)
from infra.lake import Lake
from transforms import lake_io
from transforms.driver_frames import among
from transforms.lake_io import LakeRoot
from transforms.persons import StateWrite

MANIFEST_FORMAT = 1
TABLES = {t.name: t for t in PERSON_STATE_TABLES}


def read_manifest(lake_root: LakeRoot) -> dict[str, Any] | None:
    """The state snapshot in force, or None (no state, or one written before segments)."""
    return lake_io.read_json(lake_root, PERSON_STATE, PERSON_STATE_MANIFEST)


def _legacy_files(lake: Lake, name: str) -> list[str]:
    # Before segments a table was `<name>/part-*.parquet`: its files directly under the folder.
    prefix = f"{PERSON_STATE}/{name}/"
    return [
        rel
        for rel in lake.list(prefix)
        if "/" not in rel[len(prefix) :] and rel.endswith(".parquet")
    ]


def _removed(lake: Lake, rel: str) -> list[str]:
    """A removal segment's keys, read on the driver: delta-sized, no Spark job."""
    return [str(k) for k in lake.read_parquet(f"{PERSON_STATE}/{rel}").column("key").to_pylist()]


def read_state(
    spark: SparkSession,
    lake_root: LakeRoot,
    name: str,
    manifest: dict[str, Any] | None,
) -> DataFrame | None:
    """Table `name` of the snapshot `manifest` (`read_manifest`, or a staged one): its base
    and segments' rows, less those a later segment removed. None when the snapshot lacks it
    (without a manifest: the table as written before segments, when there is one)."""
    lake = lake_io.as_lake(lake_root)
    if manifest is None:
        files = _legacy_files(lake, name)
        return spark.read.parquet(*(lake.spark_uri(f) for f in files)) if files else None
    entry = manifest["tables"].get(name)
    if entry is None:
        return None
    base = spark.read.parquet(lake.spark_uri(f"{PERSON_STATE}/{entry['base']}"))
    parts = [base]
    drops: list[list[str]] = []
    for seg in entry["segments"]:
        if seg.get("add") is not None:
            # The base's schema: Spark reads no segment's footer to infer it.
            rel = f"{PERSON_STATE}/{seg['add']}"
            parts.append(spark.read.schema(base.schema).parquet(lake.spark_uri(rel)))
        else:
            parts.append(base.limit(0))
        drops.append(_removed(lake, seg["del"]) if seg.get("del") is not None else [])
    key = TABLES[name].key
    live = None
    for i, part in enumerate(parts):
        # Part i is the base (0) or segment i-1: only the removals of later runs touch it.
        later = sorted({k for d in drops[i:] for k in d})
        if later and key:
            for col in key:
                part = part.where(~among(col, later))
        live = part if live is None else live.unionByName(part)
    return live


@dataclass
class Staged:
    """A snapshot whose files are written and whose manifest is not yet: `commit` makes it the
    state. `rows`: the rows each table's write added (its whole rows when written whole)."""

    manifest: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    whole: set[str] = field(default_factory=set)
    """The tables written whole (a new base) by this run."""


def _compact(
    entry: dict[str, Any] | None,
    table: StateTable,
    write: StateWrite,
    *,
    erased: bool,
    max_segments: int,
    share: float,
) -> bool:
    """Whether this run writes `table` whole (see the module docstring)."""
    if entry is None or write.added is None:
        return True
    if erased and table.personal:
        return True
    segments = entry["segments"]
    churn = sum(int(s["added"]) + int(s["removed"]) for s in segments)
    return len(segments) >= max_segments or churn > share * int(entry["base_rows"])


def _clean(lake: Lake, manifest: dict[str, Any] | None) -> None:
    """Delete what no snapshot in force names: a crashed run's files, the bases and segments a
    compaction superseded, the tables written before segments once a manifest replaced them."""
    for name in TABLES:
        prefix = f"{PERSON_STATE}/{name}/"
        named: set[str] = set()
        if manifest is not None and name in manifest["tables"]:
            entry = manifest["tables"][name]
            named.add(entry["base"].split("/", 1)[1])
            for seg in entry["segments"]:
                named.update(seg[k].split("/", 1)[1] for k in ("add", "del") if seg.get(k))
        children = {rel[len(prefix) :].split("/", 1)[0] for rel in lake.list(prefix)}
        for child in sorted(children - named):
            if manifest is None and not child.startswith(("base-", "add-", "del-")):
                continue  # the table as written before segments: still the state
            rel = prefix + child
            if lake.exists(rel) and not rel.endswith("/"):
                lake.delete(rel)
            lake.delete_prefix(rel + "/")


def stage(
    lake_root: LakeRoot,
    run_seq: int,
    tables: dict[str, StateWrite],
    *,
    erased: bool,
    max_segments: int = STATE_COMPACT_SEGMENTS,
    share: float = STATE_COMPACT_SHARE,
) -> Staged:
    """Write this run's state files beside the snapshot in force, without touching it: for each
    table its added rows and removed keys, or (see `_compact`) all its rows as a new base.
    `erased`: the run deleted records (the tables holding their values are written whole).
    `max_segments`, `share`: the compaction rule (`contracts.lake`), a test may tighten it."""
    lake = lake_io.as_lake(lake_root)
    current = read_manifest(lake)
    _clean(lake, current)
    tag = f"{run_seq}-{uuid.uuid4().hex[:8]}"
    staged = Staged({"format": MANIFEST_FORMAT, "run_seq": run_seq, "tables": {}})
    for name, write in tables.items():
        table = TABLES[name]
        entry = None if current is None else current["tables"].get(name)
        if _compact(entry, table, write, erased=erased, max_segments=max_segments, share=share):
            base = f"{name}/base-{tag}"
            n = lake_io.write_table(write.rows, lake, PERSON_STATE, base)
            staged.manifest["tables"][name] = {"base": base, "base_rows": n, "segments": []}
            staged.rows[name] = n
            staged.whole.add(name)
            continue
        assert entry is not None and write.added is not None
        seg: dict[str, Any] = {"run": run_seq, "add": None, "del": None, "added": 0, "removed": 0}
        seg["add"] = f"{name}/add-{tag}"
        seg["added"] = lake_io.write_table(write.added, lake, PERSON_STATE, seg["add"])
        if write.removed and table.removes:
            seg["del"] = f"{name}/del-{tag}.parquet"
            keys = pa.table({"key": sorted(write.removed)}, schema=STATE_REMOVED_SCHEMA)
            lake.write_parquet(f"{PERSON_STATE}/{seg['del']}", keys)
            seg["removed"] = len(write.removed)
        staged.manifest["tables"][name] = {**entry, "segments": [*entry["segments"], seg]}
        staged.rows[name] = seg["added"]
    return staged


def commit(lake_root: LakeRoot, staged: Staged) -> None:
    """Make the staged snapshot the state: one atomic write (`infra.lake.Lake.write_bytes`)."""
    lake_io.write_json(lake_root, PERSON_STATE, PERSON_STATE_MANIFEST, staged.manifest)
