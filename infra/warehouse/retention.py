"""Retention and erasure: records past their review-by date leave the warehouse and the lake.

`purge_expired` removes every curated row that names an expired record (the record itself, its
person attributes and identity, the links, pairs, hits and network memberships built from it) in
one transaction, with a tombstone (so stale gold cannot bring it back; a later version that
extends review_by can) and an audit row per record. Then the lake copies go: every bronze and
silver file (and gold part file) holding a tombstoned record, whether purged for retention or
deleted by its source, is rewritten without it, and an audit row says which files. The audit log
itself is never purged. `retention_report` lists, per source country, the records reaching their
review-by date within the next months, which is the notice the sources receive.
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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.lake import BRONZE, GOLD, SILVER, partition_values
from infra.lake import Lake
from infra.warehouse.catalog import TABLES
from infra.warehouse.connection import WarehouseError, connect
from infra.warehouse.loader import WRITER_LOCK, _require_schema_duck, _require_schema_pg

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "purged_records": len(self.purged),
            "purged": self.purged,
            "rows_per_table": dict(self.rows_per_table),
            "lake_files_rewritten": list(self.lake_files_rewritten),
            "lake_files_deleted": list(self.lake_files_deleted),
            "lake_rows_removed": self.lake_rows_removed,
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
def _expired(con: Any, is_pg: bool, today: date) -> list[tuple[Any, ...]]:
    sql = (
        "SELECT record_key, source_country, feed, record_id, record_version, review_by "
        "FROM interlink.records WHERE review_by < {p} ORDER BY record_key"
    )
    if is_pg:
        return con.execute(sql.format(p="%s"), (today,)).fetchall()
    return con.execute(sql.format(p="?"), [today]).fetchall()


def purge_expired(url: str, lake: Lake | None, *, today: date) -> PurgeReport:
    """Purge records whose review-by date is before `today` (no later version extended it) from
    every curated table and from the lake's bronze, silver and gold files; audit each one.

    Idempotent: a rerun finds nothing more to remove (and finishes a lake rewrite that an
    earlier run could not complete).
    """
    report = PurgeReport(today=today)
    with connect(url) as (wu, con):
        is_pg = wu.is_postgres
        if is_pg:
            _require_schema_pg(con)
            con.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
            con.commit()
        else:
            _require_schema_duck(con)
        try:
            expired = _expired(con, is_pg, today)
            if is_pg:
                con.commit()
            if expired:
                _purge_rows(con, is_pg, expired, today, report)
            if lake is not None:
                tombstones = _tombstones(con, is_pg)
                if tombstones:
                    _erase_from_lake(con, is_pg, lake, tombstones, report)
        finally:
            if is_pg and not con.closed:
                con.rollback()
                con.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
                con.commit()
    return report


def _purge_rows(
    con: Any, is_pg: bool, expired: list[tuple[Any, ...]], today: date, report: PurgeReport
) -> None:
    keys = [e[0] for e in expired]
    counts: dict[str, int] = {}
    if is_pg:
        with con.transaction():
            for t in TABLES:
                cur = con.execute(
                    f"DELETE FROM interlink.{t.name} WHERE record_keys && %s", (keys,)
                )
                counts[t.name] = cur.rowcount
            for rk, country, feed, rid, version, review_by in expired:
                con.execute(
                    "INSERT INTO interlink.purged_records (record_key, record_version, action) "
                    "VALUES (%s, %s, 'retention_purge') ON CONFLICT (record_key) DO UPDATE SET "
                    "record_version = greatest(purged_records.record_version, "
                    "excluded.record_version), action = excluded.action, purged_at = now()",
                    (rk, version),
                )
                con.execute(
                    "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                    "record_id, record_version, reason, details) VALUES ('retention_purge', %s, "
                    "%s, %s, %s, %s, %s, %s)",
                    (
                        rk,
                        country,
                        feed,
                        rid,
                        version,
                        _reason(review_by, today),
                        json.dumps({"rows_per_table": {k: v for k, v in counts.items() if v}}),
                    ),
                )
    else:
        con.execute("BEGIN TRANSACTION")
        try:
            for t in TABLES:
                n = con.execute(
                    f"SELECT count(*) FROM interlink.{t.name} WHERE list_has_any(record_keys, ?)",
                    [keys],
                ).fetchall()[0][0]
                con.execute(
                    f"DELETE FROM interlink.{t.name} WHERE list_has_any(record_keys, ?)", [keys]
                )
                counts[t.name] = int(n)
            for rk, country, feed, rid, version, review_by in expired:
                con.execute(
                    "INSERT OR REPLACE INTO interlink.purged_records (record_key, record_version, "
                    "action, purged_at) VALUES (?, ?, 'retention_purge', current_timestamp)",
                    [rk, version],
                )
                con.execute(
                    "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                    "record_id, record_version, reason, details) VALUES ('retention_purge', ?, "
                    "?, ?, ?, ?, ?, ?)",
                    [
                        rk,
                        country,
                        feed,
                        rid,
                        version,
                        _reason(review_by, today),
                        json.dumps({"rows_per_table": {k: v for k, v in counts.items() if v}}),
                    ],
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
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


def _reason(review_by: Any, today: date) -> str:
    return f"review_by {review_by} passed on {today.isoformat()} without extension"


def _tombstones(con: Any, is_pg: bool) -> dict[str, tuple[int, str]]:
    rows = con.execute(
        "SELECT record_key, record_version, action FROM interlink.purged_records"
    ).fetchall()
    if is_pg:
        con.commit()
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
    table = pf.read()
    keep = table.filter(pc.invert(hit))
    removed = table.num_rows - keep.num_rows
    for k in set(pc.filter(keys, hit).to_pylist()):
        touched[k].append(rel)
    report.lake_rows_removed += removed
    if keep.num_rows == 0:
        lake.delete(rel)
        report.lake_files_deleted.append(rel)
    else:
        # Same name, same schema: a reader sees the old file or the new one (atomic replace).
        buf = io.BytesIO()
        pq.write_table(keep, buf, compression="zstd")
        lake.write_bytes(rel, buf.getvalue())
        report.lake_files_rewritten.append(rel)


def _erase_gold(
    lake: Lake,
    tombstones: dict[str, tuple[int, str]],
    report: PurgeReport,
    touched: dict[str, list[str]],
) -> None:
    """Gold part files naming a tombstoned record (mapped exactly as the loader maps them)."""
    import duckdb

    from infra.warehouse.loader import _gold_columns, _sql_list, mapped_sql

    duck = duckdb.connect()
    listing = _sql_list(sorted(tombstones))
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
                sql = mapped_sql(t, "g_view", _gold_columns(duck, "g_view"), [])
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
                keep = tbl.filter(pc.invert(hit))
                report.lake_rows_removed += tbl.num_rows - keep.num_rows
                touched["(gold)"].append(rel)
                if keep.num_rows == 0:
                    lake.delete(rel)
                    report.lake_files_deleted.append(rel)
                else:
                    buf = io.BytesIO()
                    pq.write_table(keep, buf, compression="zstd")
                    lake.write_bytes(rel, buf.getvalue())
                    report.lake_files_rewritten.append(rel)
    duck.close()


def _erase_from_lake(
    con: Any, is_pg: bool, lake: Lake, tombstones: dict[str, tuple[int, str]], report: PurgeReport
) -> None:
    touched: dict[str, list[str]] = defaultdict(list)
    for prefix in (BRONZE, SILVER):
        for rel in lake.list(prefix):
            if rel.endswith(".parquet"):
                _erase_file(lake, rel, tombstones, report, touched)
    _erase_gold(lake, tombstones, report, touched)
    record_files = {k: v for k, v in touched.items() if k != "(gold)"}
    if not record_files and not touched.get("(gold)"):
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
                json.dumps({"files": sorted(set(files)), "gold_files": gold_files}),
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
                "gold copies of removed records rewritten",
                json.dumps({"gold_files": gold_files}),
            )
        )
    if is_pg:
        with con.transaction(), con.cursor() as cur:
            cur.executemany(
                "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                "record_id, record_version, reason, details) VALUES ('lake_erasure', %s, %s, %s, "
                "%s, %s, %s, %s)",
                rows,
            )
    else:
        for r in rows:
            con.execute(
                "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                "record_id, record_version, reason, details) VALUES ('lake_erasure', ?, ?, ?, ?, "
                "?, ?, ?)",
                list(r),
            )


# -- the notice ----------------------------------------------------------------------------------
def retention_report(
    url: str, *, today: date, months_ahead: int = 6, lake: Lake | None = None
) -> RetentionReport:
    """Records whose review-by date falls within `months_ahead` months, per source country.

    With a lake, one JSON notice per country is written under reports/retention/<today>/, the
    file a source receives so that it can extend what it still needs.
    """
    if months_ahead < 0:
        raise WarehouseError(f"months_ahead={months_ahead} must be 0 or more")
    until = add_months(today, months_ahead)
    report = RetentionReport(today=today, until=until)
    with connect(url) as (wu, con):
        if wu.is_postgres:
            _require_schema_pg(con)
            rows = con.execute(
                "SELECT source_country, feed, record_id, record_version, review_by FROM "
                "interlink.records WHERE review_by >= %s AND review_by < %s ORDER BY "
                "source_country, review_by, record_id",
                (today, until),
            ).fetchall()
        else:
            _require_schema_duck(con)
            rows = con.execute(
                "SELECT source_country, feed, record_id, record_version, review_by FROM "
                "interlink.records WHERE review_by >= ? AND review_by < ? ORDER BY "
                "source_country, review_by, record_id",
                [today, until],
            ).fetchall()
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
