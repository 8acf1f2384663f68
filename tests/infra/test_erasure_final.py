"""Erasure that is final (DuckDB warehouse, local lake): a purge reaches quarantine/ (payload and
raw bytes), the reports that quote the record, and leaves a tombstone in the lake itself, with
audit rows in the warehouse and in the lake."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.lake import validation_marker
from infra.audit import read_audit, read_tombstones
from infra.lake import Lake
from infra.warehouse import load, migrate, purge_expired
from infra.warehouse.report_erasure import REDACTED
from transforms.quarantine import quarantine

TODAY = date(2026, 11, 28)
ITA_FILE = "bronze/feed=person/country=ITA/date=2021-06-30/feeds.person.ITA+0+3-3.parquet"


@pytest.fixture
def world() -> Any:
    import warehouse_world  # tests/data/warehouse is on pytest's pythonpath

    return warehouse_world


def _holds(lake: Lake, prefix: str, text: str) -> list[str]:
    return [
        rel
        for rel in lake.list(prefix)
        if rel.endswith(".parquet") and text in str(lake.read_parquet(rel).to_pylist())
    ]


def test_purge_reaches_quarantine_reports_and_leaves_a_lake_tombstone(
    tmp_path: Path, world: Any
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    world.write_lake(lake)
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    migrate(url)
    load(url, lake)
    # ITA-P-3's batch failed validation: its file (payload and raw bytes) sits in quarantine/,
    # with the batch's result quoting a value, and a run report names the record.
    family = json.loads(lake.read_parquet(ITA_FILE)["payload"][0].as_py())["primary_name_latin"]
    batch = "person-ITA-20210630T000000-3-3"
    lake.write_bytes(
        validation_marker(ITA_FILE), json.dumps({"batch_id": batch, "success": False}).encode()
    )
    quarantine(lake, [ITA_FILE])
    lake.write_bytes(
        f"reports/quality/results/{batch}.json",
        json.dumps(
            {
                "batch_id": batch,
                "feed": "person",
                "country": "ITA",
                "success": False,
                "failed_expectations": ["expect_column_values_to_match_regex(family)"],
                "gx_validation_result": {"partial_unexpected_list": [family]},
            }
        ).encode(),
    )
    lake.write_bytes("reports/runs/20261101T000000Z.html", b"<td>ITA/ITA-P-3 v1</td>")
    lake.write_bytes("reports/runs/20261102T000000Z.html", b"<td>ITA/ITA-P-30 v1</td>")
    assert _holds(lake, "quarantine", family)

    report = purge_expired(url, lake, today=TODAY)

    assert [p["record_key"] for p in report.purged] == ["ITA/person/ITA-P-3"]
    assert _holds(lake, "quarantine", "ITA-P-3") == [] and _holds(lake, "quarantine", family) == []
    result = json.loads(lake.read_bytes(f"reports/quality/results/{batch}.json"))
    assert result["gx_validation_result"] == REDACTED and result["success"] is False
    assert family not in lake.read_bytes(f"reports/quality/results/{batch}.json").decode()
    # The report naming the record is gone; the one naming another record (ITA-P-30) stays.
    assert lake.list("reports/runs") == ["reports/runs/20261102T000000Z.html"]
    # The lake remembers the erasure itself, before any copy went.
    assert read_tombstones(lake) == {("ITA", "person", "ITA-P-3"): 1}
    (audit,) = read_audit(lake, "lake_erasure")
    assert audit["details"]["records"] == ["ITA/person/ITA-P-3"]
    assert "quarantine/" + ITA_FILE.removeprefix("bronze/") in audit["details"]["files"]
    assert "reports/runs/20261101T000000Z.html" in audit["details"]["reports"]
    assert audit["actor"] and audit["at"].endswith("Z")
    # Idempotent: a rerun writes no second tombstone nor audit row.
    again = purge_expired(url, lake, today=TODAY)
    assert again.tombstone_files == [] and again.reports_erased == []
    assert len(read_audit(lake, "lake_erasure")) == 1
