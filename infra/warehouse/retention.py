"""Retention and erasure: records past their review-by date leave the warehouse and the lake.

`purge_expired` removes every curated row that names an expired record (the record itself, its
person attributes and identity, the links, pairs, hits and network memberships built from it) in
one transaction, with a tombstone (so stale gold cannot bring it back; a later version that
extends review_by can) and an audit row per record. Then the lake copies go: every bronze and
silver file, every quarantined file (payload and raw bytes alike) and every gold part file holding
a tombstoned record, whether purged for retention or deleted by its source, is rewritten without
it; the reports that quote it are redacted or deleted (`report_erasure`); and an audit row says
which files, in the warehouse and in the lake's `audit/`. Before any copy goes, the tombstone is
written to the lake's own `tombstones/`, so a replay of the record's original bytes never lands
again (the ingest drops it as `record.erased`, silver skips it), even into a warehouse rebuilt
from the lake. The audit logs themselves are never purged. `retention_report` lists, per source
country, the records reaching their review-by date within the next months, which is the notice
the sources receive.
"""

from __future__ import annotations

import calendar
import io
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.lake import BRONZE, GOLD, QUARANTINE, SILVER, partition_values, validation_marker
from infra.audit import write_audit, write_tombstones
from infra.lake import Lake, RowsDropped
from infra.warehouse.backends import Backend
from infra.warehouse.catalog import TABLES
from infra.warehouse.connection import open_backend
from infra.warehouse.errors import BadRetentionWindow
from infra.warehouse.mapping import gold_columns, mapped_sql, sql_list
from infra.warehouse.report_erasure import erase_reports

log = logging.getLogger("infra.warehouse.retention")
NOTICES_DIR = "reports/retention"


@dataclass
class PurgeReport:
    """What a purge removed: records, rows per table, lake files rewritten."""

    today: date
    purged: list[dict[str, Any]] = field(default_factory=list)
    rows_per_table: dict[str, int] = field(default_factory=dict)
    lake_files_rewritten: list[str] = field(default_factory=list)
    lake_files_deleted: list[str] = field(default_factory=list)
    lake_rows_removed: int = 0
    reports_erased: list[str] = field(default_factory=list)
    tombstone_files: list[str] = field(default_factory=list)
    rejected_rows_removed: int = 0

    def count(self, dropped: RowsDropped) -> None:
        """Add one lake file's rewrite (or deletion) to the report."""
        self.lake_rows_removed += dropped.rows
        done = self.lake_files_deleted if dropped.file_deleted else self.lake_files_rewritten
        done.append(dropped.rel)

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "purged_records": len(self.purged),
            "purged": self.purged,
            "rows_per_table": dict(self.rows_per_table),
            "lake_files_rewritten": list(self.lake_files_rewritten),
            "lake_files_deleted": list(self.lake_files_deleted),
            "lake_rows_removed": self.lake_rows_removed,
            "reports_erased": list(self.reports_erased),
            "tombstone_files": list(self.tombstone_files),
            "rejected_rows_removed": self.rejected_rows_removed,
        }


@dataclass
class RetentionReport:
    """Records reaching review-by within the window, per source country (the six-month notice)."""

    today: date
    until: date
    per_country: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "until": self.until.isoformat(),
            "records": sum(len(v) for v in self.per_country.values()),
            "per_country": {k: len(v) for k, v in sorted(self.per_country.items())},
            "detail": self.per_country,
            "notices": self.notices,
        }


