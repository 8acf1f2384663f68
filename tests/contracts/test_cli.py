"""`interlink contracts check|validate|export` as a publisher and CI run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.export import export
from interlink.cli_contracts import app

runner = CliRunner()


def test_validate_reports_line_path_and_reason(data_dir: Path) -> None:
    file = data_dir / "person_publisher.jsonl"
    result = runner.invoke(app, ["validate", "--feed", "person", str(file)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(file))]
    assert lines == [
        f"{file}:3: role: 'witnes': Input should be 'suspect', 'victim', 'witness', "
        "'facilitator' or 'missing' (enum)",
        f"{file}:3: phones[0]: '0612345678': phone numbers must be international: start with + "
        "and the country calling code (phone.e164)",
        f"{file}:4: birth_date: '2999': birth date is in the future (birth_date.future)",
        f"{file}:4: nationalitys: ['CZE']: unknown field: check its spelling against the "
        "contract (unknown_field)",
    ]
    assert "2 of 4 person records failed" in result.output
    assert "Traceback" not in result.output


def test_validate_csv_with_dotted_columns(data_dir: Path) -> None:
    ok = runner.invoke(app, ["validate", "--feed", "person", str(data_dir / "person_valid.csv")])
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 person records valid (csv)" in ok.stdout
    bad_file = data_dir / "person_publisher.csv"
    bad = runner.invoke(app, ["validate", "--feed", "person", str(bad_file)])
    assert bad.exit_code == 1
    assert f"{bad_file}:4: sex: 'Q':" in bad.stdout
    assert f"{bad_file}:4: birth_date: '1850': implies an age of 120 years or more" in bad.stdout
    assert f"{bad_file}:4: phones[0]: '+385 99':" in bad.stdout
    assert f"{bad_file}:2:" not in bad.stdout and f"{bad_file}:3:" not in bad.stdout


def test_validate_json_array_and_envelopes(tmp_path: Path, data_dir: Path) -> None:
    person = json.loads((data_dir / "person_valid.json").read_text())
    broken = dict(person, sex="male")
    file = tmp_path / "batch.json"
    file.write_text("[\n" + json.dumps(person) + ",\n\n" + json.dumps(broken) + "\n]\n")
    result = runner.invoke(app, ["validate", "--feed", "person", str(file)])
    assert result.exit_code == 1
    assert f"{file}:4: sex: 'male':" in result.stdout
    envelope = {
        "message_id": "7d0c6f0e-1c5a-4a8e-9f3b-0b8f6f2a1c11", "feed": "person",
        "schema_version": 1, "source_country": "FRA", "source_agency": "OCRIEST",
        "record_id": "FRA-P-1", "record_version": 1, "operation": "upsert",
        "produced_at": "2026-11-28T10:00:00Z", "reported_at": "2026-11-20T09:00:00Z",
        "handling": {"handling_code": "H3", "source_reliability": "B",
                     "information_assessment": "2"},
        "payload": person,
    }  # fmt: skip
    file = tmp_path / "envelopes.jsonl"
    file.write_text(json.dumps(envelope) + "\nnot json\n")
    result = runner.invoke(app, ["validate", "--feed", "person", str(file)])
    assert result.exit_code == 1
    assert f"{file}:1: handling.handling_note: handling code H3 needs" in result.stdout
    assert f"{file}:2: <record>: not JSON" in result.stdout


def test_validate_user_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["validate", "--feed", "person", str(tmp_path / "no.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    feed = runner.invoke(app, ["validate", "--feed", "vehicles", str(tmp_path / "no.csv")])
    assert feed.exit_code == 2 and "unknown feed 'vehicles'" in feed.output
    for result in (missing, feed):
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)


def test_check_passes_on_the_committed_schemas() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "compatible and up to date" in result.stdout


def test_check_refuses_an_incompatible_version(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    export(schemas, tmp_path / "asyncapi.yaml")
    v1 = json.loads((schemas / "person" / "v1.json").read_text())
    v2 = json.loads(json.dumps(v1))
    v2["required"].remove("role")
    del v2["properties"]["role"]
    (schemas / "person" / "v2.json").write_text(json.dumps(v2))
    result = runner.invoke(app, ["check", "--schemas-dir", str(schemas)])
    assert result.exit_code == 1
    assert "incompatible: person v1 -> v2: role: removed required field" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["check", "validate", "export"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0


def test_export_writes_schemas_and_asyncapi(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["export", "--schemas-dir", str(tmp_path / "s"), "--asyncapi", str(tmp_path / "a.yaml")],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "person" / "v1.json").is_file()
    assert (tmp_path / "a.yaml").read_text().startswith("# Generated")
