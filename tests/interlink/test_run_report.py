"""The run report renders from gold Parquet tables and pictures the largest cross-border network."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from interlink.report import render


def _write(root: Path, table: str, data: dict) -> None:
    target = root / "gold" / table
    target.mkdir(parents=True)
    pq.write_table(pa.table(data), target / "part-0.parquet")


def test_report_shows_counts_alerts_and_a_network_picture(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "networks",
        {
            "network_id": ["N-1", "N-2"],
            "size": [4, 9],
            "countries": [["DEU", "GRC"], ["ESP"]],
            "offence_types": [["som_sea"], ["som_land"]],
        },
    )
    _write(
        tmp_path,
        "network_members",
        {
            "network_id": ["N-1"] * 4,
            "member_type": ["case", "case", "entity", "entity"],
            "member_id": ["DEU|C1", "GRC|C9", "P-1", "P-2"],
        },
    )
    _write(
        tmp_path,
        "person_entities",
        {
            "entity_id": ["P-1", "P-1", "P-2"],
            "source_country": ["DEU", "GRC", "GRC"],
            "record_id": ["a", "b", "c"],
            "case_refs": [["C1"], ["C9"], ["C9"]],
        },
    )
    _write(
        tmp_path,
        "document_alerts",
        {
            "number": ["X123"],
            "issuing_country": ["UKR"],
            "status": ["stolen_blank"],
            "seen_in_feed": ["person"],
            "seen_in_source_country": ["DEU"],
            "seen_in_record_id": ["a"],
        },
    )
    page = render(
        tmp_path,
        {
            "ingest": {"per_reason": {"country.spoofed": 2}},
            "resolve": {"gold": {"entities": 2, "networks": 2}},
        },
    )
    assert "country.spoofed" in page and "X123" in page and "stolen_blank" in page
    match = re.search(r"data:image/png;base64,([^']+)'", page)
    assert match, "the largest cross-border network is pictured"
    png = base64.b64decode(match.group(1))
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    # The cross-border network (DEU, GRC) is chosen over the larger single-country one.
    assert "N-1" in page