def add_months(d: date, months: int) -> date:
    """d plus a number of months, clamped to the month's last day (Aug 31 + 6 → Feb 28/29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# -- warehouse side ---------------------------------------------------------------------------
def purge_expired(url: str, lake: Lake | None, *, today: date) -> PurgeReport:
    """Purge records whose review-by date is before `today` (no later version extended it) from
    every curated table and from the lake's bronze, silver and gold files; audit each one.

    Idempotent: a rerun finds nothing more to remove (and finishes a lake rewrite that an
    earlier run could not complete).
    """
    report = PurgeReport(today=today)
    with open_backend(url) as backend:
        backend.require_schema()
        with backend.writer_lock():
            expired = backend.read(
                "SELECT record_key, source_country, feed, record_id, record_version, review_by "
                "FROM interlink.records WHERE review_by < {p} ORDER BY record_key",
                [today],
            )
            if expired:
                _purge_rows(backend, expired, today, report)
            tombstones = _tombstones(backend)
            if tombstones:
                _purge_rejected(backend, tombstones, report)
            if lake is not None and tombstones:
                # Remembered in the lake first: a crash after it leaves replays blocked.
                report.tombstone_files = write_tombstones(
                    lake,
                    [
                        (tuple(k.split("/", 2)), v, a)  # type: ignore[misc]
                        for k, (v, a) in tombstones.items()
                    ],
                )
                _erase_from_lake(backend, lake, tombstones, report)
    return report


def _purge_rows(
    backend: Backend, expired: list[tuple[Any, ...]], today: date, report: PurgeReport
) -> None:
    keys = [e[0] for e in expired]
    counts: dict[str, int] = {}
    with backend.transaction():
        for t in TABLES:
            counts[t.name] = backend.delete_naming(t.name, keys)
        details = json.dumps({"rows_per_table": {k: v for k, v in counts.items() if v}})
        backend.tombstone([(e[0], e[4]) for e in expired], "retention_purge", takes_over=True)
        backend.audit(
            "retention_purge",
            [(*e[:5], _reason(e[5], today), details) for e in expired],
        )
    report.rows_per_table = {k: v for k, v in counts.items() if v}
    report.purged = [
        {
            "record_key": e[0],
            "source_country": e[1],
            "feed": e[2],
            "record_id": e[3],
            "record_version": e[4],
            "review_by": str(e[5]),
        }
        for e in expired
    ]
    log.info("purged %d expired records: %s", len(expired), report.rows_per_table)


def _purge_rejected(
    backend: Backend, tombstones: dict[str, tuple[int, str]], report: PurgeReport
) -> None:
    """Entries of rejected_rows standing on an erased record: its key and reason may quote the
    record's values, and a record whose row the warehouse refused has no row there for the
    purge to find. Whatever erased it (a deletion, a retention purge), the entry goes, with an
    audit row per record. The table holds only the latest load's refusals: it is read whole."""
    found = backend.read(
        "SELECT table_name, row_key, record_keys FROM interlink.rejected_rows "
        "WHERE record_keys IS NOT NULL"
    )
    per_record: dict[str, list[list[str]]] = defaultdict(list)
    doomed = []
    for table_name, row_key, keys in found:
        erased = sorted(k for k in keys or [] if k in tombstones)
        if erased:
            doomed.append((table_name, row_key))
            for k in erased:
                per_record[k].append([table_name, row_key])
    if not doomed:
        return
    with backend.transaction():
        backend.executemany(
            "DELETE FROM interlink.rejected_rows WHERE table_name = {p} AND row_key = {p}", doomed
        )
        rows = []
        for rk, entries in sorted(per_record.items()):
            country, feed, rid = rk.split("/", 2)
            version, action = tombstones[rk]
            rows.append(
                (
                    rk,
                    country,
                    feed,
                    rid,
                    version,
                    f"rejected-row entries of a {action.replace('_', ' ')} record removed",
                    json.dumps({"rejected_rows": entries}),
                )
            )
        backend.audit("rejected_erasure", rows)
    report.rejected_rows_removed = len(doomed)
    log.info("removed %d rejected-row entries of erased records", len(doomed))


def _reason(review_by: Any, today: date) -> str:
    return f"review_by {review_by} passed on {today.isoformat()} without extension"


def _tombstones(backend: Backend) -> dict[str, tuple[int, str]]:
    rows = backend.read("SELECT record_key, record_version, action FROM interlink.purged_records")
    return {r[0]: (int(r[1]), r[2]) for r in rows}


# -- lake side ---------------------------------------------------------------------------------
def _feed_from_path(rel: str) -> str | None:
    parts = PurePosixPath(rel).parts
    if "feed" in (values := partition_values(rel)):
        return values["feed"]
    if len(parts) > 1 and parts[0] == SILVER:
        return parts[1]
    return None


