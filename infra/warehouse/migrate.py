"""Numbered, idempotent schema migrations, plus the catalog's descriptions as comments.

A migration is `migrations/NNNN_name.sql` (both dialects), or `NNNN_name.postgres.sql` /
`NNNN_name.duckdb.sql` where the dialects differ; a number with no file for a dialect does not
apply to it. Each one runs in its own transaction with its row in `schema_migrations`, so a
failed migration leaves nothing half-applied, and each statement is itself idempotent (IF NOT
EXISTS, CREATE OR REPLACE), so even a lost bookkeeping row is harmless.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from infra.warehouse.backends import Backend, first_line
from infra.warehouse.catalog import META_TABLES, TABLES, VIEWS
from infra.warehouse.connection import open_backend
from infra.warehouse.errors import MigrationFailed

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(postgres|duckdb))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations_for(dialect: str) -> list[Migration]:
    """The migrations that apply to a dialect, in order (dialect-specific file wins)."""
    chosen: dict[int, tuple[str, str, str | None]] = {}
    folder = resources.files("infra.warehouse") / "migrations"
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if not m:
            continue
        version, name, dia = int(m.group(1)), m.group(2), m.group(3)
        if dia not in (None, dialect):
            continue
        if version in chosen and chosen[version][2] is not None:
            continue  # the dialect's own file beats the shared one
        chosen[version] = (name, entry.read_text(encoding="utf-8"), dia)
    return [Migration(v, n, sql) for v, (n, sql, _) in sorted(chosen.items())]


def _comment_sql(backend: Backend) -> list[str]:
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    out = []
    for t in TABLES:
        out.append(f"COMMENT ON TABLE interlink.{t.name} IS {lit(t.description)}")
        for c in t.columns:
            out.append(f'COMMENT ON COLUMN interlink.{t.name}."{c.name}" IS {lit(c.description)}')
    for name, (desc, cols) in META_TABLES.items():
        if name in ("recipients", "recipient_networks") and not backend.row_level_security:
            continue
        out.append(f"COMMENT ON TABLE interlink.{name} IS {lit(desc)}")
        for col, cdesc in cols.items():
            out.append(f'COMMENT ON COLUMN interlink.{name}."{col}" IS {lit(cdesc)}')
    for name, (desc, _cols) in VIEWS.items():
        out.append(f"COMMENT ON VIEW interlink.{name} IS {lit(desc)}")
    return out


def migrate(url: str) -> list[str]:
    """Bring the warehouse schema up to date; returns the migrations applied by this call.

    Safe to call before every load: nothing is applied twice, and the table and column
    comments are rewritten from the catalog each time (so descriptions never go stale).
    """
    applied: list[str] = []
    with open_backend(url) as backend:
        with backend.migration_transaction():
            backend.ensure_bookkeeping()
        for m in migrations_for(backend.dialect):
            if _apply(backend, m):
                applied.append(f"{m.version:04d}_{m.name}")
        with backend.transaction():
            backend.execute_script(_comment_sql(backend))
    return applied


def _apply(backend: Backend, m: Migration) -> bool:
    """Apply one migration with its bookkeeping row, unless already applied; whether it ran."""
    try:
        with backend.migration_transaction():
            done = backend.read(
                "SELECT 1 FROM interlink.schema_migrations WHERE version = {p}", [m.version]
            )
            if done:
                return False
            backend.execute_script([m.sql])
            backend.execute(
                "INSERT INTO interlink.schema_migrations (version, name, checksum) "
                "VALUES ({p}, {p}, {p})",
                [m.version, m.name, m.checksum],
            )
    except Exception as exc:  # whatever failed, the transaction took all of it back
        raise MigrationFailed(
            f"migration {m.version:04d}_{m.name} failed on {backend.dialect} "
            f"({first_line(exc)}); nothing of it was applied: fix the database or the "
            "migration and rerun"
        ) from exc
    return True
