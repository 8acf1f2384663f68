"""The pipeline's steps as plain functions: the DAGs and the CLI call these and nothing else.

Each step reads settings, does one idempotent unit of work on the lake or warehouse, and returns a
small JSON-able summary (it becomes the Airflow task's XCom and the demo's printout). A summary's
`nothing_new` says the step found nothing for the next one (no bronze landed, no batch passed, no
warehouse row moved): the asset DAGs then skip instead of waking the next stage. Heavy imports
stay inside the functions so that Airflow's DAG parsing stays fast.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from infra.lake import Lake
from interlink.settings import Settings, load_settings

log = logging.getLogger("interlink.pipeline")


def _timed_step(fn):  # type: ignore[no-untyped-def]
    """Add the step's wall time to its summary: operators read it in the run report."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        if isinstance(out, dict):
            out["seconds"] = round(time.perf_counter() - t0, 2)
        return out

    return wrapper


def lake_of(settings: Settings) -> Lake:
    return Lake(settings.lake.root, s3_endpoint_url=settings.lake.s3_endpoint_url)


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else load_settings()


# -- ingest ---------------------------------------------------------------------------------
@_timed_step
def ingest_step(
    settings: Settings | None = None, *, until_idle: float | None = None
) -> dict[str, Any]:
    """Land everything waiting on the feed topics into bronze (or the DLQ), then stop when idle."""
    from infra.broker import resolve_bootstrap
    from streams.ingest import ingest
    from streams.keys import KeyRegistry

    s = _settings(settings)
    lake = lake_of(s)
    bootstrap = resolve_bootstrap(s.broker.bootstrap_servers, s.state_dir)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    report = ingest(
        bootstrap,
        lake,
        key_registry=registry,
        group_id=s.ingest.group_id,
        until_idle=until_idle if until_idle is not None else s.ingest.until_idle_seconds,
        batch_max_messages=s.ingest.batch_max_messages,
        batch_max_bytes=s.ingest.batch_max_bytes,
        batch_max_seconds=s.ingest.batch_max_seconds,
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        workers=s.ingest.workers,
    )
    return report.as_dict() | {"nothing_new": report.accepted == 0}


# -- contracts: Great Expectations per landed batch ------------------------------------------
@_timed_step
def validate_step(settings: Settings | None = None) -> dict[str, Any]:
    """Run the feed's GX suite on what landed since the last validation; quarantine failures
    (the policy is `transforms.quarantine`'s)."""
    from transforms.quarantine import validate_pending

    s = _settings(settings)
    summary = validate_pending(lambda: spark_session(s), lake_of(s))
    return summary | {"nothing_new": summary["passed"] == 0}


# -- transforms ------------------------------------------------------------------------------
_SPARK = None
# The warm-up thread may still be building the session when validate asks for it: the second
# caller waits for that one instead of configuring a session of its own on the same context.
_SPARK_LOCK = threading.Lock()


def spark_session(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """The process's SparkSession (built once; Airflow tasks in one process share it)."""
    global _SPARK
    with _SPARK_LOCK:
        if _SPARK is None:
            from interlink.spark import session_for

            _SPARK = session_for(_settings(settings))
        return _SPARK


def warm_up(settings: Settings | None = None) -> None:
    """Start the Spark session and import Great Expectations ahead of the steps that need them.

    A runner that runs the whole pipeline in one process (`interlink run`, `make demo`) calls
    this in a thread while ingest works: ingest waits on the broker, the JVM starts in another
    process, and validate then finds both ready (in the demo, seconds of its start-up)."""
    import importlib

    spark_session(settings)
    importlib.import_module("transforms.quality_batches")


@_timed_step
def resolve_step(settings: Settings | None = None, *, full: bool = False) -> dict[str, Any]:
    """Silver (latest versions, deletions applied, standardized; only the feeds whose bronze or
    tombstones changed, all of them with `full`), then gold (entities, links…)."""
    from interlink.progress import phase_progress
    from transforms.jobs import build_gold, build_silver
    from transforms.persons import Phases

    s = _settings(settings)
    progress = phase_progress("resolve")
    lake = lake_of(s)
    spark = spark_session(s)
    # Spark reads and writes the lake in place (s3a:// for an s3:// lake): no copy anywhere.
    with Phases(progress)("silver"):
        silver = build_silver(spark, lake, full=full, progress=progress)
    gold = build_gold(spark, lake, full=full, config=s.resolution, progress=progress)
    # `silver` stays rows per feed; `silver_tables` says which tables this run rebuilt whole,
    # which took in only the records of new bronze files (merged), and which it left as they
    # were (their bronze and tombstones had not changed).
    return {"silver": dict(silver), "silver_tables": silver.summary(), "gold": gold}


# -- warehouse -------------------------------------------------------------------------------
@_timed_step
def load_step(settings: Settings | None = None, *, full: bool = False) -> dict[str, Any]:
    """Migrate the warehouse, then load gold into it in one transaction."""
    from infra.warehouse import load, migrate

    s = _settings(settings)
    migrate(s.warehouse.url)
    report = load(s.warehouse.url, lake_of(s), full=full)
    return report.as_dict() | {"nothing_new": report.moved == 0}


@_timed_step
def retention_step(
    settings: Settings | None = None, *, today: date | None = None
) -> dict[str, Any]:
    """Purge records past their review-by date (warehouse and lake); report the next 6 months."""
    from infra.warehouse import migrate, purge_expired, retention_report

    s = _settings(settings)
    day = today or datetime.now(UTC).date()
    migrate(s.warehouse.url)
    lake = lake_of(s)
    purged = purge_expired(s.warehouse.url, lake, today=day)
    # With the lake, each source country also gets its six-month notice as a JSON file.
    upcoming = retention_report(s.warehouse.url, today=day, lake=lake)
    return {
        "purged": purged.as_dict() if hasattr(purged, "as_dict") else purged,
        "upcoming": upcoming.as_dict() if hasattr(upcoming, "as_dict") else upcoming,
    }


def report_step(settings: Settings | None = None, *, results: dict[str, Any] | None = None) -> str:
    """Write the run's HTML report into the lake and return where it is."""
    from interlink.report import write_run_report

    s = _settings(settings)
    return write_run_report(s, lake_of(s), results or {})
