"""A silver merge touches what the landed records need: it reads the bronze of their countries
alone (a record's messages are all in its country's partition) and rewrites only the table's
files that hold one of them, adding the rebuilt rows as new files; past `MERGE_MAX_FILES` files,
or below `MERGE_WHOLE_BELOW_BYTES`, it rewrites the table whole. The tables stay the ones a full
rebuild writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from transforms_testkit import background_people, message, person, write_bronze

from transforms import jobs
from transforms import lake_io as io
from transforms.jobs import build_silver

pytestmark = pytest.mark.spark


def _files(lake: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (lake / "silver" / "person").glob("*.parquet")}


def _rows(spark: Any, lake: Path) -> list[dict[str, Any]]:
    df = io.read_table(spark, str(lake), "silver", "person")
    assert df is not None
    rows = [r.asDict(recursive=True) for r in df.collect()]
    return sorted(rows, key=lambda r: (r["source_country"], r["record_id"]))


def _holding(lake: Path, record_id: str) -> set[str]:
    import pyarrow.parquet as pq

    return {
        p.name
        for p in (lake / "silver" / "person").glob("*.parquet")
        if record_id in pq.read_table(p, columns=["record_id"]).column(0).to_pylist()
    }


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    # These tables are a few KiB: file by file only with the small-table rule off.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs, "MERGE_WHOLE_BELOW_BYTES", 0)
        return _runs(spark, tmp_path_factory)


def _runs(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    lake = tmp_path_factory.mktemp("merge") / "lake"
    write_bronze(
        lake,
        [message("person", "FRA", "FRA-P-1", person("Ivan", "Petrov")), *background_people(60)],
        day="2026-11-27",
    )
    build_silver(spark, str(lake))
    out: dict[str, Any] = {"lake": lake, "files0": _files(lake)}
    # Another country's bronze file made unreadable with its size and modification time kept:
    # the listing still says "files added", and only a merge that reads it can fail.
    other = next((lake / "bronze" / "feed=person").glob("country=DEU/*/*.parquet"))
    original, st = other.read_bytes(), other.stat()
    other.write_bytes(b"\0" * len(original))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    write_bronze(lake, [message("person", "FRA", "FRA-P-9", person("Jean", "Martin"))])
    out["new"] = build_silver(spark, str(lake))
    out["files1"] = _files(lake)
    out["holding"] = _holding(lake, "FRA-P-1")
    write_bronze(
        lake, [message("person", "FRA", "FRA-P-1", person("Ivan", "Petrov-Smirnov"), version=2)]
    )
    out["corrected"] = build_silver(spark, str(lake))
    out["files2"] = _files(lake)
    out["rows"] = _rows(spark, lake)
    full = lake.parent / "full"
    shutil.copytree(lake, full)
    (full / other.relative_to(lake)).write_bytes(original)
    build_silver(spark, str(full), full=True)
    out["full_rows"] = _rows(spark, full)
    return out


def test_a_merge_reads_only_the_bronze_of_the_landed_records_countries(runs) -> None:  # type: ignore[no-untyped-def]
    # The DEU file is unreadable: the FRA merges never opened it.
    assert runs["new"].merged == ["person"] and runs["corrected"].merged == ["person"]
    assert runs["rows"] == runs["full_rows"]
    assert runs["corrected"]["person"] == len(runs["full_rows"]) == 62


def test_a_merge_rewrites_only_the_silver_files_that_hold_a_landed_record(runs) -> None:  # type: ignore[no-untyped-def]
    files0, files1, files2 = runs["files0"], runs["files1"], runs["files2"]
    # A new record alone: every file stays as it was, its row comes in a new file.
    assert all(files1.get(name) == t for name, t in files0.items())
    assert len(files1) > len(files0)
    # A correction: the file that held the record goes, every other stays untouched.
    assert runs["holding"] and not runs["holding"] & set(files2)
    kept = {n: t for n, t in files1.items() if n not in runs["holding"]}
    assert all(files2.get(n) == t for n, t in kept.items())


def test_a_merge_past_the_file_limit_rewrites_the_table_whole(spark, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lake = tmp_path / "lake"
    write_bronze(lake, background_people(40), day="2026-11-27")
    build_silver(spark, str(lake))
    before = _files(lake)
    monkeypatch.setattr(jobs, "MERGE_WHOLE_BELOW_BYTES", 0)
    monkeypatch.setattr(jobs, "MERGE_MAX_FILES", len(before))
    write_bronze(lake, [message("person", "FRA", "FRA-P-9", person("Jean", "Martin"))])
    counts = build_silver(spark, str(lake))
    assert counts.merged == ["person"] and counts["person"] == 41
    assert not set(before) & set(_files(lake))


def test_a_small_table_is_merged_by_rewriting_it_whole(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A new record alone: file by file, every old file would stay (see above); a table below
    # MERGE_WHOLE_BELOW_BYTES is written again instead, every file new.
    lake = tmp_path / "lake"
    write_bronze(lake, background_people(40), day="2026-11-27")
    build_silver(spark, str(lake))
    before = _files(lake)
    write_bronze(lake, [message("person", "FRA", "FRA-P-9", person("Jean", "Martin"))])
    counts = build_silver(spark, str(lake))
    assert counts.merged == ["person"] and counts["person"] == 41
    assert not set(before) & set(_files(lake))
