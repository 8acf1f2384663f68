"""Great Expectations on bronze batches: helper columns, suites, anomalies, reports on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from contracts import envelope_for
from contracts.expectations import NULL_CEILINGS, helper_columns, suite_for
from contracts.mrz import parse_mrz
from transforms.mrz_sql import mrz_valid_sql
from transforms.quality import (
    add_helper_columns,
    batch_profile,
    build_data_docs,
    detect_anomalies,
    read_history,
    validate_batch,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "contracts"
TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
BRONZE_DDL = (
    "topic string, partition int, offset bigint, kafka_timestamp timestamp, "
    "ingest_time timestamp, message_id string, feed string, schema_version int, "
    "source_country string, source_agency string, record_id string, record_version bigint, "
    "operation string, produced_at timestamp, reported_at timestamp, operation_code string, "
    "dissemination array<string>, handling_code string, handling_note string, "
    "source_reliability string, information_assessment string, review_by date, "
    "payload string, raw binary"
)


def bronze_row(envelope: Any, offset: int) -> dict[str, Any]:
    """The bronze row the ingest writes for one accepted message (docs/wire-format.md)."""
    wire = envelope.to_wire_dict()
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    handling = envelope.handling
    return {
        "topic": envelope.topic, "partition": 0, "offset": offset, "kafka_timestamp": now,
        "ingest_time": now, "message_id": str(envelope.message_id), "feed": envelope.feed,
        "schema_version": envelope.schema_version, "source_country": envelope.source_country,
        "source_agency": envelope.source_agency, "record_id": envelope.record_id,
        "record_version": envelope.record_version, "operation": envelope.operation,
        "produced_at": envelope.produced_at, "reported_at": envelope.reported_at,
        "operation_code": envelope.operation_code, "dissemination": handling.dissemination,
        "handling_code": handling.handling_code, "handling_note": handling.handling_note,
        "source_reliability": handling.source_reliability,
        "information_assessment": handling.information_assessment,
        "review_by": handling.review_by,
        "payload": None if wire["payload"] is None else json.dumps(wire["payload"]),
        "raw": envelope.to_bytes(),
    }  # fmt: skip


def person_rows(count: int) -> list[dict[str, Any]]:
    base = json.loads((DATA / "person_valid.json").read_text(encoding="utf-8"))
    rows = []
    for i in range(count):
        env = envelope_for("person", "FRA", f"FRA-P-{i:04d}", 1, base)
        rows.append(bronze_row(env, offset=i))
    return rows


# -- pure (no Spark) ----------------------------------------------------------------------------
def test_suites_cover_uniqueness_value_sets_null_ceilings_and_row_count() -> None:
    suite = suite_for("person", country="FRA")
    kinds = {(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations}
    assert ("expect_compound_columns_to_be_unique", None) in kinds
    assert ("expect_table_row_count_to_be_between", None) in kinds
    assert ("expect_column_values_to_be_in_set", "role") in kinds
    assert ("expect_column_values_to_be_in_set", "operation") in kinds
    assert ("expect_column_values_to_be_in_set", "handling_code") in kinds
    birth = [
        e for e in suite.expectations
        if e.expectation_type == "expect_column_values_to_not_be_null"
        and e.column == "birth_date"
    ]  # fmt: skip
    assert birth and birth[0].mostly == pytest.approx(1 - NULL_CEILINGS["person"]["birth_date"])
    td = suite_for("travel_document")
    assert any(getattr(e, "column", None) == "mrz_valid" for e in td.expectations)


def _history(n: int, rows: int = 100, null_rate: float = 0.1) -> list[dict[str, Any]]:
    return [
        {"row_count": rows + (i % 3), "upsert_count": rows,
         "null_rates": {"birth_date": null_rate}, "success": True}
        for i in range(n)
    ]  # fmt: skip


def test_anomalies_need_history() -> None:
    profile = {"row_count": 10_000, "upsert_count": 10_000, "null_rates": {"birth_date": 1.0}}
    assert detect_anomalies(profile, _history(2)) == ([], [])


def test_row_count_flood_fails_and_small_batch_only_warns() -> None:
    flood = {"row_count": 900, "upsert_count": 900, "null_rates": {"birth_date": 0.1}}
    anomalies, _ = detect_anomalies(flood, _history(5))
    assert len(anomalies) == 1 and anomalies[0].startswith("anomaly.row_count: 900 rows")
    tail = {"row_count": 3, "upsert_count": 3, "null_rates": {"birth_date": 0.1}}
    anomalies, warnings = detect_anomalies(tail, _history(5))
    assert anomalies == [] and warnings == ["small batch: 3 rows vs median 101"]
    normal = {"row_count": 120, "upsert_count": 120, "null_rates": {"birth_date": 0.12}}
    assert detect_anomalies(normal, _history(5)) == ([], [])
    # A stream of a few records per batch is not flooding when one batch has 40.
    few = {"row_count": 40, "upsert_count": 40, "null_rates": {"birth_date": 0.1}}
    assert detect_anomalies(few, _history(5, rows=2)) == ([], [])


def test_null_rate_jump_fails() -> None:
    jump = {"row_count": 100, "upsert_count": 100, "null_rates": {"birth_date": 0.6}}
    anomalies, _ = detect_anomalies(jump, _history(5, null_rate=0.1))
    assert anomalies == [
        "anomaly.null_rate.birth_date: 60% missing vs 10% (sigma 0.0%) in the last 5 batches"
    ]
    # Failed batches are not part of "normal".
    bad_history = _history(5, null_rate=0.6)
    for h in bad_history:
        h["success"] = False
    assert detect_anomalies(jump, bad_history) == ([], [])


# -- Spark --------------------------------------------------------------------------------------
def _flip(lines: list[str], row: int, col: int) -> list[str]:
    out = list(lines)
    digit = out[row][col]
    out[row] = out[row][:col] + str((int(digit) + 1) % 10) + out[row][col + 1 :]
    return out


@pytest.mark.spark
def test_spark_mrz_validity_matches_the_contract(spark: Any) -> None:
    cases = [TD3, TD1, [TD3[0]], [TD3[0].lower(), TD3[1]], ["V" + TD3[0][1:], TD3[1]]]
    for lines in (TD3, TD1):
        cases += [
            _flip(lines, r, c)
            for r, line in enumerate(lines)
            for c, ch in enumerate(line)
            if ch.isdigit()
        ]
    expected = [not parse_mrz(lines)[1] for lines in cases]
    assert expected[:2] == [True, True] and not any(expected[2:])
    df = spark.createDataFrame([(i, m) for i, m in enumerate(cases)], "i int, mrz array<string>")
    got = df.orderBy("i").select(F.expr(mrz_valid_sql("mrz")).alias("ok")).collect()
    assert [r.ok for r in got] == expected
    assert (
        df.limit(1).select(F.expr(mrz_valid_sql("CAST(NULL AS array<string>)"))).first()[0] is None
    )


@pytest.mark.spark
def test_good_batch_passes_and_writes_result_docs_and_history(spark: Any, tmp_path: Path) -> None:
    rows = person_rows(5)
    gone = envelope_for("person", "FRA", "FRA-P-0000", 2, None, operation="delete")
    rows.append(bronze_row(gone, offset=5))
    df = spark.createDataFrame(rows, BRONZE_DDL)
    assert set(helper_columns("person")) <= set(add_helper_columns(df, "person").columns)
    assert batch_profile(add_helper_columns(df, "person"), "person") == {
        "row_count": 6, "upsert_count": 5,
        "null_rates": {"role": 0.0, "primary_name": 0.0, "birth_date": 0.0, "nationality": 0.0},
    }  # fmt: skip
    reports = tmp_path / "reports" / "quality"
    result = validate_batch(
        spark, df, feed="person", country="FRA", batch_id="feeds.person.FRA+0+0-5",
        reports_dir=str(reports),
    )  # fmt: skip
    assert result.success, result.failed_expectations
    assert result.failed_expectations == []
    assert result.statistics["evaluated_expectations"] == len(
        suite_for("person", country="FRA").expectations
    )
    saved = json.loads(Path(result.result_json_path).read_text())
    assert Path(result.result_json_path) == reports / "results" / "feeds.person.FRA+0+0-5.json"
    assert saved["success"] is True and saved["gx_validation_result"]["success"] is True
    assert result.data_docs_index == str(reports / "data_docs" / "index.html")
    assert "interlink.person.FRA" in Path(result.data_docs_index).read_text()
    assert [h["row_count"] for h in read_history(reports, "person", "FRA")] == [6]


@pytest.mark.spark
def test_bad_batch_fails_naming_the_broken_expectations(spark: Any, tmp_path: Path) -> None:
    rows = person_rows(5)
    rows[1]["record_id"] = rows[0]["record_id"]  # same (record_id, record_version) twice
    rows[2]["payload"] = json.dumps(dict(json.loads(rows[2]["payload"]), role="boss"))
    rows[3]["handling_code"] = "H3"  # without a handling note
    # A NUL in a name, as landed before the contract refused it: no warehouse stores it.
    named = json.loads(rows[4]["payload"])
    named["primary_name"]["family"] = "Pet\x00rov"
    rows[4]["payload"] = json.dumps(named)
    df = spark.createDataFrame(rows, BRONZE_DDL)
    result = validate_batch(
        spark, df, feed="person", country="FRA", batch_id="bad-batch",
        reports_dir=str(tmp_path), history=[], build_docs=False,
    )  # fmt: skip
    assert not result.success
    assert set(result.failed_expectations) == {
        "expect_compound_columns_to_be_unique(record_id,record_version)",
        "expect_column_values_to_be_in_set(role)",
        "expect_column_values_to_be_in_set(handling_note_ok)",
        "expect_column_values_to_be_in_set(text_printable)",
    }
    saved = json.loads(Path(result.result_json_path).read_text())
    assert saved["success"] is False
    assert read_history(tmp_path, "person", "FRA")[0]["success"] is False
    # Docs deferred: one build after many batches renders them all.
    assert result.data_docs_index is None
    index = Path(build_data_docs(tmp_path))
    assert index.is_file() and "interlink.person.FRA" in index.read_text()
