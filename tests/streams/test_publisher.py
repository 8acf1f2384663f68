"""Publisher side without a broker: file formats, the CSV mapping, validation before sending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import ContractError, canonical_bytes, signed_value
from streams.ingest import Ingest, Rejected
from streams.keys import KeyRegistry, create_keypair, load_private_key
from streams.publisher import FeedPublisher, publish_file
from tests.streams.conftest import DATA, person


@pytest.fixture
def offline(tmp_path: Path) -> FeedPublisher:
    # No broker: dry runs and envelope building never open a connection.
    private, _ = create_keypair("NLD", tmp_path)
    return FeedPublisher("127.0.0.1:1", "NL", load_private_key(private))


@pytest.mark.parametrize(
    ("name", "sent", "invalid", "deletes", "bad_lines"),
    [
        ("person_records.jsonl", 3, 4, 1, [3, 4, 5, 6]),
        ("person_records.json", 2, 1, 0, [4]),
        ("person_records.csv", 3, 1, 1, [4]),
    ],
)
def test_dry_run_counts_valid_and_invalid_records_per_format(
    offline: FeedPublisher, name: str, sent: int, invalid: int, deletes: int, bad_lines: list[int]
) -> None:
    summary = publish_file(offline, "person", DATA / name, dry_run=True)
    assert (summary.sent, summary.invalid, summary.deletes) == (sent, invalid, deletes)
    assert [f.line for f in summary.failures] == bad_lines
    assert offline.sent == 0 and not summary.ok


def test_reasons_name_the_field_and_the_rule(offline: FeedPublisher) -> None:
    summary = publish_file(offline, "person", DATA / "person_records.jsonl", dry_run=True)
    reasons = {f.line: f.reason for f in summary.failures}
    assert "payload.role" in reasons[3] and "witnes" in reasons[3]
    assert "payload.nationalitys" in reasons[4] and "unknown" in reasons[4]
    assert "record_id" in reasons[5] and "missing" in reasons[5]
    assert "not JSON" in reasons[6]


def test_csv_columns_map_to_envelope_handling_and_payload(offline: FeedPublisher) -> None:
    from streams.publisher import _records

    _fmt, records = _records(DATA / "person_records.csv", "person", None)
    first = next(r for _line, r in records)
    envelope = offline.envelope("person", first)
    assert envelope.record_id == "NLD-P-000020" and envelope.record_version == 1
    assert envelope.handling.dissemination == ["DEU", "EUROPOL"]
    assert envelope.handling.source_reliability == "A"
    assert envelope.payload.nationalities == ["UKR", "MDA"]
    assert envelope.payload.documents[0].number == "FE123456"


def test_signed_bytes_verify_against_the_canonical_form(offline: FeedPublisher) -> None:
    envelope = offline.envelope("person", person(1, "NLD"))
    value = offline.signed_bytes(envelope)
    data = json.loads(value)
    registry = KeyRegistry()
    registry.add("NLD", offline.private_key.public_key())
    assert registry.verify("NLD", canonical_bytes(data), data["signature"])
    data["payload"]["primary_name"]["family"] = "Tampered"
    assert not registry.verify("NLD", canonical_bytes(data), data["signature"])


def test_the_signature_covers_the_value_as_sent_minus_its_last_member(
    offline: FeedPublisher,
) -> None:
    value = offline.signed_bytes(offline.envelope("person", person(1, "NLD")))
    data = json.loads(value)
    assert list(data)[-1] == "signature"
    assert value == signed_value(canonical_bytes(data), data["signature"])
    registry = KeyRegistry()
    registry.add("NLD", offline.private_key.public_key())
    ingest = Ingest("127.0.0.1:1", None, key_registry=registry)  # check() needs no broker
    envelope, _data = ingest.check("feeds.person.NLD", 0, 0, value)
    assert envelope.record_id == "NLD-P-000001"
    altered = value.replace(b"Family1", b"Family2")
    with pytest.raises(Rejected) as info:
        ingest.check("feeds.person.NLD", 0, 1, altered)
    assert info.value.error_class == "signature.invalid"


def test_invalid_record_raises_before_sending(offline: FeedPublisher) -> None:
    with pytest.raises(ContractError, match=r"payload\.role"):
        offline.publish("person", {"record_id": "X-1", "record_version": 1, "payload": {}})
    with pytest.raises(ContractError, match="signs for NLD"):
        offline.publish("person", {**person(1, "NLD"), "source_country": "DEU"})
    assert offline.sent == 0


def test_dry_run_refuses_values_no_stage_can_store(offline: FeedPublisher, tmp_path: Path) -> None:
    # Each was accepted by `publish --dry-run` and then stopped the ingest or the warehouse load.
    big_version = person(2, "NLD", version=2**63)
    nul = person(3, "NLD")
    nul["payload"]["primary_name"]["family"] = "Fam\x00ily"
    lines = [
        json.dumps(person(1, "NLD")),
        json.dumps(big_version),
        json.dumps(nul),
        '{"record_id": "NLD-P-4", "record_version": ' + "9" * 5000 + "}",
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = publish_file(offline, "person", path, dry_run=True)
    assert (summary.sent, summary.invalid) == (1, 3)
    reasons = {f.line: f.reason for f in summary.failures}
    assert "record_version" in reasons[2] and "less_than_equal" in reasons[2]
    assert "primary_name.family" in reasons[3] and "text.control_character" in reasons[3]
    assert "not a JSON number" in reasons[4]
    with pytest.raises(ContractError, match="less_than_equal"):
        offline.envelope("person", big_version)
