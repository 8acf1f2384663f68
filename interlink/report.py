"""The run report: one self-contained HTML page in the lake that an analyst can open and read.

Counts per country and feed, rejections by reason, entity and network statistics, document alerts,
and a picture of the largest cross-border network (analysts would rather look than read), with a
link to the Great Expectations Data Docs of the batches.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.lake import BRONZE, GOLD
from infra.lake import Lake
from interlink.settings import Settings

REPORTS_DIR = "reports/runs"


def _duck_tables(root: Path) -> Any:
    """A DuckDB connection with a view per gold table and one over bronze."""
    import duckdb

    con = duckdb.connect()
    bronze = root / BRONZE
    if bronze.exists() and any(bronze.rglob("*.parquet")):
        con.execute(
            "CREATE VIEW bronze AS SELECT * FROM read_parquet("
            f"{_literal(bronze / '**' / '*.parquet')}, hive_partitioning = true, "
            "union_by_name = true)"
        )
    gold = root / GOLD
    if gold.exists():
        for table_dir in sorted(p for p in gold.iterdir() if p.is_dir()):
            files = list(table_dir.rglob("*.parquet"))
            if files:
                con.execute(
                    f'CREATE VIEW "{table_dir.name}" AS SELECT * FROM read_parquet('
                    f"{_literal(table_dir / '**' / '*.parquet')}, union_by_name = true)"
                )
    return con


def _literal(path: Path) -> str:
    """A SQL string literal (views cannot take prepared parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _has(con: Any, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


def _columns(con: Any, name: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
    ).fetchall()
    return {r[0] for r in rows}


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return "<p class='muted'>none</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def network_picture(con: Any) -> tuple[str, list[str], str] | None:
    """(network id, countries, PNG as base64) of the largest cross-border network, or None.

    Nodes are cases (orange, labelled with the reporting country) and person entities (green);
    edges join a person to the cases its records reference, and cases linked by shared evidence.
    """
    if not (_has(con, "network_members") and _has(con, "networks")):
        return None
    top = con.execute(
        "SELECT network_id, countries FROM networks ORDER BY len(countries) DESC, size DESC LIMIT 1"
    ).fetchall()
    if not top:
        return None
    net_id, countries = top[0]
    members = con.execute(
        "SELECT member_type, member_id FROM network_members WHERE network_id = ?", [net_id]
    ).fetchall()
    nodes = {member_id: member_type for member_type, member_id in members}
    edges: set[tuple[str, str]] = set()
    if _has(con, "person_entities") and {"case_refs", "entity_id"} <= _columns(
        con, "person_entities"
    ):
        rows = con.execute(
            "SELECT DISTINCT entity_id, source_country || '|' || unnest(case_refs) "
            "FROM person_entities"
        ).fetchall()
        edges |= {(a, b) for a, b in rows if a in nodes and b in nodes}
    if _has(con, "case_links"):
        rows = con.execute(
            "SELECT case_a_source_country || '|' || case_a_record_id, "
            "case_b_source_country || '|' || case_b_record_id FROM case_links"
        ).fetchall()
        edges |= {(a, b) for a, b in rows if a in nodes and b in nodes}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    fig, ax = plt.subplots(figsize=(9, 6), dpi=100)
    pos = nx.spring_layout(g, seed=1)
    is_case = [nodes[n] == "case" for n in g.nodes]
    nx.draw_networkx(
        g,
        pos,
        ax=ax,
        node_color=["#d95f02" if c else "#1b9e77" for c in is_case],
        node_size=[420 if c else 160 for c in is_case],
        labels={n: n.split("|")[0] if nodes[n] == "case" else "" for n in g.nodes},
        font_size=8,
        edge_color="#999999",
    )
    ax.set_title(
        f"Network {net_id}: {len(nodes)} members across {', '.join(countries)} "
        "(orange: cases by reporting country, green: persons)"
    )
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return net_id, list(countries), base64.b64encode(buf.getvalue()).decode()


def render(root: Path, results: dict[str, Any]) -> str:
    con = _duck_tables(root)
    sections: list[str] = []
    if _has(con, "bronze"):
        rows = con.execute(
            "SELECT source_country, feed, count(*) AS messages, "
            "count(DISTINCT record_id) AS records "
            "FROM bronze GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
        sections.append(
            "<h2>Landed per country and feed</h2>"
            + _table(["country", "feed", "messages", "records"], rows)
        )
    ingest = results.get("ingest") or {}
    reasons = sorted((ingest.get("per_reason") or {}).items())
    sections.append(
        "<h2>Rejections (dead-letter topic) by reason</h2>"
        + _table(["reason", "messages"], reasons)
    )
    validate = results.get("validate") or {}
    quarantined = [
        (q["batch"], q["files"], ", ".join(q.get("failed", [])))
        for q in validate.get("quarantined", [])
    ]
    sections.append(
        "<h2>Quarantined batches</h2>"
        + _table(["batch", "files", "failed expectations"], quarantined)
    )
    gold = (results.get("resolve") or {}).get("gold") or {}
    if gold:
        sections.append(
            "<h2>Entities and networks</h2>"
            + _table(
                ["measure", "value"],
                [
                    (k.replace("_", " "), v)
                    for k, v in sorted(gold.items())
                    if not isinstance(v, dict | list)
                ],
            )
        )
    if _has(con, "document_alerts"):
        cols = _columns(con, "document_alerts")
        wanted: list[str] = [
            c
            for c in (
                "number",
                "issuing_country",
                "status",
                "seen_in_feed",
                "seen_in_source_country",
                "seen_in_record_id",
                "seen_at",
            )
            if c in cols
        ]
        if wanted:
            rows = con.execute(
                f"SELECT {', '.join(wanted)} FROM document_alerts ORDER BY 1 LIMIT 50"
            ).fetchall()
            sections.append("<h2>Document alerts</h2>" + _table(wanted, rows))
    picture = network_picture(con)
    if picture:
        net_id, countries, png = picture
        sections.append(
            "<h2>Largest cross-border network</h2>"
            f"<p>{html.escape(net_id)} — {html.escape(', '.join(countries))}</p>"
            f"<img alt='largest network' src='data:image/png;base64,{png}'>"
        )
    docs = validate.get("data_docs")
    if docs:
        sections.append(
            f"<p>Great Expectations Data Docs: <a href='file://{html.escape(docs)}'>"
            f"{html.escape(docs)}</a></p>"
        )
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
        "th{background:#f3f3f3}.muted{color:#888}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Interlink run {stamp}</title>"
        f"<style>{style}</style></head><body><h1>Interlink run report</h1><p>{stamp}</p>"
        + "".join(sections)
        + "<h2>Raw step results</h2><pre>"
        + html.escape(json.dumps(results, indent=2, default=str))
        + "</pre></body></html>"
    )


def write_run_report(settings: Settings, lake: Lake, results: dict[str, Any]) -> str:
    """Render the report from the lake and store it as reports/runs/<stamp>.html (+ latest.html)."""
    root = lake.local_mirror("") if lake.is_s3 else Path(lake.root)
    page = render(root, results).encode()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lake.write_bytes(f"{REPORTS_DIR}/{stamp}.html", page)
    return lake.write_bytes(f"{REPORTS_DIR}/latest.html", page)
