"""The fixture world loaded into a real PostgreSQL database of its own, with three recipients:
shared by the PostgreSQL warehouse test modules (governance, masking, fail-fast loads).

Each world gets its own database (and its own recipient role names, since roles are
cluster-wide), dropped afterwards, so parallel workers never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest
import warehouse_world as W

from infra.lake import Lake
from infra.warehouse import grant_recipient, load, migrate

ADMIN = os.environ.get("INTERLINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Roles:
    """Recipient role names unique to this world: FRA (no networks, no victim access), DEU (in
    HTEG, with victim access) and the HTEG network itself."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.fra = f"it_{tag}_fra"
        self.deu = f"it_{tag}_deu"
        self.hteg = f"it_{tag}_hteg"

    @property
    def all(self) -> list[str]:
        return [self.fra, self.deu, self.hteg]


@contextmanager
def world_db(root: Path, data: dict[str, Any] | None = None) -> Iterator[tuple[str, Lake, Roles]]:
    """A fresh database with the world (or `data`) loaded and three recipients granted."""
    name = f"interlink_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not answering at {ADMIN} ({exc})")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    roles = Roles()
    try:
        migrate(url)
        lake = Lake(str(root / "lake"))
        W.write_lake(lake, data)
        load(url, lake)
        grant_recipient(url, roles.fra, scope="FRA", networks=[])
        grant_recipient(url, roles.deu, scope="DEU", networks=["HTEG"], victim_access=True)
        grant_recipient(url, roles.hteg, scope="HTEG")
        yield url, lake, roles
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            for r in roles.all:
                admin.execute(f'DROP ROLE IF EXISTS "{r}"')


def as_role(url: str, role: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run a query as a recipient role (SET ROLE inside one transaction)."""
    with psycopg.connect(url) as con:
        con.execute(f'SET ROLE "{role}"')
        return con.execute(sql, params).fetchall()


def admin_q(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as con:
        return con.execute(sql, params).fetchall()


def big_records(n: int) -> pa.Table:
    """n NLD person records for silver/person (records only: no gold rows)."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    ids_ = [f"NLD-P-{i:07d}" for i in range(n)]
    return pa.table(
        {
            "source_country": ["NLD"] * n,
            "feed": ["person"] * n,
            "record_id": ids_,
            "record_version": pa.array([1] * n, pa.int64()),
            "operation": ["upsert"] * n,
            "source_agency": ["KMar"] * n,
            "message_id": [f"m-{i}" for i in range(n)],
            "topic": ["feeds.person.NLD"] * n,
            "partition": pa.array([i % 3 for i in range(n)], pa.int32()),
            "offset": pa.array(range(n), pa.int64()),
            "ingest_time": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
            "dissemination": pa.array([["NLD", "ISON"]] * n, pa.list_(pa.string())),
            "handling_code": ["H0"] * n,
            "review_by": pa.array([date(2031, 1, 1)] * n, pa.date32()),
        }
    )
