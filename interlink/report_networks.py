"""Cross-border networks for the run report: nodes and edges with their evidence.

Read from the lake's gold tables through the helpers of `interlink.report_data` (which holds the
person records, the masking rule and the entity pages); the page embeds the graphs as JSON and
draws them with vis-network.
"""

from __future__ import annotations

from typing import Any

from interlink.report_data import (
    MASK,
    Masking,
    _select,
    display_name,
    entity_summary,
    has,
    hidden_values,
    person_records,
    rows,
)

# -- networks --------------------------------------------------------------------------------
_CASE_COLS = (
    "source_country",
    "record_id",
    "offence_type",
    "start_date",
    "end_date",
    "location_country",
    "location_place",
    "victims_count",
    "modus_operandi",
    "handling_code",
    "persons",
)
EVIDENCE_WORDS = {
    "person": "shared person",
    "phone": "shared phone",
    "document": "shared document",
    "vehicle": "shared vehicle",
    "forensic_ref": "shared forensic ref.",
}


def _case_label(case_id: str, case: dict[str, Any] | None) -> tuple[str, str]:
    country, _, record_id = case_id.partition("|")
    if case is None:
        return f"Case {record_id}\n{country}", f"Case {country}/{record_id} (not in silver)"
    label = f"Case {record_id}\n{case.get('offence_type') or '?'}\n{country}"
    place = ", ".join(
        str(x) for x in (case.get("location_place"), case.get("location_country")) if x
    )
    title = "\n".join(
        line
        for line in (
            f"Case {country}/{record_id} reported by {country}",
            f"offence: {case.get('offence_type') or '?'}",
            f"period: {case.get('start_date') or '?'} – {case.get('end_date') or '…'}",
            f"place: {place}" if place else "",
            f"victims reported: {case['victims_count']}"
            if case.get("victims_count") is not None
            else "",
            f"modus operandi: {case['modus_operandi']}" if case.get("modus_operandi") else "",
            f"handling: {case.get('handling_code') or '?'}",
        )
        if line
    )
    return label, title


def _person_node(member_id: str, recs: list[dict[str, Any]]) -> dict[str, Any]:
    summary = entity_summary(recs) if recs else {"name": member_id, "roles": [], "countries": []}
    title_lines = [f"Person {member_id}: {summary['name']}"]
    for r in recs:
        title_lines.append(
            f"{r['source_country']}/{r['record_id']} ({r.get('role') or '?'}): "
            f"{display_name(r)}, born {r.get('birth_date') or '?'}"
        )
    cross = len(summary["countries"]) > 1
    return {
        "id": f"E:{member_id}",
        "label": f"{summary['name']}\n{', '.join(summary['roles'])}\n"
        f"{', '.join(summary['countries'])}",
        "title": "\n".join(title_lines) + ("\n(double-click: entity page)" if cross else ""),
        "group": (summary["roles"] or ["unknown"])[0] if len(summary["roles"]) == 1 else "several",
        "entity": member_id if cross else None,
    }


def network_graphs(con: Any, masking: Masking) -> list[dict[str, Any]]:
    """Every cross-border network (members from more than one country) as a drawable graph."""
    if not (has(con, "networks") and has(con, "network_members")):
        return []
    nets = rows(
        con,
        "SELECT * FROM networks WHERE len(countries) > 1 "
        "ORDER BY len(countries) DESC, size DESC, network_id",
    )
    members = rows(con, "SELECT network_id, member_type, member_id FROM network_members")
    people = person_records(con, masking)
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for r in people:
        by_entity.setdefault(r["entity_id"] or "", []).append(r)
        by_entity.setdefault(f"{r['source_country']}|{r['record_id']}", []).append(r)
    cases = {
        f"{c['source_country']}|{c['record_id']}": c
        for c in _select(con, "silver_case", _CASE_COLS)
    }
    links = _select(
        con,
        "case_links",
        (
            "case_a_source_country",
            "case_a_record_id",
            "case_b_source_country",
            "case_b_record_id",
            "evidence",
            "strength",
        ),
    )
    hidden = hidden_values(con, masking)
    out = []
    for net in nets:
        mine = [m for m in members if m["network_id"] == net["network_id"]]
        nodes: list[dict[str, Any]] = []
        case_ids = {m["member_id"] for m in mine if m["member_type"] == "case"}
        for m in mine:
            if m["member_type"] == "case":
                label, title = _case_label(m["member_id"], cases.get(m["member_id"]))
                nodes.append(
                    {"id": f"C:{m['member_id']}", "label": label, "title": title, "group": "case"}
                )
            else:
                nodes.append(_person_node(m["member_id"], by_entity.get(m["member_id"], [])))
        edges = _person_case_edges(mine, by_entity, cases, case_ids)
        edges += _case_case_edges(links, case_ids, by_entity, hidden)
        out.append({**net, "nodes": nodes, "edges": edges})
    return out


