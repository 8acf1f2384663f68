"""All new batches of a feed in one Great Expectations run, each batch still judged on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_quality import BRONZE_DDL, DATA, bronze_row

from contracts import envelope_for
from transforms.quality import read_history
from transforms.quality_batches import PARTITION_BYTES, Batch, _partitions, validate_feed_batches

pytestmark = pytest.mark.spark


def _rows(country: str, count: int, *, birth_date: bool = True) -> list[dict[str, Any]]:
    base = json.loads((DATA / "person_valid.json").read_text(encoding="utf-8"))
    if not birth_date:
        base.pop("birth_date")
    return [
        bronze_row(envelope_for("person", country, f"{country}-P-{i:04d}", 1, base), offset=i)
        for i in range(count)
    ]


def _suite_of(result: Any) -> str:
    return str(json.loads(Path(result.result_json_path).read_text())["suite"])


def test_a_share_broken_in_one_batch_fails_that_batch_only_though_the_feed_passes(
    spark: Any, tmp_path: Path
) -> None:
    # DEU sends no birth date at all: 3 of 3 upserts (100%) against a ceiling of 80%. Over the
    # three batches that is 3 of 13 (23%), which the feed-wide run lets through.
    no_birth_dates = _rows("DEU", 3, birth_date=False)
    batches = [
        Batch("person-FRA", "FRA", spark.createDataFrame(_rows("FRA", 5), BRONZE_DDL)),
        Batch("person-DEU", "DEU", spark.createDataFrame(no_birth_dates, BRONZE_DDL)),
        Batch("person-ITA", "ITA", spark.createDataFrame(_rows("ITA", 5), BRONZE_DDL)),
    ]
    results = validate_feed_batches(batches, feed="person", run_id="r1", reports_dir=str(tmp_path))
    assert sorted(results) == ["person-DEU", "person-FRA", "person-ITA"]
    assert results["person-FRA"].success and results["person-ITA"].success
    assert not results["person-DEU"].success
    assert results["person-DEU"].failed_expectations == [
        "expect_column_values_to_not_be_null(birth_date)"
    ]
    # The good batches' verdict is the feed-wide run; only DEU was run again on its own.
    assert _suite_of(results["person-FRA"]) == "interlink.person.batches"
    assert _suite_of(results["person-ITA"]) == "interlink.person.batches"
    assert _suite_of(results["person-DEU"]) == "interlink.person.DEU"
    assert results["person-DEU"].statistics["profile"]["null_rates"]["birth_date"] == 1.0
    # History stays per (feed, country): one entry each, with the batch's own row count.
    assert [h["row_count"] for h in read_history(tmp_path, "person", "FRA")] == [5]
    assert [h["row_count"] for h in read_history(tmp_path, "person", "DEU")] == [3]
    assert [h["success"] for h in read_history(tmp_path, "person", "DEU")] == [False]


def test_a_row_failing_in_one_batch_sends_every_batch_to_its_own_run_and_only_it_fails(
    spark: Any, tmp_path: Path
) -> None:
    # One DEU batch row claims to come from France: its batch's country is DEU.
    deu = _rows("DEU", 3)
    deu[1]["source_country"] = "FRA"
    batches = [
        Batch("person-FRA", "FRA", spark.createDataFrame(_rows("FRA", 4), BRONZE_DDL)),
        Batch("person-DEU", "DEU", spark.createDataFrame(deu, BRONZE_DDL)),
    ]
    results = validate_feed_batches(batches, feed="person", run_id="r2", reports_dir=str(tmp_path))
    assert results["person-FRA"].success
    assert results["person-FRA"].failed_expectations == []
    assert not results["person-DEU"].success
    assert results["person-DEU"].failed_expectations == [
        "expect_column_values_to_be_in_set(source_country)"
    ]
    assert _suite_of(results["person-FRA"]) == "interlink.person.FRA"
    assert _suite_of(results["person-DEU"]) == "interlink.person.DEU"
    saved = json.loads(Path(results["person-DEU"].result_json_path).read_text())
    assert saved["country"] == "DEU" and saved["success"] is False


def test_small_batches_are_validated_on_one_partition_and_large_ones_keep_theirs() -> None:
    # GX's queries each run a task per partition, and a count over several partitions a second
    # job: small batches, however many files they came in, are one partition.
    def batch(size: int) -> Batch:
        return Batch("b", "FRA", None, bronze_bytes=size)  # type: ignore[arg-type]

    assert _partitions([batch(40_000)] * 17) == 1
    assert _partitions([batch(0)]) == 1
    assert _partitions([batch(PARTITION_BYTES)] * 3 + [batch(1)]) == 4


def test_batches_read_as_one_frame_get_the_verdicts_they_get_read_one_by_one(
    spark: Any, tmp_path: Path
) -> None:
    # One read of a feed's new files: the partition column `country` tells each row's batch.
    from pyspark.sql import functions as F

    fra = spark.createDataFrame(_rows("FRA", 4), BRONZE_DDL)
    deu = spark.createDataFrame(_rows("DEU", 3, birth_date=False), BRONZE_DDL)
    rows = fra.withColumn("country", F.lit("FRA")).unionByName(
        deu.withColumn("country", F.lit("DEU"))
    )
    batches = [Batch("person-DEU", "DEU", None), Batch("person-FRA", "FRA", None)]
    one = validate_feed_batches(
        batches, feed="person", run_id="r1", reports_dir=str(tmp_path / "one"), rows=rows
    )
    apart = validate_feed_batches(
        [Batch("person-DEU", "DEU", deu), Batch("person-FRA", "FRA", fra)],
        feed="person",
        run_id="r1",
        reports_dir=str(tmp_path / "apart"),
    )
    for results in (one, apart):
        assert results["person-FRA"].success
        assert results["person-DEU"].failed_expectations == [
            "expect_column_values_to_not_be_null(birth_date)"
        ]
        assert results["person-DEU"].statistics["profile"]["row_count"] == 3
        assert _suite_of(results["person-FRA"]) == "interlink.person.batches"
    assert {b: r.statistics for b, r in one.items()} == {b: r.statistics for b, r in apart.items()}
