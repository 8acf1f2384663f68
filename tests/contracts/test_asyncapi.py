"""The AsyncAPI 3.0 document: channels per feed and country, receipts, DLQ, schemas, security."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import yaml

from contracts import FEEDS
from contracts.asyncapi import build_asyncapi, render_asyncapi
from contracts.export import ASYNCAPI_PATH


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    target: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def test_committed_document_is_the_generated_one(doc: dict[str, Any]) -> None:
    assert doc == build_asyncapi()
    assert yaml.safe_load(render_asyncapi()) == doc


def test_channels_per_feed_receipts_and_dlq(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    addresses = {name: ch["address"] for name, ch in doc["channels"].items()}
    assert addresses == {
        **{feed: f"feeds.{feed}.{{country}}" for feed in FEEDS},
        "receipts": "feeds.receipts.{country}",
        "dlq": "feeds.dlq",
    }
    for feed in [*FEEDS, "receipts"]:
        assert set(doc["channels"][feed]["parameters"]) == {"country"}
    for feed in FEEDS:
        assert doc["operations"][f"publish_{feed}"]["action"] == "send"
    assert doc["operations"]["receive_receipts"]["action"] == "receive"


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs = _refs(doc)
    assert len(refs) >= 40
    for ref in refs:
        assert ref.startswith("#/"), ref
        _resolve(doc, ref)  # KeyError if dangling


def test_security_scheme_documents_scram_and_signatures(doc: dict[str, Any]) -> None:
    scheme = doc["components"]["securitySchemes"]["scram"]
    assert scheme["type"] == "scramSha512"
    assert "embedded broker has none" in scheme["description"]
    assert "Ed25519" in doc["info"]["description"]
    assert doc["servers"]["production"]["security"] == [
        {"$ref": "#/components/securitySchemes/scram"}
    ]
    assert "security" not in doc["servers"]["local"]


@pytest.mark.parametrize("feed", FEEDS)
def test_message_schema_accepts_a_valid_envelope(
    doc: dict[str, Any], feed: str, wire_envelope: Callable[..., dict[str, Any]]
) -> None:
    model = {"person": "PersonV1", "travel_document": "TravelDocumentV1", "case": "CaseV1",
             "notice": "NoticeV1"}[feed]  # fmt: skip
    schema = {"components": doc["components"], "$ref": f"#/components/schemas/{model}Message"}
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(wire_envelope(feed))
    wrong_feed = wire_envelope(feed)
    wrong_feed["feed"] = "notice" if feed != "notice" else "case"
    assert not validator.is_valid(wrong_feed)
    broken = wire_envelope(feed)
    broken["payload"]["unexpected"] = 1
    assert not validator.is_valid(broken)


def test_dead_letter_headers_follow_kafka_connect(doc: dict[str, Any]) -> None:
    headers = doc["components"]["messages"]["dead_letter"]["headers"]["properties"]
    assert "__connect.errors.exception.class.name" in headers
    assert "__connect.errors.topic" in headers
