"""Export the models as JSON Schema files (and the AsyncAPI document) and detect drift.

The files are committed so publishers can validate without Python; a test compares them with a
fresh export and names `uv run interlink contracts export` when they differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.registry import ENVELOPE_VERSION, PAYLOAD_MODELS

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
ASYNCAPI_PATH = PACKAGE_DIR / "asyncapi.yaml"
EXPORT_COMMAND = "uv run interlink contracts export"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _with_header(schema: dict[str, Any], title: str, name: str, version: int) -> dict[str, Any]:
    header = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$comment": f"Generated from the pydantic models by `{EXPORT_COMMAND}`; do not edit.",
        "title": title,
        "x-interlink-name": name,
        "x-interlink-version": version,
    }
    return header | {k: v for k, v in schema.items() if k != "title"}


def payload_schema(feed: str, version: int) -> dict[str, Any]:
    """JSON Schema (2020-12) of a feed's payload at `version`."""
    model = PAYLOAD_MODELS[(feed, version)]
    return _with_header(model.model_json_schema(mode="validation"), model.__name__, feed, version)


def envelope_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the envelope (payload checked separately, per feed/version)."""
    return _with_header(
        Envelope.model_json_schema(mode="validation"), "Envelope", "envelope", ENVELOPE_VERSION
    )


def dumps(schema: dict[str, Any]) -> str:
    """Stable text form of a schema: 2-space indent, UTF-8, trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def render_schemas() -> dict[str, str]:
    """Every schema file's relative path (`person/v1.json`) and content."""
    files = {f"envelope/v{ENVELOPE_VERSION}.json": dumps(envelope_schema())}
    for feed, version in sorted(PAYLOAD_MODELS):
        files[f"{feed}/v{version}.json"] = dumps(payload_schema(feed, version))
    return files


def render_all() -> dict[Path, str]:
    """Every generated file (schemas and the AsyncAPI document) by absolute default path."""
    from contracts.asyncapi import render_asyncapi

    files = {SCHEMAS_DIR / rel: text for rel, text in render_schemas().items()}
    files[ASYNCAPI_PATH] = render_asyncapi()
    return files


def export(schemas_dir: Path = SCHEMAS_DIR, asyncapi_path: Path = ASYNCAPI_PATH) -> list[Path]:
    """Write the JSON Schemas and the AsyncAPI document; returns the files written."""
    from contracts.asyncapi import render_asyncapi

    written = []
    for rel, text in render_schemas().items():
        path = schemas_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    asyncapi_path.write_text(render_asyncapi(), encoding="utf-8")
    written.append(asyncapi_path)
    return written


def drift(schemas_dir: Path = SCHEMAS_DIR, asyncapi_path: Path = ASYNCAPI_PATH) -> list[str]:
    """Generated files that are missing or differ from a fresh export (empty: up to date)."""
    from contracts.asyncapi import render_asyncapi

    expected = {schemas_dir / rel: text for rel, text in render_schemas().items()}
    expected[asyncapi_path] = render_asyncapi()
    stale = []
    for path, text in expected.items():
        if not path.exists():
            stale.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != text:
            stale.append(f"{path} differs from the models")
    return stale
