"""The lake and the keys are private to the user running Interlink, whatever the umask (issue 16:
under the usual umask 022 the whole lake was world-readable): files 0600, directories 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from infra.lake import Lake
from streams.keys import KeyRegistry, create_keypair


@pytest.fixture(params=[0o022, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    """Mode of root and of everything under it, by path relative to root's parent."""
    out = {root.name: stat.S_IMODE(root.stat().st_mode)}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root.parent))] = stat.S_IMODE(p.stat().st_mode)
    return out


def test_lake_files_are_0600_and_its_folders_0700(tmp_path: Path, umask: int) -> None:
    lake = Lake(str(tmp_path / "lake"))
    rel = "bronze/feed=person/country=FRA/date=2026-11-01/feeds.person+0+0-1.parquet"
    lake.write_parquet(rel, pa.table({"record_id": ["a", "b"]}))
    lake.write_bytes("reports/quality/results/b1.json", b"{}")
    table = lake.read_parquet(rel)
    lake.drop_rows(rel, table, pc.equal(table["record_id"], "a"))  # a rewrite stays private
    spark_out = tmp_path / "spark-out"
    (spark_out / "sub").mkdir(parents=True)
    (spark_out / "sub" / "part-0.parquet").write_bytes(b"x")
    lake.upload_dir(spark_out, "gold/networks")
    modes = _modes(tmp_path / "lake")
    assert {
        "lake/bronze/feed=person/country=FRA/date=2026-11-01/feeds.person+0+0-1.parquet",
        "lake/reports/quality/results/b1.json",
        "lake/gold/networks/sub/part-0.parquet",
    } <= set(modes)
    for path, mode in modes.items():
        expected = 0o700 if (tmp_path / path).is_dir() else 0o600
        assert mode == expected, (path, oct(mode), oct(umask))


def test_an_existing_lake_root_others_could_enter_is_closed(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    Lake(str(root)).write_bytes("x.json", b"{}")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_key_files_are_0600_and_their_folder_0700(tmp_path: Path, umask: int) -> None:
    keys = tmp_path / "var" / "keys"
    priv, pub = create_keypair("FRA", keys)
    registry = KeyRegistry()
    registry.add("FRA", pub.read_text())
    saved = registry.save(tmp_path / "registry" / "registry.json")
    for path in (priv, pub, saved):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(umask))
    for folder in (keys, keys.parent, saved.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, (folder, oct(umask))


@pytest.mark.spark
def test_what_spark_writes_into_the_lake_is_private(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    try:
        out = tmp_path / "lake" / "gold" / "networks"
        spark.createDataFrame([("N-1", 3)], "network_id string, size int").write.parquet(str(out))
    finally:
        os.umask(old)
    modes = _modes(out)
    assert any(p.endswith(".parquet") for p in modes)
    for path, mode in modes.items():
        expected = 0o700 if (tmp_path / "lake" / "gold" / path).is_dir() else 0o600
        assert mode == expected, (path, oct(mode))
