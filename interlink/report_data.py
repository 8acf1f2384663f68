"""What the run report shows, read from the lake's gold and silver Parquet with DuckDB.

Plain dictionaries out: one page per cross-border person with the records as each country sent
them, the accepted pairs that merged them (per-field contributions), their documents and alerts;
and the lake readers and person records that `interlink.report_networks` builds the cross-border
networks (nodes and edges with their evidence, embedded as JSON for the drawings) from.

Masking is on by default (`ReportSettings.victim_access` is false) and follows the warehouse's
rule for a recipient without victim access (migrations 0007 and 0008), a little stricter: a
victim record's identifying attributes (names, documents, phones, e-mails, birth date and place,
description) are shown as `[masked]` wherever they appear: her record, the entity's label and
hover text, the alerts on a document seen in her record or held by her, the notices matched to
her record, and any evidence value of hers on a case link's hover (`hidden_values`). An entity
is named by its non-victim records only, as the `entities` view does.
`Masking(victim_access=True)` shows everything (the operator's view).
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
_IDENTITY = (
    "names",
    "documents",
    "doc_keys",
    "phones",
    "emails",
    "birth_date",
    "birth_country",
    "birth_place",
    "description",
)
# The values of a masked record that evidence elsewhere can repeat (a case link's shared phone,
# document or forensic reference).
_EVIDENCE = ("doc_keys", "phones", "emails", "forensic_keys")


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


def hidden_records(con: Any, masking: Masking) -> set[tuple[str, str]]:
    """(source_country, record_id) of the person records the reader may not see whole."""
    return {
        (r["source_country"], r["record_id"])
        for r in _select(con, "person_entities", ("source_country", "record_id", "role"))
        if masking.hides(r.get("role"))
    }


def hidden_values(con: Any, masking: Masking) -> set[str]:
    """Identifiers of masked records (phones, e-mails, document keys, forensic references):
    wherever the report repeats one as evidence, it is masked too."""
    found = _select(con, "person_entities", ("role", *_EVIDENCE))
    return {
        str(v)
        for r in found
        if masking.hides(r.get("role"))
        for key in _EVIDENCE
        for v in r.get(key) or []
        if v
    }


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


# -- entity pages ----------------------------------------------------------------------------
def document_alerts(con: Any, masking: Masking) -> list[dict[str, Any]]:
    """Reported documents seen in other records; the number is masked when it was seen in a
    victim's person record, or when the reported document is hers (its record's holder): it is
    then part of her identity."""
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
            "register_record_id",
            "seen_in_feed",
            "seen_in_source_country",
            "seen_in_record_id",
            "seen_at",
        ),
        "ORDER BY status, issuing_country, number",
    )
    hidden = hidden_records(con, masking)
    known = {
        (r["source_country"], r["record_id"])
        for r in _select(con, "person_entities", ("source_country", "record_id"))
    }
    # Hers, or a holder whose record is not held (erased, never sent): as the warehouse reads
    # `holder_role` unknown, nothing says she is not a victim.
    held = {
        (d["source_country"], d["record_id"])
        for d in _select(
            con, "silver_travel_document", ("source_country", "record_id", "holder_person_ref")
        )
        if d.get("holder_person_ref") is not None
        and (
            (d["source_country"], d["holder_person_ref"]) in hidden
            or (
                not masking.victim_access
                and (d["source_country"], d["holder_person_ref"]) not in known
            )
        )
    }
    for a in alerts:
        seen = (a.get("seen_in_source_country"), a.get("seen_in_record_id"))
        hers = (a.get("register_source_country"), a.get("register_record_id")) in held
        if hers or (a.get("seen_in_feed", "person") == "person" and seen in hidden):
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
    hidden = hidden_records(con, masking)
    for h in hits:
        # A notice's id names its subject: matched to a masked record, it names her.
        if (h.get("person_source_country"), h.get("person_record_id")) in hidden:
            h["notice_id"] = MASK
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
