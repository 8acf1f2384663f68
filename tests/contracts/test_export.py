"""The committed JSON Schemas match the models, and publishers' validators agree on examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from contracts import FEEDS
from contracts.export import (
    ASYNCAPI_PATH,
    EXPORT_COMMAND,
    SCHEMAS_DIR,
    drift,
    export,
    render_schemas,
)


def test_committed_schemas_match_the_models() -> None:
    stale = drift()
    assert not stale, (
        "the exported contract files are out of date with the pydantic models: "
        + "; ".join(stale)
        + f". Regenerate them with `{EXPORT_COMMAND}` and commit the result."
    )


def test_every_feed_and_the_envelope_have_a_schema_file() -> None:
    expected = {f"{feed}/v1.json" for feed in FEEDS} | {"envelope/v1.json"}
    assert set(render_schemas()) == expected
    for rel in expected:
        assert (SCHEMAS_DIR / rel).is_file()
    assert ASYNCAPI_PATH.is_file()


def test_drift_is_detected_and_export_repairs_it(tmp_path: Any) -> None:
    schemas, asyncapi = tmp_path / "schemas", tmp_path / "asyncapi.yaml"
    assert len(drift(schemas, asyncapi)) == len(render_schemas()) + 1  # all missing
    export(schemas, asyncapi)
    assert drift(schemas, asyncapi) == []
    person = schemas / "person" / "v1.json"
    person.write_text(person.read_text().replace('"suspect"', '"suspekt"'))
    assert drift(schemas, asyncapi) == [f"{person} differs from the models"]


def _schema(rel: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / rel).read_text(encoding="utf-8"))


@pytest.mark.parametrize("feed", FEEDS)
def test_examples_valid_under_exported_schema(feed: str, example: Callable[[str], Any]) -> None:
    schema = _schema(f"{feed}/v1.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(example(feed))


@pytest.mark.parametrize("feed", FEEDS)
def test_exported_schema_rejects_unknown_fields(feed: str, example: Callable[[str], Any]) -> None:
    validator = jsonschema.Draft202012Validator(_schema(f"{feed}/v1.json"))
    assert not validator.is_valid(example(feed) | {"colour": "blue"})


def test_exported_schema_rejects_bad_enum_and_missing_field(example: Callable[[str], Any]) -> None:
    validator = jsonschema.Draft202012Validator(_schema("person/v1.json"))
    assert not validator.is_valid(example("person") | {"role": "boss"})
    payload = example("person")
    del payload["primary_name"]
    assert not validator.is_valid(payload)


def test_envelope_schema_validates_the_wire_example(wire_envelope: Callable[..., Any]) -> None:
    schema = _schema("envelope/v1.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(wire_envelope())
    assert not validator.is_valid(wire_envelope(operation="merge"))
