"""The run report: one self-contained HTML page in the lake that an analyst can open offline.

Police networks are often closed, so the page fetches nothing: its script (vis-network, pinned
from npm in `transforms.vendored`) and styles are inlined. It shows each figure with its
definition, every cross-border network as an interactive drawing (zoom, drag, hover: cases and
persons labelled, edges with their evidence), a page per cross-border person (records as each
country sent them, why they were merged, documents, alerts), and the raw step results behind a
fold. Victims' identities are masked as the warehouse masks them (see `interlink.report_data`)
unless the report is rendered with victim access (`INTERLINK_REPORT__VICTIM_ACCESS`).
"""

from __future__ import annotations

import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.lake import Lake
from interlink import report_data as D
from interlink.report_assets import _COLOURS, _SCRIPT, _STYLE
from interlink.report_networks import network_graphs
from interlink.settings import Settings
from transforms.vendored import VIS_NETWORK

REPORTS_DIR = "reports/runs"

# What each figure of the run counts; shown beside it (an analyst must not guess).
DEFINITIONS: dict[str, str] = {
    "records": "Current person records (latest version of each, deletions applied) that went "
    "through entity resolution.",
    "entities": "Distinct persons after resolution: records judged to describe the same person "
    "share one stable entity id.",
    "cross_country_entities": "Entities whose records come from more than one country: the "
    "persons known to several police forces.",
    "pairs": "Accepted record pairs: two records whose match probability passed the threshold; "
    "each comes with its per-field evidence (see the person pages).",
    "documents": "Distinct travel and identity documents (issuing country + normalised number) "
    "named anywhere: document records, persons, cases, notices.",
    "document_alerts": "Times a document reported stolen, lost, revoked or counterfeit was seen "
    "in another record (a person, a case, a notice).",
    "notice_hits": "Notice subjects (red, yellow… notices) that match a person record.",
    "case_links": "Pairs of cases that share evidence: a resolved person, a phone, a document, a "
    "vehicle or a forensic reference.",
    "networks": "Connected groups of cases and persons (through shared persons and case links); "
    "single cases included. Cross-border ones are drawn below.",
    "trends": "Rows of the monthly trend table: cases, victims and suspects per month, offence, "
    "route and reporting country.",
    "seconds": "Wall time of the resolve step.",
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _cell(value: Any) -> str:
    if value == D.MASK:
        return f"<span class='masked'>{D.MASK}</span>"
    if isinstance(value, list | tuple):
        return _e(", ".join(str(v) for v in value)) or "<span class='muted'>–</span>"
    if value is None or value == "":
        return "<span class='muted'>–</span>"
    return _e(value)


def _table(headers: list[str], body: list[list[Any]], *, raw: bool = False) -> str:
    if not body:
        return "<p class='muted'>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    cells = (lambda v: str(v)) if raw else _cell
    rows = "".join("<tr>" + "".join(f"<td>{cells(v)}</td>" for v in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _defined(title: str, definition: str, body: str, anchor: str) -> str:
    return f"<h2 id='{anchor}'>{_e(title)}</h2><p class='def'>{_e(definition)}</p>{body}"


def _run_sections(con: Any, results: dict[str, Any], report_dir: Path | None) -> list[str]:
    out = []
    if D.has(con, "bronze"):
        landed = con.execute(
            "SELECT source_country, feed, count(*), count(DISTINCT record_id) "
            "FROM bronze GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
        out.append(
            _defined(
                "Landed per country and feed",
                "Messages: every version received and accepted into the lake (bronze). Records: "
                "distinct record ids among them (a record updated twice counts once).",
                _table(["country", "feed", "messages", "records"], [list(r) for r in landed]),
                "landed",
            )
        )
    ingest = results.get("ingest") or {}
    out.append(
        _defined(
            "Rejections by reason",
            "Messages refused at ingestion and sent to the dead-letter topic, with the reason "
            "(a broken contract, a bad signature, a spoofed country…); nothing of them is in "
            "the lake.",
            _table(
                ["reason", "messages"],
                [list(kv) for kv in sorted((ingest.get("per_reason") or {}).items())],
            ),
            "rejections",
        )
    )
    validate = results.get("validate") or {}
    quarantined = [
        [q["batch"], q["files"], ", ".join(q.get("failed", []))]
        for q in validate.get("quarantined", [])
    ]
    docs = validate.get("data_docs")
    link = ""
    if docs:
        target = Path(docs)
        href = os.path.relpath(target, report_dir) if report_dir else target.as_uri()
        link = (
            "<p>Great Expectations Data Docs (readable offline): "
            f"<a href='{_e(href)}'>{_e(docs)}</a></p>"
        )
    out.append(
        _defined(
            "Quarantined batches",
            "Landed batches that failed their feed's data-quality suite: moved to quarantine/ "
            "and kept out of silver and gold until corrected.",
            _table(["batch", "files", "failed expectations"], quarantined) + link,
            "quarantine",
        )
    )
    gold = (results.get("resolve") or {}).get("gold") or {}
    figures = [
        [k.replace("_", " "), v, DEFINITIONS.get(k, "")]
        for k, v in sorted(gold.items())
        if not isinstance(v, dict | list)
    ]
    out.append(
        _defined(
            "Entities, links and networks",
            "What entity resolution and linking produced in this run.",
            _table(["figure", "value", "definition"], figures),
            "figures",
        )
    )
    return out


def _network_section(graphs: list[dict[str, Any]]) -> str:
    legend = "".join(
        f"<span><i style='background:{c}'></i>{_e(k)}</span>" for k, c in _COLOURS.items()
    )
    summary = _table(
        ["network", "countries", "cases", "persons", "offences", "first seen", "last seen"],
        [
            [
                f"<a href='#net-{_e(g['network_id'])}'>{_e(g['network_id'])}</a>",
                _cell(g.get("countries")),
                _cell(g.get("cases")),
                _cell(g.get("entities")),
                _cell(g.get("offence_types")),
                _cell(g.get("first_seen")),
                _cell(g.get("last_seen")),
            ]
            for g in graphs
        ],
        raw=True,
    )
    parts = [
        _defined(
            f"Cross-border networks ({len(graphs)})",
            "A network is a connected group of cases and persons: a person is joined to the "
            "cases that name them, two cases to each other when they share evidence. Shown "
            "here: every network with members from more than one country. Boxes are cases "
            "(number, offence, reporting country); ellipses are persons (name, role, countries "
            "of their records), coloured by role; solid edges: a person in a case (with the "
            "role), dashed edges: cases sharing evidence. Scroll to zoom, drag to move, hover "
            "for details, double-click a person for their page.",
            f"<p class='legend'>{legend}</p>{summary}",
            "networks",
        )
    ]
    for g in graphs:
        payload = json.dumps(
            {k: g[k] for k in ("network_id", "nodes", "edges")}, default=str, ensure_ascii=False
        ).replace("</", "<\\/")
        parts.append(
            f"<section class='network' id='net-{_e(g['network_id'])}'><h3>{_e(g['network_id'])}: "
            f"{_e(', '.join(g.get('countries') or []))} · {len(g['nodes'])} members</h3>"
            f"<p class='def'>{_e(g.get('cases'))} case(s) and {_e(g.get('entities'))} person(s); "
            f"offences: {_e(', '.join(g.get('offence_types') or []))}.</p>"
            f"<div class='graph' id='graph-{_e(g['network_id'])}' "
            f"data-network-id='{_e(g['network_id'])}' data-nodes='{len(g['nodes'])}'></div>"
            f"<script type='application/json' class='graph-data'>{payload}</script></section>"
        )
    return "".join(parts)


def _alerts_table(alerts: list[dict[str, Any]]) -> str:
    return _table(
        ["document", "issuer", "type", "status", "since", "reported by", "seen in", "seen at"],
        [
            [
                a.get("number"),
                a.get("issuing_country"),
                a.get("doc_type"),
                a.get("status"),
                a.get("status_date"),
                a.get("register_source_country"),
                f"{a.get('seen_in_feed') or '?'} {a.get('seen_in_source_country')}/"
                f"{a.get('seen_in_record_id')}",
                a.get("seen_at"),
            ]
            for a in alerts
        ],
    )


def _pairs_table(pairs: list[dict[str, Any]]) -> str:
    """One row per accepted pair, one column per field: its contribution in bits and the
    comparison level reached (fields that said nothing, 0 bits, are greyed)."""
    if not pairs:
        return "<p class='muted'>no accepted pair between these records is stored</p>"
    weight: dict[str, float] = {}
    for p in pairs:
        for f in p["fields"]:
            weight[f["field"]] = weight.get(f["field"], 0.0) + abs(f["bits"])
    fields = sorted(weight, key=lambda f: -weight[f])

    def cell(p: dict[str, Any], field: str) -> str:
        found = next((f for f in p["fields"] if f["field"] == field), None)
        if found is None:
            return "<span class='muted'>–</span>"
        level = f"<br><span class='muted'>{_e(found['level'])}</span>"
        if abs(found["bits"]) < 0.05:
            return f"<span class='muted'>0</span>{level}"
        return f"<b>{found['bits']:+.1f}</b>{level}"

    return _table(
        ["pair", "weight (bits)", "probability", "found by", "prior", *fields],
        [
            [
                f"{_e(p['l_source_country'])}/{_e(p['l_record_id'])} ~ "
                f"{_e(p['r_source_country'])}/{_e(p['r_record_id'])}",
                f"{p['match_weight']:.1f}",
                f"{p['match_probability']:.4f}",
                _e(", ".join(p.get("rules") or [])),
                "<span class='muted'>–</span>" if p["prior"] is None else f"{p['prior']:+.1f}",
                *(cell(p, f) for f in fields),
            ]
            for p in pairs
        ],
        raw=True,
    )


def _entity_section(page: dict[str, Any]) -> str:
    eid = page["entity_id"]
    records = _table(
        [
            "country",
            "record",
            "role",
            "name as sent",
            "all names",
            "born",
            "sex",
            "nationalities",
            "documents",
            "phones",
            "handling",
            "source agency",
            "provenance",
        ],
        [
            [
                r["source_country"],
                f"{r['record_id']} v{r.get('record_version') or '?'}",
                r.get("role"),
                D.display_name(r) if not r["masked"] else D.MASK,
                r["names"]
                if r["masked"]
                else "; ".join(
                    f"{n['original']} [{n.get('script') or '?'}→{n.get('latin')}]"
                    for n in (r.get("names") or [])
                ),
                r.get("birth_date"),
                r.get("sex"),
                r.get("nationalities"),
                D.MASK if r["masked"] else [d["document"] for d in D.documents([r])],
                r.get("phones"),
                r.get("handling_code"),
                r.get("source_agency"),
                f"{r.get('topic')} p{r.get('partition')} @{r.get('offset')}",
            ]
            for r in page["records"]
        ],
    )
    pairs = _pairs_table(page["pairs"])
    alerts = _alerts_table(page["alerts"])
    hits = _table(
        ["notice", "type", "issued by", "matched record", "probability", "possible victim"],
        [
            [
                h.get("notice_id"),
                h.get("notice_type"),
                h.get("notice_source_country"),
                f"{h.get('person_source_country')}/{h.get('person_record_id')}",
                h.get("match_probability"),
                h.get("possible_victim"),
            ]
            for h in page["notice_hits"]
        ],
    )
    nets = ", ".join(f"<a href='#net-{_e(n)}'>{_e(n)}</a>" for n in page["networks"]) or "none"
    masked = (
        "<p class='note'>Part of this person's identity is masked: a record reports them as a "
        "victim.</p>"
        if page["has_masked"]
        else ""
    )
    return (
        f"<section class='entity' id='entity-{_e(eid)}'><h3>{_e(page['name'])} · {_e(eid)}</h3>"
        f"<p>{_e(', '.join(page['roles']))} · records from {_e(', '.join(page['countries']))} "
        f"· networks: {nets}</p>{masked}"
        "<h4>Records as each country sent them</h4>"
        + records
        + "<h4>Why these records are one person</h4><p class='def'>Each accepted pair: its "
        "Fellegi–Sunter weight (prior plus the field contributions, in bits: positive is "
        "evidence for, negative against), its match probability, the blocking keys that "
        "found it, and per field the contribution and the comparison level reached.</p>"
        + pairs
        + "<h4>Documents</h4>"
        + _table(["record", "document"], [[d["record"], d["document"]] for d in page["documents"]])
        + "<h4>Alerts</h4><p class='def'>Reported documents seen in these records, and notices "
        "matched to them.</p>" + alerts + "<h4>Notices matched</h4>" + hits + "</section>"
    )


def render(
    root: Path,
    results: dict[str, Any],
    *,
    masking: D.Masking | None = None,
    report_dir: Path | None = None,
) -> str:
    """The report page for the lake at `root` and the step results of the run.

    `report_dir` is where the page will be stored (links to the Data Docs are made relative to
    it, so the lake can be copied whole)."""
    masking = masking or D.Masking()
    con = D.lake_tables(root)
    graphs = network_graphs(con, masking)
    pages = D.entity_pages(con, masking)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    masking_note = (
        "Victims' identities are SHOWN: this report was rendered with victim access; share it "
        "only with recipients who have it."
        if masking.victim_access
        else "Victims' identities are masked ([masked]) as the warehouse masks them for "
        "recipients without victim access."
    )
    sections = _run_sections(con, results, report_dir)
    alerts = D.document_alerts(con, masking)
    sections.append(
        _defined(
            f"Document alerts ({len(alerts)})",
            "A travel or identity document reported stolen, lost, revoked or counterfeit by one "
            "country and seen in another record (a person, a case, a notice): who reported it, "
            "where it was seen and when.",
            _alerts_table(alerts),
            "alerts",
        )
    )
    sections.append(_network_section(graphs))
    sections.append(
        _defined(
            f"Cross-border persons ({len(pages)})",
            "Persons whose resolved records come from more than one country, one page each.",
            _table(
                ["person", "roles", "countries", "records", "alerts"],
                [
                    [
                        f"<a href='#entity-{_e(p['entity_id'])}'>{_e(p['name'])}</a> "
                        f"<span class='muted'>{_e(p['entity_id'])}</span>",
                        _cell(p["roles"]),
                        _cell(p["countries"]),
                        len(p["records"]),
                        len(p["alerts"]) + len(p["notice_hits"]),
                    ]
                    for p in pages
                ],
                raw=True,
            )
            + "".join(_entity_section(p) for p in pages),
            "persons",
        )
    )
    script = VIS_NETWORK.file(VIS_NETWORK.files[0]).read_text(encoding="utf-8")
    toc = " ".join(
        f"<a href='#{a}'>{t}</a>"
        for a, t in (
            ("landed", "Landed"),
            ("quarantine", "Quality"),
            ("figures", "Figures"),
            ("alerts", "Alerts"),
            ("networks", "Networks"),
            ("persons", "Persons"),
            ("raw", "Raw results"),
        )
    )
    raw = html.escape(json.dumps(results, indent=2, default=str))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        # Nothing may load from elsewhere: a closed network has no CDN.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Interlink run {stamp}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>Interlink run report</h1><p>{stamp} · lake {_e(root)}</p>"
        f"<p>{_e(masking_note)}</p></header><main><nav class='toc'>{toc}</nav>"
        + "".join(sections)
        + f"<h2 id='raw'>Raw step results</h2><details><summary>The JSON every step returned "
        f"(for operators)</summary><pre>{raw}</pre></details></main>"
        f"<script>{script}</script>"
        f"<script>{_SCRIPT % {'colours': json.dumps(_COLOURS)}}</script></body></html>"
    )


def write_run_report(settings: Settings, lake: Lake, results: dict[str, Any]) -> str:
    """Render the report from the lake and store it as reports/runs/<stamp>.html (+ latest.html)."""
    root = lake.local_mirror("") if lake.is_s3 else Path(lake.root)
    page = render(
        root,
        results,
        masking=D.Masking(victim_access=settings.report.victim_access),
        report_dir=root / REPORTS_DIR,
    ).encode()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lake.write_bytes(f"{REPORTS_DIR}/{stamp}.html", page)
    return lake.write_bytes(f"{REPORTS_DIR}/latest.html", page)
