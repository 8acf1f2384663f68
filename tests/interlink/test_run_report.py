"""The run report renders from the lake's gold and silver tables into one page that needs nothing
from the network: figures with definitions, every cross-border network as graph data, a page per
cross-border person, victims masked as the warehouse masks them, raw results behind a fold.

The lake is tests/data/warehouse/world.json written as the pipeline would have (its E1 merges
FRA's victim record with DEU's suspect record across the border).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from interlink.report import DEFINITIONS, render
from interlink.report_data import Masking

RESULTS = {
    "ingest": {"per_reason": {"country.spoofed": 2}},
    "resolve": {
        "gold": {
            "records": 5,
            "entities": 4,
            "cross_country_entities": 1,
            "pairs": 1,
            "documents": 1,
            "document_alerts": 1,
            "notice_hits": 1,
            "case_links": 1,
            "networks": 1,
            "trends": 2,
            "persons": {"model": {"m": [0.9]}},
        }
    },
}


def _graphs(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r"<script type='application/json' class='graph-data'>(.*?)</script>", page)
    return {g["network_id"]: g for g in map(json.loads, found)}


def test_every_figure_has_its_definition_beside_it(world_lake: Path) -> None:
    page = render(world_lake, RESULTS)
    figures = re.search(r"<h2 id='figures'>.*?</table>", page, re.S)
    assert figures
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", figures[0])
    shown = {name for name, _value, _definition in rows}
    # Every scalar figure the resolve step reports is shown (nested summaries stay in the JSON)…
    assert shown == {k.replace("_", " ") for k in RESULTS["resolve"]["gold"] if k != "persons"}
    # …each with a definition, and the definitions cover what build_gold reports.
    assert all(definition.strip() for _n, _v, definition in rows)
    assert set(RESULTS["resolve"]["gold"]) - {"persons"} <= set(DEFINITIONS)
    # The other sections carry a definition paragraph under their heading.
    for anchor in ("landed", "rejections", "quarantine", "alerts", "networks", "persons"):
        assert re.search(rf"<h2 id='{anchor}'>[^<]*</h2><p class='def'>\w", page), anchor


def test_each_cross_border_network_is_drawn_with_labelled_nodes_and_evidence(
    world_lake: Path,
) -> None:
    graphs = _graphs(render(world_lake, RESULTS))
    members = pq.read_table(world_lake / "gold" / "network_members").to_pylist()
    nets = pq.read_table(world_lake / "gold" / "networks").to_pylist()
    cross = {n["network_id"] for n in nets if len(n["countries"]) > 1}
    assert set(graphs) == cross and cross
    (graph,) = graphs.values()
    ids = {m["member_id"] for m in members if m["network_id"] in cross}
    assert {n["id"].split(":", 1)[1] for n in graph["nodes"]} == ids
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    # A case: number, offence, reporting country; a person: name, role(s), countries.
    assert labels["C:FRA|FRA-C-1"] == "Case FRA-C-1\nthb_sexual_exploitation\nFRA"
    assert labels["E:E1"] == "Иван Петров (Ivan Petrov)\nsuspect, victim\nDEU, FRA"
    edges = {(e["from"], e["to"]): e for e in graph["edges"]}
    assert edges[("C:DEU|DEU-C-9", "C:FRA|FRA-C-1")]["label"] == "shared person"
    assert "E1 (Иван Петров (Ivan Petrov))" in edges[("C:DEU|DEU-C-9", "C:FRA|FRA-C-1")]["title"]
    assert edges[("E:E1", "C:FRA|FRA-C-1")]["label"] == "victim in case"


def test_cross_border_person_page_shows_records_explanation_documents_alerts(
    world_lake: Path,
) -> None:
    page = render(world_lake, RESULTS, masking=Masking(victim_access=True))
    section = re.search(r"<section class='entity' id='entity-E1'>.*?</section>", page, re.S)
    assert section, "E1 (DEU + FRA) has its page"
    body = section[0]
    # Records as each country sent them, with provenance down to the offset.
    assert "Иван Петров [Cyrl→Ivan Petrov]" in body and "feeds.person.DEU p1 @42" in body
    assert "Anna Petrova" in body  # with victim access, the victim's record is shown whole
    # The explanation: the pair, its weight, and each field's contribution.
    assert "<td>DEU/DEU-P-7 ~ FRA/FRA-P-1</td><td>12.3</td><td>0.9998</td><td>doc, name</td>" in (
        body
    )
    assert "<th>document</th><th>name</th>" in body  # strongest evidence first
    assert "<b>+9.1</b><br><span class='muted'>exact</span>" in body
    # Documents and the alert on the stolen passport seen in DEU's record.
    assert "passport FE123456 (UKR)" in body and "stolen_blank" in body
    # Only cross-border persons get a page (E2…E4 are single-country).
    assert re.findall(r"<section class='entity' id='entity-([^']+)'", page) == ["E1"]


def test_victim_identity_is_masked_unless_rendered_with_victim_access(world_lake: Path) -> None:
    masked = render(world_lake, RESULTS)
    # FRA's victim record in E1: no name, document or phone of hers anywhere on the page, the
    # graph data included; the entity is named by its non-victim record, as the warehouse's
    # entities view does.
    for secret in ("Anna Petrova", "+380501234567", "Odesa", "Olena"):
        assert secret not in masked, secret
    assert "[masked]" in masked and "Part of this person's identity is masked" in masked
    assert "Victims&#x27; identities are masked" in masked
    shown = render(world_lake, RESULTS, masking=Masking(victim_access=True))
    assert "Anna Petrova" in shown and "Victims&#x27; identities are SHOWN" in shown


def test_alert_on_a_document_seen_in_a_victims_record_masks_its_number(
    world_lake: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(world_lake, lake)
    alerts = lake / "gold" / "document_alerts"
    table = pq.read_table(alerts)
    shutil.rmtree(alerts)
    alerts.mkdir()
    seen_in_victim = table.set_column(
        table.schema.get_field_index("seen_in_source_country"), "seen_in_source_country",
        pa.array(["FRA"]),
    ).set_column(
        table.schema.get_field_index("seen_in_record_id"), "seen_in_record_id",
        pa.array(["FRA-P-1"]),
    )  # fmt: skip
    pq.write_table(seen_in_victim, alerts / "part-0.parquet")
    section = re.search(r"<h2 id='alerts'>.*?</table>", render(lake, RESULTS), re.S)
    assert section and "stolen_blank" in section[0]
    assert "[masked]" in section[0] and "FE123456" not in section[0]
    shown = render(lake, RESULTS, masking=Masking(victim_access=True))
    section = re.search(r"<h2 id='alerts'>.*?</table>", shown, re.S)
    assert section and "FE123456" in section[0]


def test_page_is_self_contained_with_raw_results_behind_a_fold(world_lake: Path) -> None:
    page = render(world_lake, RESULTS)
    # No tag loads anything from a URL: the script is inlined, and the CSP forbids the rest.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "default-src 'none'" in page and "vis.Network" in page
    assert re.search(r"<details><summary>[^<]+</summary><pre>\{", page)
    assert page.index("<details>") > page.index("id='persons'")


def test_report_without_cross_border_network_says_so(tmp_path: Path) -> None:
    target = tmp_path / "gold" / "networks"
    target.mkdir(parents=True)
    pq.write_table(
        pa.table({"network_id": ["N-2"], "size": [9], "countries": [["ESP"]]}),
        target / "part-0.parquet",
    )
    members = tmp_path / "gold" / "network_members"
    members.mkdir()
    pq.write_table(
        pa.table({"network_id": ["N-2"], "member_type": ["case"], "member_id": ["ESP|C1"]}),
        members / "part-0.parquet",
    )
    page = render(tmp_path, {})
    assert "Cross-border networks (0)" in page and not _graphs(page)


def _victim_everywhere_lake(root: Path) -> Path:
    """The world, with FRA's victim (FRA-P-1, in E1) reaching every corner of the report: her
    forensic reference and phone shared by the network's two cases (the hover of their edge),
    a yellow notice matched to her record (E1's page), and her own passport reported stolen
    by FRA with her as its holder, then seen in DEU's suspect record (the alerts); and another
    stolen passport whose holder's record is not held (erased), seen there too."""
    import warehouse_world as W

    from infra.lake import Lake

    data = W.world()
    victim = next(p for p in data["silver"]["person"] if p["record_id"] == "FRA-P-1")
    victim["forensic_keys"] = ["DNA:FRA-0001"]
    for p in data["silver"]["person"]:
        p.setdefault("forensic_keys", [])
    link = data["gold"]["case_links"][0]
    link["evidence"] = [
        *link["evidence"],
        {"kind": "forensic_ref", "value": "DNA:FRA-0001"},
        {"kind": "phone", "value": "+380501234567"},
    ]
    hit = dict(
        data["gold"]["notice_hits"][0],
        notice_id="2026/777",
        notice_type="yellow",
        notice_source_country="FRA",
        person_source_country="FRA",
        person_record_id="FRA-P-1",
        role="victim",
        entity_id="E1",
        possible_victim=True,
    )
    data["gold"]["notice_hits"].append(hit)
    data["silver"]["travel_document"].append(
        dict(
            data["silver"]["travel_document"][0],
            record_id="FRA-D-2",
            number="VA987654",
            number_as_sent="VA987654",
            doc_key="UKR:VA987654",
            status="stolen_issued",
            holder_person_ref="FRA-P-1",
            primary_name_original="Anna Petrova",
        )
    )
    data["gold"]["document_alerts"].append(
        dict(
            data["gold"]["document_alerts"][0],
            doc_key="UKR:VA987654",
            number="VA987654",
            status="stolen_issued",
            register_record_id="FRA-D-2",
        )
    )
    # A document whose holder's record is not held (erased): read as possibly a victim's.
    data["silver"]["travel_document"].append(
        dict(data["silver"]["travel_document"][-1], record_id="FRA-D-3", number="VB111111",
             doc_key="UKR:VB111111", holder_person_ref="FRA-P-404")
    )  # fmt: skip
    data["gold"]["document_alerts"].append(
        dict(data["gold"]["document_alerts"][-1], doc_key="UKR:VB111111", number="VB111111",
             register_record_id="FRA-D-3")
    )  # fmt: skip
    W.write_lake(Lake(str(root)), data)
    return root


def test_no_page_label_or_hover_shows_a_victims_name_document_phone_or_birth_date(
    tmp_path: Path,
) -> None:
    lake = _victim_everywhere_lake(tmp_path / "lake")
    # Hers only: DEU's suspect was born 1985-03 and carries FE123456, which stays his.
    secrets = (
        "Anna Petrova",
        "+380501234567",
        "1999-04",
        "VA987654",
        "2026/777",
        "DNA:FRA-0001",
        "VB111111",
    )
    masked = render(lake, RESULTS)
    for secret in secrets:
        assert secret not in masked, secret
    graph = _graphs(masked)["N-1A2B3C4D5E6F"]
    person = next(n for n in graph["nodes"] if n["id"] == "E:E1")
    assert "FRA/FRA-P-1 (victim): [masked], born [masked]" in person["title"]
    edge = next(e for e in graph["edges"] if e["kind"] == "case-case")
    assert "shared phone: [masked]" in edge["title"]
    assert "shared forensic ref.: [masked]" in edge["title"]
    # The entity page still shows that a yellow notice matched her record, and the alert that
    # DEU's suspect carried a stolen passport, without naming either.
    page = re.search(r"<section class='entity' id='entity-E1'>.*?</section>", masked, re.S)
    assert page and "yellow" in page[0] and "stolen_issued" in page[0]
    # Rendered with the right, every one of them is there: the test is about something.
    shown = render(lake, RESULTS, masking=Masking(victim_access=True))
    for secret in secrets:
        assert secret in shown, secret
