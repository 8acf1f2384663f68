"""The lake layout contract: the bronze schema follows the envelope model and the documentation,
and the bronze names round-trip (a replay must find the very same file name)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from contracts import Envelope, Handling, envelope_for
from contracts.lake import (
    BRONZE_ENVELOPE_COLUMNS,
    BRONZE_SCHEMA,
    KAFKA_COLUMNS,
    RAW_COLUMN,
    _arrow_type,
    bronze_name,
    parse_bronze_name,
    partition_dir,
    partition_values,
    quarantine_path,
)

WIRE_FORMAT = Path(__file__).resolve().parents[2] / "docs" / "wire-format.md"


def test_bronze_envelope_columns_are_the_envelope_fields_with_handling_flattened() -> None:
    expected: list[str] = []
    for name in Envelope.model_fields:
        if name == "handling":
            expected += list(Handling.model_fields)
        elif name != "signature":
            expected.append(name)
    assert list(BRONZE_ENVELOPE_COLUMNS) == expected
    assert BRONZE_SCHEMA.names == [*KAFKA_COLUMNS.names, *expected, RAW_COLUMN.name]


def test_required_envelope_fields_are_non_nullable_bronze_columns() -> None:
    for name, info in Envelope.model_fields.items():
        if name in BRONZE_SCHEMA.names:
            assert BRONZE_SCHEMA.field(name).nullable is not info.is_required(), name
    # The flattened handling columns stay nullable, as every bronze file written so far has them.
    assert all(BRONZE_SCHEMA.field(name).nullable for name in Handling.model_fields)


def test_bronze_schema_lists_the_columns_of_docs_wire_format_in_order() -> None:
    text = WIRE_FORMAT.read_text(encoding="utf-8")
    section = text.split("### Bronze columns", 1)[1]
    documented: list[str] = []
    for line in section.splitlines()[3:]:
        if not line.startswith("|"):
            break
        documented += [c.strip() for c in line.split("|")[1].split(",")]
    assert documented == BRONZE_SCHEMA.names, (
        "docs/wire-format.md (Bronze columns) and contracts/lake.py BRONZE_SCHEMA disagree"
    )


def _bronze_row(envelope: Envelope) -> dict[str, Any]:
    data = envelope.model_dump()
    row: dict[str, Any] = {
        "topic": envelope.topic,
        "partition": 0,
        "offset": 7,
        "kafka_timestamp": datetime.now(UTC),
        "ingest_time": datetime.now(UTC),
        "raw": envelope.to_bytes(),
    }
    row.update(data.pop("handling"))
    row.update({k: v for k, v in data.items() if k in BRONZE_ENVELOPE_COLUMNS})
    row["message_id"] = str(row["message_id"])
    row["payload"] = None if envelope.payload is None else envelope.payload.model_dump_json()
    return row


def test_a_validated_envelope_fits_the_bronze_schema() -> None:
    delete = envelope_for("person", "FRA", "FRA-P-1", 2, None, operation="delete")
    table = pa.Table.from_pylist([_bronze_row(delete)], schema=BRONZE_SCHEMA)
    assert table.column("record_id").to_pylist() == ["FRA-P-1"]
    assert table.column("review_by").to_pylist() == [delete.handling.review_by]


def test_an_envelope_field_without_a_bronze_type_is_named_in_the_error() -> None:
    with pytest.raises(TypeError, match=r"envelope field extra_field .*contracts/lake\.py"):
        _arrow_type("extra_field", dict[str, int])


def test_bronze_name_round_trips_to_its_kafka_coordinates() -> None:
    rel = bronze_name("person", "FRA", "2026-11-28", "feeds.person.FRA", 3, 100, 199)
    assert rel == (
        "bronze/feed=person/country=FRA/date=2026-11-28/feeds.person.FRA+3+100-199.parquet"
    )
    assert parse_bronze_name(rel) == ("feeds.person.FRA", 3, 100, 199)
    assert parse_bronze_name("bronze/feed=person/_SUCCESS") is None
    assert partition_values(rel) == {"feed": "person", "country": "FRA", "date": "2026-11-28"}


def test_a_later_incarnation_of_a_bronze_name_parses_to_the_same_coordinates() -> None:
    # A topic whose log started again lands other messages at taken coordinates beside them.
    rel = bronze_name("person", "FRA", "2026-11-28", "feeds.person.FRA", 3, 0, 99, incarnation=2)
    assert rel.endswith("/feeds.person.FRA+3+0-99.i2.parquet")
    assert parse_bronze_name(rel) == ("feeds.person.FRA", 3, 0, 99)
    assert parse_bronze_name(quarantine_path(rel)) == parse_bronze_name(rel)
    assert bronze_name("person", "FRA", "2026-11-28", "feeds.person.FRA", 3, 0, 99, 0) == (
        bronze_name("person", "FRA", "2026-11-28", "feeds.person.FRA", 3, 0, 99)
    )
    assert parse_bronze_name("feeds.person.FRA+3+0-99.i0.parquet") is None


def test_a_quarantined_file_keeps_its_relative_name() -> None:
    rel = bronze_name("case", "DEU", "2026-01-02", "feeds.case.DEU", 0, 5, 9)
    moved = quarantine_path(rel)
    assert moved == "quarantine/" + rel.removeprefix("bronze/")
    assert moved.startswith(partition_dir("quarantine", "case", "DEU") + "/")
    assert parse_bronze_name(moved) == parse_bronze_name(rel)


def test_bronze_layout_matches_docs_wire_format() -> None:
    text = WIRE_FORMAT.read_text(encoding="utf-8")
    documented = re.search(r"<lake>/(bronze/\S+\.parquet)", text)
    assert documented is not None
    example = bronze_name("<feed>", "<ISO3>", "<YYYY-MM-DD>", "<topic>", 0, 0, 0)
    assert documented[1] == example.replace("+0+0-0", "+<partition>+<first>-<last>")
