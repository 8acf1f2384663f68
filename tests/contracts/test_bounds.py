"""The bounds every stage can store (contracts/bounds.py): int64 integers, timestamps and dates in
range, no control characters. Each value here was a poison message before: it passed the
contract and stopped the ingest, or made every PostgreSQL load roll back."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contracts import ContractError, DecodeError, ValidationFailure, decode, envelope_for
from contracts.bounds import INT64_MAX, INT64_MIN, kafka_timestamp_problem
from contracts.export import render_schemas
from contracts.parsing import validate_envelope

Wire = Callable[..., dict[str, Any]]
FEEDS = ("person", "travel_document", "case", "notice")


def rules(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailure) as info:
        validate_envelope(data)
    return [(f.path, f.rule) for f in info.value.failures]


def test_record_version_above_int64_is_refused_and_int64_max_accepted(
    wire_envelope: Wire, example: Callable[[str], Any]
) -> None:
    assert rules(wire_envelope(record_version=2**63)) == [("record_version", "less_than_equal")]
    assert validate_envelope(wire_envelope(record_version=INT64_MAX)).record_version == INT64_MAX
    # The SDK builds envelopes with the same contract.
    with pytest.raises(ContractError, match="record_version"):
        envelope_for("person", "FRA", "FRA-P-1", 2**63, example("person"))


def test_every_integer_of_every_exported_schema_is_bounded_to_int64() -> None:
    def integers(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                yield node
            for child in node.values():
                yield from integers(child)
        elif isinstance(node, list):
            for child in node:
                yield from integers(child)

    import json

    found = [n for text in render_schemas().values() for n in integers(json.loads(text))]
    # schema_version, record_version, victims_count (once per envelope copy in each schema)
    assert len(found) >= 3
    for node in found:
        assert node["minimum"] >= INT64_MIN and node["maximum"] <= INT64_MAX, node


@pytest.mark.parametrize(
    ("produced_at", "rule"),
    [
        ("9999-12-31T23:59:59Z", "timestamp.range"),
        ("9999-12-31T23:00:00-05:00", "timestamp.range"),  # year 10000 in UTC
        ("2200-01-01T00:00:00Z", "timestamp.range"),
        ("1969-12-31T23:59:59Z", "timestamp.range"),
        ("+10000-01-01T00:00:00Z", "timestamp.format"),
    ],
)
def test_timestamps_outside_1970_to_2200_are_refused(
    wire_envelope: Wire, produced_at: str, rule: str
) -> None:
    data = wire_envelope(produced_at=produced_at, reported_at="1970-01-01T00:00:00Z")
    assert ("produced_at", rule) in rules(data)


def test_timestamps_and_dates_at_the_edges_are_accepted(wire_envelope: Wire) -> None:
    data = wire_envelope(produced_at="2199-12-31T23:59:59Z", reported_at="1970-01-01T00:00:00Z")
    data["handling"]["review_by"] = "2199-12-31"
    envelope = validate_envelope(data)
    assert envelope.produced_at.year == 2199 and envelope.reported_at.year == 1970


def test_dates_outside_1900_to_2199_are_refused(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data["handling"]["review_by"] = "2200-01-01"
    assert rules(data) == [("handling.review_by", "date.range")]
    case = wire_envelope("case")
    case["payload"]["start_date"] = "1899-12-31"
    assert ("payload.start_date", "date.range") in rules(case)


def test_kafka_timestamps_are_bounded_alike() -> None:
    assert kafka_timestamp_problem(253_402_300_800_000) is not None  # year 10000
    assert kafka_timestamp_problem(-2) is not None
    assert kafka_timestamp_problem(-1) is None  # the producer set none
    assert kafka_timestamp_problem(0) is None
    assert kafka_timestamp_problem(1_796_000_000_000) is None


def test_an_integer_of_5000_digits_is_a_decode_number_error() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b'{"record_version": ' + b"9" * 5000 + b"}")
    assert info.value.error_class == "decode.number"


def _string_leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _string_leaves(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _string_leaves(child, (*path, i))
    elif isinstance(node, str):
        yield path


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# Closed fields report their own rule (the value is not one of theirs) before any text rule.
_CLOSED = {"enum", "uuid", "pattern", "mrz.format"}


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x85", "\n"])
def test_every_text_field_refuses_control_characters(
    wire_envelope: Wire, feed: str, control: str
) -> None:
    base = wire_envelope(feed)
    leaves = list(_string_leaves(base))
    assert len(leaves) >= 12
    free_text = {"payload.description", "payload.modus_operandi", "handling.handling_note"}
    for path in leaves:
        data = copy.deepcopy(base)
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = node[path[-1]][:2] + control + node[path[-1]][2:]
        where = _dotted(path)
        if control == "\n" and where in free_text:
            validate_envelope(data)  # line breaks are free text's own
            continue
        found = dict(rules(data))
        assert where in found, (where, found)
        assert found[where] in {"text.control_character", *_CLOSED}, (where, found[where])


def test_names_say_which_character_and_free_text_keeps_its_lines(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data["payload"]["primary_name"]["family"] = "Pet\x00rov"
    with pytest.raises(ValidationFailure) as info:
        validate_envelope(data)
    assert "U+0000 at position 3" in str(info.value)
    data = wire_envelope()
    data["payload"]["description"] = "line one\r\n\tline two"
    assert validate_envelope(data).payload.description == "line one\r\n\tline two"


@pytest.mark.parametrize("text", ["a\x00b", "\x7f", "\x85", "\x08", "\x0c", "\x1f", "\x0b"])
def test_the_quality_regex_finds_control_characters_however_json_writes_them(text: str) -> None:
    import json
    import re

    import msgspec

    from contracts.bounds import CONTROL_IN_JSON

    found = re.compile(CONTROL_IN_JSON).search
    assert found(msgspec.json.encode({"k": text}).decode())  # how the ingest writes payloads
    assert found(json.dumps({"k": text}))
    assert found(json.dumps({"k": text}, ensure_ascii=False))


@pytest.mark.parametrize("text", ["\t", "\n", "\r", "é", "Иван", "\\u0000", "\\\\b", "a\\b"])
def test_the_quality_regex_leaves_line_breaks_letters_and_escaped_backslashes(text: str) -> None:
    import json
    import re

    import msgspec

    from contracts.bounds import CONTROL_IN_JSON

    found = re.compile(CONTROL_IN_JSON).search
    assert not found(msgspec.json.encode({"k": text}).decode())
    assert not found(json.dumps({"k": text}))
    assert not found(json.dumps({"k": text}, ensure_ascii=False))
