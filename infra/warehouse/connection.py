"""Warehouse URLs: `duckdb:///path/file.duckdb` or `postgresql://user@host/db`, and the one place
a URL chooses its database's backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.warehouse.backends import Backend, backend_class
from infra.warehouse.errors import (
    BadWarehouseURL,
    LoadFailed,
    NotMigrated,
    WarehouseError,
    redact,
)

__all__ = [
    "BadWarehouseURL",
    "LoadFailed",
    "NotMigrated",
    "WarehouseError",
    "WarehouseURL",
    "check_connection",
    "discard_database",
    "open_backend",
    "parse_url",
    "redact",
]


@dataclass(frozen=True)
class WarehouseURL:
    dialect: str  # "postgres" | "duckdb"
    target: str  # the libpq URL or the DuckDB file path


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


@contextmanager
def open_backend(url: str, *, autocommit: bool = False) -> Iterator[Backend]:
    """The backend of the URL's database, connected, and closed afterwards."""
    wu = parse_url(url)
    backend = backend_class(wu.dialect).connect(wu.target, autocommit=autocommit)
    try:
        yield backend
    finally:
        backend.close()


def discard_database(url: str) -> None:
    """Remove a throw-away warehouse (the demo's), as its backend understands that."""
    wu = parse_url(url)
    backend_class(wu.dialect).discard(wu.target)


def check_connection(url: str) -> str:
    """Connect and run a trivial query; returns a one-line description of the server."""
    with open_backend(url, autocommit=True) as backend:
        return backend.describe()
