"""Checks of the offline views in headless Chromium, shared by the browser tests and the e2e run.

Each opens a page from file:// in a fresh tab, asserts that no request left the machine (every
URL the page asked for is recorded), checks what an analyst would look at, and saves screenshots
into the test's output directory (their paths are logged).
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from infra.browser import BrowserError

log = logging.getLogger(__name__)

# Per drawn graph: nodes laid out, and nodes whose centre pixel on the canvas is painted (not the
# white background) — the drawing itself, not only vis-network's data.
_DRAWN = """
(() => { const out = {};
  for (const [id, net] of Object.entries(window.interlinkGraphs)) {
    const box = document.getElementById('graph-' + id);
    box.scrollIntoView();
    const canvas = box.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const ratio = canvas.width / canvas.clientWidth;
    const pos = net.getPositions(); let drawn = 0;
    for (const p of Object.values(pos)) {
      const d = net.canvasToDOM(p);
      const px = ctx.getImageData(Math.round(d.x * ratio), Math.round(d.y * ratio), 1, 1).data;
      if (px[3] > 0 && !(px[0] > 245 && px[1] > 245 && px[2] > 245)) drawn++;
    }
    out[id] = {nodes: Object.keys(pos).length, drawn: drawn};
  }
  return out; })()
"""


def _logged(shot: Path) -> None:
    # Printed as well: Airflow's logging set-up (the e2e run) silences other loggers.
    log.info("screenshot: %s", shot)
    print(f"screenshot: {shot}")


def cross_border_members(lake_root: Path) -> dict[str, int]:
    """network_id -> member count of every network with members from several countries, read
    from gold directly (not from the page)."""
    nets = pq.read_table(lake_root / "gold" / "networks").to_pylist()
    members = pq.read_table(lake_root / "gold" / "network_members").to_pylist()
    cross = {n["network_id"] for n in nets if len(n["countries"] or []) > 1}
    counts = dict.fromkeys(cross, 0)
    for m in members:
        if m["network_id"] in cross:
            counts[m["network_id"]] += 1
    return counts


def cross_border_entities(lake_root: Path) -> set[str]:
    rows = pq.read_table(
        lake_root / "gold" / "person_entities", columns=["entity_id", "entity_countries"]
    ).to_pylist()
    return {r["entity_id"] for r in rows if (r["entity_countries"] or 0) > 1}


def check_report(chromium: Any, report: Path, lake_root: Path, out: Path) -> dict[str, Any]:
    """Open the run report offline; every cross-border network drawn, every person page there."""
    page = chromium.new_page()
    page.goto(report.as_uri())
    expected = cross_border_members(lake_root)
    page.wait_for(
        f"document.querySelectorAll('.graph[data-ready=true]').length === {len(expected)}",
        timeout=180,
    )
    assert page.remote_requests() == [], page.remote_requests()
    assert page.requests[0] == report.as_uri(), "the recorder saw the page itself"
    # A canvas is painted on an animation frame: give a throttled headless tab time to paint
    # before reading its pixels (the assertion below reports what was drawn if it never is).
    with contextlib.suppress(BrowserError):
        page.wait_for(
            f"Object.values({_DRAWN.strip()}).every(v => v.drawn === v.nodes)", timeout=30
        )
    drawn = page.evaluate(_DRAWN)
    assert {k: v["nodes"] for k, v in drawn.items()} == expected
    assert all(v["drawn"] == v["nodes"] for v in drawn.values()), drawn
    pages = set(page.evaluate("[...document.querySelectorAll('section.entity')].map(s => s.id)"))
    assert pages == {f"entity-{e}" for e in cross_border_entities(lake_root)}
    assert page.console_errors == []
    page.evaluate("scrollTo(0, 0)")
    shots = [page.screenshot(out / "report-top.png")]
    if expected:
        shots.append(page.screenshot(out / "report-network.png", "section.network"))
        first = page.evaluate("window.interlinkGraphs && Object.keys(window.interlinkGraphs)[0]")
        # Hover the first person (or case) node: its tooltip is part of what an analyst reads.
        node = page.evaluate(
            f"(() => {{const n = window.interlinkGraphs[{json.dumps(first)}];"
            "const ids = Object.keys(n.getPositions());"
            "const id = ids.find(i => i.startsWith('E:')) || ids[0];"
            "const d = n.canvasToDOM(n.getPositions([id])[id]);"
            f"const r = document.getElementById('graph-' + {json.dumps(first)})"
            ".getBoundingClientRect(); return {x: r.x + d.x, y: r.y + d.y};})()"
        )
        page.send("Input.dispatchMouseEvent", {"type": "mouseMoved", **node})
        page.wait_for("!!document.querySelector('div.vis-tooltip[style*=visible]')", timeout=20)
        shots.append(page.screenshot(out / "report-network-hover.png", "section.network"))
    if pages:
        shots.append(page.screenshot(out / "report-person.png", "section.entity"))
    for shot in shots:
        _logged(shot)
    return {"networks": drawn, "person_pages": len(pages), "screenshots": shots}


def check_data_docs(chromium: Any, index: Path, out: Path) -> dict[str, Any]:
    """Open the GX Data Docs index offline: no remote request, the vendored Bootstrap applied."""
    page = chromium.new_page()
    page.goto(index.as_uri())
    assert page.remote_requests() == [], page.remote_requests()
    vendored = [u for u in page.requests if "/static/vendor/" in u]
    assert any("bootstrap.min.css" in u for u in vendored), page.requests
    style = page.evaluate(
        "(() => {const s = getComputedStyle(document.body);"
        "const nav = document.querySelector('nav.navbar');"
        "return {font: s.fontFamily, margin: s.marginTop,"
        "navDisplay: nav && getComputedStyle(nav).display,"
        "tables: document.querySelectorAll('table').length,"
        "logo: [...document.images].every(i => i.complete && i.naturalWidth > 0)};})()"
    )
    # Unstyled, a page has the browser's default serif font and an 8px body margin, and the
    # navbar is a block; Bootstrap 4 sets a system font stack, no margin and a flex navbar.
    assert "serif" not in style["font"].replace("sans-serif", ""), style
    assert style["margin"] == "0px" and style["navDisplay"] == "flex", style
    assert style["logo"], "the GX logo comes from the site's own static/images"
    shot = page.screenshot(out / "data-docs-index.png")
    _logged(shot)
    return {"style": style, "screenshots": [shot]}
