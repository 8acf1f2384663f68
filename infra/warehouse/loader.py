"""Gold Parquet → staging → the curated tables, in one transaction per load.

Three steps, one module each: `staging` reads the gold Parquet into DuckDB (the staging engine
for every warehouse), maps it onto the catalog's columns and computes each row's key, hash, source
records and handling; `diff` compares it with what the warehouse holds, so that only rows whose
hash changed move; `apply` writes every table's changes (plus the audit rows of source deletions
and the load's log row) in one transaction, so a reader never sees half a load and a rerun
changes nothing. How each step talks to the database is its backend's (`backends/`): PostgreSQL
receives the rows through COPY, never row by row.

What a load reads: when the sources' fingerprint (`sources_digest` with the tombstones) equals the
one the last load committed, nothing; otherwise (and always for an `s3://` lake, which has no
fingerprint) every gold table whole, each row keyed and hashed, against `(row_key, row_hash)` of
every warehouse row. Its reading is a linear pass over gold, its writing follows the delta. No
table is skipped on its own files: its rows also depend on other tables' (entities' record keys,
records' handling, networks' members), see docs/operations.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time

from contracts.errors import InterlinkError
from infra.lake import Lake
from infra.warehouse.apply import apply, fingerprint
from infra.warehouse.backends import Backend, first_line
from infra.warehouse.catalog import TABLES
from infra.warehouse.connection import open_backend
from infra.warehouse.diff import diff
from infra.warehouse.errors import LoadFailed
from infra.warehouse.load_report import LoadReport, TableLoad
from infra.warehouse.staging import stage_all

__all__ = ["LoadReport", "TableLoad", "load", "sources_digest", "table_counts"]

log = logging.getLogger("infra.warehouse.loader")

# The staging engine's temp tables of one staged table (see backends/base.py).
_TEMP_PREFIXES = ("stg_", "cur_", "chg_", "del_", "rej_")


def load(url: str, lake: Lake, *, full: bool = False) -> LoadReport:
    """Load gold into the warehouse: only changed rows move (all with full=True), in one
    transaction; rows gone from gold are removed and audited as source deletions.

    Raises NotMigrated when migrate() has not run, LoadFailed when the database refuses or loses
    the load (then nothing of it is visible and a rerun completes it).
    """
    t0 = time.perf_counter()
    with open_backend(url) as backend:
        report = LoadReport(load_id=None, dialect=backend.dialect, full=full)
        backend.require_schema()
        try:
            _load(backend, lake, report, full)
        except InterlinkError:
            raise  # already says what happened and what to do
        except backend.load_errors as exc:
            # Lost before the write transaction (the diff's snapshot, the lock): nothing written.
            raise LoadFailed(
                f"load abandoned, warehouse unchanged ({first_line(exc)}); fix the cause and "
                "rerun the load"
            ) from exc
    report.seconds = time.perf_counter() - t0
    log.info("load %s: %s", report.load_id, report.as_dict()["moved"])
    return report


def _load(backend: Backend, lake: Lake, report: LoadReport, full: bool) -> None:
    """The load under the writer lock, staged in the backend's staging engine."""
    with backend.writer_lock(), backend.staging() as duck:
        digest = sources_digest(lake)
        current = fingerprint(digest, backend)
        stored = _stored_fingerprint(backend)
        if not full and current is not None and stored and stored[0] == current:
            # Nothing the load reads changed since that load: nothing can move.
            report.skipped["*"] = f"sources unchanged since load {stored[1]}"
            _count_rows(backend, report)
            return
        report.digest = digest
        staged: list[str] = []
        try:
            t1 = time.perf_counter()
            staged = stage_all(duck, lake, report)
            t2 = time.perf_counter()
            diff(backend, duck, staged, report, full)
            t3 = time.perf_counter()
            apply(backend, duck, staged, report, full)
            report.phases = {
                "stage": t2 - t1,
                "diff": t3 - t2,
                "write": time.perf_counter() - t3,
            }
            _count_rows(backend, report)
        finally:
            # The embedded warehouse stages in its own connection: leave nothing behind.
            # Never in place of the error that ended the load (an interrupted staging engine
            # may refuse a statement); what is left dies with the staging connection anyway.
            with contextlib.suppress(Exception):
                for name in staged:
                    for prefix in _TEMP_PREFIXES:
                        duck.execute(f"DROP TABLE IF EXISTS {prefix}{name}")


def sources_digest(lake: Lake) -> str | None:
    """SHA-256 of every source file's name, size, inode and modification time and of the
    catalog; None for an S3 lake (its listing gives no sizes here: it always loads)."""
    if lake.is_s3:
        return None
    h = hashlib.sha256(repr(TABLES).encode())
    for prefix in sorted({p for t in TABLES for p in t.sources}):
        for rel in lake.list(prefix):
            st = lake.path(rel).stat()
            h.update(f"{rel}\0{st.st_size}\0{st.st_ino}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _stored_fingerprint(backend: Backend) -> tuple[object, ...] | None:
    rows = backend.read(
        "SELECT fingerprint, load_id FROM interlink.load_state WHERE name = 'sources'"
    )
    return rows[0] if rows else None


def table_counts(url: str) -> dict[str, int]:
    """Rows per curated table, as the warehouse's owner sees them (not through any policy)."""
    with open_backend(url) as backend:
        backend.require_schema()
        report = LoadReport(load_id=None, dialect=backend.dialect, full=False)
        _count_rows(backend, report)
    return {name: t.rows for name, t in report.tables.items()}


def _count_rows(backend: Backend, report: LoadReport) -> None:
    for t in TABLES:
        report.tables.setdefault(t.name, TableLoad(t.name)).rows = backend.count_rows(t.name)
