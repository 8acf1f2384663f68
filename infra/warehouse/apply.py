"""The apply: a load's changes, its source-deletion audit and its bookkeeping in one transaction.

A reader sees the load whole or not at all; a failure rolls everything back (LoadFailed) and a
rerun completes it. Which statements carry the rows is the backend's business.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from infra.warehouse.backends import Backend, first_line
from infra.warehouse.diff import rejected_rows, source_deletes
from infra.warehouse.errors import LoadFailed
from infra.warehouse.load_report import LoadReport

SOURCE_DELETE_REASON = "record no longer in gold: deleted by its source (operation=delete)"


def fingerprint(digest: str | None, backend: Backend) -> str | None:
    """The sources' digest combined with the tombstones (a purge must reach the next load)."""
    if digest is None:
        return None
    state = backend.read(
        "SELECT count(*), CAST(max(purged_at) AS VARCHAR), CAST(max(record_version) AS VARCHAR) "
        "FROM interlink.purged_records"
    )[0]
    return hashlib.sha256(f"{digest}|{tuple(state)!r}".encode()).hexdigest()


def _summary(report: LoadReport) -> str:
    return json.dumps(report.as_dict()["moved"] | {"_skipped": report.skipped}, sort_keys=True)


def apply(backend: Backend, duck: Any, staged: list[str], report: LoadReport, full: bool) -> None:
    """Write the diff of every staged table, audit source deletions (each with a tombstone),
    record the sources' fingerprint and the load's log row: all committed together."""
    deletes = source_deletes(duck, staged)
    try:
        with backend.transaction():
            load_id = backend.start_load(full)
            report.load_id = load_id
            for name in staged:
                tl = report.tables[name]
                rejected = rejected_rows(duck, name)
                backend.replace_rows(
                    duck,
                    name,
                    load_id=load_id,
                    full=full,
                    removes=bool(tl.deleted or tl.updated),
                    writes=bool(tl.inserted + tl.updated),
                    keep=[r[0] for r in rejected],
                )
                backend.record_rejected(load_id, name, rejected)
            details = json.dumps({"load_id": load_id})
            backend.audit("source_delete", [(*d, SOURCE_DELETE_REASON, details) for d in deletes])
            backend.tombstone([(d[0], d[4]) for d in deletes], "source_delete", takes_over=False)
            report.source_deletes = len(deletes)
            current = fingerprint(report.digest, backend)
            if current:
                backend.save_fingerprint(current, load_id)
            backend.finish_load(load_id, _summary(report))
    except backend.load_errors as exc:
        raise LoadFailed(
            f"load rolled back, warehouse unchanged ({first_line(exc)}); fix the cause and rerun "
            "the load"
        ) from exc
