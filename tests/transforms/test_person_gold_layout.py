"""The person gold tables' files (`transforms.person_gold.in_files`): an entity's rows sit in one
file in their order, and the wide silver rows cross one shuffle on their way there, with no
sampling pass over them (the largest part of an incremental run's "write persons" at 100k)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_state_io import _batches, _incremental
from transforms_testkit import write_bronze

from transforms import lake_io as io
from transforms import person_gold as PG
from transforms.config import ResolutionConfig
from transforms.jobs import build_gold, build_silver, persist_person_gold
from transforms.person_gold import ENTITIES_ORDER, PAIRS_ORDER

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _exchanges(df) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(input columns, arguments) of each Exchange of `df`'s physical plan, as `explain` says."""
    jvm = df.sparkSession._jvm
    mode = jvm.org.apache.spark.sql.execution.ExplainMode.fromString("formatted")
    text = df._jdf.queryExecution().explainString(mode)
    out = []
    for section in text.split("\n\n"):
        if re.match(r"\(\d+\) Exchange", section):
            inputs = re.search(r"Input \[\d+\]: \[(.*)\]", section)
            args = re.search(r"Arguments: (.*)", section)
            out.append((inputs.group(1) if inputs else "", args.group(1) if args else ""))
    return out


def _gold(spark, tmp_path: Path):  # type: ignore[no-untyped-def]
    lake = str(tmp_path / "lake")
    first, second, _ = _batches()
    write_bronze(tmp_path / "lake", first, day="2026-11-27")
    build_silver(spark, lake)
    build_gold(spark, lake)
    write_bronze(tmp_path / "lake", second, day="2026-11-28")
    build_silver(spark, lake)
    return lake, _incremental(spark, lake, ResolutionConfig())


def test_wide_rows_cross_one_shuffle_and_no_range_sampling(
    spark, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Planned as at scale: more records than the entity columns are broadcast for, and no side
    # small enough for Spark to broadcast on its own (a test world's all are).
    monkeypatch.setattr(PG, "BROADCAST_RECORDS", 0)
    _, gold = _gold(spark, tmp_path)
    key = "spark.sql.autoBroadcastJoinThreshold"
    before = spark.conf.get(key)
    spark.conf.set(key, "-1")
    try:
        entities, pairs = _exchanges(gold.entities), _exchanges(gold.pairs)
    finally:
        spark.conf.set(key, before)
    assert not [a for _, a in entities + pairs if a.startswith("rangepartitioning")]
    # `names` is the widest silver column: an Exchange whose input holds it moves silver rows,
    # once to meet the entity columns (joined on narrow rows first), once into their files.
    wide = [args for inputs, args in entities if re.search(r"\bnames#", inputs)]
    assert len(wide) == 2, wide
    assert wide[-1].startswith("hashpartitioning(entity_id"), wide
    # The accepted pairs meet the entity assignment once (both ends hold one entity), then go
    # into their files.
    with_contributions = [a for i, a in pairs if re.search(r"\bcontributions#", i)]
    assert len(with_contributions) == 2, with_contributions


def test_below_the_bound_the_wide_rows_cross_one_shuffle_only(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, gold = _gold(spark, tmp_path)
    key = "spark.sql.autoBroadcastJoinThreshold"
    before = spark.conf.get(key)
    spark.conf.set(key, "-1")  # only the hint may broadcast
    try:
        entities = _exchanges(gold.entities)
    finally:
        spark.conf.set(key, before)
    wide = [args for inputs, args in entities if re.search(r"\bnames#", inputs)]
    assert len(wide) == 1 and wide[0].startswith("hashpartitioning(entity_id"), wide


def test_each_entity_sits_in_one_file_in_order(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake, gold = _gold(spark, tmp_path)
    persist_person_gold(lake, gold, ResolutionConfig())
    seen: dict[str, str] = {}
    for name, order in (("person_entities", ENTITIES_ORDER), ("person_pairs", PAIRS_ORDER)):
        files = [f[0] for f in io.gold_files(lake, name)]
        assert files
        for rel in files:
            rows = pq.read_table(Path(lake) / rel).to_pylist()
            keys = [tuple(r[c] for c in order) for r in rows]
            assert keys == sorted(keys), rel
            if name == "person_entities":
                for r in rows:
                    assert seen.setdefault(r["entity_id"], rel) == rel, r["entity_id"]
            else:
                assert all(r["l_entity_id"] == r["r_entity_id"] for r in rows)
    assert len(seen) > 100  # the background people and the Ivan / Ali entities
