"""The gold tables are declared once (contracts/gold.py); the warehouse catalog may only name gold
columns declared there, and a mismatch is an error naming the table and the columns."""

from __future__ import annotations

import dataclasses

import pytest

from contracts.gold import TABLES, GoldSchemaMismatch, gold_table
from infra.warehouse import catalog, gold_sources
from infra.warehouse.catalog import Column


def test_warehouse_catalog_and_gold_contract_agree() -> None:
    assert gold_sources.gold_drift() == []


def test_every_gold_source_of_the_catalog_is_declared() -> None:
    named = {s.removeprefix("gold/") for t in catalog.TABLES for s in t.sources if "gold/" in s}
    assert named <= set(TABLES)
    assert catalog.TABLES_BY_NAME["match_explanations"].gold_tables == (TABLES["person_pairs"],)


def test_catalog_naming_an_undeclared_gold_column_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pairs = catalog.TABLES_BY_NAME["match_explanations"]
    stale = Column("a_side", "text", "x", ((("left_country",), "g.left_country"),))
    unsourced = Column("agreement", "double", "x")
    broken = dataclasses.replace(pairs, columns=(*pairs.columns, stale, unsourced))
    monkeypatch.setattr(gold_sources, "TABLES", (broken,))
    assert gold_sources.gold_drift() == [
        "match_explanations: gold/person_pairs has no column left_country",
        "match_explanations.a_side: no source in gold/person_pairs",
        "match_explanations.agreement: no source in gold/person_pairs",
    ]
    with pytest.raises(GoldSchemaMismatch, match="left_country") as caught:
        gold_sources.check_gold_sources()
    assert "contracts/gold.py" in caught.value.hint


def test_a_closed_known_gap_must_be_removed_from_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(gold_sources.KNOWN_GOLD_GAPS, "networks", frozenset({"size"}))
    assert gold_sources.gold_drift() == [
        "networks.size: listed in KNOWN_GOLD_GAPS but gold/networks now has it"
    ]


def test_gold_table_check_names_missing_unexpected_and_mistyped_columns() -> None:
    members = gold_table("network_members")
    members.check({"network_id": "text", "member_type": "text", "member_id": "text"})
    with pytest.raises(GoldSchemaMismatch) as caught:
        members.check({"network_id": "bigint", "member_type": "text", "extra": "text"})
    assert str(caught.value) == (
        "gold/network_members does not match contracts/gold.py: missing member_id; "
        "unexpected extra; mistyped network_id (bigint, declared text)"
    )
    assert caught.value.table == "network_members"


def test_unknown_gold_table_names_the_choices() -> None:
    with pytest.raises(GoldSchemaMismatch, match="choose one of person_entities"):
        gold_table("persons")
