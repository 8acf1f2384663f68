"""Field rules shared by all feeds: countries, text, phones, e-mails, dates, identifiers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from contracts import PersonV1, ValidationFailure, validate_payload
from contracts.fields import partial_date_bounds, today_utc


def person(**fields: Any) -> dict[str, Any]:
    return {"role": "suspect", "primary_name": {"family": "Petrov"}, **fields}


def failures_of(payload: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailure) as info:
        validate_payload("person", payload)
    return [(f.path, f.rule) for f in info.value.failures]


def valid(payload: dict[str, Any]) -> PersonV1:
    model = validate_payload("person", payload)
    assert isinstance(model, PersonV1)
    return model


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("FRA", "FRA"), ("FR", "FRA"), ("fr", "FRA"), (" ua ", "UKR"), ("D", "DEU"), ("EL", "GRC"),
     ("UK", "GBR"), ("XXA", "XXA"), ("XXB", "XXB"), ("XXC", "XXC"), ("XXX", "XXX")],
)  # fmt: skip
def test_country_codes_normalise_to_alpha3(sent: str, stored: str) -> None:
    assert valid(person(nationalities=[sent])).nationalities == [stored]


@pytest.mark.parametrize("sent", ["ZZ", "ZZZ", "FRANCE", "", "UTO", "XX", 250])
def test_unknown_country_codes_are_refused(sent: Any) -> None:
    rule = "country.type" if not isinstance(sent, str) else "country.unknown"
    assert failures_of(person(nationalities=[sent])) == [("nationalities[0]", rule)]


def test_icao_extras_are_refused_where_a_real_country_is_needed() -> None:
    payload = person(forensic_refs=[{"kind": "dna", "reference": "X1", "database": "CODIS",
                                      "country": "XXA"}])  # fmt: skip
    assert failures_of(payload) == [("forensic_refs[0].country", "country.unknown")]


def test_strings_are_trimmed_and_nfc_normalised() -> None:
    decomposed = "Jose\u0301"  # e + combining acute accent
    model = valid(person(primary_name={"family": f"  {decomposed} ", "given": " Ana "}))
    assert model.primary_name.family == "Jos\u00e9"
    assert model.primary_name.given == "Ana"


def test_strings_are_length_bounded_and_not_empty() -> None:
    assert failures_of(person(primary_name={"family": "x" * 201})) == [
        ("primary_name.family", "length.max")
    ]
    assert failures_of(person(primary_name={"family": "   "})) == [
        ("primary_name.family", "length.min")
    ]
    assert valid(person(primary_name={"family": " " + "x" * 200 + " "}))


def test_unknown_fields_are_refused_at_every_level() -> None:
    assert failures_of(person(familly="x")) == [("familly", "unknown_field")]
    assert failures_of(person(primary_name={"family": "P", "middle": "Q"})) == [
        ("primary_name.middle", "unknown_field")
    ]


def test_name_needs_some_part() -> None:
    assert failures_of(person(primary_name={"script": "Latn"})) == [("primary_name", "name.empty")]


@pytest.mark.parametrize("script", ["Latn", "Cyrl", "Arab", "Grek"])
def test_iso15924_scripts_accepted(script: str) -> None:
    assert valid(person(primary_name={"full": "x", "script": script})).primary_name.script == script


def test_unknown_script_refused() -> None:
    assert failures_of(person(primary_name={"full": "x", "script": "Klingon"})) == [
        ("primary_name.script", "script.unknown")
    ]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("+380501234567", "+380501234567"),
        ("+380 50 123 4567", "+380501234567"),
        ("00380501234567", "+380501234567"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+49 (30) 1234567", "+49301234567"),
    ],
)
def test_phones_normalise_to_e164(sent: str, stored: str) -> None:
    assert valid(person(phones=[sent])).phones == [stored]


@pytest.mark.parametrize(
    "sent", ["0612345678", "+33 1", "+999 123456", "call me", "+3361234567890"]
)
def test_invalid_phones_refused(sent: str) -> None:
    assert failures_of(person(phones=[sent])) == [("phones[0]", "phone.e164")]


def test_emails_checked_and_domain_lowercased() -> None:
    assert valid(person(emails=["Ivan.P@Example.ORG"])).emails == ["Ivan.P@example.org"]
    for bad in ["ivan", "ivan@", "@example.org", "a b@example.org", "ivan@localhost"]:
        assert failures_of(person(emails=[bad])) == [("emails[0]", "email.format")], bad


@pytest.mark.parametrize("sent", ["1985", "1985-03", "1985-03-09", "2000-02-29"])
def test_partial_birth_dates_accepted_as_sent(sent: str) -> None:
    assert valid(person(birth_date=sent)).birth_date == sent


@pytest.mark.parametrize(
    ("sent", "rule"),
    [
        ("85", "birth_date.format"),
        ("1985-3", "birth_date.format"),
        ("09/03/1985", "birth_date.format"),
        ("1985-13", "birth_date.invalid"),
        ("1985-02-30", "birth_date.invalid"),
        ("2001-02-29", "birth_date.invalid"),
        (str(today_utc().year + 1), "birth_date.future"),
        ((today_utc() + timedelta(days=1)).isoformat(), "birth_date.future"),
        (str(today_utc().year - 121), "birth_date.age"),
        ((today_utc().replace(year=today_utc().year - 120)).isoformat(), "birth_date.age"),
    ],
)
def test_bad_birth_dates_refused(sent: str, rule: str) -> None:
    assert failures_of(person(birth_date=sent)) == [("birth_date", rule)]


def test_birth_date_today_and_age_119_accepted() -> None:
    today = today_utc()
    assert valid(person(birth_date=today.isoformat()))
    # A year that may still hold a 119-year-old (born late in the year) is accepted.
    assert valid(person(birth_date=str(today.year - 120 + 1)))


def test_partial_date_bounds() -> None:
    assert partial_date_bounds("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert partial_date_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert partial_date_bounds("2024-02-10") == (date(2024, 2, 10), date(2024, 2, 10))


def test_identifiers_have_no_spaces() -> None:
    assert valid(person(case_refs=["FRA-C-000045", "a.b:c/d_e"])).case_refs[1] == "a.b:c/d_e"
    assert failures_of(person(case_refs=["FRA C 1"])) == [("case_refs[0]", "identifier.format")]
    assert failures_of(person(case_refs=["x" * 129])) == [("case_refs[0]", "identifier.format")]


def test_document_numbers_upper_cased() -> None:
    model = valid(
        person(
            documents=[{"doc_type": "passport", "number": " fe123456 ", "issuing_country": "ua"}]
        )
    )
    assert model.documents[0].number == "FE123456"
    assert model.documents[0].issuing_country == "UKR"
    bad = person(documents=[{"doc_type": "passport", "number": "FE#1", "issuing_country": "UKR"}])
    assert failures_of(bad) == [("documents[0].number", "document_number.format")]


def test_closed_enums() -> None:
    assert failures_of(person(role="boss")) == [("role", "enum")]
    assert failures_of(person(sex="male")) == [("sex", "enum")]
    bad_doc = {"doc_type": "passport_card", "number": "1", "issuing_country": "FRA"}
    assert failures_of(person(documents=[bad_doc])) == [("documents[0].doc_type", "enum")]


def test_lists_are_bounded() -> None:
    assert failures_of(person(nationalities=["FRA"] * 11)) == [("nationalities", "length.max")]


def test_failure_names_path_value_and_rule() -> None:
    with pytest.raises(ValidationFailure) as info:
        validate_payload("person", person(phones=["+33612345678", "12"]))
    (failure,) = info.value.failures
    assert (failure.path, failure.value, failure.rule) == ("phones[1]", "12", "phone.e164")
    assert "international" in failure.message
    assert "phones[1]" in str(info.value) and "'12'" in str(info.value)
    assert "\n" not in str(info.value)
