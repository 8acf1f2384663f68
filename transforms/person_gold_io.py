"""Writing the person gold tables; the event history is appended to, not rewritten.

gold/entity_events is append-only (every run adds its events, none is ever changed), yet each
run rewrote it whole, sorted, history included: a write that grows with every run ever made.
Now a run whose previous history is intact adds its own events as one new file (sorted within
it); the table stays a plain Parquet folder that analysts and the warehouse load read as before.
Past `MERGE_MAX_FILES` files it is written whole (sorted, one compaction). person_entities,
person_pairs and generic_values are written whole: merging an incremental run's rows into
their files was measured and did not pay (docs/entity-resolution.md §12, "Gold person tables").

Crash safety: the state manifest (`transforms.state_io`), committed last, records the table's
file listing and rows (`gold`). The history is appended to only while its listing is the one
recorded: a run that died after adding its file, before its manifest, left another listing, and
the next run writes the table whole (from the state's history, which that run never committed).
"""

from __future__ import annotations

from typing import Any

from transforms import lake_io
from transforms.gold_schema import check_gold
from transforms.lake_io import LakeRoot
from transforms.person_gold import EVENTS_ORDER, PersonGold
from transforms.silver_built import MERGE_MAX_FILES, files_digest

APPENDED = "entity_events"


def _appendable(lake_root: LakeRoot, recorded: dict[str, Any] | None) -> bool:
    """The history is the one the snapshot in force recorded, in few enough files."""
    entry = (recorded or {}).get("tables", {}).get(APPENDED)
    if entry is None:
        return False
    files = lake_io.gold_files(lake_root, APPENDED)
    return len(files) < MERGE_MAX_FILES and files_digest(files) == entry["listing"]


def write_person_gold(
    lake_root: LakeRoot, gold: PersonGold, recorded: dict[str, Any] | None
) -> tuple[dict[str, int], dict[str, Any]]:
    """Write the person gold tables; return their rows and what the state manifest records of
    them (`recorded`: the snapshot in force's record, or None)."""
    rows = {
        "person_entities": lake_io.write_gold(gold.entities, lake_root, "person_entities"),
        "person_pairs": lake_io.write_gold(gold.pairs, lake_root, "person_pairs"),
        "generic_values": lake_io.write_gold(gold.generic_values, lake_root, "generic_values"),
    }
    if gold.history_read and _appendable(lake_root, recorded):
        assert recorded is not None
        # One small file: this run's events, sorted as the whole table would be.
        added = check_gold(APPENDED, gold.events).coalesce(1).sortWithinPartitions(*EVENTS_ORDER)
        n = lake_io.replace_files(added, lake_root, "gold", APPENDED, [])
        rows[APPENDED] = int(recorded["tables"][APPENDED]["rows"]) + n
    else:
        rows[APPENDED] = lake_io.write_gold(gold.all_events, lake_root, APPENDED)
    listing = files_digest(lake_io.gold_files(lake_root, APPENDED))
    return rows, {"tables": {APPENDED: {"listing": listing, "rows": rows[APPENDED]}}}