def _row_keys(table: pa.Table, feed: str | None) -> pa.Array | None:
    """`<country>/<feed>/<record_id>` of every row of a bronze or silver table."""
    names = set(table.column_names)
    if not {"source_country", "record_id"} <= names:
        return None
    if "feed" in names:
        feed_col = pc.cast(table["feed"], pa.string())
    elif feed is not None:
        feed_col = pa.array([feed] * table.num_rows, pa.string())
    else:
        return None
    return pc.binary_join_element_wise(
        pc.cast(table["source_country"], pa.string()),
        feed_col,
        pc.cast(table["record_id"], pa.string()),
        "/",
    )


def _erase_file(
    lake: Lake,
    rel: str,
    tombstones: dict[str, tuple[int, str]],
    report: PurgeReport,
    touched: dict[str, list[str]],
) -> None:
    data = lake.read_bytes(rel)
    pf = pq.ParquetFile(io.BytesIO(data))
    wanted = [
        c
        for c in ("source_country", "feed", "record_id", "record_version")
        if c in pf.schema_arrow.names
    ]
    keys_only = pf.read(columns=wanted)
    keys = _row_keys(keys_only, _feed_from_path(rel))
    if keys is None:
        return
    tomb_keys = pa.array(list(tombstones), pa.string())
    hit = pc.is_in(keys, value_set=tomb_keys)
    if not pc.any(hit).as_py():
        return
    if "record_version" in keys_only.column_names:
        # Only versions up to the one removed: a later version (an extension) stays.
        limit = pa.array([tombstones.get(k, (0, ""))[0] for k in keys.to_pylist()], pa.int64())
        hit = pc.and_(hit, pc.less_equal(pc.cast(keys_only["record_version"], pa.int64()), limit))
    if not pc.any(hit).as_py():
        return
    for k in set(pc.filter(keys, hit).to_pylist()):
        touched[k].append(rel)
    report.count(lake.drop_rows(rel, pf.read(), hit))


def _erase_gold(
    lake: Lake,
    tombstones: dict[str, tuple[int, str]],
    report: PurgeReport,
    touched: dict[str, list[str]],
) -> None:
    """Gold part files naming a tombstoned record (mapped exactly as the loader maps them)."""
    duck = duckdb.connect()
    listing = sql_list(sorted(tombstones))
    seen: set[str] = set()
    for t in TABLES:
        for prefix in (s for s in t.sources if s.startswith(f"{GOLD}/")):
            for rel in [r for r in lake.list(prefix) if r.endswith(".parquet")]:
                if rel in seen:
                    continue  # person_records and person_identities share their files
                seen.add(rel)
                tbl = pq.read_table(io.BytesIO(lake.read_bytes(rel)))
                duck.register("g_file", tbl)
                duck.execute("CREATE OR REPLACE TEMP VIEW g_view AS SELECT * FROM g_file")
                sql = mapped_sql(t, "g_view", gold_columns(duck, "g_view"), [])
                hit = (
                    duck.sql(
                        f"SELECT coalesce(list_has_any(record_keys, {listing}), false) AS "
                        f"hit FROM ({sql})"
                    )
                    .to_arrow_table()
                    .column("hit")
                    .combine_chunks()
                )
                duck.unregister("g_file")
                if not pc.any(hit).as_py():
                    continue
                touched["(gold)"].append(rel)
                report.count(lake.drop_rows(rel, tbl, hit))
    duck.close()


