"""Third-party browser assets the offline views need, pinned from the npm registry.

Police networks are often closed: a page that fetches its CSS or JavaScript from a CDN shows
blank there. The run report (vis-network, inlined into the page) and the Great Expectations
Data Docs (Bootstrap, jQuery, Font Awesome, Vega…, copied next to the site and linked
relatively) use the files listed here, committed under `transforms/vendor/<package>@<version>/`
with their licences. `make vendor` (`python -m transforms.vendored`) fetches them again with
`npm pack`: to move a package, change its version here and run it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "vendor"

# A source map comment makes a browser with developer tools open fetch the .map file: we do not
# ship maps, so the comment goes.
_SOURCE_MAP = re.compile(rb"\n?(//|/\*)# sourceMappingURL=[^\n]*?(\*/)?\s*$")


@dataclass(frozen=True)
class NpmPackage:
    """Files of one npm package version that a page needs, with the licence files to keep."""

    name: str
    version: str
    files: tuple[str, ...]
    licences: tuple[str, ...] = ("LICENSE",)

    @property
    def folder(self) -> Path:
        """Where the files live in the repository (package-relative paths kept, so that a
        stylesheet's `../webfonts/…` still resolves)."""
        return VENDOR_DIR / f"{self.name.replace('/', '__')}@{self.version}"

    def file(self, path: str) -> Path:
        """The committed copy of `path`; raises VendoredAssetMissing when it is not there."""
        target = self.folder / path
        if not target.is_file():
            raise VendoredAssetMissing(
                f"{target} is missing: run `make vendor` to fetch {self.name}@{self.version} "
                "from the npm registry"
            )
        return target


class VendoredAssetMissing(FileNotFoundError):
    """A vendored file is not in the checkout (or the wheel)."""


VIS_NETWORK = NpmPackage(
    "vis-network",
    "10.1.5",
    ("standalone/umd/vis-network.min.js",),
    licences=("LICENSE-MIT", "LICENSE-APACHE-2.0"),
)
"""The run report's interactive network drawing (zoom, drag, hover); the standalone build carries
its own CSS and no peer dependency."""

_FA_FONTS = tuple(
    f"webfonts/{f}.woff2"
    for f in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")
)
_BOOTSTRAP = NpmPackage(
    "bootstrap", "4.3.1", ("dist/css/bootstrap.min.css", "dist/js/bootstrap.min.js")
)
_TABLE = NpmPackage(
    "bootstrap-table",
    "1.19.1",
    (
        "dist/bootstrap-table.min.css",
        "dist/bootstrap-table.min.js",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
)
_DATEPICKER = NpmPackage(
    "bootstrap-datepicker",
    "1.9.0",
    ("dist/css/bootstrap-datepicker.min.css", "dist/js/bootstrap-datepicker.min.js"),
)
_DARK = NpmPackage(
    "@forevolve/bootstrap-dark", "1.1.0", ("dist/css/bootstrap-prefers-dark.min.css",)
)
_JQUERY = NpmPackage("jquery", "3.7.1", ("dist/jquery.min.js",), licences=("LICENSE.txt",))
# popper.js 1.x carries its MIT licence in the README only.
_POPPER = NpmPackage("popper.js", "1.12.9", ("dist/umd/popper.min.js",), licences=("README.md",))
_FONTAWESOME = NpmPackage(
    "@fortawesome/fontawesome-free", "6.6.0", ("css/all.min.css", *_FA_FONTS), ("LICENSE.txt",)
)
# vega's tarball has no LICENSE file: its package.json names the licence (BSD-3-Clause).
_VEGA = NpmPackage("vega", "5.33.1", ("build/vega.min.js",), licences=("package.json",))
_VEGA_LITE = NpmPackage("vega-lite", "5.23.0", ("build/vega-lite.min.js",))
_VEGA_EMBED = NpmPackage("vega-embed", "6.29.0", ("build/vega-embed.min.js",))

_FILTER = "dist/extensions/filter-control/bootstrap-table-filter-control"
_BT = "https://unpkg.com/bootstrap-table@"
_DP = "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/"

DATA_DOCS_ASSETS: dict[str, tuple[NpmPackage, str]] = {
    # CDN URL written by GX 1.x's templates -> (package, file in it). jsDelivr's `@5`-style URLs
    # mean "the newest release of that major": pinned here to the release we tested.
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        _BOOTSTRAP,
        "dist/css/bootstrap.min.css",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        _BOOTSTRAP,
        "dist/js/bootstrap.min.js",
    ),
    f"{_BT}1.19.1/dist/bootstrap-table.min.css": (_TABLE, "dist/bootstrap-table.min.css"),
    f"{_BT}1.19.1/dist/bootstrap-table.min.js": (_TABLE, "dist/bootstrap-table.min.js"),
    # The filter-control stylesheet is linked at 1.19.0 (minified or not) beside the 1.19.1
    # script: the 1.19.1 files serve every variant.
    f"{_BT}1.19.0/{_FILTER}.css": (_TABLE, f"{_FILTER}.min.css"),
    f"{_BT}1.19.0/{_FILTER}.min.css": (_TABLE, f"{_FILTER}.min.css"),
    f"{_BT}1.19.1/{_FILTER}.min.js": (_TABLE, f"{_FILTER}.min.js"),
    f"{_DP}css/bootstrap-datepicker.min.css": (
        _DATEPICKER,
        "dist/css/bootstrap-datepicker.min.css",
    ),
    f"{_DP}js/bootstrap-datepicker.min.js": (_DATEPICKER, "dist/js/bootstrap-datepicker.min.js"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": (_DARK, "dist/css/bootstrap-prefers-dark.min.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": (_JQUERY, "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        _POPPER,
        "dist/umd/popper.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        _FONTAWESOME,
        "css/all.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": (_VEGA, "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": (_VEGA_LITE, "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": (_VEGA_EMBED, "build/vega-embed.min.js"),
}


def all_packages() -> list[NpmPackage]:
    """Every vendored package once (several CDN URLs share one package)."""
    seen: dict[tuple[str, str], NpmPackage] = {}
    for package, _path in DATA_DOCS_ASSETS.values():
        seen.setdefault((package.name, package.version), package)
    seen.setdefault((VIS_NETWORK.name, VIS_NETWORK.version), VIS_NETWORK)
    return sorted(seen.values(), key=lambda p: p.name)


def refresh(packages: list[NpmPackage] | None = None) -> list[Path]:
    """Fetch each package with `npm pack` (the registry's own client) and copy its files and
    licences under VENDOR_DIR; returns the files written."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: `apt-get install -y npm`, then `make vendor`")
    written: list[Path] = []
    for package in packages or all_packages():
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [npm, "pack", f"{package.name}@{package.version}", "--silent"],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(tmp, filter="data")
            source = Path(tmp) / "package"
            shutil.rmtree(package.folder, ignore_errors=True)
            for rel in (*package.files, *package.licences):
                target = package.folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                data = (source / rel).read_bytes()
                if rel.endswith((".js", ".css")):
                    data = _SOURCE_MAP.sub(b"\n", data)
                target.write_bytes(data)
                written.append(target)
    return written


if __name__ == "__main__":
    for path in refresh():
        print(path.relative_to(VENDOR_DIR.parent.parent))
    sys.exit(0)
