"""`interlink simulate`: writes the feeds, the truth and the resolve input; refuses bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from interlink.cli_simulate import app

runner = CliRunner()


def test_simulate_writes_feeds_truth_and_resolve_input(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = runner.invoke(
        app, ["--seed", "7", "--persons", "120", "--countries", "FRA,DEU,ITA", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "120 true persons" in result.output
    for feed in ("person", "travel_document", "case", "notice"):
        assert sorted(p.name for p in (out / feed).iterdir()) == [
            "DEU.jsonl", "FRA.jsonl", "ITA.jsonl",
        ]  # fmt: skip
    assert (out / "truth" / "persons.csv").stat().st_size > 0
    assert (out / "truth" / "case_links.csv").exists()
    assert (out / "persons_resolve.jsonl").stat().st_size > 0


def test_no_cross_script_flag_keeps_names_latin(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--persons", "150", "--no-cross-script", "--out", str(tmp_path), "--no-resolve-input"]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "person" / "DEU.jsonl").read_text(encoding="utf-8")
    assert '"script":"Cyrl"' not in text and '"script":"Arab"' not in text
    assert not (tmp_path / "persons_resolve.jsonl").exists()


def test_bad_country_and_non_empty_output_exit_2_with_the_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--countries", "FRA,ZZZ", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'ZZZ' is not an ISO 3166-1 country code" in result.output
    assert runner.invoke(app, ["--persons", "20", "--out", str(tmp_path)]).exit_code == 0
    again = runner.invoke(app, ["--persons", "20", "--out", str(tmp_path)])
    assert again.exit_code == 2
    assert "--overwrite" in again.output
    assert (
        runner.invoke(app, ["--persons", "20", "--out", str(tmp_path), "--overwrite"]).exit_code
        == 0
    )


def test_rates_outside_zero_to_one_are_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--update-rate", "1.5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--update-rate must be between 0 and 1" in result.output
