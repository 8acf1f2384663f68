"""Warehouse URLs and connections: `duckdb:///path/file.duckdb` or `postgresql://user@host/db`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.errors import ServiceError, WarehouseUnreachable


class WarehouseError(ServiceError):
    """A warehouse operation a user asked for cannot be done; the message says what to do."""


class BadWarehouseURL(WarehouseError):
    """The warehouse URL is neither a DuckDB nor a PostgreSQL URL."""


class NotMigrated(WarehouseError):
    """The warehouse has no Interlink schema yet."""


class LoadFailed(WarehouseError):
    """A load was rolled back; the previous state is intact and a rerun completes it."""


@dataclass(frozen=True)
class WarehouseURL:
    dialect: str  # "postgres" | "duckdb"
    target: str  # the libpq URL or the DuckDB file path

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgres"


def parse_url(url: str) -> WarehouseURL:
    """Split a warehouse URL into its dialect and target, or say which forms are accepted."""
    if url.startswith("duckdb:///"):
        path = url.removeprefix("duckdb:///")
        if path != ":memory:" and not path.startswith("/"):
            # duckdb:///var/x.duckdb names a path relative to the working directory, like the
            # settings default (var/warehouse.duckdb).
            path = str(Path(path).resolve())
        return WarehouseURL("duckdb", path)
    if url.startswith(("postgresql://", "postgres://")):
        return WarehouseURL("postgres", url)
    raise BadWarehouseURL(
        f"warehouse URL {redact(url)!r} is not supported: use duckdb:///path/file.duckdb or "
        "postgresql://user@host:5432/database"
    )


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _pg_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseUnreachable(
            f"warehouse {redact(url)} is not answering ({first}); start PostgreSQL or fix "
            "INTERLINK_WAREHOUSE__URL"
        ) from exc


def _duck_connect(path: str) -> Any:
    import duckdb

    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path)
    except duckdb.IOException as exc:
        raise WarehouseUnreachable(
            f"DuckDB warehouse {path} cannot be opened ({str(exc).splitlines()[0]}); another "
            "process may hold it: stop it or use another file"
        ) from exc
    con.execute("SET TimeZone = 'UTC'")
    return con


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[tuple[WarehouseURL, Any]]:
    """Open a connection (psycopg or duckdb) and close it afterwards."""
    wu = parse_url(url)
    if wu.is_postgres:
        con = _pg_connect(wu.target, autocommit=autocommit)
        try:
            con.execute("SET TIME ZONE 'UTC'")
            if not autocommit:
                con.commit()
            yield wu, con
        finally:
            con.close()
    else:
        con = _duck_connect(wu.target)
        try:
            yield wu, con
        finally:
            con.close()


def check_connection(url: str) -> str:
    """Connect and run a trivial query; returns a one-line description of the server."""
    with connect(url, autocommit=True) as (wu, con):
        if wu.is_postgres:
            version = con.execute("SHOW server_version").fetchall()[0][0]
            return f"PostgreSQL {version}"
        version = con.execute("SELECT version()").fetchall()[0][0]
        return f"DuckDB {version}"
