"""The person gold tables after an incremental run (`transforms.person_gold_io`): they read back
as the whole write would have written them, the event history is appended to rather than
rewritten, and a history changed since the snapshot recorded it is written whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_state_io import _batches, _incremental
from transforms_testkit import message, person, write_bronze

from transforms import lake_io as io
from transforms import state_io
from transforms.config import ResolutionConfig
from transforms.jobs import build_gold, build_silver, persist_person_gold

pytestmark = [pytest.mark.spark, pytest.mark.slow]

TABLES = {"person_entities": "entities", "person_pairs": "pairs", "entity_events": "all_events"}


def _rows(df) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(repr(sorted(r.asDict(recursive=True).items())) for r in df.collect())


def _files(lake: str, name: str) -> set[str]:
    return {f[0] for f in io.gold_files(lake, name)}


def _run(spark, lake: str, config: ResolutionConfig) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """One incremental person run: what the whole write would write, and the tables after."""
    gold = _incremental(spark, lake, config)
    assert gold.retrained is None
    whole = {name: _rows(getattr(gold, attr)) for name, attr in TABLES.items()}
    summary = persist_person_gold(lake, gold, config)
    after = {name: _rows(io.read_table(spark, lake, "gold", name)) for name in TABLES}
    assert summary["records"] == len(after["person_entities"])
    assert summary["pairs"] == len(after["person_pairs"])
    return whole, after


def test_incremental_runs_append_their_events_to_the_gold_history(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path / "lake")
    config = ResolutionConfig()
    first, second, third = _batches()
    # The third batch also resends a record unchanged but for its version: no resolution
    # change, yet its gold row carries the new version.
    same = person("Muhammad", "Ali", birth_date="1990-01-05")
    third = [*third, message("person", "ITA", "ITA-P-3", same, version=2)]
    write_bronze(tmp_path / "lake", first, day="2026-11-27")
    build_silver(spark, lake)
    build_gold(spark, lake)
    for day, batch in (("2026-11-28", second), ("2026-11-29", third)):
        events_before = _files(lake, "entity_events")
        write_bronze(tmp_path / "lake", batch, day=day)
        build_silver(spark, lake)
        whole, after = _run(spark, lake, config)
        assert after == whole
        # The history's files stay; the run's events come as one more file.
        assert events_before < _files(lake, "entity_events")
        manifest = state_io.read_manifest(lake)
        assert manifest is not None
        recorded = manifest["gold"]["tables"]["entity_events"]
        assert recorded["rows"] == len(after["entity_events"])
    versions = {
        r["record_id"]: r["record_version"]
        for r in io.read_table(spark, lake, "gold", "person_entities").collect()
    }
    assert versions["ITA-P-3"] == 2 and "DEU-P-2" not in versions


def test_history_changed_since_the_snapshot_recorded_it_is_written_whole(
    spark, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path / "lake")
    config = ResolutionConfig()
    first, second, _ = _batches()
    write_bronze(tmp_path / "lake", first, day="2026-11-27")
    build_silver(spark, lake)
    build_gold(spark, lake)
    # A run that died after appending its events, before its manifest: its file is there.
    src = sorted(_files(lake, "entity_events"))[0]
    shutil.copy(Path(lake) / src, Path(lake) / src.replace("part-", "part-crashed-"))
    write_bronze(tmp_path / "lake", second, day="2026-11-28")
    build_silver(spark, lake)
    whole, after = _run(spark, lake, config)
    assert after == whole  # no event twice: the history was written whole
