"""Envelope rules, the envelope_for builder and the canonical bytes that signatures cover."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts import (
    Envelope,
    Handling,
    PersonV1,
    ValidationFailure,
    canonical_bytes,
    envelope_for,
    signed_value,
    split_signed,
    validate_envelope,
)
from contracts.envelope import add_years

Wire = Callable[..., dict[str, Any]]


def rules(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailure) as info:
        validate_envelope(data)
    return [(f.path, f.rule) for f in info.value.failures]


def test_wire_example_validates(wire_envelope: Wire) -> None:
    env = validate_envelope(wire_envelope())
    assert isinstance(env.payload, PersonV1)
    assert env.message_id == uuid.UUID("7d0c6f0e-1c5a-4a8e-9f3b-0b8f6f2a1c11")
    assert env.produced_at == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert env.handling.dissemination == ["DEU", "HTEG"]
    assert env.topic == "feeds.person.FRA" and env.key == b"FRA-P-000123"


def test_payload_validated_for_its_feed(wire_envelope: Wire, example: Callable[[str], Any]) -> None:
    data = wire_envelope("case", record_id="FRA-C-1")
    assert validate_envelope(data).payload.offence_type == "thb_forced_labour"
    # A person payload on the case feed breaks the case contract.
    assert ("payload.offence_type", "missing") in rules(
        wire_envelope("case", payload=example("person"))
    )


def test_alpha2_source_country_normalised_and_fake_refused(wire_envelope: Wire) -> None:
    assert validate_envelope(wire_envelope(source_country="fr")).source_country == "FRA"
    assert rules(wire_envelope(source_country="XXA")) == [("source_country", "country.unknown")]


def test_required_fields_and_unknown_fields(wire_envelope: Wire) -> None:
    data = wire_envelope(sender="me")
    del data["record_id"]
    assert rules(data) == [("record_id", "missing"), ("sender", "unknown_field")]


def test_record_and_schema_versions(wire_envelope: Wire) -> None:
    assert rules(wire_envelope(record_version=0)) == [("record_version", "greater_than_equal")]
    assert rules(wire_envelope(record_version="2")) == [("record_version", "type.integer")]
    assert rules(wire_envelope(schema_version=7)) == [("schema_version", "schema_version.unknown")]
    data = wire_envelope()
    data["feed"] = "vehicle"
    assert rules(data) == [("feed", "enum")]


def test_upsert_needs_payload_and_delete_has_none(wire_envelope: Wire) -> None:
    assert rules(wire_envelope(payload=None)) == [("payload", "payload.missing")]
    assert rules(wire_envelope(operation="delete")) == [("payload", "payload.delete")]
    assert validate_envelope(wire_envelope(operation="delete", payload=None)).payload is None
    assert rules(wire_envelope(operation="merge")) == [("operation", "enum")]


def test_timestamps_need_zone_and_order(wire_envelope: Wire) -> None:
    assert rules(wire_envelope(produced_at="2026-11-28T10:00:00")) == [
        ("produced_at", "timestamp.timezone")
    ]
    assert rules(wire_envelope(produced_at="yesterday")) == [("produced_at", "timestamp.format")]
    assert rules(wire_envelope(reported_at="2026-11-29T00:00:00Z")) == [
        ("reported_at", "timestamp.order")
    ]
    env = validate_envelope(wire_envelope(produced_at="2026-11-28T12:00:00+02:00"))
    assert env.produced_at == datetime(2026, 11, 28, 10, tzinfo=UTC)


def test_h3_requires_handling_note(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data["handling"]["handling_code"] = "H3"
    assert rules(data) == [("handling.handling_note", "handling.note_required")]
    data["handling"]["handling_note"] = "  Not to be shared with customs.  "
    assert validate_envelope(data).handling.handling_note == "Not to be shared with customs."


def test_handling_enums_closed(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data["handling"].update(handling_code="H4", source_reliability="D", information_assessment=2)
    assert rules(data) == [
        ("handling.handling_code", "enum"),
        ("handling.source_reliability", "enum"),
        ("handling.information_assessment", "enum"),
    ]


def test_dissemination_countries_and_networks(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data["handling"]["dissemination"] = ["de", "HTEG", "DEU", "ison"]
    assert validate_envelope(data).handling.dissemination == ["DEU", "HTEG", "ISON"]
    data["handling"]["dissemination"] = ["ZZ", "H!"]
    assert rules(data) == [
        ("handling.dissemination[0]", "dissemination.unknown"),
        ("handling.dissemination[1]", "dissemination.unknown"),
    ]
    data["handling"]["dissemination"] = ["HT EG"]
    assert rules(data) == [("handling.dissemination[0]", "dissemination.network")]


def test_review_by_defaults_to_five_years_and_not_before_reporting(wire_envelope: Wire) -> None:
    data = wire_envelope()
    del data["handling"]["review_by"]
    assert validate_envelope(data).handling.review_by == date(2031, 11, 20)
    data["handling"]["review_by"] = "2026-01-01"
    assert rules(data) == [("handling.review_by", "handling.review_by")]
    assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)


def test_operation_code_pattern(wire_envelope: Wire) -> None:
    assert rules(wire_envelope(operation_code="liberterra 2026")) == [("operation_code", "pattern")]


def test_envelope_for_fills_defaults(example: Callable[[str], Any]) -> None:
    env = envelope_for("person", "FR", "FRA-P-9", 3, example("person"))
    assert isinstance(env, Envelope)
    assert env.source_country == "FRA" and env.schema_version == 1 and env.record_version == 3
    assert env.message_id.version == 4
    assert env.reported_at == env.produced_at and env.produced_at.tzinfo is UTC
    assert env.handling.handling_code == "H0" and env.handling.dissemination == []
    assert env.handling.review_by == add_years(env.reported_at.date(), 5)
    assert isinstance(env.payload, PersonV1)


def test_envelope_for_accepts_models_handling_and_delete(example: Callable[[str], Any]) -> None:
    payload = PersonV1.model_validate(example("person"))
    handling = Handling(
        dissemination=["DEU"], handling_code="H2", source_reliability="A",
        information_assessment="1", review_by=date(2040, 1, 1),
    )  # fmt: skip
    reported = datetime(2026, 1, 1, tzinfo=UTC)
    env = envelope_for(
        "person", "DEU", "DEU-1", 1, payload, handling=handling, reported_at=reported
    )
    assert env.payload is payload and env.handling.review_by == date(2040, 1, 1)
    gone = envelope_for("person", "DEU", "DEU-1", 2, None, operation="delete")
    assert gone.payload is None and gone.operation == "delete"


def test_envelope_for_raises_contract_errors(example: Callable[[str], Any]) -> None:
    with pytest.raises(ValidationFailure) as info:
        envelope_for("person", "FRA", "FRA-P-1", 1, example("person") | {"role": "boss"})
    assert [f.path for f in info.value.failures] == ["payload.role"]
    with pytest.raises(ValidationFailure):
        envelope_for("person", "FRA", "FRA-P-1", 1, example("case"))


def test_canonical_bytes_sorted_compact_utf8_without_signature(wire_envelope: Wire) -> None:
    data = wire_envelope(signature="c2lnbmF0dXJl")
    data["payload"]["primary_name"]["family"] = "Петров"
    raw = canonical_bytes(data)
    assert b'"signature"' not in raw
    assert "Петров".encode() in raw
    assert raw.startswith(b'{"feed":"person","handling":{"dissemination":["DEU","HTEG"]')
    assert json.loads(raw) == {k: v for k, v in data.items() if k != "signature"}
    assert canonical_bytes({k: v for k, v in data.items() if k != "signature"}) == raw


def test_round_trip_through_bytes_is_stable(example: Callable[[str], Any]) -> None:
    env = envelope_for("travel_document", "SWE", "SWE-D-1", 1, example("travel_document"))
    again = validate_envelope(json.loads(env.to_bytes()))
    assert again == env
    assert again.canonical_bytes() == env.canonical_bytes() == canonical_bytes(env)
    signed = env.model_copy(update={"signature": "QUJD"})
    assert json.loads(signed.to_bytes())["signature"] == "QUJD"
    assert signed.canonical_bytes() == env.canonical_bytes()


def test_signed_value_appends_the_signature_as_the_last_member(wire_envelope: Wire) -> None:
    data = wire_envelope()
    data.pop("signature", None)
    canonical = canonical_bytes(data)
    value = signed_value(canonical, "c2ln+/==")
    assert value == canonical[:-1] + b',"signature":"c2ln+/=="}'
    assert json.loads(value) == {**data, "signature": "c2ln+/=="}
    assert split_signed(value) == ({**data, "signature": "c2ln+/=="}, canonical, "c2ln+/==")


@pytest.mark.parametrize(
    "change",
    [
        # Other layouts of the same envelope: taken by the general path, never sliced.
        lambda v: json.dumps(json.loads(v), sort_keys=True).encode(),
        lambda v: json.dumps(json.loads(v), sort_keys=True, separators=(",", ":")).encode(),
        lambda v: v + b"\n",
        # Not canonical before the signature: unsorted keys, spaces, an escaped character.
        lambda v: b'{"x":1,' + v[1:],
        lambda v: v.replace(b'"feed":"person"', b'"feed": "person"'),
        lambda v: v.replace(b'"feed":"person"', b'"feed":"p\\u0065rson"'),
        # A second signature, or a last member that is not a plain base64 string.
        lambda v: v.replace(b'{"feed"', b'{"signature":"QUJD","feed"'),
        lambda v: v[:-2] + b'\\""}',
        lambda v: v[:-2] + b'","x":"y"}',
    ],
)
def test_split_signed_refuses_any_other_layout(wire_envelope: Wire, change: Any) -> None:
    data = wire_envelope()
    data.pop("signature", None)
    value = change(signed_value(canonical_bytes(data), "QUJD"))
    assert split_signed(value) is None
