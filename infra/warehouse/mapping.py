"""How gold's columns become the catalog's: the DuckDB SQL that maps a source onto a table.

The loader stages with it and retention finds a record's gold rows with it, so both read a gold
file exactly alike.
"""

from __future__ import annotations

import re
from typing import Any

from infra.warehouse.catalog import CAVEATS, Table
from infra.warehouse.ddl import DUCK_TYPES, q


def caveat_sql(code: str, note: str) -> str:
    """DuckDB expression giving the caveat text of a handling code (NULL for H0)."""
    parts = []
    for c, text in CAVEATS.items():
        if not text:
            continue
        if c == "H3":
            parts.append(
                f"WHEN {code} = 'H3' THEN 'H3: ' || coalesce({note}, '{text.removeprefix('H3: ')}')"
            )
        else:
            parts.append(f"WHEN {code} = '{c}' THEN '{text}'")
    return "CASE " + " ".join(parts) + " END"


def sql_list(items: list[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def gold_columns(duck: Any, view: str) -> dict[str, str]:
    """Name and DuckDB type of each column a source view has today."""
    rows = duck.execute(f"DESCRIBE {view}").fetchall()
    return {r[0]: str(r[1]) for r in rows}


def _cast(expr: str, src_type: str | None, type_: str) -> str:
    target = DUCK_TYPES[type_]
    if type_ == "json":
        if src_type is not None and src_type.upper() in ("VARCHAR", "JSON"):
            return f"CAST({expr} AS JSON)"
        return f"CAST(to_json({expr}) AS JSON)"
    if type_ == "date" and (src_type or "").upper() == "VARCHAR":
        # Partial dates (YYYY-MM) do not name a day: NULL rather than an invented one.
        return f"TRY_CAST({expr} AS DATE)"
    if type_ == "text[]" and (src_type or "").upper() == "VARCHAR":
        return f"CAST(from_json({expr}, '[\"VARCHAR\"]') AS VARCHAR[])"
    return f"CAST({expr} AS {target})"


_GOLD_REF = re.compile(r"\bg\.(\w+)")


def _column_exprs(t: Table, cols: dict[str, str], notes: list[str]) -> list[str]:
    """`expr AS name` for the columns read from the source, as it is today."""
    out = []
    for c in t.columns:
        if c.technical:
            continue
        if c.name in ("handling_code", "dissemination") and t.governance != "derived":
            continue  # handled with the governance columns
        expr, src_type = None, None
        for needs, alt in c.alts:
            if all(n in cols for n in needs):
                expr = alt
                src_type = cols[needs[0]] if len(needs) == 1 and alt == f"g.{needs[0]}" else None
                break
        if expr is None and c.name in cols:
            expr, src_type = f"g.{q(c.name)}", cols[c.name]
        if expr is None:
            if not (c.name == "handling_note" and t.default_dissemination):
                notes.append(f"{t.gold} has no column for {c.name}: loaded as NULL")
            out.append(f"CAST(NULL AS {DUCK_TYPES[c.type]}) AS {q(c.name)}")
            continue
        out.append(f"{_cast(expr, src_type, c.type)} AS {q(c.name)}")
    return out


def _governance_exprs(t: Table, cols: dict[str, str], notes: list[str]) -> list[str]:
    if t.governance == "derived":
        return []
    gov = []
    if "dissemination" in cols:
        gov.append(f"{_cast('g.dissemination', cols['dissemination'], 'text[]')} AS dissemination")
    elif t.default_dissemination:
        gov.append(f"CAST({t.default_dissemination} AS VARCHAR[]) AS dissemination")
    else:
        notes.append(f"{t.gold} has no dissemination: rows visible to no recipient")
        gov.append("CAST(NULL AS VARCHAR[]) AS dissemination")
    if "handling_code" in cols:
        gov.append("CAST(g.handling_code AS VARCHAR) AS handling_code")
    elif t.default_dissemination:
        gov.append("'H0' AS handling_code")  # operational metadata of the source's own batches
    else:
        notes.append(f"{t.gold} has no handling_code: loaded as NULL")
        gov.append("CAST(NULL AS VARCHAR) AS handling_code")
    return gov


def _entity_expr(t: Table, cols: dict[str, str], notes: list[str]) -> str:
    if t.entity_refs is None:
        return "CAST([] AS VARCHAR[])"
    missing = sorted({m for m in _GOLD_REF.findall(t.entity_refs) if m not in cols})
    if missing:
        notes.append(f"{t.gold} lacks {missing}: entity evidence not counted for visibility")
        return "CAST([] AS VARCHAR[])"
    return f"CAST({t.entity_refs} AS VARCHAR[])"


def mapped_sql(t: Table, view: str, cols: dict[str, str], notes: list[str]) -> str:
    """SELECT mapping the source view onto the table's columns, with record_keys and _entities
    (the entity ids whose person records the row also stands on)."""
    selects = [
        *_column_exprs(t, cols, notes),
        *_governance_exprs(t, cols, notes),
        f"{_entity_expr(t, cols, notes)} AS _entities",
    ]
    return (
        f"SELECT c.*, CAST({t.record_keys} AS VARCHAR[]) AS record_keys FROM "
        f"(SELECT {', '.join(selects)} FROM {view} g) c"
    )


def entity_record_keys(row: str, persons: str) -> str:
    """DuckDB expression: the row's record_keys plus the record keys of every person record (in
    `persons`, one record key each) resolved into one of the row's `_entities`.

    The ids are unnested and joined on equality, so DuckDB hashes them: a join condition of
    `list_contains(row._entities, p.entity_id)` can only run as a nested loop, every row against
    every person record (36 s for 20k rows x 100k records, 0.4 s joined). Sorted: the order a
    parallel join and list_distinct leave is not fixed, and the row's hash covers the list, so
    an unsorted list could move a row whose records did not change."""
    return (
        f"list_sort(list_distinct(list_concat({row}.record_keys, coalesce((SELECT "
        f"list(p.record_keys[1]) FROM unnest({row}._entities) AS u(eid) JOIN {persons} p "
        "ON p.entity_id = u.eid), []))))"
    )


DERIVED_HANDLING = (
    # A derived row's handling: the union of its source records' (stg_records) disseminations,
    # the strictest handling code and every caveat.
    "SELECT u.row_key, coalesce(list_sort(list_distinct(flatten(list(r.dissemination) FILTER "
    "(len(r.dissemination) > 0)))), []) AS dissemination, max(r.handling_code) AS handling_code, "
    "string_agg(DISTINCT r.caveat, ' ' ORDER BY r.caveat) AS caveat "
    "FROM (SELECT row_key, unnest(record_keys) AS k FROM {src}) u "
    "JOIN stg_records r ON r.record_key = u.k GROUP BY u.row_key"
)


def hash_expr(columns: list[str]) -> str:
    """Content hash of a staged row `f`: DuckDB's 64-bit hash of the row as a struct. Cheap, and
    stable within a DuckDB version; a version changing it costs one reload of every row."""
    fields = ", ".join(f"{q(n)} := f.{q(n)}" for n in columns)
    return f"CAST(hash(struct_pack({fields})) AS VARCHAR)"
