"""What the run report shows, read from the lake's gold and silver Parquet with DuckDB.

Plain dictionaries out (the page embeds them as JSON for the network drawings): cross-border
networks as nodes and edges with their evidence, and one page per cross-border person with the
records as each country sent them, the accepted pairs that merged them (per-field contributions),
their documents and alerts.

Masking follows the warehouse's rule for a recipient without victim access (migration 0003,
`person_identities` policy): a victim record's identifying attributes (names, documents, phones,
e-mails, places, description) are shown as `[masked]`, wherever they appear (records, entity
labels, alerts on their documents); an entity is named by its non-victim records only, as the
`entities` view does. `Masking(victim_access=True)` shows everything (the operator's view).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.gold import TABLES as GOLD_TABLES
from contracts.gold import GoldSchemaMismatch
from contracts.lake import BRONZE, GOLD, SILVER

MASK = "[masked]"


@dataclass(frozen=True)
class Masking:
    """Who the report is rendered for."""

    victim_access: bool = False

    def hides(self, role: str | None) -> bool:
        return role == "victim" and not self.victim_access


def _literal(path: Path) -> str:
    """A SQL string literal (views cannot take prepared parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def lake_tables(root: Path) -> Any:
    """A DuckDB connection with a view per gold table (`networks`…), one per silver feed
    (`silver_case`…) and one over bronze."""
    import duckdb

    con = duckdb.connect()
    bronze = root / BRONZE
    if bronze.exists() and any(bronze.rglob("*.parquet")):
        con.execute(
            "CREATE VIEW bronze AS SELECT * FROM read_parquet("
            f"{_literal(bronze / '**' / '*.parquet')}, hive_partitioning = true, "
            "union_by_name = true)"
        )
    for layer, prefix in ((GOLD, ""), (SILVER, "silver_")):
        base = root / layer
        if not base.exists():
            continue
        for table_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            if any(table_dir.rglob("*.parquet")):
                con.execute(
                    f'CREATE VIEW "{prefix}{table_dir.name}" AS SELECT * FROM read_parquet('
                    f"{_literal(table_dir / '**' / '*.parquet')}, union_by_name = true)"
                )
    return con


def has(con: Any, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


def columns(con: Any, name: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
    ).fetchall()
    return {r[0] for r in rows}


def rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _select(con: Any, table: str, wanted: tuple[str, ...], where: str = "") -> list[dict[str, Any]]:
    """`wanted` columns of a lake table, those it has (an older lake may lack newer columns).

    A gold table's columns are checked against `contracts/gold.py` first: a column the contract
    does not declare is a report bug (a rename on one side), and must fail here rather than
    vanish from the page as "absent"."""
    if table in GOLD_TABLES:
        undeclared = sorted(set(wanted) - set(GOLD_TABLES[table].column_names))
        if undeclared:
            raise GoldSchemaMismatch(table, [f"the report reads undeclared {undeclared}"])
    if not has(con, table):
        return []
    cols = [c for c in wanted if c in columns(con, table)]
    if not cols:
        return []
    quoted = ", ".join(f'"{c}"' for c in cols)  # `offset`, `partition` are keywords
    return rows(con, f'SELECT {quoted} FROM "{table}" {where}')


# -- persons ---------------------------------------------------------------------------------
_PERSON_COLS = (
    "source_country",
    "record_id",
    "record_version",
    "entity_id",
    "entity_countries",
    "role",
    "primary_name_original",
    "primary_name_latin",
    "names",
    "sex",
    "birth_date",
    "nationalities",
    "documents",
    "doc_keys",
    "phones",
    "emails",
    "birth_country",
    "birth_place",
    "description",
    "case_refs",
    "source_agency",
    "reported_at",
    "handling_code",
    "dissemination",
    "topic",
    "partition",
    "offset",
)
_IDENTITY = ("names", "documents", "doc_keys", "phones", "emails", "birth_place", "description")


def _masked_record(r: dict[str, Any], masking: Masking) -> dict[str, Any]:
    """The record as sent, its identity replaced by MASK where the warehouse would hide it."""
    out = dict(r)
    out["masked"] = masking.hides(r.get("role"))
    if out["masked"]:
        out["primary_name_original"] = out["primary_name_latin"] = MASK
        for key in _IDENTITY:
            if key in out:
                out[key] = MASK
    return out


def person_records(con: Any, masking: Masking) -> list[dict[str, Any]]:
    """Every current person record (gold/person_entities), masked for the reader."""
    found = _select(con, "person_entities", _PERSON_COLS, "ORDER BY source_country, record_id")
    return [_masked_record(r, masking) for r in found]


def display_name(r: dict[str, Any]) -> str:
    """A record's name as sent, with its Latin transliteration when the script differs."""
    original = r.get("primary_name_original") or r.get("primary_name_latin") or "?"
    latin = r.get("primary_name_latin")
    same = not latin or latin.casefold() == original.casefold()
    return original if same else f"{original} ({latin})"


def entity_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Name (from non-victim records, as the warehouse's `entities` view), roles, countries."""
    visible = sorted({display_name(r) for r in records if not r["masked"]})
    return {
        "name": " / ".join(visible[:2]) if visible else MASK,
        "roles": sorted({r.get("role") or "?" for r in records}),
        "countries": sorted({r["source_country"] for r in records}),
        "has_masked": any(r["masked"] for r in records),
    }


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
        edges += _case_case_edges(links, case_ids, by_entity)
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
    links: list[dict[str, Any]], case_ids: set[str], by_entity: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
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


# -- entity pages ----------------------------------------------------------------------------
def document_alerts(con: Any, masking: Masking) -> list[dict[str, Any]]:
    """Reported documents seen in other records; the number is masked when it was seen in a
    victim's person record (it is then part of her identity)."""
    alerts = _select(
        con,
        "document_alerts",
        (
            "number",
            "issuing_country",
            "doc_type",
            "status",
            "status_date",
            "register_source_country",
            "seen_in_feed",
            "seen_in_source_country",
            "seen_in_record_id",
            "seen_at",
        ),
        "ORDER BY status, issuing_country, number",
    )
    hidden = {
        (r["source_country"], r["record_id"])
        for r in _select(con, "person_entities", ("source_country", "record_id", "role"))
        if masking.hides(r.get("role"))
    }
    for a in alerts:
        seen = (a.get("seen_in_source_country"), a.get("seen_in_record_id"))
        if a.get("seen_in_feed", "person") == "person" and seen in hidden:
            a["number"] = MASK
    return alerts


def entity_pages(con: Any, masking: Masking) -> list[dict[str, Any]]:
    """One page per cross-border person: records, explanation, documents, alerts, networks."""
    people = [r for r in person_records(con, masking) if (r.get("entity_countries") or 0) > 1]
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for r in people:
        by_entity.setdefault(r["entity_id"], []).append(r)
    pairs = _select(
        con,
        "person_pairs",
        (
            "l_source_country",
            "l_record_id",
            "r_source_country",
            "r_record_id",
            "match_weight",
            "match_probability",
            "contributions",
            "levels",
            "rules",
            "l_entity_id",
            "r_entity_id",
        ),
        "ORDER BY match_weight DESC",
    )
    alerts = document_alerts(con, masking)
    hits = _select(
        con,
        "notice_hits",
        (
            "notice_id",
            "notice_type",
            "notice_source_country",
            "person_source_country",
            "person_record_id",
            "entity_id",
            "match_probability",
            "possible_victim",
        ),
    )
    memberships = (
        rows(con, "SELECT network_id, member_id FROM network_members WHERE member_type = 'entity'")
        if has(con, "network_members")
        else []
    )
    pages = []
    for entity_id, recs in sorted(by_entity.items()):
        keys = {(r["source_country"], r["record_id"]): r for r in recs}
        mine_alerts = [
            a
            for a in alerts
            if a.get("seen_in_feed", "person") == "person"
            and (a.get("seen_in_source_country"), a.get("seen_in_record_id")) in keys
        ]
        pages.append(
            {
                "entity_id": entity_id,
                **entity_summary(recs),
                "records": recs,
                "pairs": [
                    _explained(p)
                    for p in pairs
                    if p.get("l_entity_id") == entity_id and p.get("r_entity_id") == entity_id
                ],
                "documents": documents(recs),
                "alerts": mine_alerts,
                "notice_hits": [h for h in hits if h.get("entity_id") == entity_id],
                "networks": sorted(
                    {m["network_id"] for m in memberships if m["member_id"] == entity_id}
                ),
            }
        )
    return pages


def _explained(pair: dict[str, Any]) -> dict[str, Any]:
    """A pair with its per-field contributions as rows, strongest evidence first, and the prior
    (the same for every pair: the log-odds of a match before any field is compared) apart."""
    contributions = pair.get("contributions") or {}
    levels = pair.get("levels") or {}
    if isinstance(contributions, list):  # DuckDB may hand a MAP back as key/value pairs
        contributions = {kv["key"]: kv["value"] for kv in contributions}
    if isinstance(levels, list):
        levels = {kv["key"]: kv["value"] for kv in levels}
    fields = [
        {"field": f, "level": levels.get(f, ""), "bits": float(b)}
        for f, b in sorted(contributions.items(), key=lambda kv: -abs(kv[1]))
        if f != "prior"
    ]
    prior = contributions.get("prior")
    return {**pair, "fields": fields, "prior": None if prior is None else float(prior)}


def documents(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(record, document as sent) of each record's identity documents; MASK for a masked one."""
    out = []
    for r in recs:
        docs = r.get("documents")
        if docs == MASK:
            out.append({"record": f"{r['source_country']}/{r['record_id']}", "document": MASK})
            continue
        for d in docs or []:
            d = json.loads(d) if isinstance(d, str) else d
            out.append(
                {
                    "record": f"{r['source_country']}/{r['record_id']}",
                    "document": f"{d.get('doc_type') or '?'} "
                    f"{d.get('number_as_sent') or d.get('number')} "
                    f"({d.get('issuing_country') or '?'})",
                }
            )
    return out
