"""The quality gate on landed bronze: what a batch is, and what a failing batch means.

A batch is everything one ingest run landed for one (feed, country): the bronze files without a
validation marker. Each file's marker (`reports/quality/validated/<file>.json`) names its batch, so
a rerun validates only new files (idempotent). All new batches of a feed are validated in one
Great Expectations run with a verdict per batch (`transforms.quality_batches`); a failing batch's
files move to `quarantine/` under the same names, next to the result JSON that says why, so silver
never reads them. The orchestration (`interlink.pipeline.validate_step`) only calls
`validate_pending`.

An operator who judged a quarantined batch sound (`interlink quality list`, then `interlink
quality release BATCH --reason …`) moves its files back to bronze under their names; their
markers keep the failed verdict plus the release, so validation does not quarantine them again,
and the lake's `audit/` records who released what and why.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.lake import (
    BRONZE,
    QUALITY_REPORTS,
    QUARANTINE,
    bronze_path_of,
    partition_values,
    quarantine_path,
    validation_marker,
)
from infra.audit import write_audit
from infra.lake import Lake
from transforms.errors import UnknownBatch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("interlink.pipeline")

QUALITY_DIR = QUALITY_REPORTS


def pending_batches(lake: Lake) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """Bronze files without a validation marker, grouped by (feed, country), each with its size
    in bytes (the same listing gives it; validation sizes its partitions by it)."""
    # One listing of the markers, not an existence check per file (a round trip each on S3).
    done = {Path(m).stem for m in lake.list(f"{QUALITY_DIR}/validated")}
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for rel, size, _ in lake.list_versions(BRONZE):
        if not rel.endswith(".parquet") or Path(rel).stem in done:
            continue
        parts = partition_values(rel)
        key = (parts.get("feed", "?"), parts.get("country", "?"))
        groups.setdefault(key, []).append((rel, size))
    return groups


def quarantine(lake: Lake, files: list[str]) -> None:
    """Move bronze files to quarantine/ under the same relative names."""
    for rel in files:
        lake.write_bytes(quarantine_path(rel), lake.read_bytes(rel))
        lake.delete(rel)


def validate_pending(spark: Callable[[], SparkSession], lake: Lake) -> dict[str, Any]:
    """Validate every pending batch, quarantine the failing ones, mark every file validated.

    `spark` is called only when there is something to validate (no session for nothing).
    Returns the step's JSON-able summary: batches validated and passed, files, the quarantined
    batches with their failed expectations, and the Data Docs index.
    """
    groups = pending_batches(lake)
    summary: dict[str, Any] = {
        "validated": 0,
        "passed": 0,
        "files": 0,
        "quarantined": [],
        "data_docs": None,
    }
    if not groups:
        return summary
    session = _spark_while_importing(spark, "transforms.quality_batches")
    from transforms.lake_io import read_bronze_files
    from transforms.quality import build_data_docs
    from transforms.quality_batches import Batch, run_name, validate_feed_batches

    # Great Expectations keeps its results, history and Data Docs in a file context: on S3 it
    # works on a driver-side copy of reports/quality (not of the lake) that is published back.
    reports_root = lake.local_mirror(QUALITY_DIR) if lake.is_s3 else lake.path(QUALITY_DIR)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    files_of: dict[str, list[str]] = {}
    by_feed: dict[str, list[Batch]] = {}
    for (feed, country), sized in sorted(groups.items()):
        files = [rel for rel, _ in sized]
        batch_id = f"{feed}-{country}-{stamp}-{Path(files[0]).stem.rsplit('+', 2)[-1]}"
        files_of[batch_id] = files
        batch = Batch(batch_id, country, None, bronze_bytes=sum(size for _, size in sized))
        by_feed.setdefault(feed, []).append(batch)
    for feed, batches in by_feed.items():
        # One read of the feed's new files; each row's partition country names its batch.
        # Spark reads the bronze files where they are (s3a:// on S3): executors fetch them.
        feed_files = [f for b in batches for f in files_of[b.batch_id]]
        rows = read_bronze_files(session, lake, feed, feed_files, with_country=True)
        results = validate_feed_batches(
            batches, feed=feed, run_id=run_name(), reports_dir=str(reports_root), rows=rows
        )
        for batch_id, result in results.items():
            files = files_of[batch_id]
            summary["validated"] += 1
            summary["files"] += len(files)
            if result.success:
                summary["passed"] += 1
            else:
                quarantine(lake, files)
                summary["quarantined"].append(
                    {"batch": batch_id, "files": len(files), "failed": result.failed_expectations}
                )
                log.warning("batch %s quarantined: %s", batch_id, result.failed_expectations)
            marker = json.dumps({"batch_id": batch_id, "success": result.success}).encode()
            for rel in files:
                lake.write_bytes(validation_marker(rel), marker)
    summary["data_docs"] = build_data_docs(reports_root)
    if lake.is_s3:
        lake.upload_dir(Path(reports_root), QUALITY_DIR)
    return summary


def _spark_while_importing(spark: Callable[[], SparkSession], module: str) -> SparkSession:
    """`spark()`, while another thread imports `module`: importing Great Expectations takes
    seconds of Python, and starting Spark seconds of waiting on its JVM (another process), so
    together they take the longer of the two (about 5 s less in `make demo`)."""
    # Both need PySpark, whose modules import one another: imported by two threads at once, a
    # circular pair can make Python's import locks report a deadlock. This thread imports it
    # first, whole.
    importlib.import_module("pyspark.sql.functions")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import") as pool:
        imported = pool.submit(importlib.import_module, module)
        session = spark()
        imported.result()  # an import error surfaces here, as it would have inline
    return session


# -- the operator's side: list and release --------------------------------------------------------
def quarantined_batches(lake: Lake) -> list[dict[str, Any]]:
    """The batches in quarantine/, oldest first: id, feed, country, files, rows and what failed
    (from the batch's result JSON)."""
    batches: dict[str, dict[str, Any]] = {}
    for rel in (p for p in lake.list(QUARANTINE) if p.endswith(".parquet")):
        marker = validation_marker(rel)
        batch_id = (
            json.loads(lake.read_bytes(marker)).get("batch_id") if lake.exists(marker) else None
        ) or f"(unmarked) {Path(rel).stem}"
        parts = partition_values(rel)
        entry = batches.setdefault(
            batch_id,
            {
                "batch": batch_id,
                "feed": parts.get("feed"),
                "country": parts.get("country"),
                "files": [],
                "failed": [],
            },
        )
        entry["files"].append(rel)
    for batch_id, entry in batches.items():
        result = f"{QUALITY_DIR}/results/{batch_id}.json"
        if lake.exists(result):
            entry["failed"] = json.loads(lake.read_bytes(result)).get("failed_expectations") or []
    return [batches[b] for b in sorted(batches)]


def release_batch(lake: Lake, batch_id: str, reason: str) -> dict[str, Any]:
    """Move a quarantined batch back to bronze (the validated path), keep the release on its
    files' markers so validation leaves them be, and audit it. A rerun after a crash finishes
    the move (bronze is written before the quarantined copy is deleted)."""
    if not reason.strip():
        raise UnknownBatch("--reason is empty: say why the batch may be released (it is audited)")
    found = [b for b in quarantined_batches(lake) if b["batch"] == batch_id]
    if not found:
        raise UnknownBatch(
            f"no quarantined batch {batch_id!r}",
            hint="`interlink quality list` shows the quarantined batches and their ids",
        )
    (batch,) = found
    released_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    moved = []
    for rel in batch["files"]:
        target = bronze_path_of(rel)
        lake.write_bytes(target, lake.read_bytes(rel))
        marker = validation_marker(rel)
        doc = json.loads(lake.read_bytes(marker)) if lake.exists(marker) else {}
        doc |= {"batch_id": batch_id, "released": {"at": released_at, "reason": reason}}
        doc.setdefault("success", False)
        lake.write_bytes(marker, json.dumps(doc).encode())
        lake.delete(rel)
        moved.append(target)
    row = write_audit(
        lake,
        "quality_release",
        reason,
        source_country=batch["country"],
        feed=batch["feed"],
        details={"batch": batch_id, "files": moved, "failed": batch["failed"]},
    )
    log.warning("batch %s released from quarantine by %s: %s", batch_id, row["actor"], reason)
    return {**batch, "files": moved, "released_at": released_at, "audit_id": row["audit_id"]}
