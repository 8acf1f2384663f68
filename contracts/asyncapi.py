"""AsyncAPI 3.0 document for publishers, generated from the same models as the JSON Schemas."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from contracts.envelope import Envelope
from contracts.receipt import ReceiptBatch
from contracts.registry import FEEDS, LATEST_VERSION, PAYLOAD_MODELS

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"

_COUNTRY_PARAMETER = {
    "description": "ISO 3166-1 alpha-3 code of the publishing country (FRA, DEU, UKR, …). "
    "A country may only write its own topics; the envelope's source_country must match.",
    "examples": ["FRA", "DEU", "UKR"],
}

# Kafka Connect's dead-letter header names, so existing tooling can read our DLQ.
DLQ_HEADERS = {
    "__connect.errors.topic": "Topic the message was read from.",
    "__connect.errors.partition": "Partition it was read from (decimal string).",
    "__connect.errors.offset": "Offset it was read at (decimal string).",
    "__connect.errors.exception.class.name": "Stable error class (decode.utf8, validation, "
    "country.spoofed, signature.invalid, …).",
    "__connect.errors.exception.message": "One readable line: what broke and what to do.",
}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = "#/components/schemas/" + value.removeprefix("#/$defs/")
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _hoist(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put a model's schema and its $defs into components.schemas (same names must agree)."""
    schema = copy.deepcopy(schema)
    for def_name, definition in schema.pop("$defs", {}).items():
        rewritten = _rewrite_refs(definition)
        if def_name in schemas and schemas[def_name] != rewritten:
            raise ValueError(f"two different models are both named {def_name}: rename one")
        schemas[def_name] = rewritten
    schemas[name] = _rewrite_refs(schema)


def _message_name(feed: str, version: int) -> str:
    return f"{feed}_v{version}"


def build_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a dict (see `render_asyncapi` for the YAML)."""
    schemas: dict[str, Any] = {}
    _hoist("Envelope", Envelope.model_json_schema(mode="validation"), schemas)
    _hoist("ReceiptBatch", ReceiptBatch.model_json_schema(mode="validation"), schemas)
    messages: dict[str, Any] = {}
    for feed, version in sorted(PAYLOAD_MODELS):
        model = PAYLOAD_MODELS[(feed, version)]
        _hoist(model.__name__, model.model_json_schema(mode="validation"), schemas)
        name = _message_name(feed, version)
        schemas[f"{model.__name__}Message"] = {
            "description": f"An envelope whose payload is a {feed} v{version} record.",
            "allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "feed": {"const": feed},
                        "schema_version": {"const": version},
                        "payload": {
                            "anyOf": [
                                {"$ref": f"#/components/schemas/{model.__name__}"},
                                {"type": "null"},
                            ]
                        },
                    },
                },
            ],
        }
        messages[name] = {
            "name": name,
            "title": f"{feed} record, schema version {version}",
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "correlationId": {"location": "$message.payload#/message_id"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": "record_id of the envelope"},
                    "bindingVersion": "0.5.0",
                }
            },
            "payload": {"$ref": f"#/components/schemas/{model.__name__}Message"},
        }
    messages["receipt"] = {
        "name": "receipt",
        "title": "Receipt",
        "summary": "Accepted, rejected (with reason) or duplicate (a message id already "
        "accepted, not landed again), one receipt per message read from a "
        "feed topic; one Kafka message carries the receipts of consecutive messages of one "
        "feed topic partition.",
        "contentType": "application/json",
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "<feed topic>+<partition>"},
                "bindingVersion": "0.5.0",
            }
        },
        "payload": {"$ref": "#/components/schemas/ReceiptBatch"},
    }
    messages["dead_letter"] = {
        "name": "dead_letter",
        "title": "Dead letter",
        "summary": "The original message bytes, unchanged, with the reason in headers.",
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "properties": {k: {"type": "string", "description": v} for k, v in DLQ_HEADERS.items()},
        },
        "payload": {"type": "string", "format": "binary", "description": "Original value."},
    }

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for feed in FEEDS:
        versions = sorted(v for f, v in PAYLOAD_MODELS if f == feed)
        channels[feed] = {
            "address": f"feeds.{feed}.{{country}}",
            "title": f"{feed} feed of one country",
            "description": f"One topic per country; key = record_id; latest schema version "
            f"{LATEST_VERSION[feed]}.",
            "parameters": {"country": copy.deepcopy(_COUNTRY_PARAMETER)},
            "messages": {
                _message_name(feed, v): {"$ref": f"#/components/messages/{_message_name(feed, v)}"}
                for v in versions
            },
        }
        operations[f"publish_{feed}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{feed}"},
            "summary": f"A country publishes its {feed} records (upserts and deletes).",
            "security": [{"$ref": "#/components/securitySchemes/scram"}],
        }
    channels["receipts"] = {
        "address": "feeds.receipts.{country}",
        "title": "Receipts of one country",
        "parameters": {"country": copy.deepcopy(_COUNTRY_PARAMETER)},
        "messages": {"receipt": {"$ref": "#/components/messages/receipt"}},
    }
    channels["dlq"] = {
        "address": "feeds.dlq",
        "title": "Dead letters",
        "description": "Messages that could not be decoded, broke the contract, were unsigned "
        "or badly signed, or claimed another country; operators replay them after a fix.",
        "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
    }
    operations["receive_receipts"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/receipts"},
        "summary": "A country reads what happened to each message it sent.",
        "security": [{"$ref": "#/components/securitySchemes/scram"}],
    }
    operations["receive_dead_letters"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/dlq"},
        "summary": "Operators inspect and replay dead letters.",
        "security": [{"$ref": "#/components/securitySchemes/scram"}],
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Interlink feeds",
            "version": DOCUMENT_VERSION,
            "description": (
                "Member countries publish person, travel_document, case and notice records as "
                "JSON envelopes on feeds.<feed>.<ISO3>. Every envelope carries a detached "
                "Ed25519 signature over its canonical bytes (sorted keys, compact separators, "
                "UTF-8, without the signature field), verified at ingest: this holds even where "
                "the broker has no authentication. Generated from the pydantic models in "
                "contracts/ by `uv run interlink contracts export`; do not edit."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "kafka.interlink.example:9093",
                "protocol": "kafka-secure",
                "description": "Production cluster: TLS and SASL/SCRAM-SHA-512, one principal "
                "per country with write ACLs on its own feeds.*.<ISO3> topics only.",
                "security": [{"$ref": "#/components/securitySchemes/scram"}],
            },
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The embedded broker of the local stack: no authentication and "
                "no TLS; message signatures are the only proof of origin there.",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "securitySchemes": {
                "scram": {
                    "type": "scramSha512",
                    "description": "SASL/SCRAM-SHA-512 over TLS in production (set "
                    "INTERLINK_BROKER__SECURITY_PROTOCOL=SASL_SSL, SASL_MECHANISM=SCRAM-SHA-512). "
                    "The embedded broker has none; messages are Ed25519-signed either way.",
                }
            },
        },
    }


def render_asyncapi() -> str:
    """The AsyncAPI document as stable YAML text."""
    header = "# Generated from contracts/ by `uv run interlink contracts export`; do not edit.\n"
    return header + yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=100)
