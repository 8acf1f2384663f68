"""Reading publisher files: formats, line numbers, CSV columns mapped onto the payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.files import FileFormatError, detect_format, validate_file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_formats_detected_from_extension_then_content(tmp_path: Path) -> None:
    assert detect_format(Path("a.jsonl"), "") == "jsonl"
    assert detect_format(Path("a.ndjson"), "") == "jsonl"
    assert detect_format(Path("a.json"), "{") == "json"
    assert detect_format(Path("a.csv"), "{") == "csv"
    assert detect_format(Path("a.txt"), "  [") == "json"
    assert detect_format(Path("a.txt"), "{") == "jsonl"
    assert detect_format(Path("a.txt"), "role,sex") == "csv"


def test_csv_nested_columns_lists_and_json_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.csv",
        "offence_type,location.country,location.lat,location.lon,victims_count,phones,"
        "persons.0.record_id,persons.0.role,persons.1.record_id,persons.1.role,vehicles\n"
        "som_sea,IT,37.5,15.1,12,+33612345678; +380501234567,ITA-P-1,suspect,ITA-P-2,victim,"
        '"[{""plate"": ""AB123CD"", ""country"": ""ITA""}]"\n',
    )
    report = validate_file(path, "case")
    assert report.ok, [str(f) for r in report.failed for f in r.failures]


def test_csv_line_numbers_count_multiline_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "people.csv",
        'role,primary_name.family,description\nsuspect,Petrov,"two\nlines"\nboss,Ivanov,\n',
    )
    report = validate_file(path, "person")
    assert [(r.line, [f.rule for f in r.failures]) for r in report.records] == [
        (2, []),
        (4, ["enum"]),
    ]


def test_csv_bad_cells_are_reported_not_raised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.csv",
        'offence_type,victims_count,vehicles\nsom_land,many,\nsom_land,1,"[{bad"\n'
        "som_land,1,,extra\n",
    )
    report = validate_file(path, "case")
    rules = [(r.line, [(f.path, f.rule) for f in r.failures]) for r in report.records]
    assert rules == [
        (2, [("victims_count", "type.integer")]),
        (3, [("vehicles", "csv.json")]),
        (4, [("", "csv.columns")]),
    ]


def test_json_array_lines_and_unreadable_records(tmp_path: Path) -> None:
    person = {"role": "suspect", "primary_name": {"family": "Petrov"}}
    text = "[\n" + json.dumps(person) + ",\n" + json.dumps(dict(person, sex="?")) + ",\n42\n]"
    report = validate_file(write(tmp_path, "p.json", text), "person")
    assert [(r.line, [f.rule for f in r.failures]) for r in report.records] == [
        (2, []),
        (3, ["enum"]),
        (4, ["decode.not_object"]),
    ]
    broken = validate_file(write(tmp_path, "b.json", '[{"role": "suspect",\n'), "person")
    assert [f.rule for r in broken.records for f in r.failures] == ["decode.json"]


def test_single_object_json_file(tmp_path: Path) -> None:
    person = {"role": "victim", "primary_name": {"full": "Олена Коваль", "script": "Cyrl"}}
    report = validate_file(write(tmp_path, "one.json", json.dumps(person, indent=2)), "person")
    assert report.ok and len(report.records) == 1


def test_envelopes_must_be_for_the_chosen_feed(tmp_path: Path) -> None:
    record = {"feed": "case", "payload": {}}
    report = validate_file(write(tmp_path, "x.jsonl", json.dumps(record) + "\n"), "person")
    assert [f.rule for f in report.records[0].failures] == ["feed.mismatch"]


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        validate_file(tmp_path / "missing.csv", "person")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("role,primary_name.family\nsuspect,Müller\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8"):
        validate_file(latin1, "person")
    with pytest.raises(FileFormatError, match="unknown feed"):
        validate_file(latin1, "vehicle")
    empty = validate_file(write(tmp_path, "empty.jsonl", "\n\n"), "person")
    assert empty.records == [] and not empty.ok
