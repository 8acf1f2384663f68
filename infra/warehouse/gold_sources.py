"""The warehouse catalog checked against the gold contract (`contracts/gold.py`).

Every gold column the catalog names (in `alts` and `entity_refs`) must be declared, and every
warehouse column must find its source in gold, or `infra.warehouse` refuses to import: a mismatch
is an error before any load, not a column that loads as NULL with a note.
"""

from __future__ import annotations

import re

from contracts.gold import GoldSchemaMismatch
from infra.warehouse.catalog import TABLES

_GOLD_REF = re.compile(r"\bg\.(\w+)")
"""A gold column in a DuckDB expression over the gold row `g`."""

KNOWN_GOLD_GAPS: dict[str, frozenset[str]] = {}
"""Warehouse columns whose gold source does not exist yet, per table: they load as NULL (for
governance columns: rows visible to no recipient, failing closed) until the transform writes them.
Listed so that the check below fails on any new gap and on a listed one once it is closed (then
delete its entry). Empty today."""


def gold_drift() -> list[str]:
    """How the catalog and contracts/gold.py disagree, one line per problem (empty: they agree).

    A gold column named in an `alts` entry or in `entity_refs` must be declared; a non-technical
    warehouse column must find its source (an alt whose columns all exist, or the gold column of
    its own name), except the known gaps."""
    problems = []
    for t in TABLES:
        for g in t.gold_tables:
            declared = set(g.column_names)
            named = {n for c in t.columns for needs, _ in c.alts for n in needs}
            named |= set(_GOLD_REF.findall(t.entity_refs or ""))
            problems += [
                f"{t.name}: gold/{g.name} has no column {n}" for n in sorted(named - declared)
            ]
            unsourced = {
                c.name
                for c in t.columns
                if not c.technical
                and c.name not in declared
                and not any(set(needs) <= declared for needs, _ in c.alts)
            }
            known = KNOWN_GOLD_GAPS.get(t.name, frozenset())
            problems += [
                f"{t.name}.{n}: no source in gold/{g.name}" for n in sorted(unsourced - known)
            ]
            problems += [
                f"{t.name}.{n}: listed in KNOWN_GOLD_GAPS but gold/{g.name} now has it"
                for n in sorted(known - unsourced)
            ]
    return problems


def check_gold_sources() -> None:
    """`GoldSchemaMismatch` when `gold_drift()` finds anything (run when this module loads)."""
    problems = gold_drift()
    if problems:
        tables = sorted({p.split(":")[0].split(".")[0] for p in problems})
        raise GoldSchemaMismatch(", ".join(tables), problems)
