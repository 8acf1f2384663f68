"""Masking that survives resolution, and no oracle (issue 16), as real recipient roles in
PostgreSQL.

The world: FRA-P-1 is a victim's record (dissemination: all members) resolved into entity E1
with DEU-P-7, a suspect's record HTEG may see. A pair explains the merge, a yellow notice hit
and a stolen-document alert name the victim's record. FRA also reports her passport stolen
(FRA-D-2, holder FRA-P-1, her name and number), and DEU's suspect was seen with it (an alert on
FRA-D-2 in DEU-P-7). HTEG and FRA have no victim access; DEU has. Whatever a recipient without
victim access reads (every table and view it may select), the victim's record shows its
provenance and a masked person, and is linked to nothing; no count tells that she joined E1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import warehouse_world as W
from warehouse_pg_world import Roles, admin_q, as_role, world_db

from infra.lake import Lake
from infra.warehouse.catalog import TABLES

pytestmark = pytest.mark.postgres

VICTIM = "FRA-P-1"
# Values only the victim's record holds (the suspect's passport and phone differ).
VICTIM_ONLY = ("Anna Petrova", "+380501234567", "VA987654", "Olena Erased", "VB111111")


def _world() -> dict[str, Any]:
    data = W.world()
    victim = next(p for p in data["silver"]["person"] if p["record_id"] == VICTIM)
    victim["documents"] = [
        dict(
            victim["documents"][0],
            number="VA987654",
            number_as_sent="VA987654",
            doc_key="UKR:VA987654",
        )
    ]
    alert = dict(data["gold"]["document_alerts"][0])
    alert.update(
        doc_key="UKR:VA987654",
        number="VA987654",
        seen_in_source_country="FRA",
        seen_in_record_id=VICTIM,
    )
    data["gold"]["document_alerts"].append(alert)
    hit = dict(data["gold"]["notice_hits"][0])
    hit.update(
        notice_type="yellow",
        subject_name="Anna Petrova",
        person_source_country="FRA",
        person_record_id=VICTIM,
        person_name="Anna Petrova",
        role="victim",
        entity_id="E1",
        possible_victim=True,
    )
    data["gold"]["notice_hits"].append(hit)
    # Her passport, reported stolen by FRA, with her name as its holder's.
    stolen = dict(
        data["silver"]["travel_document"][0],
        record_id="FRA-D-2",
        message_id="m-fra-d-2",
        offset=2,
        number="VA987654",
        number_as_sent="VA987654",
        doc_key="UKR:VA987654",
        status="stolen_issued",
        holder_person_ref=VICTIM,
        primary_name_original="Anna Petrova",
    )
    data["silver"]["travel_document"].append(stolen)
    # A document whose holder's record is not held (erased, say): nothing says she is no victim.
    data["silver"]["travel_document"].append(
        dict(stolen, record_id="FRA-D-3", message_id="m-fra-d-3", offset=3,
             holder_person_ref="FRA-P-404", number="VB111111", number_as_sent="VB111111",
             doc_key="UKR:VB111111", primary_name_original="Olena Erased")
    )  # fmt: skip
    # DEU's suspect was seen with it: an alert that would show her number to HTEG.
    carried = dict(
        data["gold"]["document_alerts"][0],
        doc_key="UKR:VA987654",
        number="VA987654",
        status="stolen_issued",
        register_record_id="FRA-D-2",
    )
    data["gold"]["document_alerts"].append(carried)
    return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Lake, Roles]]:
    with world_db(tmp_path_factory.mktemp("pg-masking"), _world()) as w:
        yield w


def _everything(url: str, role: str) -> dict[str, list[str]]:
    """Every row of every relation in schema interlink the role may select, as text."""
    with psycopg.connect(url) as con:
        con.execute(f'SET ROLE "{role}"')
        names = [
            r[0]
            for r in con.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'interlink' AND c.relkind IN ('r', 'v') AND "
                "has_table_privilege(current_user, c.oid, 'SELECT') ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: [r[0] for r in con.execute(f"SELECT t::text FROM interlink.{name} t")]
            for name in names
        }


@pytest.mark.parametrize("who", ["hteg", "fra"])
def test_a_victim_resolved_with_visible_suspects_is_linked_to_nothing_without_victim_access(
    world: tuple[str, Lake, Roles], who: str
) -> None:
    url, _lake, roles = world
    seen = _everything(url, getattr(roles, who))
    # The relations recipients read are all there (else this would check nothing).
    assert {t.name for t in TABLES} | {"persons", "entities"} <= set(seen)
    for name, rows in seen.items():
        for row in rows:
            for value in VICTIM_ONLY:
                assert value not in row, (name, row)
    # The victim's record appears as provenance and as a masked person, nowhere else (her
    # passport's record FRA-D-2 as provenance only).
    naming = {name for name, rows in seen.items() if any(VICTIM in r for r in rows)}
    assert naming == {"records", "persons"}
    for document in ("FRA-D-2", "FRA-D-3"):
        naming = {name for name, rows in seen.items() if any(document in r for r in rows)}
        assert naming == {"records"}, document
    # The visible document is still there: only the ones naming a (possible) victim are hidden.
    assert as_role(
        url, getattr(roles, who), "SELECT record_id, holder_role FROM interlink.travel_documents"
    ) == [("FRA-D-1", None)]
    person = as_role(
        url,
        getattr(roles, who),
        "SELECT entity_id, role, sex, birth_date, identity_masked, primary_name, phones, "
        "documents FROM interlink.persons WHERE record_id = %s",
        (VICTIM,),
    )
    assert person == [(None, None, None, None, True, "[masked]", None, None)]
    # E1 holds the suspect's record only: nothing says a second record (FRA's) belongs to it.
    entity = as_role(
        url,
        getattr(roles, who),
        "SELECT n_records, countries FROM interlink.entities WHERE entity_id = 'E1'",
    )
    assert entity == ([(1, ["DEU"])] if who == "hteg" else [])
    # Nor does the suspect's own record count her: every count of E1's records a recipient
    # reads is the one the entities view gives it.
    with psycopg.connect(url) as con:
        con.execute(f'SET ROLE "{getattr(roles, who)}"')
        suspect = con.execute(
            "SELECT to_jsonb(p) FROM interlink.person_records p WHERE entity_id = 'E1'"
        ).fetchall()
    for (row,) in suspect:
        assert row.get("entity_records", 1) == 1 and row.get("entity_countries", 1) == 1, row


def test_with_victim_access_the_same_rows_are_all_there(world: tuple[str, Lake, Roles]) -> None:
    url, _lake, roles = world
    seen = _everything(url, roles.deu)
    for table in ("match_explanations", "notice_hits", "document_alerts", "person_records"):
        assert any(VICTIM in r for r in seen[table]), table
    assert as_role(
        url,
        roles.deu,
        "SELECT holder_name, number, holder_role FROM interlink.travel_documents "
        "WHERE record_id = 'FRA-D-2'",
    ) == [("Anna Petrova", "VA987654", "victim")]
    assert as_role(
        url,
        roles.deu,
        "SELECT holder_role FROM interlink.travel_documents WHERE record_id = 'FRA-D-3'",
    ) == [("unknown",)]
    assert as_role(
        url,
        roles.deu,
        "SELECT entity_id, role, primary_name, phones FROM interlink.persons WHERE record_id = %s",
        (VICTIM,),
    ) == [("E1", "victim", "Anna Petrova", ["+380501234567"])]
    assert as_role(
        url, roles.deu, "SELECT number FROM interlink.document_alerts ORDER BY number"
    ) == [("FE123456",), ("VA987654",), ("VA987654",)]


def test_no_helper_answers_for_another_role_or_runs_with_more_rights_than_the_caller(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    helpers = as_role(
        url,
        roles.fra,
        "SELECT p.proname, p.prosecdef, pg_get_function_identity_arguments(p.oid) "
        "FROM pg_proc p WHERE p.pronamespace = 'interlink'::regnamespace "
        "AND has_function_privilege(current_user, p.oid, 'EXECUTE') ORDER BY 1",
    )
    # What the policies call, and nothing else: no role argument, none SECURITY DEFINER.
    assert helpers == [
        ("my_scopes", False, ""),
        ("victim_access", False, ""),
        ("visible_to", False, "d text[], scopes text[]"),
    ]
    # Not even PUBLIC may run any function of the schema (the audit trigger's included).
    public = as_role(
        url,
        roles.fra,
        "SELECT p.proname FROM pg_proc p, aclexplode(coalesce(p.proacl, "
        "acldefault('f', p.proowner))) a WHERE p.pronamespace = 'interlink'::regnamespace "
        "AND a.grantee = 0",
    )
    assert public == []


def test_a_recipient_learns_nothing_about_hidden_rows_or_other_recipients(
    world: tuple[str, Lake, Roles],
) -> None:
    url, _lake, roles = world
    hidden = "DEU/case/DEU-C-9"  # exists, for DEU only
    missing = "DEU/case/DEU-C-404"  # does not exist
    for probe in (
        "SELECT count(*) FROM interlink.records WHERE record_key = %s",
        # A derived row naming it: the policy looks the record up as the reader.
        "SELECT count(*) FROM interlink.case_links WHERE record_keys @> ARRAY[%s]",
        "SELECT count(*) FROM interlink.network_members WHERE record_keys @> ARRAY[%s]",
    ):
        assert as_role(url, roles.fra, probe, (hidden,)) == as_role(
            url, roles.fra, probe, (missing,)
        ), probe
    # What the owner sees, so that the probes above are about something.
    assert admin_q(
        url, "SELECT count(*) FROM interlink.case_links WHERE record_keys @> ARRAY[%s]", (hidden,)
    ) == [(1,)]
    # The old question "is this visible to DEU?" cannot be asked any more.
    with pytest.raises(psycopg.errors.UndefinedFunction):
        as_role(
            url, roles.fra, f"SELECT interlink.records_visible(ARRAY['{hidden}'], '{roles.deu}')"
        )
    with pytest.raises(psycopg.errors.UndefinedFunction):
        as_role(url, roles.fra, f"SELECT interlink.scopes_of('{roles.deu}')")
    # Its own grant and scopes, nobody else's.
    assert as_role(
        url, roles.fra, "SELECT role_name, scope, victim_access FROM interlink.recipients"
    ) == [(roles.fra, "FRA", False)]
    assert as_role(url, roles.deu, "SELECT country, network FROM interlink.recipient_networks") == [
        ("DEU", "HTEG")
    ]
    assert as_role(url, roles.fra, "SELECT count(*) FROM interlink.recipient_networks") == [(0,)]
    assert as_role(url, roles.deu, "SELECT interlink.my_scopes()") == [(["DEU", "HTEG"],)]
    assert as_role(url, roles.fra, "SELECT interlink.my_scopes()") == [(["FRA"],)]
