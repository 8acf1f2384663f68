"""Writes tests/data/warehouse/world.json into a lake the way the pipeline would have:
silver/<feed>/ and gold/<table>/ as Spark-style part files, gold/person_entities (silver persons
plus their entity), reports/quality/results/<batch>.json, and bronze files of every record
version in the wire-format layout.

JSON has no dates: columns named like dates and timestamps are converted, so the Parquet types are
the ones transforms writes (date32, timestamp[us, UTC]).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from contracts.lake import bronze_name

WORLD = Path(__file__).with_name("world.json")
DATES = {"review_by", "start_date", "end_date", "status_date", "first_seen", "last_seen"}
TIMES = {"ingest_time", "produced_at", "reported_at", "seen_at", "kafka_timestamp"}
INT32 = {
    "partition",
    "schema_version",
    "entity_records",
    "entity_countries",
    "birth_year",
    "victims_count",
}
# Columns whose every fixture value is null still need their real type.
TYPES = {
    "operation_code": pa.string(),
    "handling_note": pa.string(),
    "guard": pa.string(),
    "seen_place": pa.string(),
    "description": pa.string(),
    "holder_person_ref": pa.string(),
    "primary_name_original": pa.string(),
    "birth_country": pa.string(),
    "birth_place": pa.string(),
    "end_date": pa.date32(),
}


def world() -> dict[str, Any]:
    data = json.loads(WORLD.read_text(encoding="utf-8"))
    data.pop("_comment", None)
    return data


def _convert(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if v is not None and k in DATES:
            v = date.fromisoformat(v)
        elif v is not None and k in TIMES:
            v = datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(UTC)
        out[k] = v
    return out


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    table = pa.Table.from_pylist([_convert(r) for r in rows])
    fields = []
    for f in table.schema:
        t = f.type
        if f.name in TIMES:
            t = pa.timestamp("us", tz="UTC")
        elif f.name in INT32:
            t = pa.int32()
        elif f.name in TYPES:
            t = TYPES[f.name]
        elif pa.types.is_list(t) and pa.types.is_null(t.value_type):
            t = pa.list_(pa.string())
        elif pa.types.is_null(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


def person_entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    """gold/person_entities: silver persons with entity_id, guard and entity sizes."""
    rows = []
    ents = data["entities"]
    for p in data["silver"]["person"]:
        entity = ents[f"{p['source_country']}|{p['record_id']}"]
        members = [k for k, e in ents.items() if e == entity]
        rows.append(
            {
                "source_country": p["source_country"],
                "record_id": p["record_id"],
                "entity_id": entity,
                **{k: v for k, v in p.items() if k not in ("source_country", "record_id")},
                "guard": None,
                "entity_records": len(members),
                "entity_countries": len({m.split("|")[0] for m in members}),
            }
        )
    return rows


def _write(lake: Any, prefix: str, rows: list[dict[str, Any]], like: list[dict[str, Any]]) -> None:
    # An emptied table keeps its schema (as Spark writes it).
    table = to_table(rows) if rows else to_table(like[:1]).slice(0, 0)
    lake.delete_prefix(prefix)
    lake.write_parquet(f"{prefix}/part-00000-test.snappy.parquet", table)


def write_lake(
    lake: Any,
    data: dict[str, Any] | None = None,
    *,
    only: list[str] | None = None,
    bronze: bool = True,
) -> None:
    """Write silver, gold and quality results (and bronze unless bronze=False).

    `only` names what to rewrite: `silver/<feed>` or `gold/<table>` (person_entities included).
    """
    full = world()
    data = data if data is not None else full
    for feed, rows in data["silver"].items():
        if only is None or f"silver/{feed}" in only:
            _write(lake, f"silver/{feed}", rows, full["silver"][feed])
    tables = dict(data["gold"], person_entities=person_entities(data))
    like = dict(full["gold"], person_entities=person_entities(full))
    for name, rows in tables.items():
        if only is None or f"gold/{name}" in only:
            _write(lake, f"gold/{name}", rows, like[name])
    if only is None:
        for doc in data["quality_results"]:
            lake.write_bytes(
                f"reports/quality/results/{doc['batch_id']}.json", json.dumps(doc).encode()
            )
    if bronze and only is None:
        write_bronze(lake, data)


def bronze_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One bronze row per record version (older versions of multi-version records included)."""
    rows = []
    envelope = (
        "source_country",
        "feed",
        "record_id",
        "source_agency",
        "produced_at",
        "reported_at",
        "operation_code",
        "dissemination",
        "handling_code",
        "handling_note",
        "source_reliability",
        "information_assessment",
        "review_by",
        "topic",
        "partition",
        "ingest_time",
    )
    for feed_rows in data["silver"].values():
        for rec in feed_rows:
            for version in range(1, rec["record_version"] + 1):
                r = {k: rec[k] for k in envelope}
                r["offset"] = rec["offset"] - (rec["record_version"] - version)
                r["record_version"] = version
                r["operation"] = "upsert"
                r["message_id"] = f"{rec['message_id']}-v{version}"
                r["schema_version"] = 1
                r["kafka_timestamp"] = rec["ingest_time"]
                payload = {k: v for k, v in rec.items() if k not in envelope}
                r["payload"] = json.dumps(payload, ensure_ascii=False)
                r["raw"] = json.dumps(r, ensure_ascii=False, default=str).encode()
                rows.append(r)
    return rows


def write_bronze(lake: Any, data: dict[str, Any]) -> list[str]:
    """Bronze files named <topic>+<partition>+<first>-<last>.parquet under feed/country/date."""
    groups: dict[tuple[str, str, str, str, int], list[dict[str, Any]]] = {}
    for r in bronze_rows(data):
        key = (r["feed"], r["source_country"], r["ingest_time"][:10], r["topic"], r["partition"])
        groups.setdefault(key, []).append(copy.deepcopy(r))
    written = []
    for (feed, country, day, topic, partition), grp in sorted(groups.items()):
        first = min(r["offset"] for r in grp)
        last = max(r["offset"] for r in grp)
        rel = bronze_name(feed, country, day, topic, partition, first, last)
        lake.write_parquet(rel, to_table(grp))
        written.append(rel)
    return written
