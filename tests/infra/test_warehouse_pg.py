"""Governance proofs against the real PostgreSQL: row-level security per recipient, victim
masking, deletion and retention everywhere with audit rows, a load killed mid-COPY.

Each test gets its own database (and its own recipient role names, since roles are
cluster-wide), dropped afterwards, so parallel workers never meet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import warehouse_world as W
from warehouse_pg_world import Roles, admin_q, as_role, world_db

from infra.lake import Lake
from infra.warehouse import (
    InvalidRecipient,
    grant_recipient,
    load,
    purge_expired,
    revoke_recipient,
    set_networks,
)
from infra.warehouse.catalog import TABLES

pytestmark = pytest.mark.postgres

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Lake, Roles]]:
    """One loaded world shared by the tests that only read it."""
    with world_db(tmp_path_factory.mktemp("pg-world")) as w:
        yield w


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[tuple[str, Lake, Roles]]:
    """A loaded world of its own, for a test that changes it."""
    with world_db(tmp_path) as w:
        yield w


def ids(rows: list[tuple[Any, ...]]) -> set[Any]:
    return {r[0] for r in rows}


def test_two_recipients_see_different_rows_of_the_same_tables(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    sql = "SELECT record_key FROM interlink.records"
    fra = ids(as_role(url, roles.fra, sql))
    deu = ids(as_role(url, roles.deu, sql))
    hteg = ids(as_role(url, roles.hteg, sql))
    everyone = {
        "FRA/person/FRA-P-1",
        "ESP/person/ESP-P-2",
        "FRA/case/FRA-C-1",
        "FRA/travel_document/FRA-D-1",
        "GRC/notice/GRC-N-1",
    }
    assert fra == everyone | {"FRA/person/FRA-P-9"}
    assert deu == everyone | {"DEU/person/DEU-P-7", "DEU/case/DEU-C-9"}
    assert hteg == everyone | {"DEU/person/DEU-P-7"}  # DEU-C-9 is for DEU only
    assert len(admin_q(url, sql)) == 9  # the owner (loader) sees all
    # Derived rows follow their sources: the FRA-DEU case link, the pair, the document alert
    # and the network all involve DEU-only or DEU+HTEG records.
    for table in ("case_links", "match_explanations", "document_alerts", "networks"):
        assert as_role(url, roles.fra, f"SELECT count(*) FROM interlink.{table}") == [(0,)], table
        assert as_role(url, roles.deu, f"SELECT count(*) FROM interlink.{table}") == [(1,)], table
    assert as_role(url, roles.hteg, "SELECT count(*) FROM interlink.case_links") == [(0,)]
    # The ITA-only record and the notice hit on it are nobody's here.
    assert as_role(url, roles.deu, "SELECT count(*) FROM interlink.notice_hits") == [(0,)]
    assert as_role(url, roles.deu, "SELECT count(*) FROM interlink.trends") == [(2,)]
    assert as_role(url, roles.fra, "SELECT country FROM interlink.trends") == [("FRA",)]


def test_victim_identity_masked_for_recipient_without_victim_access(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    sql = (
        "SELECT primary_name, identity_masked, phones, documents FROM interlink.persons "
        "WHERE record_id = 'FRA-P-1'"
    )
    assert as_role(url, roles.fra, sql) == [("[masked]", True, None, None)]
    name, masked, phones, docs = as_role(url, roles.deu, sql)[0]
    assert (name, masked, phones) == ("Anna Petrova", False, ["+380501234567"])
    assert docs[0]["number"] == "FE123456"
    # Not only in the view: the identity table itself holds no victim row for FRA.
    assert as_role(
        url, roles.fra, "SELECT record_id FROM interlink.person_identities ORDER BY 1"
    ) == [("ESP-P-2",)]
    # A non-victim's name is not masked for FRA.
    assert as_role(
        url, roles.fra, "SELECT primary_name FROM interlink.persons WHERE record_id = 'ESP-P-2'"
    ) == [("Lucía García",)]


def test_entity_shows_each_recipient_only_the_records_it_may_see(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    sql = (
        "SELECT n_records, countries, names, has_masked_identity, handling_code "
        "FROM interlink.entities WHERE entity_id = 'E1'"
    )
    # E1 = FRA's victim record (all members) + DEU's suspect record (DEU, HTEG). Without victim
    # access the victim's record is no part of any entity (test_warehouse_masking.py).
    assert as_role(url, roles.fra, sql) == []
    assert as_role(url, roles.deu, sql) == [
        (2, ["DEU", "FRA"], ["Anna Petrova", "Иван Петров"], False, "H1")
    ]
    assert as_role(url, roles.hteg, sql) == [(1, ["DEU"], ["Иван Петров"], False, "H1")]


def test_h1_h2_caveats_travel_with_rows_and_exports(world: tuple[str, Lake, Roles]) -> None:
    url, _lake, roles = world
    rows = as_role(
        url,
        roles.deu,
        "SELECT record_key, handling_code, caveat FROM "
        "interlink.records WHERE handling_code IN ('H1', 'H2')",
    )
    assert rows and all(c and c.startswith(h) for _k, h, c in rows)
    # An export (COPY of a view) carries the caveat column.
    with psycopg.connect(url) as con:
        con.execute(f'SET ROLE "{roles.deu}"')
        with (
            con.cursor() as cur,
            cur.copy(
                "COPY (SELECT record_id, primary_name, caveat FROM interlink.persons "
                "WHERE record_id = 'DEU-P-7') TO STDOUT (FORMAT csv, HEADER true)"
            ) as cp,
        ):
            exported = b"".join(bytes(c) for c in cp).decode()
    assert "caveat" in exported.splitlines()[0]
    assert "H1: not to be used as evidence" in exported


def test_every_table_and_column_is_commented(world: tuple[str, Lake, Roles]) -> None:
    url, _lake, _roles = world
    missing = admin_q(
        url,
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN pg_class k ON k.relname = c.table_name JOIN pg_namespace n ON n.oid = "
        "k.relnamespace AND n.nspname = c.table_schema WHERE c.table_schema = 'interlink' "
        "AND k.relkind = 'r' AND col_description(k.oid, c.ordinal_position) IS NULL",
    )
    assert missing == []
    tables = admin_q(
        url,
        "SELECT relname FROM pg_class k JOIN pg_namespace n ON n.oid = "
        "k.relnamespace WHERE nspname = 'interlink' AND relkind IN ('r', 'v') "
        "AND obj_description(k.oid, 'pg_class') IS NULL",
    )
    assert tables == []


def test_deletion_and_purge_disappear_from_every_table_with_audit_rows(
    pg: tuple[str, Lake, Roles],
) -> None:
    url, lake, roles = pg
    # Source delete: DEU deleted DEU-P-7; transforms dropped it upstream.
    world = W.world()
    world["silver"]["person"] = [
        r for r in world["silver"]["person"] if r["record_id"] != "DEU-P-7"
    ]
    for t in ("person_pairs", "document_alerts"):
        world["gold"][t] = [r for r in world["gold"][t] if "DEU-P-7" not in json.dumps(r)]
    W.write_lake(
        lake,
        world,
        only=["silver/person", "gold/person_entities", "gold/person_pairs", "gold/document_alerts"],
    )
    report = load(url, lake)
    assert report.source_deletes == 1
    # Retention: ITA-P-3's review_by (2026-06-30) has passed.
    purged = purge_expired(url, lake, today=TODAY)
    assert [p["record_key"] for p in purged.purged] == ["ITA/person/ITA-P-3"]
    for t in TABLES:
        left = admin_q(
            url,
            f"SELECT count(*) FROM interlink.{t.name} WHERE record_keys && "
            "ARRAY['DEU/person/DEU-P-7', 'ITA/person/ITA-P-3']",
        )
        assert left == [(0,)], t.name
    audit = admin_q(
        url,
        "SELECT action, record_key, source_country, actor FROM "
        "interlink.audit_log ORDER BY audit_id",
    )
    assert [a[:3] for a in audit] == [
        ("source_delete", "DEU/person/DEU-P-7", "DEU"),
        ("retention_purge", "ITA/person/ITA-P-3", "ITA"),
        ("lake_erasure", "DEU/person/DEU-P-7", "DEU"),
        ("lake_erasure", "ITA/person/ITA-P-3", "ITA"),
    ]
    # Each entry names who did it: the database user the loader and the purge connected as.
    who = admin_q(url, "SELECT current_user")[0][0]
    assert [a[3] for a in audit] == [who] * 4
    for rel in lake.list("bronze") + lake.list("silver") + lake.list("gold"):
        text = str(lake.read_parquet(rel).to_pylist())
        assert "DEU-P-7" not in text and "ITA-P-3" not in text, rel
    # The network recomputes without DEU-P-7: what is left of E1 is FRA's record.
    assert as_role(
        url, roles.deu, "SELECT n_records FROM interlink.entities WHERE entity_id = 'E1'"
    ) == [(1,)]
    # The audit log is never purged, nor edited.
    with (
        pytest.raises(psycopg.errors.RaiseException, match="append-only"),
        psycopg.connect(url) as con,
    ):
        con.execute("DELETE FROM interlink.audit_log")


def test_rows_postgresql_cannot_store_are_set_aside_and_the_rest_loads(
    pg: tuple[str, Lake, Roles],
) -> None:
    url, lake, _roles = pg
    world = W.world()
    persons = {p["record_id"]: p for p in world["silver"]["person"]}
    persons["FRA-P-1"]["sex"] = None  # a legitimate change…
    persons["ESP-P-2"]["primary_name_original"] = "Luc\x00ía García"  # …a NUL in a name…
    persons["ESP-P-2"]["record_version"] += 1
    cases = world["silver"]["case"]
    cases.append(dict(cases[0], record_id="FRA-C-99", handling_code="H7"))  # …an unknown code
    W.write_lake(lake, world, only=["silver/case", "silver/person", "gold/person_entities"])
    report = load(url, lake)  # used to roll back on the first of them, every time
    assert report.as_dict()["rejected"] == {
        "person_identities": 1,
        "records": 1,
        "cases": 1,
    }
    rejected = admin_q(
        url,
        "SELECT table_name, row_identity, reason, load_id FROM interlink.rejected_rows "
        "ORDER BY table_name",
    )
    h7 = "handling_code H7 is not one of H0-H3"
    nul = "primary_name contains U+0000 (NUL), which PostgreSQL cannot store"
    assert rejected == [
        ("cases", '{"source_country":"FRA","record_id":"FRA-C-99"}', h7, report.load_id),
        (
            "person_identities",
            '{"source_country":"ESP","record_id":"ESP-P-2"}',
            nul,
            report.load_id,
        ),
        (
            "records",
            '{"source_country":"FRA","feed":"case","record_id":"FRA-C-99"}',
            h7,
            report.load_id,
        ),
    ]
    # The rest loaded: the change in person_records and ESP-P-2's new version in the tables
    # that could store it; the identity PostgreSQL refused keeps its previous version.
    assert admin_q(url, "SELECT sex FROM interlink.person_records WHERE record_id = 'FRA-P-1'") == [
        (None,)
    ]
    assert admin_q(
        url, "SELECT record_version FROM interlink.records WHERE record_id = 'ESP-P-2'"
    ) == [(persons["ESP-P-2"]["record_version"],)]
    assert admin_q(
        url, "SELECT primary_name FROM interlink.person_identities WHERE record_id = 'ESP-P-2'"
    ) == [("Lucía García",)]
    assert admin_q(url, "SELECT count(*) FROM interlink.cases WHERE record_id = 'FRA-C-99'") == [
        (0,)
    ]
    # A full reload too rewrites every row but the refused one's previous version.
    assert load(url, lake, full=True).as_dict()["rejected"] == report.as_dict()["rejected"]
    assert admin_q(
        url, "SELECT primary_name FROM interlink.person_identities WHERE record_id = 'ESP-P-2'"
    ) == [("Lucía García",)]
    # The source resends them clean: they load and leave rejected_rows.
    persons["ESP-P-2"]["primary_name_original"] = "Lucía García-Ruiz"
    cases[-1]["handling_code"] = "H2"
    W.write_lake(lake, world, only=["silver/case", "silver/person", "gold/person_entities"])
    done = load(url, lake)
    assert done.as_dict()["rejected"] == {}
    assert done.tables["cases"].inserted == 1 and done.tables["person_identities"].updated == 1
    assert admin_q(url, "SELECT count(*) FROM interlink.rejected_rows") == [(0,)]
    assert admin_q(
        url, "SELECT primary_name FROM interlink.person_identities WHERE record_id = 'ESP-P-2'"
    ) == [("Lucía García-Ruiz",)]


def test_grant_is_idempotent_and_network_membership_changes_visibility(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    role = f"{roles.fra}_x"
    sql = "SELECT count(*) FROM interlink.records WHERE record_key = 'DEU/person/DEU-P-7'"
    try:
        first = grant_recipient(url, role, scope="NLD")
        assert first == {"role": role, "scope": "NLD", "networks": [], "victim_access": False}
        assert as_role(url, role, sql) == [(0,)]
        # NLD joins HTEG: the DEU+HTEG record becomes visible, with no grant on rows.
        again = grant_recipient(url, role, scope="NLD", networks=["HTEG"])
        assert again["networks"] == ["HTEG"]
        assert as_role(url, role, sql) == [(1,)]
        set_networks(url, "NLD", [])
        assert as_role(url, role, sql) == [(0,)]
        with pytest.raises(InvalidRecipient, match="not a country or network code"):
            grant_recipient(url, role, scope="nld; DROP TABLE x")
    finally:
        revoke_recipient(url, role, drop_role=True)
    assert admin_q(
        url, "SELECT count(*) FROM interlink.recipients WHERE role_name = %s", (role,)
    ) == [(0,)]
