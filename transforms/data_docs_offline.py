"""Great Expectations Data Docs that read offline: CDN links rewritten to vendored copies.

GX 1.x writes `<link>`/`<script>` tags to unpkg, jsDelivr, cdnjs and friends into every page, and
its logo comes from an S3 bucket (with the Data Context id in the query string); on a closed
network the site index is blank. Its SiteBuilder has no setting for local assets, so after each
build the pinned files of `transforms.vendored.DATA_DOCS_ASSETS` are copied under
`<site>/static/vendor/` and every page's tags are pointed at them with relative paths (so the site
still works when copied elsewhere or opened from file://). `integrity`/`crossorigin` go too: a
file:// page cannot make a CORS request, and the hashes were for the CDN's bytes.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from transforms.vendored import DATA_DOCS_ASSETS

log = logging.getLogger(__name__)

VENDOR_SUBDIR = "static/vendor"
# GX's own images are already copied into the site (static/images): only the bucket is remote.
_GX_IMAGES = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([A-Za-z0-9_.-]+)"
    r"(\?[^\"'\s>]*)?"
)
_SRI = re.compile(r"\s+(integrity|crossorigin)=\"[^\"]*\"")
_TAG = re.compile(r"<(script|link|img)\b[^>]*>", re.IGNORECASE)
_REMOTE = re.compile(r"\b(?:src|href)=[\"'](https?://[^\"']+)[\"']", re.IGNORECASE)


def _copy_assets(site: Path) -> None:
    for package, _path in {
        (p.name, p.version): (p, f) for p, f in DATA_DOCS_ASSETS.values()
    }.values():
        for rel in (*package.files, *package.licences):
            target = site / VENDOR_SUBDIR / package.folder.name / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(package.file(rel), target)


def _rewrite(page: Path, site: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    up = os.path.relpath(site, page.parent).replace(os.sep, "/")
    prefix = "" if up == "." else up + "/"

    def tag(match: re.Match[str]) -> str:
        out = match.group(0)
        for url, (package, rel) in DATA_DOCS_ASSETS.items():
            if url in out:
                out = out.replace(url, f"{prefix}{VENDOR_SUBDIR}/{package.folder.name}/{rel}")
                out = _SRI.sub("", out)
        return _GX_IMAGES.sub(lambda m: f"{prefix}static/images/{m.group(1)}", out)

    new = _TAG.sub(tag, text)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return [m.group(1) for t in _TAG.finditer(new) for m in _REMOTE.finditer(t.group(0))]


def localize_data_docs(site_dir: str | Path) -> list[str]:
    """Make the Data Docs site under `site_dir` load nothing from the network.

    Idempotent (a rewritten page has nothing left to rewrite). Returns the remote URLs still
    loaded by a page (a GX upgrade may add a CDN asset: add it to DATA_DOCS_ASSETS, then run
    `make vendor`); they are logged as a warning too.
    """
    site = Path(site_dir)
    if not site.is_dir():
        return []
    _copy_assets(site)
    left: set[str] = set()
    for page in sorted(site.rglob("*.html")):
        left.update(_rewrite(page, site))
    if left:
        log.warning(
            "Data Docs under %s still load %d remote asset(s) (%s): add them to "
            "transforms.vendored.DATA_DOCS_ASSETS and run `make vendor`",
            site,
            len(left),
            ", ".join(sorted(left)),
        )
    return sorted(left)
