"""The demo's reset removes a throw-away warehouse the way its backend keeps it (no URL tests
outside `infra.warehouse`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from infra.warehouse.connection import check_connection, discard_database, open_backend


def test_a_duckdb_warehouse_is_discarded_with_its_wal(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    (tmp_path / "w.duckdb.wal").write_bytes(b"")
    keep = tmp_path / "other.duckdb"
    keep.write_bytes(b"")

    discard_database(f"duckdb:///{db}")

    assert not db.exists() and not (tmp_path / "w.duckdb.wal").exists()
    assert keep.exists()
    discard_database(f"duckdb:///{db}")  # nothing there: still fine


@pytest.mark.postgres
def test_a_postgres_warehouse_is_left_alone(pg_url: str) -> None:
    with open_backend(pg_url, autocommit=True) as backend:
        backend.execute("CREATE TABLE IF NOT EXISTS discard_probe (x int)")
    discard_database(pg_url)
    assert check_connection(pg_url)
    with open_backend(pg_url, autocommit=True) as backend:
        assert backend.read("SELECT count(*) FROM discard_probe") == [(0,)]
        backend.execute("DROP TABLE discard_probe")