def _erase_from_lake(
    backend: Backend, lake: Lake, tombstones: dict[str, tuple[int, str]], report: PurgeReport
) -> None:
    touched: dict[str, list[str]] = defaultdict(list)
    for prefix in (BRONZE, QUARANTINE, SILVER):
        for rel in lake.list(prefix):
            if rel.endswith(".parquet"):
                _erase_file(lake, rel, tombstones, report, touched)
    _erase_gold(lake, tombstones, report, touched)
    batches = _batches_of(lake, [f for k, v in touched.items() if k != "(gold)" for f in v])
    if report.tombstone_files or touched:
        # Reports are scanned only when something was newly erased: they are many, and a record
        # erased in an earlier run was taken out of them then.
        ids = [k.split("/", 2)[2] for k in tombstones]
        report.reports_erased = erase_reports(lake, ids, batches)
    record_files = {k: v for k, v in touched.items() if k != "(gold)"}
    if not record_files and not touched.get("(gold)") and not report.reports_erased:
        return
    rows: list[tuple[Any, ...]] = []
    gold_files = sorted(set(touched.get("(gold)", [])))
    for rk, files in sorted(record_files.items()):
        country, feed, rid = rk.split("/", 2)
        version, action = tombstones[rk]
        rows.append(
            (
                rk,
                country,
                feed,
                rid,
                version,
                f"lake copies of a {action.replace('_', ' ')} record removed",
                json.dumps(
                    {
                        "files": sorted(set(files)),
                        "gold_files": gold_files,
                        "reports": report.reports_erased,
                    }
                ),
            )
        )
    if not rows:
        rows.append(
            (
                None,
                None,
                None,
                None,
                None,
                "gold copies and reports of removed records rewritten",
                json.dumps({"gold_files": gold_files, "reports": report.reports_erased}),
            )
        )
    with backend.transaction():
        backend.audit("lake_erasure", rows)
    # The lake's own trail: it outlives a warehouse rebuilt from the lake.
    write_audit(
        lake,
        "lake_erasure",
        "lake copies of erased records removed (source deletions and retention purges)",
        details={
            "records": [r[0] for r in rows if r[0] is not None],
            "files": sorted({f for fs in record_files.values() for f in fs}),
            "gold_files": gold_files,
            "reports": report.reports_erased,
            "tombstone_files": report.tombstone_files,
        },
    )


def _batches_of(lake: Lake, files: list[str]) -> list[str]:
    """The validation batches the rewritten bronze and quarantine files belonged to."""
    batches = set()
    for rel in files:
        if not rel.startswith((BRONZE, QUARANTINE)):
            continue
        marker = validation_marker(rel)
        if lake.exists(marker):
            batch = json.loads(lake.read_bytes(marker)).get("batch_id")
            if batch:
                batches.add(batch)
    return sorted(batches)


# -- the notice ----------------------------------------------------------------------------------
def retention_report(
    url: str, *, today: date, months_ahead: int = 6, lake: Lake | None = None
) -> RetentionReport:
    """Records whose review-by date falls within `months_ahead` months, per source country.

    With a lake, one JSON notice per country is written under reports/retention/<today>/, the
    file a source receives so that it can extend what it still needs.
    """
    if months_ahead < 0:
        raise BadRetentionWindow(
            f"months_ahead={months_ahead} must be 0 or more: pass how many months ahead to warn"
        )
    until = add_months(today, months_ahead)
    report = RetentionReport(today=today, until=until)
    with open_backend(url) as backend:
        backend.require_schema()
        rows = backend.read(
            "SELECT source_country, feed, record_id, record_version, review_by FROM "
            "interlink.records WHERE review_by >= {p} AND review_by < {p} ORDER BY "
            "source_country, review_by, record_id",
            [today, until],
        )
    for country, feed, rid, version, review_by in rows:
        report.per_country.setdefault(country, []).append(
            {
                "feed": feed,
                "record_id": rid,
                "record_version": version,
                "review_by": review_by.isoformat(),
            }
        )
    if lake is not None:
        for country, items in sorted(report.per_country.items()):
            rel = f"{NOTICES_DIR}/{today.isoformat()}/{country}.json"
            body = {
                "country": country,
                "today": today.isoformat(),
                "until": until.isoformat(),
                "message": f"{len(items)} records reach their review-by date before "
                f"{until.isoformat()}: send a new version with a later review_by "
                "to keep them, or they will be purged.",
                "records": items,
            }
            report.notices.append(lake.write_bytes(rel, json.dumps(body, indent=2).encode()))
    return report
