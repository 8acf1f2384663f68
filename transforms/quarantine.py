"""The quality gate on landed bronze: what a batch is, and what a failing batch means.

A batch is everything one ingest run landed for one (feed, country): the bronze files without a
validation marker. Each file's marker (`reports/quality/validated/<file>.json`) names its batch, so
a rerun validates only new files (idempotent). All new batches of a feed are validated in one
Great Expectations run with a verdict per batch (`transforms.quality_batches`); a failing batch's
files move to `quarantine/` under the same names, next to the result JSON that says why, so silver
never reads them. The orchestration (`interlink.pipeline.validate_step`) only calls
`validate_pending`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.lake import BRONZE, partition_values, quarantine_path
from infra.lake import Lake

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("interlink.pipeline")

QUALITY_DIR = "reports/quality"


def pending_batches(lake: Lake) -> dict[tuple[str, str], list[str]]:
    """Bronze files without a validation marker, grouped by (feed, country)."""
    # One listing of the markers, not an existence check per file (a round trip each on S3).
    done = {Path(m).stem for m in lake.list(f"{QUALITY_DIR}/validated")}
    groups: dict[tuple[str, str], list[str]] = {}
    for rel in (p for p in lake.list(BRONZE) if p.endswith(".parquet")):
        if Path(rel).stem in done:
            continue
        parts = partition_values(rel)
        groups.setdefault((parts.get("feed", "?"), parts.get("country", "?")), []).append(rel)
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
    from transforms.quality import build_data_docs
    from transforms.quality_batches import Batch, run_name, validate_feed_batches

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
    session = spark()
    reports_root = lake.local_mirror(QUALITY_DIR) if lake.is_s3 else lake.path(QUALITY_DIR)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    files_of: dict[str, list[str]] = {}
    by_feed: dict[str, list[Batch]] = {}
    for (feed, country), files in sorted(groups.items()):
        batch_id = f"{feed}-{country}-{stamp}-{Path(files[0]).stem.rsplit('+', 2)[-1]}"
        paths = [str(lake.local_mirror(f) if lake.is_s3 else lake.path(f)) for f in files]
        files_of[batch_id] = files
        by_feed.setdefault(feed, []).append(Batch(batch_id, country, session.read.parquet(*paths)))
    for feed, batches in by_feed.items():
        results = validate_feed_batches(
            batches, feed=feed, run_id=run_name(), reports_dir=str(reports_root)
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
                lake.write_bytes(f"{QUALITY_DIR}/validated/{Path(rel).stem}.json", marker)
    summary["data_docs"] = build_data_docs(reports_root)
    if lake.is_s3:
        lake.upload_dir(Path(reports_root), QUALITY_DIR)
    return summary
