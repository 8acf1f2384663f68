"""An incremental load moves what a small delta changed, and the warehouse it leaves is the one a
`--full` load of the same gold gives: on the embedded DuckDB and on the real PostgreSQL.

The delta is the freshness benchmark's in miniature: a source corrects one person record and
reports a new record that resolution puts into an existing entity, so the rows of other tables
standing on that entity (network members, case links) gain its record key.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import warehouse_world as W

from infra.lake import Lake
from infra.warehouse import load, migrate
from infra.warehouse.catalog import TABLES
from infra.warehouse.mapping import entity_record_keys

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
NEW = "FRA/person/FRA-P-10"


def _delta(lake: Lake) -> None:
    """ESP-P-2 corrected by its source; FRA-P-10 new, resolved into FRA-P-1's entity (E1)."""
    world = W.world()
    people = world["silver"]["person"]
    people[3]["sex"] = "M"
    new = copy.deepcopy(people[0])
    new.update(record_id="FRA-P-10", message_id="m-fra-p-10", offset=99)
    people.append(new)
    world["entities"]["FRA|FRA-P-10"] = world["entities"]["FRA|FRA-P-1"]
    W.write_lake(lake, world, only=["silver/person", "gold/person_entities"])


def _columns(t: Any) -> str:
    return ", ".join(f'"{c}"' for c in t.column_names if c != "load_id")


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every curated table's rows but their load_id, in row_key order."""
    out = {}
    if url.startswith("duckdb:///"):
        con = duckdb.connect(url.removeprefix("duckdb:///"), read_only=True)
        try:
            for t in TABLES:
                sql = f"SELECT {_columns(t)} FROM interlink.{t.name} ORDER BY row_key"
                out[t.name] = con.execute(sql).fetchall()
        finally:
            con.close()
        return out
    with psycopg.connect(url) as con:
        for t in TABLES:
            sql = f"SELECT {_columns(t)} FROM interlink.{t.name} ORDER BY row_key"
            out[t.name] = [tuple(r) for r in con.execute(sql).fetchall()]
    return out


def _check_delta_then_full(incremental: str, full: str, lake: Lake) -> None:
    migrate(incremental)
    load(incremental, lake)
    _delta(lake)
    report = load(incremental, lake)
    moved = report.as_dict()["moved"]
    # Rows standing on entity E1 now stand on the new record too (networks take their record
    # keys from their members); nothing else moves.
    assert {n: m for n, m in moved.items() if any(m.values())} == {
        "records": {"inserted": 1, "updated": 0, "deleted": 0},
        "person_records": {"inserted": 1, "updated": 1, "deleted": 0},
        "person_identities": {"inserted": 1, "updated": 0, "deleted": 0},
        "case_links": {"inserted": 0, "updated": 1, "deleted": 0},
        "network_members": {"inserted": 0, "updated": 1, "deleted": 0},
        "networks": {"inserted": 0, "updated": 1, "deleted": 0},
    }
    assert load(incremental, lake).moved == 0
    migrate(full)
    load(full, lake, full=True)
    inc_rows, full_rows = _rows(incremental), _rows(full)
    for t in TABLES:
        assert inc_rows[t.name] == full_rows[t.name], t.name
    members = [r for r in inc_rows["network_members"] if any(NEW in str(v) for v in r)]
    assert members, "the new record's entity did not reach network_members"


def test_incremental_load_after_a_small_delta_equals_a_full_load_duckdb(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    W.write_lake(lake)
    _check_delta_then_full(
        f"duckdb:///{tmp_path / 'inc.duckdb'}", f"duckdb:///{tmp_path / 'full.duckdb'}", lake
    )


@pytest.fixture
def two_pg_databases() -> Iterator[tuple[str, str]]:
    names = [f"interlink_test_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(ADMIN, autocommit=True, connect_timeout=5) as admin:
        for n in names:
            admin.execute(f'CREATE DATABASE "{n}"')
    try:
        a, b = (ADMIN.rsplit("/", 1)[0] + f"/{n}" for n in names)
        yield a, b
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            for n in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


@pytest.mark.postgres
def test_incremental_load_after_a_small_delta_equals_a_full_load_postgres(
    tmp_path: Path, two_pg_databases: tuple[str, str]
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    W.write_lake(lake)
    _check_delta_then_full(*two_pg_databases, lake)


def test_entity_expansion_is_a_hash_join_not_a_nested_loop() -> None:
    # Joined on list_contains, every row met every person record: 36 s for 20k rows x 100k
    # records, the bulk of a 100-record delta's load. The plan must hash the entity ids.
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE persons AS SELECT 'E' || (i // 2) AS entity_id, ['K' || i] AS record_keys "
        "FROM range(1000) t(i)"
    )
    con.execute(
        "CREATE TABLE m AS SELECT ['E' || (i % 500), 'E' || (i * 7 % 500)] AS _entities, "
        "['R' || i] AS record_keys FROM range(200) t(i)"
    )
    sql = f"SELECT {entity_record_keys('m', 'persons')} AS keys FROM m"
    plan = con.execute(f"EXPLAIN {sql}").fetchall()[0][1]
    operators = set(re.findall(r"─ ([A-Za-z ]+?) ─", plan))
    assert "Hash Join" in operators
    assert not {o for o in operators if "Nl Join" in o or "Nested Loop" in o}, operators
    first = con.execute(f"{sql} ORDER BY record_keys[1] LIMIT 1").fetchall()[0][0]
    assert first == ["K0", "K1", "R0"]
