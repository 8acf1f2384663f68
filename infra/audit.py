"""The lake's own audit trail and its tombstones: what an operator did to the lake and why, and
which records were erased for good (`contracts.lake`: the `audit/` and `tombstones/` zones).

The warehouse keeps its audit log (`interlink.audit_log`); this one records what happens to the
lake without a warehouse (a quality release, a key revocation) and survives a warehouse rebuilt
from the lake. One JSON file per event, never rewritten, never purged.
"""

from __future__ import annotations

import getpass
import io
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.lake import (
    AUDIT,
    AUDIT_FIELDS,
    TOMBSTONE_SCHEMA,
    audit_name,
    tombstone_dir,
    tombstone_name,
)
from infra.lake import Lake


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container: still audit, anonymously
        return "unknown"


def write_audit(
    lake: Lake,
    action: str,
    reason: str,
    *,
    details: dict[str, Any] | None = None,
    source_country: str | None = None,
    feed: str | None = None,
    record_id: str | None = None,
    record_version: int | None = None,
) -> dict[str, Any]:
    """Record one event under audit/ and return the row written."""
    now = datetime.now(UTC)
    audit_id = uuid.uuid4().hex
    row: dict[str, Any] = dict.fromkeys(AUDIT_FIELDS)
    row |= {
        "audit_id": audit_id,
        "action": action,
        "at": now.isoformat().replace("+00:00", "Z"),
        "actor": _actor(),
        "reason": reason,
        "source_country": source_country,
        "feed": feed,
        "record_id": record_id,
        "record_version": record_version,
        "details": details or {},
    }
    rel = audit_name(
        action, now.date().isoformat(), now.strftime("%Y%m%dT%H%M%S%fZ"), row["audit_id"]
    )
    lake.write_bytes(rel, json.dumps(row, ensure_ascii=False, indent=1).encode())
    return row


def read_audit(lake: Lake, action: str | None = None) -> list[dict[str, Any]]:
    """The audit rows (of one action), oldest first."""
    prefix = AUDIT if action is None else f"{AUDIT}/{action}"
    rows = [json.loads(lake.read_bytes(rel)) for rel in lake.list(prefix) if rel.endswith(".json")]
    return sorted(rows, key=lambda r: r["at"])


# -- tombstones -----------------------------------------------------------------------------------
TombstoneKey = tuple[str, str, str]
"""(source_country, feed, record_id)."""


def read_tombstones(lake: Lake) -> dict[TombstoneKey, int]:
    """Every erased record in the lake, with its highest erased version."""
    out: dict[TombstoneKey, int] = {}
    for rel in lake.list(tombstone_dir()):
        if not rel.endswith(".parquet"):
            continue
        table = pq.read_table(io.BytesIO(lake.read_bytes(rel)))
        for row in table.select(
            ["source_country", "feed", "record_id", "record_version"]
        ).to_pylist():
            key = (row["source_country"], row["feed"], row["record_id"])
            out[key] = max(out.get(key, -1), row["record_version"])
    return out


def write_tombstones(lake: Lake, erased: Iterable[tuple[TombstoneKey, int, str]]) -> list[str]:
    """Add tombstones for (key, version, action) not yet in the lake at that version or above;
    one file per country per call. Returns the files written."""
    known = read_tombstones(lake)
    now = datetime.now(UTC)
    per_country: dict[str, list[dict[str, Any]]] = {}
    for (country, feed, record_id), version, action in erased:
        if known.get((country, feed, record_id), -1) >= version:
            continue
        per_country.setdefault(country, []).append(
            {
                "source_country": country,
                "feed": feed,
                "record_id": record_id,
                "record_version": version,
                "action": action,
                "erased_at": now,
            }
        )
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    written = []
    for country, rows in sorted(per_country.items()):
        table = pa.Table.from_pylist(rows, schema=TOMBSTONE_SCHEMA)
        written.append(lake.write_parquet(tombstone_name(country, stamp), table))
    return written
