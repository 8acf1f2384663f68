"""Silver follows the delta: a feed whose bronze and tombstones have not changed since its table
was built is left as it is (files untouched, count from its record); new bronze files merge the
records they name into that feed alone; a tombstone, a bronze file rewritten in place, a lost or
torn record or a damaged table rebuild that feed whole; and the tables equal a full rebuild's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from transforms_testkit import (
    background_people,
    delete,
    message,
    person,
    stolen_passport,
    write_bronze,
)

from contracts.lake import silver_built
from contracts.registry import FEEDS
from infra.audit import write_tombstones
from infra.lake import Lake
from transforms import lake_io as io
from transforms.jobs import build_silver

pytestmark = pytest.mark.spark

DOC = stolen_passport()


def _files(lake: Path, feed: str) -> dict[str, int]:
    """The silver table's data files with their modification times: a rewrite changes them."""
    return {p.name: p.stat().st_mtime_ns for p in (lake / "silver" / feed).glob("*.parquet")}


def _rows(spark: Any, lake: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for feed in FEEDS:
        df = io.read_table(spark, str(lake), "silver", feed)
        if df is not None:
            rows = [r.asDict(recursive=True) for r in df.collect()]
            out[feed] = sorted(rows, key=lambda r: (r["source_country"], r["record_id"]))
    return out


def _run(spark: Any, lake: Path, **kw: Any) -> dict[str, Any]:
    before = {f: _files(lake, f) for f in ("person", "travel_document")}
    counts = build_silver(spark, str(lake), **kw)
    return {
        "counts": dict(counts),
        "rebuilt": counts.rebuilt,
        "merged": counts.merged,
        "unchanged": counts.unchanged,
        "untouched": [f for f, files in before.items() if files and files == _files(lake, f)],
    }


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    lake = tmp_path_factory.mktemp("lake")
    write_bronze(
        lake,
        [
            message("person", "FRA", "FRA-P-1", person("Ivan", "Petrov")),
            message("person", "FRA", "FRA-P-2", person("Anna", "Berg")),
            message("person", "FRA", "FRA-P-3", person("Jean", "Martin")),
            message("travel_document", "UKR", "UKR-D-1", DOC),
            # Enough bronze that the next files are a delta, not most of the feed.
            *background_people(60),
        ],
        day="2026-11-27",
    )
    first_person_file = next((lake / "bronze" / "feed=person").rglob("*.parquet"))
    out: dict[str, Any] = {"lake": lake, "first": _run(spark, lake)}
    out["again"] = _run(spark, lake)
    write_bronze(
        lake,
        [
            message("person", "DEU", "DEU-P-1", person("Karl", "Weber")),
            message("person", "FRA", "FRA-P-1", person("Ivan", "Petrov-Smirnov"), version=2),
            delete("person", "FRA", "FRA-P-3", version=2),
        ],
    )
    out["new_person"] = _run(spark, lake)
    out["after_merge_rows"] = _rows(spark, lake)
    rebuilt_copy = lake.parent / "rebuilt_copy"
    shutil.copytree(lake, rebuilt_copy)
    build_silver(spark, str(rebuilt_copy), full=True)
    out["merge_full_rows"] = _rows(spark, rebuilt_copy)
    write_tombstones(Lake(str(lake)), [(("FRA", "person", "FRA-P-2"), 1, "source_delete")])
    out["tombstone"] = _run(spark, lake)
    # Retention rewrites bronze files in place: any record in them may have changed.
    table = Lake(str(lake)).read_parquet(str(first_person_file.relative_to(lake)))
    rewritten = table.slice(0, table.num_rows)  # same rows, new file version
    Lake(str(lake)).write_parquet(str(first_person_file.relative_to(lake)), rewritten)
    out["bronze_rewritten"] = _run(spark, lake)
    (lake / silver_built("person")).unlink()
    out["record_lost"] = _run(spark, lake)
    (lake / silver_built("travel_document")).write_text('{"rows": 1, "bronze": ')
    out["record_torn"] = _run(spark, lake)
    next((lake / "silver" / "person").glob("*.parquet")).unlink()
    out["table_damaged"] = _run(spark, lake)
    out["incremental_rows"] = _rows(spark, lake)
    out["full"] = _run(spark, lake, full=True)
    out["full_rows"] = _rows(spark, lake)
    return out


def test_a_rerun_on_the_same_bronze_rewrites_nothing(runs) -> None:  # type: ignore[no-untyped-def]
    assert runs["first"]["rebuilt"] == ["person", "travel_document"]
    again = runs["again"]
    assert again["rebuilt"] == again["merged"] == []
    assert again["unchanged"] == ["person", "travel_document"]
    # Callers still get every feed's row count, read from the tables' records.
    assert again["counts"] == runs["first"]["counts"] == {"person": 63, "travel_document": 1}
    assert again["untouched"] == ["person", "travel_document"]


def test_new_bronze_in_one_feed_merges_its_records_into_that_feed_only(runs) -> None:  # type: ignore[no-untyped-def]
    r = runs["new_person"]
    assert r["merged"] == ["person"] and r["rebuilt"] == []
    assert r["unchanged"] == ["travel_document"] and r["untouched"] == ["travel_document"]
    # New DEU-P-1 in, FRA-P-1 corrected, FRA-P-3 deleted, FRA-P-2 kept.
    assert r["counts"] == {"person": 63, "travel_document": 1}
    # The merged table is the one a full rebuild of the same bronze writes.
    assert runs["after_merge_rows"] == runs["merge_full_rows"]
    rows = {
        x["record_id"]: x
        for x in runs["after_merge_rows"]["person"]
        if "-BG-" not in x["record_id"]
    }
    assert sorted(rows) == ["DEU-P-1", "FRA-P-1", "FRA-P-2"]
    assert rows["FRA-P-1"]["record_version"] == 2
    assert rows["FRA-P-1"]["primary_name_original"] == "Ivan Petrov-Smirnov"


def test_a_tombstone_rebuilds_its_feed_and_the_record_leaves_silver(runs) -> None:  # type: ignore[no-untyped-def]
    r = runs["tombstone"]
    assert r["rebuilt"] == ["person"] and r["untouched"] == ["travel_document"]
    assert r["counts"]["person"] == 62
    ids = {
        x["record_id"] for x in runs["incremental_rows"]["person"] if "-BG-" not in x["record_id"]
    }
    assert ids == {"FRA-P-1", "DEU-P-1"}


def test_a_rewritten_bronze_file_or_a_lost_or_torn_record_or_a_damaged_table_rebuilds(runs) -> None:  # type: ignore[no-untyped-def]
    assert runs["bronze_rewritten"]["rebuilt"] == ["person"]
    assert runs["record_lost"]["rebuilt"] == ["person"]
    assert runs["record_torn"]["rebuilt"] == ["travel_document"]
    assert runs["record_torn"]["unchanged"] == ["person"]
    # A data file gone from the table (a crash half way, a hand deletion) is not "built".
    assert runs["table_damaged"]["rebuilt"] == ["person"]
    assert runs["table_damaged"]["counts"] == {"person": 62, "travel_document": 1}


def test_tables_kept_and_merged_across_runs_equal_a_full_rebuild(runs) -> None:  # type: ignore[no-untyped-def]
    assert runs["full"]["rebuilt"] == ["person", "travel_document"]
    assert runs["incremental_rows"] == runs["full_rows"]
