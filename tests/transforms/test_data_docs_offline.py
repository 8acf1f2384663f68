"""Great Expectations Data Docs read offline: the CDN links GX writes are rewritten to vendored
copies (transforms.data_docs_offline), and the site opens styled in headless Chromium with no
request leaving the machine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.interlink.offline_views import check_data_docs
from tests.transforms.test_quality import BRONZE_DDL, person_rows
from transforms.data_docs_offline import localize_data_docs
from transforms.quality import validate_batch

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def data_docs(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("quality")
    df = spark.createDataFrame(person_rows(3), BRONZE_DDL)
    result = validate_batch(
        spark, df, feed="person", country="FRA", batch_id="docs-batch",
        reports_dir=str(reports), history=[],
    )  # fmt: skip
    assert result.data_docs_index
    return Path(result.data_docs_index)


def test_built_data_docs_load_no_remote_asset(data_docs: Path) -> None:
    pages = list(data_docs.parent.rglob("*.html"))
    assert len(pages) >= 2  # the index and the validation result page
    for page in pages:
        tags = re.findall(r"<(?:script|link|img)\b[^>]*>", page.read_text("utf-8"))
        remote = [t for t in tags if re.search(r"(src|href)=[\"']https?://", t)]
        assert remote == [], (page, remote)
    # Idempotent: a second pass finds nothing left to rewrite and changes nothing.
    before = {p: p.read_bytes() for p in pages}
    assert localize_data_docs(data_docs.parent) == []
    assert {p: p.read_bytes() for p in pages} == before


@pytest.mark.browser
def test_data_docs_open_styled_offline_in_chromium(
    chromium: Any, data_docs: Path, tmp_path: Path
) -> None:
    seen = check_data_docs(chromium, data_docs, tmp_path)
    assert seen["style"]["tables"] >= 1
    # A validation result page sits five folders down: its relative links resolve too.
    (result,) = data_docs.parent.glob("validations/**/*.html")
    shot = check_data_docs(chromium, result, tmp_path / "validation")["screenshots"][0]
    assert shot.stat().st_size > 10_000
