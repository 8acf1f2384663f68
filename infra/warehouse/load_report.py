"""What a load did: per table rows after it and rows moved, tables skipped, time per phase."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableLoad:
    """What one load did to one table."""

    table: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: int = 0
    """Rows the warehouse cannot store, set aside in rejected_rows instead (the rest loads)."""
    notes: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    """Summary of a load: rows per table after it, rows moved, tables skipped, source deletes."""

    load_id: int | None
    dialect: str
    full: bool
    tables: dict[str, TableLoad] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    source_deletes: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent staging (read, map, hash), diffing, and writing (COPY + commit)."""
    digest: str | None = None
    """Digest of the source files this load read (its fingerprint goes to load_state)."""

    @property
    def moved(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id,
            "dialect": self.dialect,
            "full": self.full,
            "tables": {n: t.rows for n, t in self.tables.items()},
            "moved": {
                n: {"inserted": t.inserted, "updated": t.updated, "deleted": t.deleted}
                for n, t in self.tables.items()
            },
            "rejected": {n: t.rejected for n, t in self.tables.items() if t.rejected},
            "notes": {n: t.notes for n, t in self.tables.items() if t.notes},
            "skipped": dict(self.skipped),
            "source_deletes": self.source_deletes,
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
        }
