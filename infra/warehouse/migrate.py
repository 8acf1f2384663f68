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
from typing import Any

from infra.warehouse.catalog import META_TABLES, TABLES, VIEWS
from infra.warehouse.connection import WarehouseError, connect

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(postgres|duckdb))?\.sql$")
# Serialises concurrent migrators of one PostgreSQL database (two DAG runs starting together).
_LOCK_ID = 0x1A7E_0001


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


def _comment_sql(dialect: str) -> list[str]:
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    out = []
    for t in TABLES:
        out.append(f"COMMENT ON TABLE interlink.{t.name} IS {lit(t.description)}")
        for c in t.columns:
            out.append(f'COMMENT ON COLUMN interlink.{t.name}."{c.name}" IS {lit(c.description)}')
    for name, (desc, cols) in META_TABLES.items():
        if name in ("recipients", "recipient_networks") and dialect != "postgres":
            continue
        out.append(f"COMMENT ON TABLE interlink.{name} IS {lit(desc)}")
        for col, cdesc in cols.items():
            out.append(f'COMMENT ON COLUMN interlink.{name}."{col}" IS {lit(cdesc)}')
    for name, (desc, _cols) in VIEWS.items():
        out.append(f"COMMENT ON VIEW interlink.{name} IS {lit(desc)}")
    return out


def _ensure_bookkeeping(con: Any) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS interlink")
    con.execute(
        "CREATE TABLE IF NOT EXISTS interlink.schema_migrations (version integer PRIMARY KEY, "
        "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
        "current_timestamp)"
    )


def migrate(url: str) -> list[str]:
    """Bring the warehouse schema up to date; returns the migrations applied by this call.

    Safe to call before every load: nothing is applied twice, and the table and column
    comments are rewritten from the catalog each time (so descriptions never go stale).
    """
    applied: list[str] = []
    with connect(url) as (wu, con):
        todo = migrations_for(wu.dialect)
        if wu.is_postgres:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                _ensure_bookkeeping(con)
            con.commit()
        else:
            _ensure_bookkeeping(con)
        for m in todo:
            label = f"{m.version:04d}_{m.name}"
            try:
                if wu.is_postgres:
                    with con.transaction():
                        con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                        done = con.execute(
                            "SELECT 1 FROM interlink.schema_migrations WHERE version = %s",
                            (m.version,),
                        ).fetchall()
                        if done:
                            continue
                        con.execute(m.sql)
                        con.execute(
                            "INSERT INTO interlink.schema_migrations (version, name, checksum) "
                            "VALUES (%s, %s, %s)",
                            (m.version, m.name, m.checksum),
                        )
                    con.commit()
                else:
                    done = con.execute(
                        "SELECT 1 FROM interlink.schema_migrations WHERE version = ?", [m.version]
                    ).fetchall()
                    if done:
                        continue
                    con.execute("BEGIN TRANSACTION")
                    try:
                        con.execute(m.sql)
                        con.execute(
                            "INSERT INTO interlink.schema_migrations (version, name, checksum) "
                            "VALUES (?, ?, ?)",
                            [m.version, m.name, m.checksum],
                        )
                        con.execute("COMMIT")
                    except Exception:
                        con.execute("ROLLBACK")
                        raise
            except WarehouseError:
                raise
            except Exception as exc:
                raise WarehouseError(
                    f"migration {label} failed on {wu.dialect} ({str(exc).splitlines()[0]}); "
                    "nothing of it was applied: fix the database or the migration and rerun"
                ) from exc
            applied.append(label)
        _apply_comments(wu.dialect, con)
    return applied


def _apply_comments(dialect: str, con: Any) -> None:
    statements = _comment_sql(dialect)
    if dialect == "postgres":
        with con.transaction():
            con.execute(";\n".join(statements))
        con.commit()
    else:
        con.execute("BEGIN TRANSACTION")
        for s in statements:
            con.execute(s)
        con.execute("COMMIT")
