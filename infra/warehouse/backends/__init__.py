"""One class per warehouse database behind one interface (`Backend`); `connection.open_backend`
picks the class from the URL once, and nothing outside this package asks which one it has."""

from __future__ import annotations

from infra.warehouse.backends.base import WRITER_LOCK, AuditRow, Backend, first_line

__all__ = ["WRITER_LOCK", "AuditRow", "Backend", "backend_class", "first_line"]


def backend_class(dialect: str) -> type[Backend]:
    """The Backend subclass of a dialect ("duckdb" | "postgres"); each imports its own driver."""
    if dialect == "postgres":
        from infra.warehouse.backends.postgres import PostgresBackend

        return PostgresBackend
    from infra.warehouse.backends.duck import DuckDBBackend

    return DuckDBBackend
