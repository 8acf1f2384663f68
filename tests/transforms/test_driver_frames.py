"""Frames from driver rows reach the JVM as Arrow, never as a Python RDD."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.driver_frames import on_driver

SCHEMA = "rk string, minted_run long, guard string"


def _lineage(df) -> str:  # type: ignore[no-untyped-def]
    return str(df._jdf.queryExecution().toRdd().toDebugString())


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [("a", 1, None), ("b", None, "g")],
        pd.DataFrame({"guard": [None, "g"], "rk": ["a", "b"], "minted_run": [1, None]}),
        pd.DataFrame({"rk": [], "minted_run": [], "guard": []}),
    ],
    ids=["empty list", "tuples", "pandas", "empty pandas"],
)
def test_driver_rows_become_a_frame_without_python_workers(spark, rows) -> None:  # type: ignore[no-untyped-def]
    df = on_driver(spark, rows, SCHEMA)
    assert df.schema.simpleString() == "struct<rk:string,minted_run:bigint,guard:string>"
    # createDataFrame of Python rows (or of an empty pandas frame) is a PythonRDD, whose read
    # starts Python workers: the Arrow table is read by the JVM alone.
    assert "PythonRDD" not in _lineage(df)
    got = sorted(tuple(r) for r in df.collect())
    want = [] if len(rows) == 0 else [("a", 1, None), ("b", None, "g")]
    assert got == want
    # The same check catches the old path, so it would fail without `on_driver`.
    assert "PythonRDD" in _lineage(spark.createDataFrame([], SCHEMA))


def test_incremental_resolution_builds_its_driver_frames_as_arrow(spark) -> None:  # type: ignore[no-untyped-def]
    # persons_delta's empty frames took the pandas path, a Python RDD: each read started a
    # Python worker in an incremental run.
    from transforms.persons_delta import _names

    for values in ([], ["b", "a"]):
        df = _names(spark, "rk", values)
        assert "PythonRDD" not in _lineage(df)
        assert [r.rk for r in df.collect()] == sorted(values)
