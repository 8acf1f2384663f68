"""The segmented state tables (`transforms.state_io`): a snapshot read back is the rows a whole
write would have left, a crash before the manifest leaves the previous snapshot, compaction keeps
the rows, and an incremental pipeline run writes segments whose read equals its whole tables."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from transforms_testkit import background_people, delete, message, person, write_bronze

from contracts.lake import PERSON_STATE, PERSON_STATE_MANIFEST
from transforms import lake_io as io
from transforms import state_io
from transforms.config import ResolutionConfig
from transforms.jobs import (
    build_gold,
    build_silver,
    persist_person_gold,
    read_model_meta,
    read_person_inputs,
    read_stored,
)
from transforms.person_gold import person_gold
from transforms.persons import StateWrite

pytestmark = [pytest.mark.spark]

PAIRS = "l_rk string, r_rk string, w double"
CLUSTERS = "rk string, component string"


def _rows(df) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(tuple(r) for r in df.collect())


def _read(spark, lake: str, name: str, manifest=None):  # type: ignore[no-untyped-def]
    m = state_io.read_manifest(lake) if manifest is None else manifest
    return state_io.read_state(spark, lake, name, m)


def _run(spark, lake: str, run: int, pairs, clusters, **kw) -> state_io.Staged:  # type: ignore[no-untyped-def]
    # These tables are tiny: the share rule would compact every run, so only a test sets it.
    kw = {"share": 100.0, **kw}
    staged = state_io.stage(lake, run, {"pairs": pairs, "clusters": clusters}, erased=False, **kw)
    state_io.commit(lake, staged)
    return staged


def test_segments_read_back_as_the_whole_tables_a_run_leaves(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    p1 = [("a", "b", 1.0), ("a", "c", 2.0), ("c", "d", 3.0), ("e", "f", 4.0)]
    c1 = [("a", "a"), ("b", "a"), ("c", "c"), ("d", "c"), ("e", "e"), ("f", "e")]
    df = spark.createDataFrame
    _run(spark, lake, 1, StateWrite(df(p1, PAIRS)), StateWrite(df(c1, CLUSTERS)))
    # Run 2: record c re-scored (its pairs go, one comes back with a new weight), g is new.
    p2_new = [("a", "c", 2.5), ("c", "g", 5.0)]
    p2 = [r for r in p1 if "c" not in r[:2]] + p2_new
    c2_new = [("c", "c"), ("d", "c"), ("g", "c")]
    c2 = [r for r in c1 if r[0] not in "cd"] + c2_new
    s2 = _run(
        spark,
        lake,
        2,
        StateWrite(df(p2, PAIRS), df(p2_new, PAIRS), frozenset("c")),
        StateWrite(df(c2, CLUSTERS), df(c2_new, CLUSTERS), frozenset("cd")),
    )
    assert s2.whole == set() and s2.rows == {"pairs": 2, "clusters": 3}
    assert _rows(_read(spark, lake, "pairs")) == sorted(p2)
    assert _rows(_read(spark, lake, "clusters")) == sorted(c2)
    # Run 3: e deleted. A later removal drops the rows of the base and of earlier segments,
    # never the same run's additions (c is removed and added again by run 3).
    p3_new = [("a", "c", 9.0)]
    p3 = [r for r in p2 if not {"c", "e"} & set(r[:2])] + p3_new
    c3 = [r for r in c2 if r[0] not in "ef"] + [("f", "f")]
    _run(
        spark,
        lake,
        3,
        StateWrite(df(p3, PAIRS), df(p3_new, PAIRS), frozenset("ce")),
        StateWrite(df(c3, CLUSTERS), df([("f", "f")], CLUSTERS), frozenset("ef")),
    )
    assert _rows(_read(spark, lake, "pairs")) == sorted(p3)
    assert _rows(_read(spark, lake, "clusters")) == sorted(c3)
    manifest = state_io.read_manifest(lake)
    assert manifest is not None and len(manifest["tables"]["pairs"]["segments"]) == 2

    # Compaction (here: more than one segment) writes the same rows as a new base.
    copy = str(tmp_path.parent / "compacted")
    shutil.copytree(lake, copy)
    p4 = StateWrite(df(p3, PAIRS), df([], PAIRS), frozenset())
    c4 = StateWrite(df(c3, CLUSTERS), df([], CLUSTERS), frozenset())
    seg = _run(spark, lake, 4, p4, c4)
    packed = _run(spark, copy, 4, p4, c4, max_segments=2)
    assert seg.whole == set() and packed.whole == {"pairs", "clusters"}
    for name, want in (("pairs", p3), ("clusters", c3)):
        assert _rows(_read(spark, lake, name)) == _rows(_read(spark, copy, name)) == sorted(want)
    assert state_io.read_manifest(copy)["tables"]["pairs"]["segments"] == []  # type: ignore[index]
    # What the compaction superseded is deleted by the next write, not by the compacting one.
    pairs_dir = Path(copy) / PERSON_STATE / "pairs"
    assert len(list(pairs_dir.iterdir())) == 6  # old base, 2 x (add + del) segments, new base
    _run(spark, copy, 5, p4, c4)
    assert sorted(p.name.split("-")[0] for p in pairs_dir.iterdir()) == ["add", "base"]
    assert _rows(_read(spark, copy, "pairs")) == sorted(p3)


def test_crash_before_the_manifest_leaves_the_previous_snapshot(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    df = spark.createDataFrame
    p1 = [("a", "b", 1.0), ("b", "c", 2.0)]
    c1 = [("a", "a"), ("b", "a"), ("c", "a")]
    _run(spark, lake, 1, StateWrite(df(p1, PAIRS)), StateWrite(df(c1, CLUSTERS)))
    before = io.as_lake(lake).read_bytes(f"{PERSON_STATE}/{PERSON_STATE_MANIFEST}")
    # A run writes its segments (and a compaction) and dies before its manifest.
    state_io.stage(
        lake,
        2,
        {
            "pairs": StateWrite(df([], PAIRS), df([("x", "y", 9.0)], PAIRS), frozenset("ab")),
            "clusters": StateWrite(df([("x", "x")], CLUSTERS)),
        },
        erased=False,
    )
    assert io.as_lake(lake).read_bytes(f"{PERSON_STATE}/{PERSON_STATE_MANIFEST}") == before
    assert _rows(_read(spark, lake, "pairs")) == sorted(p1)
    assert _rows(_read(spark, lake, "clusters")) == sorted(c1)
    # The next run starts from that snapshot; the dead run's files are deleted, never read.
    p2_new = [("c", "d", 3.0)]
    _run(
        spark,
        lake,
        2,
        StateWrite(df(p1 + p2_new, PAIRS), df(p2_new, PAIRS), frozenset()),
        StateWrite(df(c1, CLUSTERS), df([], CLUSTERS), frozenset()),
    )
    assert _rows(_read(spark, lake, "pairs")) == sorted(p1 + p2_new)
    assert _rows(_read(spark, lake, "clusters")) == sorted(c1)
    names = {p.name.split("-")[0] for p in (Path(lake) / PERSON_STATE / "pairs").iterdir()}
    assert names == {"base", "add"}  # the dead run's removal segment is gone


def test_a_run_that_deletes_records_rewrites_the_tables_holding_their_values(
    spark, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    df = spark.createDataFrame
    schema = "rk string, keys array<string>"
    first = {"records": StateWrite(df([("a", ["name:ann"]), ("b", ["name:bob"])], schema))}
    state_io.commit(lake, state_io.stage(lake, 1, first, erased=False))
    second = {"records": StateWrite(df([("a", ["name:ann"])], schema), df([], schema), {"b"})}
    staged = state_io.stage(lake, 2, second, erased=True)  # type: ignore[arg-type]
    state_io.commit(lake, staged)
    assert staged.whole == {"records"}
    state_io.stage(lake, 3, {}, erased=False)  # the next write deletes the old base
    files = io.as_lake(lake).list(f"{PERSON_STATE}/records/")
    assert all("name:bob" not in (Path(lake) / f).read_bytes().decode("latin-1") for f in files)


def _batches() -> tuple[list, list, list]:  # type: ignore[type-arg]
    ivan = person("Ivan", "Petrov", birth_date="1985-03-12", sex="M", documents=[("FE1", "UKR")])
    first = [
        *background_people(120),
        message("person", "FRA", "FRA-P-1", ivan),
        message("person", "DEU", "DEU-P-2", ivan),
        message("person", "ITA", "ITA-P-3", person("Muhammad", "Ali", birth_date="1990-01-05")),
    ]
    second = [
        message("person", "POL", "POL-P-5", person("Mohammed", "Ali", birth_date="1990-01-05")),
        message("person", "ESP", "ESP-P-6", ivan),
    ]
    third = [
        delete("person", "DEU", "DEU-P-2", version=2),
        message("person", "BEL", "BEL-P-7", person("Muhammad", "Aly", birth_date="1990-01-05")),
    ]
    return first, second, third


def _incremental(spark, lake: str, config: ResolutionConfig):  # type: ignore[no-untyped-def]
    """`build_gold`'s person part, keeping the run's tables: (gold, summary)."""
    persons = io.read_table(spark, lake, "silver", "person")
    run_seq, id_map, registry, history = read_person_inputs(spark, lake)
    meta = read_model_meta(lake)
    gold = person_gold(
        persons,
        stored=read_stored(spark, lake, meta),
        model_meta=meta,
        id_map=id_map,
        registry=registry,
        history=history,
        run_seq=run_seq,
        config=config,
        now=datetime.now(UTC),
    )
    return gold


@pytest.mark.slow
def test_incremental_runs_write_segments_that_read_back_as_the_whole_tables(
    spark, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path / "lake")
    config = ResolutionConfig()
    first, second, third = _batches()
    write_bronze(tmp_path / "lake", first, day="2026-11-27")
    build_silver(spark, lake)
    build_gold(spark, lake)
    for day, batch in (("2026-11-28", second), ("2026-11-29", third)):
        write_bronze(tmp_path / "lake", batch, day=day)
        build_silver(spark, lake)
        gold = _incremental(spark, lake, config)
        assert gold.retrained is None
        # What the whole-table write wrote (every row of every state table after the run).
        whole = {name: _rows(w.rows) for name, w in gold.state.items()}
        summary = persist_person_gold(lake, gold, config)
        manifest = state_io.read_manifest(lake)
        assert manifest is not None
        if day == "2026-11-28":  # the first run after the base: every table gets a segment
            assert all(t["segments"] for t in manifest["tables"].values())
        for name in state_io.TABLES:
            assert _rows(_read(spark, lake, name)) == whole[name], name
        assert summary["candidate_pairs"] == len(whole["pairs"])
    # The third run deleted a record: the tables holding values were rewritten.
    assert manifest["tables"]["records"]["segments"] == []
    # A crash between the next run's segments and its manifest: the snapshot is the last one.
    snapshot = {n: _rows(_read(spark, lake, n)) for n in state_io.TABLES}
    gold = _incremental(spark, lake, config)
    state_io.stage(lake, gold.run_seq, gold.state, erased=gold.erased)
    assert state_io.read_manifest(lake) == manifest
    assert {n: _rows(_read(spark, lake, n)) for n in state_io.TABLES} == snapshot
    assert read_stored(spark, lake, read_model_meta(lake)) is not None
    # A full run compacts every table (no segment left) and finds the same entities.
    ids = {r["rk"]: r["entity_id"] for r in _read(spark, lake, "id_map").collect()}
    build_gold(spark, lake, full=True)
    manifest = state_io.read_manifest(lake)
    assert manifest is not None
    assert all(not t["segments"] for t in manifest["tables"].values())
    assert {r["rk"]: r["entity_id"] for r in _read(spark, lake, "id_map").collect()} == ids


def test_state_written_before_segments_is_read_then_replaced_by_bases(
    spark, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    rows = [("a", "b", 1.0)]
    io.write_table(spark.createDataFrame(rows, PAIRS), lake, PERSON_STATE, "pairs")
    assert state_io.read_manifest(lake) is None
    legacy = _read(spark, lake, "pairs", None)
    assert _rows(legacy) == rows
    staged = state_io.stage(lake, 2, {"pairs": StateWrite(legacy)}, erased=False)
    assert staged.whole == {"pairs"}
    state_io.commit(lake, staged)
    assert _rows(_read(spark, lake, "pairs")) == rows
    state_io.stage(lake, 3, {}, erased=False)  # the next write deletes the old layout's files
    left = io.as_lake(lake).list(f"{PERSON_STATE}/pairs/")
    assert left and all(f.split("/")[3].startswith("base-") for f in left)
    assert _rows(_read(spark, lake, "pairs")) == rows
