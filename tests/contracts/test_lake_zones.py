"""The lake's zones, declared once in contracts/lake.py, are the ones docs/wire-format.md lists, and
the tombstone and audit shapes are the documented ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import lake as L

WIRE_FORMAT = Path(__file__).resolve().parents[2] / "docs" / "wire-format.md"


def _layout() -> str:
    text = WIRE_FORMAT.read_text(encoding="utf-8")
    return text.split("## Lake layout", 1)[1].split("### Bronze columns", 1)[0]


def test_every_zone_is_in_the_documented_lake_layout() -> None:
    layout = _layout()
    zones = [L.BRONZE, L.QUARANTINE, L.SILVER, L.GOLD, L.STATE, L.TOMBSTONES, L.AUDIT, L.REPORTS]
    for zone in zones:
        assert f"<lake>/{zone}/" in layout, f"docs/wire-format.md: lake layout lacks {zone}/"
    assert "state/ingest/seen/feed=<feed>/country=<ISO3>.parquet" in layout
    assert L.seen_index_path("person", "FRA") == "state/ingest/seen/feed=person/country=FRA.parquet"


def test_tombstone_and_audit_fields_are_documented() -> None:
    layout = _layout()
    for name in [*L.TOMBSTONE_SCHEMA.names, *L.AUDIT_FIELDS]:
        assert f"`{name}`" in layout, name
    assert L.tombstone_name("ITA", "20261205T000000Z") == (
        "tombstones/country=ITA/20261205T000000Z.parquet"
    )


def test_audit_names_only_declared_actions() -> None:
    assert L.audit_name("key_revoke", "2026-12-05", "s", "id") == (
        "audit/key_revoke/2026-12-05/s-id.json"
    )
    with pytest.raises(ValueError, match="AUDIT_ACTIONS"):
        L.audit_name("coffee_break", "2026-12-05", "s", "id")


def test_quarantined_files_keep_their_names_and_markers() -> None:
    rel = "bronze/feed=person/country=FRA/date=2026-12-01/feeds.person.FRA+0+3-9.parquet"
    assert L.bronze_path_of(L.quarantine_path(rel)) == rel
    assert (
        L.validation_marker(L.quarantine_path(rel))
        == L.validation_marker(rel)
        == ("reports/quality/validated/feeds.person.FRA+0+3-9.json")
    )
    assert L.zone_relative(rel) == L.zone_relative(L.quarantine_path(rel))
