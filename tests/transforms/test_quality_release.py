"""Releasing a quarantined batch: `interlink quality list` shows it with what failed, `interlink
quality release BATCH --reason` moves its files back to bronze (validation leaves them be), and the
lake's audit/ records who and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.lake import validation_marker
from infra.audit import read_audit
from infra.lake import Lake
from interlink.cli import app
from transforms.quarantine import pending_batches, quarantine

runner = CliRunner()
BATCH = "person-FRA-20261201T000000-0-2"


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    import warehouse_world  # tests/data/warehouse is on pytest's pythonpath

    monkeypatch.setenv("INTERLINK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INTERLINK_LAKE__ROOT", str(tmp_path / "lake"))
    lk = Lake(str(tmp_path / "lake"))
    files = warehouse_world.write_bronze(lk, warehouse_world.world())
    fra = [f for f in files if "country=FRA" in f and "feed=person" in f]
    # What validation leaves when a batch fails: markers naming it, files in quarantine/.
    for rel in files:
        outcome = {"batch_id": BATCH if rel in fra else "other", "success": rel not in fra}
        lk.write_bytes(validation_marker(rel), json.dumps(outcome).encode())
    quarantine(lk, fra)
    lk.write_bytes(
        f"reports/quality/results/{BATCH}.json",
        json.dumps(
            {"batch_id": BATCH, "success": False, "failed_expectations": ["row_count_flood"]}
        ).encode(),
    )
    return lk


def test_list_then_release_moves_the_batch_back_to_bronze_with_an_audit_row(lake: Lake) -> None:
    quarantined = lake.list("quarantine")
    assert quarantined
    listed = runner.invoke(app, ["quality", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{BATCH} person FRA {len(quarantined)} files: row_count_flood" in listed.output

    done = runner.invoke(
        app, ["quality", "release", BATCH, "--reason", "flood was a planned backfill"]
    )
    assert done.exit_code == 0, done.output
    assert lake.list("quarantine") == []
    back = ["bronze/" + rel.removeprefix("quarantine/") for rel in quarantined]
    assert set(back) <= set(lake.list("bronze"))
    # Validation will not quarantine them again, and their markers say why.
    assert pending_batches(lake) == {}
    marker: dict[str, Any] = json.loads(lake.read_bytes(validation_marker(back[0])))
    assert marker["released"]["reason"] == "flood was a planned backfill"
    (row,) = read_audit(lake, "quality_release")
    assert row["reason"] == "flood was a planned backfill"
    assert (row["source_country"], row["feed"]) == ("FRA", "person")
    assert sorted(row["details"]["files"]) == sorted(back)
    assert "0 quarantined batches" in runner.invoke(app, ["quality", "list"]).output


def test_releasing_an_unknown_batch_says_where_to_find_the_ids(lake: Lake) -> None:
    result = runner.invoke(app, ["quality", "release", "nope", "--reason", "x"])
    assert result.exit_code == 2
    assert "no quarantined batch 'nope'" in result.output and "quality list" in result.output
    assert read_audit(lake, "quality_release") == []
