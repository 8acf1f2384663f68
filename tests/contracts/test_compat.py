"""Compatibility checker: only adding or dropping optional fields passes, transitively."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.compat import check_all, check_compatibility
from contracts.export import SCHEMAS_DIR


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NameV1(_Strict):
    family: str
    given: str | None = None


class PersonV1(_Strict):
    role: Literal["suspect", "victim", "witness"]
    primary_name: NameV1
    phones: list[str] = Field(default_factory=list)
    sex: str | None = None


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="validation")


def test_identical_schemas_are_compatible() -> None:
    assert check_compatibility(schema(PersonV1), schema(PersonV1)) == []


def test_adding_an_optional_field_is_allowed() -> None:
    class PersonV2(PersonV1):
        nickname: str | None = None

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == []


def test_dropping_an_optional_field_is_allowed() -> None:
    class PersonV2(_Strict):
        role: Literal["suspect", "victim", "witness"]
        primary_name: NameV1
        phones: list[str] = Field(default_factory=list)

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == []


def test_description_changes_are_allowed() -> None:
    class PersonV2(PersonV1):
        sex: str | None = Field(default=None, description="M, F, X or U")

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == []


def test_removed_required_field_refused() -> None:
    class PersonV2(_Strict):
        primary_name: NameV1
        phones: list[str] = Field(default_factory=list)
        sex: str | None = None

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "role: removed required field"
    ]


def test_new_required_field_refused() -> None:
    class PersonV2(PersonV1):
        birth_date: str

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "birth_date: new required field (old data lacks it)"
    ]


def test_changed_type_refused() -> None:
    class PersonV2(PersonV1):
        sex: int | None = None

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "sex: changed type null|string -> integer|null"
    ]


def test_narrowed_enum_refused() -> None:
    class PersonV2(PersonV1):
        role: Literal["suspect", "victim"]  # type: ignore[assignment]

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "role: narrowed enum: removed ['witness']"
    ]


def test_widened_enum_refused_because_old_readers_reject_new_values() -> None:
    class PersonV2(PersonV1):
        role: Literal["suspect", "victim", "witness", "missing"]  # type: ignore[assignment]

    (problem,) = check_compatibility(schema(PersonV1), schema(PersonV2))
    assert problem.startswith("role: widened enum: added ['missing']")


def test_optional_to_required_and_back_refused() -> None:
    class PersonV2(PersonV1):
        sex: str  # type: ignore[assignment]

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "sex: optional field became required (old data lacks it)",
        "sex: changed type null|string -> string",
    ]
    assert check_compatibility(schema(PersonV2), schema(PersonV1)) == [
        "sex: required field became optional (old readers need it)",
        "sex: changed type string -> null|string",
    ]


def test_nested_changes_found_through_refs() -> None:
    class NameV2(_Strict):
        family: int
        given: str | None = None

    class PersonV2(PersonV1):
        primary_name: NameV2  # type: ignore[assignment]

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "primary_name.family: changed type string -> integer"
    ]


def test_tightened_constraint_and_list_items_refused() -> None:
    class PersonV2(PersonV1):
        phones: list[int] = Field(default_factory=list)  # type: ignore[assignment]

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "phones[]: changed type string -> integer"
    ]

    class PersonV3(PersonV1):
        phones: list[str] = Field(default_factory=list, max_length=3)

    assert check_compatibility(schema(PersonV1), schema(PersonV3)) == [
        "phones: changed constraint maxItems: '(none)' -> 3"
    ]


def _write(root: Path, feed: str, version: int, model: type[BaseModel]) -> None:
    (root / feed).mkdir(parents=True, exist_ok=True)
    (root / feed / f"v{version}.json").write_text(json.dumps(schema(model)))


def test_check_all_is_transitive(tmp_path: Path) -> None:
    # v2 drops optional `sex`, v3 re-adds it as a required integer: v2->v3 reports the new
    # required field, and v1->v3 the changed type even though v2 no longer had the field.
    class V2(_Strict):
        role: Literal["suspect", "victim", "witness"]
        primary_name: NameV1
        phones: list[str] = Field(default_factory=list)

    class V3(V2):
        sex: int

    _write(tmp_path, "person", 1, PersonV1)
    _write(tmp_path, "person", 2, V2)
    _write(tmp_path, "person", 3, V3)
    problems = check_all(tmp_path)
    assert "person v1 -> v3: sex: optional field became required (old data lacks it)" in problems
    assert "person v1 -> v3: sex: changed type null|string -> integer" in problems
    assert "person v2 -> v3: sex: new required field (old data lacks it)" in problems
    assert not [p for p in problems if p.startswith("person v1 -> v2")]


def test_committed_schemas_are_compatible() -> None:
    assert check_all(SCHEMAS_DIR) == []


def test_missing_directory_reported(tmp_path: Path) -> None:
    assert check_all(tmp_path / "nope") == [f"{tmp_path / 'nope'}: no such schema directory"]


def test_changed_default_refused() -> None:
    class PersonV2(PersonV1):
        sex: str | None = "U"

    assert check_compatibility(schema(PersonV1), schema(PersonV2)) == [
        "sex: changed default None -> 'U'"
    ]
