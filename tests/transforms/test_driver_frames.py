"""Frames from driver rows reach the JVM as Arrow, never as a Python RDD."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.driver_frames import key_column, keys_frame, on_driver

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


def test_among_filters_as_isin_does(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from transforms.driver_frames import among

    # Record ids come from the feeds: quotes, backslashes, other scripts and SQL must stay data.
    odd = ["it's", "back\\slash", "\\'", "Иванов|7", "a' OR '1'='1", "x`y", "%_"]
    rows = [(v,) for v in [*odd, "plain", "other"]] + [(None,)]
    df = spark.createDataFrame(rows, "rk string")
    for values in ([*odd, "plain"], ["missing"], odd[:1]):
        for negate in (False, True):
            want = ~F.col("rk").isin(values) if negate else F.col("rk").isin(values)
            got = ~among("rk", values) if negate else among("rk", values)
            assert sorted(map(tuple, df.where(got).collect())) == sorted(
                map(tuple, df.where(want).collect())
            ), (values, negate)
    # The null row is neither in nor out, as with isin; an empty set holds nothing.
    assert df.where(among("rk", [])).count() == 0
    assert df.where(~among("rk", [])).count() == len(rows)
    # Past analysis it is isin's own filter: the same hash-set lookup.
    many = [f"v{i}" for i in range(20)]

    def optimized(c):  # type: ignore[no-untyped-def]
        return df.where(c)._jdf.queryExecution().optimizedPlan().toString()

    assert optimized(among("rk", many)) == optimized(F.col("rk").isin(many))
    assert "INSET" in optimized(among("rk", many))
    # A column name with a backtick is quoted, not broken out of.
    quoted = spark.createDataFrame([("a",), ("b",)], "`we``ird` string")
    assert [r[0] for r in quoted.where(among("we`ird", ["b"])).collect()] == ["b"]


def test_link_delta_and_clustering_frames_are_arrow(spark) -> None:  # type: ignore[no-untyped-def]
    # The link delta's key frames are broadcast into several joins per run, and the driver's
    # components of a delta with no pair were an empty pandas frame: both were Python RDDs.
    from transforms.clustering import connected_components

    for keys in ([], ["b", "a"]):
        df = keys_frame(spark, keys, "rk")
        assert "PythonRDD" not in _lineage(df)
        assert [r.rk for r in df.collect()] == sorted(keys)
    nodes = on_driver(spark, [("a",), ("b",)], "rk string")
    for edges in ([], [("a", "b")]):
        comps = connected_components(nodes, on_driver(spark, edges, "l_rk string, r_rk string"))
        assert "PythonRDD" not in _lineage(comps)
        want = {"a": "a", "b": "a" if edges else "b"}
        assert {r.rk: r.component for r in comps.collect()} == want


def test_key_column_is_one_sorted_arrow_column(spark) -> None:  # type: ignore[no-untyped-def]
    # The delta's key frames (persons_delta's flipped keys and reached nodes, the link delta's
    # changed keys) took the Python-row path once, a Python RDD: each read started a worker.
    df = key_column(spark, {"b", "a", "ü'x"}, "odd `name")
    assert df.columns == ["odd `name"]
    assert [r[0] for r in df.collect()] == ["a", "b", "ü'x"]
    assert "PythonRDD" not in _lineage(df)
    empty = key_column(spark, [])
    assert empty.columns == ["key"] and empty.count() == 0
