"""The lake writes whole files or nothing, locally and on S3, behind one interface."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from infra.lake import Lake


def _roundtrip(lake: Lake) -> None:
    table = pa.table({"id": [1, 2], "name": ["a", "b"]})
    lake.write_parquet("bronze/feed=person/x.parquet", table)
    lake.write_bytes("reports/r.json", b"{}")
    assert lake.exists("bronze/feed=person/x.parquet")
    assert not lake.exists("bronze/feed=person/y.parquet")
    assert lake.list("bronze") == ["bronze/feed=person/x.parquet"]
    assert lake.read_parquet("bronze/feed=person/x.parquet").equals(table)
    # Rewriting the same name replaces the file: a replay never duplicates.
    lake.write_parquet("bronze/feed=person/x.parquet", table)
    assert lake.list("bronze") == ["bronze/feed=person/x.parquet"]
    # Silver's rebuild check (transforms.silver_built) sees a file rewritten in place as changed.
    [(name, size, version)] = lake.list_versions("bronze")
    assert name == "bronze/feed=person/x.parquet" and size > 0
    lake.write_parquet("bronze/feed=person/x.parquet", pa.table({"id": [1], "name": ["a"]}))
    assert lake.list_versions("bronze") != [(name, size, version)]
    lake.write_parquet("bronze/feed=person/x.parquet", table)
    mirror = lake.local_mirror("bronze")
    assert (mirror / "feed=person" / "x.parquet").exists()
    lake.delete("bronze/feed=person/x.parquet")
    assert lake.list("bronze") == []


def test_local_lake_roundtrip_leaves_no_temporary_files(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    _roundtrip(lake)
    assert not [p for p in (tmp_path / "lake").rglob(".*.tmp")]


@pytest.mark.slow
def test_s3_lake_roundtrip(s3_lake: Lake) -> None:
    assert s3_lake.is_s3
    _roundtrip(s3_lake)


def test_drop_rows_rewrites_the_file_without_them_and_deletes_it_when_none_is_left(
    tmp_path: Path,
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    rel = "silver/person/part-0.parquet"
    table = pa.table({"record_id": ["a", "b", "c"], "v": [1, 2, 3]})
    lake.write_parquet(rel, table)

    dropped = lake.drop_rows(rel, table, pa.array([False, True, False]))

    assert (dropped.rel, dropped.rows, dropped.file_deleted) == (rel, 1, False)
    assert lake.read_parquet(rel).column("record_id").to_pylist() == ["a", "c"]
    left = lake.read_parquet(rel)
    dropped = lake.drop_rows(rel, left, pa.array([True, True]))
    assert (dropped.rows, dropped.file_deleted) == (2, True)
    assert not lake.exists(rel)
