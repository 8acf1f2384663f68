"""documents and document_alerts of an incremental run read the changed keys' sightings once.

Both tables are rebuilt for the changed document keys from the same sightings: finding them is a
pass over every record that mentions a document, made once for both tables, not once per table.
The test reads the sightings from Parquet files it deletes after the merge is planned: the two
tables can still be computed only if that one pass already happened. And what they hold is the
whole build's rows.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from transforms import links_documents as LD
from transforms.links_delta import PreviousLinks, _Delta, _document_tables, _Out
from transforms.links_facts import Changed, Parts

pytestmark = pytest.mark.spark

SIGHT = (
    "seen_in_feed string, seen_in_source_country string, seen_in_record_id string, "
    "seen_at timestamp, seen_place string, doc_key string, number string, "
    "issuing_country string, doc_type string"
)
REG = (
    "doc_key string, number string, issuing_country string, doc_type string, status string, "
    "status_date date, register_source_country string, register_record_id string, "
    "register_reported_at timestamp"
)


def _sight(i: int, key: str) -> tuple:  # type: ignore[type-arg]
    return ("person", "FRA", f"P{i}", dt.datetime(2026, 11, i), None, key, key, "FRA", "P")


def _reg(key: str, status: str) -> tuple:  # type: ignore[type-arg]
    return (key, key, "FRA", "P", status, dt.date(2026, 11, 20), "ITA", f"D-{key}",
            dt.datetime(2026, 11, 20))  # fmt: skip


def _rows(df) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(json.dumps(r.asDict(recursive=True), default=str) for r in df.collect())


def test_changed_keys_sightings_are_read_once_for_both_tables(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before_sight = [_sight(1, "A"), _sight(2, "B"), _sight(3, "C")]
    before_reg = [_reg("A", "stolen_issued"), _reg("C", "valid")]
    # The delta: B is reported stolen, C seen once more.
    now_sight = [*before_sight, _sight(4, "C")]
    now_reg = [*before_reg, _reg("B", "stolen_issued")]
    prev_docs = LD.documents_from(
        spark.createDataFrame(before_sight, SIGHT), spark.createDataFrame(before_reg, REG)
    )
    prev_alerts = LD.alerts_from(
        spark.createDataFrame(before_sight, SIGHT), spark.createDataFrame(before_reg, REG)
    )
    previous = PreviousLinks(
        tables={
            "documents": spark.createDataFrame(prev_docs.collect(), prev_docs.schema),
            "document_alerts": spark.createDataFrame(prev_alerts.collect(), prev_alerts.schema),
        },
        facts=spark.createDataFrame([], "family string, key string, detail string"),
    )
    files = tmp_path / "sightings"
    spark.createDataFrame(now_sight, SIGHT).write.parquet(str(files))
    sight = spark.read.parquet(str(files))
    reg = spark.createDataFrame(now_reg, REG)
    out = _Out()
    changed = Changed({"doc": frozenset({"B", "C"})}, spark)
    _document_tables(Parts(sight, reg, None, None, None), _Delta(previous, changed), out)
    shutil.rmtree(files)  # every record's sightings are gone: only the one pass made remains
    assert out.merged == ["documents", "document_alerts"]
    whole_sight = spark.createDataFrame(now_sight, SIGHT)
    assert _rows(out.tables["documents"]) == _rows(LD.documents_from(whole_sight, reg))
    assert _rows(out.tables["document_alerts"]) == _rows(LD.alerts_from(whole_sight, reg))
    assert {r["doc_key"] for r in out.tables["document_alerts"].collect()} == {"A", "B"}
