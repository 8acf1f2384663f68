"""Erasure reaches rejected_rows (issue 16): an entry set aside by a load (its key and reason may
quote the record's values) leaves the warehouse when its record is erased, with an audit row,
though the refused row never reached a table for the purge to find. PostgreSQL, whose loads
refuse a U+0000 in a text value."""

from __future__ import annotations

import json
from datetime import date

import pytest
import warehouse_world as W
from warehouse_pg_world import admin_q, world_db

from infra.warehouse import load, purge_expired

pytestmark = pytest.mark.postgres

TODAY = date(2026, 11, 28)  # ITA-P-3's review_by (2026-06-30) has passed


def test_purging_a_record_removes_its_rejected_row_entries_with_an_audit_row(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = W.world()
    ita = next(p for p in data["silver"]["person"] if p["record_id"] == "ITA-P-3")
    ita["primary_name_original"] = "Marco\x00Rossi"
    with world_db(tmp_path_factory.mktemp("pg-rejected"), data) as (url, lake, _roles):
        rejected = admin_q(
            url, "SELECT table_name, row_identity, record_keys FROM interlink.rejected_rows"
        )
        assert rejected == [
            (
                "person_identities",
                '{"source_country":"ITA","record_id":"ITA-P-3"}',
                ["ITA/person/ITA-P-3"],
            )
        ]
        report = purge_expired(url, lake, today=TODAY)
        assert report.as_dict()["rejected_rows_removed"] == 1
        assert admin_q(url, "SELECT count(*) FROM interlink.rejected_rows") == [(0,)]
        audit = admin_q(
            url,
            "SELECT record_key, record_version, details FROM interlink.audit_log "
            "WHERE action = 'rejected_erasure'",
        )
        assert [(a[0], a[1]) for a in audit] == [("ITA/person/ITA-P-3", 1)]
        details = audit[0][2] if isinstance(audit[0][2], dict) else json.loads(audit[0][2])
        assert details["rejected_rows"][0][0] == "person_identities"
        # A rerun finds nothing more, and the next load does not bring the entry back (the
        # record is gone from the lake, its tombstone blocks stale gold).
        assert purge_expired(url, lake, today=TODAY).as_dict()["rejected_rows_removed"] == 0
        load(url, lake)
        assert admin_q(url, "SELECT count(*) FROM interlink.rejected_rows") == [(0,)]