def _person_case_edges(
    mine: list[dict[str, Any]],
    by_entity: dict[str, list[dict[str, Any]]],
    cases: dict[str, dict[str, Any]],
    case_ids: set[str],
) -> list[dict[str, Any]]:
    """A person joined to a case: the person's record refers to it, or the case names the
    person (with the role the source gave)."""
    found: dict[tuple[str, str], set[str]] = {}
    for m in mine:
        if m["member_type"] == "case":
            continue
        for r in by_entity.get(m["member_id"], []):
            refs = r.get("case_refs") or []
            for ref in refs:
                own = f"{r['source_country']}|{ref}"
                targets = (
                    [own] if own in case_ids else [c for c in case_ids if c.endswith(f"|{ref}")]
                )
                for t in targets:
                    found.setdefault((m["member_id"], t), set()).add(
                        f"{r['source_country']}/{r['record_id']} refers to case {ref} "
                        f"as {r.get('role') or '?'}"
                    )
    for case_id in case_ids:
        country = case_id.partition("|")[0]
        for p in (cases.get(case_id) or {}).get("persons") or []:
            key = f"{country}|{p.get('record_id')}"
            recs = by_entity.get(key, [])
            member = recs[0]["entity_id"] if recs and recs[0]["entity_id"] else key
            if any(m["member_id"] == member for m in mine):
                found.setdefault((member, case_id), set()).add(
                    f"case {case_id.replace('|', '/')} names {key.replace('|', '/')} "
                    f"as {p.get('role') or '?'}"
                )
    edges = []
    for (member, case_id), why in sorted(found.items()):
        roles = sorted({w.rsplit(" as ", 1)[-1] for w in why})
        edges.append(
            {
                "from": f"E:{member}",
                "to": f"C:{case_id}",
                "label": f"{'/'.join(roles)} in case",
                "title": "\n".join(sorted(why)),
                "kind": "person-case",
            }
        )
    return edges


def _case_case_edges(
    links: list[dict[str, Any]],
    case_ids: set[str],
    by_entity: dict[str, list[dict[str, Any]]],
    hidden: set[str],
) -> list[dict[str, Any]]:
    """Cases joined by shared evidence; a value that is a masked record's own (her phone, her
    forensic reference) reads MASK: the hover would otherwise repeat what her record hides."""
    edges = []
    for link in links:
        a = f"{link['case_a_source_country']}|{link['case_a_record_id']}"
        b = f"{link['case_b_source_country']}|{link['case_b_record_id']}"
        if a not in case_ids or b not in case_ids:
            continue
        evidence = link.get("evidence") or []
        kinds = sorted({e["kind"] for e in evidence})
        lines = []
        for e in evidence:
            value = e["value"]
            if e["kind"] == "person":
                value = (
                    f"{value} ({entity_summary(by_entity[value])['name']})"
                    if by_entity.get(value)
                    else value
                )
            elif value in hidden:
                value = MASK
            lines.append(f"{EVIDENCE_WORDS.get(e['kind'], e['kind'])}: {value}")
        strength = link.get("strength")
        edges.append(
            {
                "from": f"C:{a}",
                "to": f"C:{b}",
                "label": ", ".join(EVIDENCE_WORDS.get(k, k) for k in kinds),
                "title": "\n".join(lines)
                + (f"\nlink strength {strength:.2f}" if strength is not None else ""),
                "kind": "case-case",
                "dashes": True,
            }
        )
    return edges
