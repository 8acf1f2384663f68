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
