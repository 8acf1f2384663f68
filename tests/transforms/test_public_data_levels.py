"""Levels and blocking rules that public data (FEBRL) called for: keying errors in addresses,
split words, names mistyped or replaced, met through the birth date or the address."""

from __future__ import annotations

import pytest
from transforms_testkit import RECORD_SCHEMA, match_record

from transforms import blocking as B
from transforms.comparisons import (
    ADDRESS_HALF,
    ADDRESS_MOST,
    ADDRESS_NONE,
    ADDRESS_SOME,
    address_code,
)


def test_address_words_one_keying_error_apart_are_alike() -> None:
    a = ["ceduna", "vic", "4214", "7", "middleton", "circuit", "yaraan"]
    b = ["ceduna", "vic", "4214", "7", "middletoz", "cwircuit"]
    assert address_code(a, b) == ADDRESS_MOST


def test_address_word_split_by_a_space_is_glued_back() -> None:
    a = ["toowoomba", "sa", "3980", "3", "spinifex", "street", "sweetwaters"]
    b = ["toowoomba", "sa", "3980", "3", "spinifex", "street", "sweet", "w", "atdrs"]
    assert address_code(a, b) == ADDRESS_MOST


def test_house_and_postal_numbers_match_only_exactly() -> None:
    assert address_code(["12", "4011"], ["13", "4012"]) == ADDRESS_NONE
    assert address_code(["herschell", "12"], ["herschell", "13"]) == ADDRESS_HALF
    assert address_code(["lyon", "rue", "victor", "hugo"], ["paris", "rue", "x", "y"]) == (
        ADDRESS_SOME
    )


@pytest.mark.spark
def test_records_meet_through_full_birth_date_and_address_number(spark) -> None:  # type: ignore[no-untyped-def]
    recs = [
        # The same person whose given and family names were both replaced: only the birth date
        # and the address are left.
        match_record(
            "AUS|a", "kyle", "brain", birth_date="1977-07-14", address="blacktown 5253 coghill"
        ),
        match_record(
            "AUS|b", "rosie", "reid", birth_date="1977-07-14", address="blackown 5253 coghill"
        ),
        # Birth date lost; the street and house number are left.
        match_record("AUS|c", "liam", "musolino", address="campsie 199 irvine street"),
        match_record("AUS|d", "lima", "muslino", address="campsie 199 irvinewstreet"),
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    keys = B.record_keys(records)
    flagged = B.flagged_keys(B.key_stats(keys, B.BlockingConfig()))
    pairs = {
        (r["l_rk"], r["r_rk"]): set(r["rules"]) for r in B.candidate_pairs(keys, flagged).collect()
    }
    assert {"dob", "adr"} <= pairs[("AUS|a", "AUS|b")]
    assert "adr" in pairs[("AUS|c", "AUS|d")]


@pytest.mark.spark
def test_document_numbers_one_keying_error_apart_have_their_own_level(spark) -> None:  # type: ignore[no-untyped-def]
    from transforms.comparisons import DocumentComparison

    pairs = [
        ("AUS:6988048", "AUS:6988048"),
        ("AUS:6988048", "AUS:6988084"),  # two adjacent digits swapped
        ("AUS:6988048", "AUS:6988049"),  # one digit mistyped
        ("AUS:6988048", "NZL:6988049"),  # another issuer
        ("AUS:6988048", "AUS:1234567"),
    ]
    rows = [(f"{i}", [a], [b]) for i, (a, b) in enumerate(pairs)]
    df = spark.createDataFrame(rows, "i string, l_ids_doc array<string>, r_ids_doc array<string>")
    comp = DocumentComparison()
    labels = comp.labels()
    got = [labels[r["g"]] for r in df.select("i", comp.gamma().alias("g")).orderBy("i").collect()]
    assert got == ["shared", "one_keying_error", "one_keying_error", "else", "else"]


@pytest.mark.spark
def test_driver_and_spark_components_agree(spark) -> None:  # type: ignore[no-untyped-def]
    from transforms.clustering import connected_components

    edges = spark.createDataFrame(
        [("a", "b"), ("c", "b"), ("d", "e"), ("f", "f"), ("g", "d")], "l_rk string, r_rk string"
    )
    nodes = spark.createDataFrame([(x,) for x in "abcdefgh"], "rk string")

    def comps(local_edges: int) -> dict[str, str]:
        rows = connected_components(nodes, edges, local_edges=local_edges).collect()
        return {r["rk"]: r["component"] for r in rows}

    on_driver, in_spark = comps(100), comps(0)
    assert on_driver == in_spark
    assert on_driver == {
        "a": "a",
        "b": "a",
        "c": "a",
        "d": "d",
        "e": "d",
        "g": "d",
        "f": "f",
        "h": "h",
    }


@pytest.mark.spark
def test_one_corrupted_field_does_not_split_records_agreeing_on_name_and_birth_date(spark) -> None:  # type: ignore[no-untyped-def]
    from transforms.clustering import refine
    from transforms.comparisons import default_comparisons
    from transforms.persons import ResolutionConfig, lift_unsure_cannot_links

    comps = default_comparisons()
    exact_name = comps[0].labels().index("exact")
    exact_dob = comps[1].labels().index("exact")
    config = ResolutionConfig()
    clusters = spark.createDataFrame(
        [("a", "a", None), ("b", "a", None), ("c", "a", None)],
        "rk string, component string, guard string",
    )
    scored = spark.createDataFrame(
        [
            ("a", "b", 9.0, exact_name, exact_dob),
            ("b", "c", 9.0, exact_name, exact_dob),
            # Same name and full birth date, but an identity number far off: weight -6 bits.
            ("a", "c", -6.0, exact_name, exact_dob),
        ],
        "l_rk string, r_rk string, match_weight double, g_name int, g_birth_date int",
    )

    def groups(frame) -> int:  # type: ignore[no-untyped-def]
        out = refine(
            clusters,
            frame,
            accept=config.threshold_weight,
            cannot_link=config.cannot_link_weight,
        )
        return len({r["component"] for r in out.collect()})

    assert groups(scored) == 2  # taken as proof of two people, the cluster falls apart
    assert groups(lift_unsure_cannot_links(scored, comps, config.cannot_link_weight)) == 1


@pytest.mark.spark
def test_birth_dates_with_two_adjacent_digits_swapped_have_their_own_level(spark) -> None:  # type: ignore[no-untyped-def]
    from transforms.comparisons import BirthDateComparison

    pairs = [
        ("1972-08-12", "1972-08-21"),
        ("1927-08-12", "1972-08-12"),
        ("1972-08-12", "1972-08-13"),
        ("1972-08-12", "1972-03-27"),
    ]
    rows = [
        (f"{i}", a, b, int(a[:4]), int(b[:4]), int(a[5:7]), int(b[5:7]), int(a[8:]), int(b[8:]))
        for i, (a, b) in enumerate(pairs)
    ]
    df = spark.createDataFrame(
        rows,
        "i string, l_birth_date string, r_birth_date string, l_birth_year int, r_birth_year int, "
        "l_birth_month int, r_birth_month int, l_birth_day int, r_birth_day int",
    )
    comp = BirthDateComparison()
    labels = comp.labels()
    got = [labels[r["g"]] for r in df.select("i", comp.gamma().alias("g")).orderBy("i").collect()]
    assert got == ["digits_swapped", "digits_swapped", "one_edit", "else"]
