"""The diff: what the staged rows change in the warehouse, computed in the staging engine.

The backend brings in what the warehouse holds (`cur_<t>`: row_key, row_hash) and the tombstones;
from them come `chg_<t>` (new or changed rows, all rows with a full reload), `del_<t>` (rows gone
from gold), the rows a tombstone keeps out, and the source deletions to audit.
"""

from __future__ import annotations

from typing import Any

from infra.warehouse.backends import Backend
from infra.warehouse.catalog import TABLES_BY_NAME
from infra.warehouse.ddl import q
from infra.warehouse.load_report import LoadReport

# What the warehouse holds of each table for the diff; records also name the record, for the
# audit row of a source deletion.
_CURRENT = {"row_key": "VARCHAR", "row_hash": "VARCHAR"}
_CURRENT_RECORDS = _CURRENT | {
    "record_key": "VARCHAR",
    "source_country": "VARCHAR",
    "feed": "VARCHAR",
    "record_id": "VARCHAR",
    "record_version": "BIGINT",
}


def diff(backend: Backend, duck: Any, staged: list[str], report: LoadReport, full: bool) -> None:
    """Compute chg_/del_ of every staged table, dropping rows of purged or deleted records
    first, and count what moves into the report."""
    for name in staged:
        backend.snapshot(duck, name, _CURRENT_RECORDS if name == "records" else _CURRENT)
    _blocked(backend, duck, staged)
    any_blocked = duck.execute("SELECT count(*) FROM blocked").fetchall()[0][0] > 0
    for name in staged if any_blocked else []:
        dropped = _drop_blocked(duck, name)
        if dropped:
            report.tables[name].notes.append(
                f"{dropped} rows of purged or deleted records not reloaded"
            )
    for name in staged:
        _diff_table(backend, duck, name, report, full)


def _blocked(backend: Backend, duck: Any, staged: list[str]) -> None:
    """Temp table `blocked`: purged record keys whose gold copy is not a later version."""
    backend.copy_tombstones(duck)
    later = (
        (
            "AND NOT EXISTS (SELECT 1 FROM stg_records r WHERE r.record_key = p.record_key "
            "AND r.record_version > p.record_version)"
        )
        if "records" in staged
        else ""
    )
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE blocked AS SELECT p.record_key FROM purged p "
        f"WHERE true {later}"
    )
    if "records" in staged:
        # Records leaving gold in this load (source deletes): rows of other tables that still
        # name them (gold not yet recomputed) must not stay either.
        duck.execute(
            "INSERT INTO blocked SELECT c.record_key FROM cur_records c "
            "ANTI JOIN stg_records s ON s.row_key = c.row_key"
        )


def _drop_blocked(duck: Any, name: str) -> int:
    """Remove staged rows naming a purged record (unless a later version extended it)."""
    t = TABLES_BY_NAME[name]
    n = duck.execute(
        f"SELECT count(DISTINCT s.row_key) FROM (SELECT row_key, unnest(record_keys) AS k "
        f"FROM stg_{t.name}) s JOIN blocked b ON b.record_key = s.k"
    ).fetchall()[0][0]
    if n:
        duck.execute(
            f"DELETE FROM stg_{t.name} WHERE row_key IN (SELECT s.row_key FROM (SELECT row_key, "
            f"unnest(record_keys) AS k FROM stg_{t.name}) s JOIN blocked b ON b.record_key = s.k)"
        )
    return int(n)


def _set_aside(backend: Backend, duck: Any, name: str) -> int:
    """Move the rows of chg_<name> the warehouse cannot store to rej_<name> (row_key, the row's
    key as JSON, reason): one bad row must not fail the load. The warehouse keeps what it held
    for those keys (their previous version, if any): a rejected row is neither written nor
    deleted."""
    t = TABLES_BY_NAME[name]
    rules = backend.unstorable(t)
    bad = " OR ".join(f"coalesce({cond}, false)" for cond, _ in rules) or "false"
    reasons = ", ".join(f"CASE WHEN coalesce({cond}, false) THEN {why} END" for cond, why in rules)
    key = ", ".join(f"{q(k)} := CAST({q(k)} AS VARCHAR)" for k in t.key)
    # The key and reason may quote the offending value: never carry a NUL into the warehouse.
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE rej_{name} AS SELECT row_key, "
        f"replace(CAST(to_json(struct_pack({key})) AS VARCHAR), chr(0), '\\u0000') "
        "AS row_identity, "
        f"replace(concat_ws('; ', {reasons or 'NULL'}), chr(0), '\\u0000') AS reason, "
        # Which records the row stands on: erasing one of them removes its entry too.
        f"record_keys FROM chg_{name} WHERE {bad}"
    )
    n = duck.execute(f"SELECT count(*) FROM rej_{name}").fetchall()[0][0]
    if n:
        duck.execute(f"DELETE FROM chg_{name} WHERE row_key IN (SELECT row_key FROM rej_{name})")
    return int(n)


def rejected_rows(duck: Any, name: str) -> list[tuple[Any, ...]]:
    """(row_key, key JSON, reason, record_keys) of the rows of a staged table set aside by this
    load."""
    return duck.execute(f"SELECT * FROM rej_{name} ORDER BY row_key").fetchall()


def _diff_table(backend: Backend, duck: Any, name: str, report: LoadReport, full: bool) -> None:
    if full:
        duck.execute(f"CREATE OR REPLACE TEMP TABLE chg_{name} AS SELECT * FROM stg_{name}")
    else:
        duck.execute(
            f"CREATE OR REPLACE TEMP TABLE chg_{name} AS SELECT s.* FROM stg_{name} s "
            f"LEFT JOIN cur_{name} c ON c.row_key = s.row_key "
            "WHERE c.row_key IS NULL OR c.row_hash IS DISTINCT FROM s.row_hash"
        )
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE del_{name} AS SELECT c.* FROM cur_{name} c "
        f"ANTI JOIN stg_{name} s ON s.row_key = c.row_key"
    )
    tl = report.tables[name]
    tl.rejected = _set_aside(backend, duck, name)
    if full:
        # A full reload rewrites every row: count them all as inserted.
        tl.inserted = duck.execute(f"SELECT count(*) FROM chg_{name}").fetchall()[0][0]
        tl.deleted = duck.execute(f"SELECT count(*) FROM del_{name}").fetchall()[0][0]
        return
    tl.inserted = duck.execute(
        f"SELECT count(*) FROM chg_{name} s ANTI JOIN cur_{name} c ON c.row_key = s.row_key"
    ).fetchall()[0][0]
    tl.updated = duck.execute(f"SELECT count(*) FROM chg_{name}").fetchall()[0][0] - tl.inserted
    tl.deleted = duck.execute(f"SELECT count(*) FROM del_{name}").fetchall()[0][0]


def source_deletes(duck: Any, staged: list[str]) -> list[tuple[Any, ...]]:
    """(record_key, source_country, feed, record_id, record_version) of each record that left
    gold in this load without a tombstone."""
    if "records" not in staged:
        return []
    # A record that left gold without a tombstone was deleted by its source (or its feed
    # dropped it upstream); a purge already wrote its own audit row.
    return duck.execute(
        "SELECT d.record_key, d.source_country, d.feed, d.record_id, d.record_version "
        "FROM del_records d ANTI JOIN purged p ON p.record_key = d.record_key "
        "ORDER BY d.record_key"
    ).fetchall()
