"""parse_message: every way bytes can fail, each with a stable error class and one-line reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from contracts import (
    ContractError,
    CountryMismatch,
    DecodeError,
    Envelope,
    ValidationFailure,
    parse_message,
)
from contracts.parsing import MAX_DEPTH, MAX_MESSAGE_BYTES

Wire = Callable[..., dict[str, Any]]


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def test_valid_message_parses(wire_envelope: Wire) -> None:
    env = parse_message(encode(wire_envelope()), topic_country="FRA")
    assert isinstance(env, Envelope) and env.record_id == "FRA-P-000123"


@pytest.mark.parametrize(
    ("value", "error_class"),
    [
        ("a string", "decode.bytes"),
        (None, "decode.bytes"),
        (b"\xff\xfe{}", "decode.utf8"),
        (b'{"a": "caf\xe9"}', "decode.utf8"),
        (b"{not json", "decode.json"),
        (b"", "decode.json"),
        (b'{"a": NaN}', "decode.json"),
        (b"[1, 2]", "decode.not_object"),
        (b'"text"', "decode.not_object"),
        (b"null", "decode.not_object"),
        (b'{"a": 1, "a": 2}', "decode.duplicate_key"),
        (b'{"a":' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}", "decode.too_deep"),
        (b"[" * 100_000 + b"]" * 100_000, "decode.too_deep"),
        (b'{"a": "' + b"x" * MAX_MESSAGE_BYTES + b'"}', "decode.too_large"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("decode") else "",
)
def test_undecodable_values_raise_decode_error(value: Any, error_class: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_message(value)
    assert info.value.error_class == error_class
    assert isinstance(info.value, ContractError)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_contract_breaking_message_lists_failures(wire_envelope: Wire) -> None:
    data = wire_envelope(record_version=0)
    data["payload"]["phones"] = ["12345"]
    with pytest.raises(ValidationFailure) as info:
        parse_message(encode(data))
    err = info.value
    assert err.error_class == "validation"
    assert [(f.path, f.rule) for f in err.failures] == [
        ("record_version", "greater_than_equal"),
        ("payload.phones[0]", "phone.e164"),
    ]
    assert str(err).startswith("person record FRA-P-000123: 2 contract failures: record_version")
    assert "\n" not in str(err)


def test_spoofed_country_detected(wire_envelope: Wire) -> None:
    with pytest.raises(CountryMismatch) as info:
        parse_message(encode(wire_envelope(source_country="DE")), topic_country="FRA")
    assert info.value.error_class == "country.spoofed"
    assert (info.value.envelope_country, info.value.topic_country) == ("DEU", "FRA")
    # Alpha-2 on either side is the same country, not spoofing.
    assert parse_message(encode(wire_envelope(source_country="FR")), topic_country="FR")


def test_spoofing_reported_even_when_the_rest_is_invalid(wire_envelope: Wire) -> None:
    with pytest.raises(CountryMismatch):
        parse_message(
            encode(wire_envelope(source_country="DEU", record_version=0)), topic_country="FRA"
        )


def test_bad_topic_country_is_a_programming_error(wire_envelope: Wire) -> None:
    with pytest.raises(ValueError, match="topic country"):
        parse_message(encode(wire_envelope()), topic_country="Atlantis")


def test_error_classes_are_stable_codes() -> None:
    assert ValidationFailure([]).error_class == "validation"
    assert CountryMismatch("DEU", "FRA").error_class == "country.spoofed"
    assert DecodeError("x").error_class == "decode"
