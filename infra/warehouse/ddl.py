"""Logical column types in each dialect, and CREATE TABLE text for writing new migrations.

Migrations are committed SQL files (history must not change when the catalog does); this module
only prints the DDL of a table so that a new migration can start from it:
`uv run python -m infra.warehouse.ddl postgres records`.
"""

from __future__ import annotations

import sys

from infra.warehouse.backends import backend_class
from infra.warehouse.catalog import TABLES, TABLES_BY_NAME, Table

SCHEMA = "interlink"

PG_TYPES = {
    "text": "text",
    "int": "integer",
    "bigint": "bigint",
    "double": "double precision",
    "bool": "boolean",
    "date": "date",
    "timestamptz": "timestamptz",
    "text[]": "text[]",
    "json": "jsonb",
}

DUCK_TYPES = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamptz": "TIMESTAMPTZ",
    "text[]": "VARCHAR[]",
    "json": "JSON",
}


def q(name: str) -> str:
    """Quote an identifier (both dialects use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def create_table(table: Table, dialect: str) -> str:
    types = backend_class(dialect).types
    lines = []
    for c in table.columns:
        extra = " PRIMARY KEY" if c.name == "row_key" else ""
        if c.name == "handling_code":
            extra = " CHECK (handling_code IN ('H0', 'H1', 'H2', 'H3'))"
        lines.append(f"    {q(c.name)} {types[c.type]}{extra}")
    body = ",\n".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table.name} (\n{body}\n);"


def main(argv: list[str]) -> int:
    dialect = argv[0] if argv else "postgres"
    names = argv[1:] or [t.name for t in TABLES]
    for name in names:
        print(create_table(TABLES_BY_NAME[name], dialect))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
