"""The run report in headless Chromium, offline: nothing fetched beyond the file itself, every
cross-border network drawn node for node, a page per cross-border person; screenshots in the
test's output directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interlink.report import render
from tests.interlink.offline_views import check_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_report_offline_draws_every_cross_border_network_and_person_page(
    chromium: Any, world_lake: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(render(world_lake, {"resolve": {"gold": {"networks": 1}}}), "utf-8")
    seen = check_report(chromium, report, world_lake, tmp_path)
    assert seen["networks"] == {"N-1A2B3C4D5E6F": {"nodes": 3, "drawn": 3}}
    assert seen["person_pages"] == 1
    assert all(p.stat().st_size > 10_000 for p in seen["screenshots"])
