"""The four payload models: the valid examples pass, and each feed-specific rule is enforced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from contracts import (
    FEEDS,
    LATEST_VERSION,
    PAYLOAD_MODELS,
    CaseV1,
    NoticeV1,
    PersonV1,
    TravelDocumentV1,
    ValidationFailure,
    validate_payload,
)
from contracts.fields import today_utc

Example = Callable[[str], dict[str, Any]]


def rules(feed: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailure) as info:
        validate_payload(feed, payload)
    return [(f.path, f.rule) for f in info.value.failures]


def test_registry_names_every_feed() -> None:
    assert FEEDS == ("person", "travel_document", "case", "notice")
    assert PAYLOAD_MODELS[("person", 1)] is PersonV1
    assert PAYLOAD_MODELS[("travel_document", 1)] is TravelDocumentV1
    assert PAYLOAD_MODELS[("case", 1)] is CaseV1
    assert PAYLOAD_MODELS[("notice", 1)] is NoticeV1
    assert dict.fromkeys(FEEDS, 1) == LATEST_VERSION


@pytest.mark.parametrize("feed", FEEDS)
def test_valid_examples_pass(feed: str, example: Example) -> None:
    model = validate_payload(feed, example(feed))
    assert isinstance(model, PAYLOAD_MODELS[(feed, 1)])


@pytest.mark.parametrize("feed", FEEDS)
def test_every_feed_rejects_unknown_fields(feed: str, example: Example) -> None:
    payload = example(feed) | {"colour": "blue"}
    assert rules(feed, payload) == [("colour", "unknown_field")]


def test_person_keeps_names_as_sent(example: Example) -> None:
    model = validate_payload("person", example("person"))
    assert isinstance(model, PersonV1)
    assert model.aliases[0].full == "Иван Петров" and model.aliases[0].script == "Cyrl"
    assert model.forensic_refs[0].reference == "AFIS-77812"


def test_person_requires_role_and_primary_name() -> None:
    assert rules("person", {}) == [("role", "missing"), ("primary_name", "missing")]


def test_person_forensic_refs_are_references_only(example: Example) -> None:
    payload = example("person")
    payload["forensic_refs"][0]["template"] = "base64-minutiae"
    assert rules("person", payload) == [("forensic_refs[0].template", "unknown_field")]
    payload["forensic_refs"][0].pop("template")
    payload["forensic_refs"][0]["kind"] = "iris"
    assert rules("person", payload) == [("forensic_refs[0].kind", "enum")]


def test_birth_place_needs_something(example: Example) -> None:
    payload = example("person") | {"birth_place": {}}
    assert rules("person", payload) == [("birth_place", "place.empty")]


# -- travel_document -------------------------------------------------------------------------
def test_specimen_mrz_passes(example: Example) -> None:
    model = validate_payload("travel_document", example("travel_document"))
    assert isinstance(model, TravelDocumentV1) and model.mrz is not None


def test_mrz_digit_flip_fails_in_the_model(example: Example) -> None:
    payload = example("travel_document")
    payload["mrz"][1] = payload["mrz"][1].replace("L898902C36", "L898902C37")
    assert rules("travel_document", payload) == [("mrz", "mrz.check_digit")]


def test_mrz_must_describe_the_same_document(example: Example) -> None:
    payload = example("travel_document") | {"number": "L898902C4"}
    assert rules("travel_document", payload) == [("mrz", "mrz.number_mismatch")]


def test_mrz_state_must_match_issuing_country() -> None:
    number = "C01X00T47"
    line1 = "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<"
    line2 = "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"
    payload = {
        "doc_type": "passport", "number": number, "issuing_country": "FRA",
        "status": "lost", "status_date": "2026-01-05", "mrz": [line1, line2],
    }  # fmt: skip
    assert rules("travel_document", payload) == [("mrz", "mrz.state_mismatch")]
    ok = validate_payload("travel_document", payload | {"issuing_country": "DE"})
    assert isinstance(ok, TravelDocumentV1) and ok.issuing_country == "DEU"


def test_mrz_line_count_bounded(example: Example) -> None:
    payload = example("travel_document")
    payload["mrz"] = payload["mrz"][:1]
    assert rules("travel_document", payload) == [("mrz", "length.min")]


def test_travel_document_status_closed_and_date_not_future(example: Example) -> None:
    assert rules("travel_document", example("travel_document") | {"status": "found"}) == [
        ("status", "enum")
    ]
    tomorrow = (today_utc() + timedelta(days=1)).isoformat()
    assert rules("travel_document", example("travel_document") | {"status_date": tomorrow}) == [
        ("status_date", "date.future")
    ]
    assert rules("travel_document", example("travel_document") | {"status_date": "02/10/2026"}) == [
        ("status_date", "date.format")
    ]


def test_holder_needs_ref_or_name(example: Example) -> None:
    payload = example("travel_document") | {"holder": {"birth_date": "1974"}}
    assert rules("travel_document", payload) == [("holder", "holder.empty")]


# -- case ------------------------------------------------------------------------------------
def test_case_keeps_trafficking_apart_from_smuggling(example: Example) -> None:
    assert rules("case", example("case") | {"offence_type": "trafficking"}) == [
        ("offence_type", "enum")
    ]
    assert validate_payload("case", example("case") | {"offence_type": "som_sea"})


def test_case_dates_in_order(example: Example) -> None:
    payload = example("case") | {"start_date": "2026-05-01", "end_date": "2026-04-01"}
    assert rules("case", payload) == [("", "case.dates")]


def test_case_coordinates_pair_and_range(example: Example) -> None:
    payload = example("case")
    payload["location"] = {"country": "FRA", "lat": 45.0}
    assert rules("case", payload) == [("location", "location.coordinates")]
    payload["location"] = {"country": "FRA", "lat": 95.0, "lon": 4.0}
    assert rules("case", payload) == [("location.lat", "less_than_equal")]


def test_case_counts_and_routes(example: Example) -> None:
    assert rules("case", example("case") | {"victims_count": -1}) == [
        ("victims_count", "greater_than_equal")
    ]
    assert rules("case", example("case") | {"victims_count": "7"}) == [
        ("victims_count", "type.integer")
    ]
    payload = example("case")
    payload["route"]["transit"] = ["POL", "Atlantis"]
    assert rules("case", payload) == [("route.transit[1]", "country.unknown")]
    payload = example("case")
    payload["persons"][0]["role"] = "boss"
    assert rules("case", payload) == [("persons[0].role", "enum")]


# -- notice ----------------------------------------------------------------------------------
def test_notice_types_closed(example: Example) -> None:
    assert rules("notice", example("notice") | {"notice_type": "pink"}) == [("notice_type", "enum")]
    assert rules("notice", example("notice") | {"status": "expired"}) == [("status", "enum")]


def test_notice_subject_named_unless_black(example: Example) -> None:
    payload = example("notice")
    payload["subject"].pop("primary_name")
    assert rules("notice", payload) == [("", "notice.subject_name")]
    assert validate_payload("notice", payload | {"notice_type": "black"})


def test_notice_subject_rules_as_person(example: Example) -> None:
    payload = example("notice")
    payload["subject"]["birth_date"] = "1979-02-30"
    payload["subject"]["nationalities"] = ["IT", "QQ"]
    assert rules("notice", payload) == [
        ("subject.birth_date", "birth_date.invalid"),
        ("subject.nationalities[1]", "country.unknown"),
    ]
