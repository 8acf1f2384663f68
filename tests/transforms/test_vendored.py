"""Every browser asset the offline views name is committed under transforms/vendor/ with its
licence (`make vendor` fetches them again from npm)."""

from __future__ import annotations

from transforms.vendored import DATA_DOCS_ASSETS, VIS_NETWORK, all_packages


def test_every_listed_asset_and_licence_is_committed() -> None:
    for package in all_packages():
        for rel in (*package.files, *package.licences):
            assert package.file(rel).stat().st_size > 0, (package.name, rel)
    # Each CDN URL GX writes maps to a file its package lists.
    for url, (package, rel) in DATA_DOCS_ASSETS.items():
        assert rel in package.files, url
    assert VIS_NETWORK.file(VIS_NETWORK.files[0]).read_text("utf-8").count("sourceMappingURL") == 0
