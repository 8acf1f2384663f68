"""The streams commands as a member country and an operator use them (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlink.cli_streams import app
from streams.brokers import BrokerTraits
from tests.streams.conftest import DATA, person

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTERLINK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INTERLINK_LAKE__ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("INTERLINK_KEYS__PRIVATE_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", raising=False)
    return tmp_path


def test_keys_create_registers_and_refuses_to_overwrite(env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--country", "se", "--register"])
    assert result.exit_code == 0, result.output
    assert (env / "keys" / "SWE.key").exists() and (env / "lake" / "keys/registry.json").exists()
    assert runner.invoke(app, ["keys", "list"]).output.split()[0] == "SWE"
    again = runner.invoke(app, ["keys", "create", "--country", "SWE"])
    assert again.exit_code == 2
    assert "already exists" in again.output and "Traceback" not in again.output


def test_publish_dry_run_reports_invalid_lines_and_exits_1(env: Path) -> None:
    runner.invoke(app, ["keys", "create", "--country", "NLD"])
    args = ["publish", "--country", "NLD", "--feed", "person", "--dry-run"]
    result = runner.invoke(app, [*args, str(DATA / "person_records.jsonl")])
    assert result.exit_code == 1
    assert "3 valid (dry run, nothing sent), 4 invalid" in result.output
    assert "line 3" in result.output and "payload.role" in result.output


def test_user_errors_are_one_line_with_exit_2(env: Path) -> None:
    no_key = runner.invoke(app, ["publish", "--country", "NLD", "--feed", "person", "x.jsonl"])
    assert no_key.exit_code == 2 and "keys create" in no_key.output
    runner.invoke(app, ["keys", "create", "--country", "NLD"])
    no_broker = runner.invoke(
        app, ["publish", "--country", "NLD", "--feed", "person", str(DATA / "person_records.csv")]
    )
    assert no_broker.exit_code == 2 and "broker start" in no_broker.output
    missing = runner.invoke(
        app, ["publish", "--country", "NLD", "--feed", "person", "--dry-run", "nope.csv"]
    )
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad_country = runner.invoke(app, ["keys", "create", "--country", "Atlantis"])
    assert bad_country.exit_code == 2 and "ISO 3166-1" in bad_country.output
    for result in (no_key, no_broker, missing, bad_country):
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.kafka
def test_publish_ingest_receipts_and_dlq_from_the_command_line(
    env: Path, broker: str, broker_traits: BrokerTraits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", broker)
    monkeypatch.setenv("INTERLINK_BROKER__KIND", broker_traits.kind)
    assert runner.invoke(app, ["keys", "create", "--country", "SWE", "--register"]).exit_code == 0
    records = env / "swe.jsonl"
    records.write_text("\n".join(json.dumps(person(i, "SWE")) for i in range(5)) + "\n")
    sent = runner.invoke(app, ["publish", "--country", "SWE", "--feed", "person", str(records)])
    assert sent.exit_code == 0 and "5 sent, 0 invalid" in sent.output
    deleted = runner.invoke(
        app,
        ["publish", "--country", "SWE", "--feed", "person", "--delete", "SWE-P-000001@2",
         "--delete", "SWE-P-NEVER"],
    )  # fmt: skip
    assert deleted.exit_code == 0 and "2 sent" in deleted.output

    # Only SWE topics, so other tests' topics on the shared broker stay out of this group.
    result = runner.invoke(
        app,
        ["ingest", "--until-idle", "1.5", "--group-id", "cli-test", "--quiet",
         "--topics", r"^feeds\.person\.SWE$"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["accepted"] == 6 and report["per_reason"] == {"delete.unknown_record": 1}

    receipts = runner.invoke(app, ["receipts", "--country", "SWE"])
    assert "SWE: 6 accepted, 1 rejected" in receipts.output
    assert "delete.unknown_record" in receipts.output
    letters = runner.invoke(app, ["dlq", "list", "--country", "SWE", "--json"])
    rows = [json.loads(line) for line in letters.output.splitlines()]
    assert [r["error_class"] for r in rows] == ["delete.unknown_record"]
    dry = runner.invoke(app, ["dlq", "replay", "--country", "SWE", "--dry-run"])
    assert "would replay 1" in dry.output
