"""`interlink warehouse …` on DuckDB: each command works, user errors are one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.lake import Lake
from interlink.cli_warehouse import app

REPO = Path(__file__).resolve().parents[2]


def _world_module() -> Any:
    # tests/data/warehouse is on pytest's pythonpath (pyproject.toml).
    import warehouse_world

    return warehouse_world


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "INTERLINK_HOME": str(tmp_path),
        "INTERLINK_LAKE__ROOT": str(tmp_path / "lake"),
        "INTERLINK_WAREHOUSE__URL": f"duckdb:///{tmp_path / 'wh.duckdb'}",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    _world_module().write_lake(Lake(values["INTERLINK_LAKE__ROOT"]))
    return values


def test_migrate_load_retention_purge_from_the_command_line(env: dict[str, str]) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["migrate"])
    assert first.exit_code == 0 and first.output.startswith("applied: 0001_curated_tables")
    assert runner.invoke(app, ["migrate"]).output.strip() == "up to date"
    loaded = runner.invoke(app, ["load"])
    assert loaded.exit_code == 0, loaded.output
    assert "records                     9 rows  +9 ~0 -0" in loaded.output
    again = runner.invoke(app, ["load"])
    assert again.output.strip() == "nothing to load: sources unchanged since load 1"
    full = json.loads(runner.invoke(app, ["load", "--full", "--json"]).output)
    assert full["full"] is True and full["moved"]["records"]["inserted"] == 9
    report = runner.invoke(app, ["retention-report", "--today", "2026-11-28", "--write-notices"])
    assert report.exit_code == 0
    assert "1 records reach review-by between 2026-11-28 and 2027-05-28" in report.output
    assert "ESP: 1" in report.output and "ESP.json" in report.output
    purge = runner.invoke(app, ["purge-expired", "--today", "2026-11-28"])
    assert purge.exit_code == 0
    assert "purged 1 records as of 2026-11-28" in purge.output
    assert "ITA/person/ITA-P-3 (review_by 2026-06-30)" in purge.output


def test_user_errors_are_one_line_with_exit_code_2(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    not_migrated = runner.invoke(app, ["retention-report"])
    assert not_migrated.exit_code == 2
    assert not_migrated.output.strip().count("\n") == 0
    assert "run `interlink warehouse migrate`" in not_migrated.output
    bad_day = runner.invoke(app, ["purge-expired", "--today", "28/11/2026"])
    assert bad_day.exit_code == 2 and "is not a date: use YYYY-MM-DD" in bad_day.output
    duck = runner.invoke(app, ["grant-recipient", "DEU"])
    assert duck.exit_code == 2 and "needs PostgreSQL" in duck.output
    bad_url = runner.invoke(app, ["migrate", "--url", "mysql://x"])
    assert bad_url.exit_code == 2 and "use duckdb:///path/file.duckdb" in bad_url.output


def test_mounted_under_interlink_warehouse_without_traceback(env: dict[str, str]) -> None:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")} | env
    full_env["INTERLINK_WAREHOUSE__URL"] = "postgresql://nobody@127.0.0.1:1/none"
    out = subprocess.run(
        [sys.executable, "-m", "interlink.cli", "warehouse", "migrate"],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=env["INTERLINK_HOME"],
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "is not answering" in out.stderr


def test_a_row_the_warehouse_refuses_is_reported_and_the_rest_loads(env: dict[str, str]) -> None:
    world_module = _world_module()
    world = world_module.world()
    cases = world["silver"]["case"]
    cases.append(dict(cases[0], record_id="FRA-C-99", handling_code="H7"))
    world_module.write_lake(Lake(env["INTERLINK_LAKE__ROOT"]), world, only=["silver/case"])
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    loaded = runner.invoke(app, ["load"])
    assert loaded.exit_code == 0, loaded.output
    assert "records                     9 rows  +9 ~0 -0 !1 rejected" in loaded.output
    assert "cases                       2 rows  +2 ~0 -0 !1 rejected" in loaded.output
    assert "set aside in interlink.rejected_rows: 2 (the rest loaded" in loaded.output
    import duckdb

    with duckdb.connect(env["INTERLINK_WAREHOUSE__URL"].removeprefix("duckdb:///")) as con:
        rows = con.execute(
            "SELECT table_name, row_identity, reason FROM interlink.rejected_rows ORDER BY 1"
        ).fetchall()
    assert rows == [
        (
            "cases",
            '{"source_country":"FRA","record_id":"FRA-C-99"}',
            "handling_code H7 is not one of H0-H3",
        ),
        (
            "records",
            '{"source_country":"FRA","feed":"case","record_id":"FRA-C-99"}',
            "handling_code H7 is not one of H0-H3",
        ),
    ]
    # A second load finds the row still bad: still set aside, still listed once.
    again = runner.invoke(app, ["load", "--full"])
    assert again.exit_code == 0 and "!1 rejected" in again.output
