"""Frames built from rows the driver holds, without a Python RDD, and filters on values it
holds, without a py4j round trip per value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StringType, StructField, StructType


def on_driver(
    spark: SparkSession, rows: Sequence[Sequence[Any]] | pd.DataFrame, schema: StructType | str
) -> DataFrame:
    """`rows` (tuples, or a pandas frame with the schema's columns) as a frame of `schema` (a
    StructType or DDL), sent to the JVM as an Arrow table.

    A frame of Python rows (`createDataFrame(list, ...)`) is a parallelised Python RDD: reading
    it runs tasks that start Python workers, even when the list is empty; in a 5k resolve that
    was two new workers and about 2 s in the write phase. A pandas frame goes as Arrow only when
    it has rows (an empty one takes the Python-RDD path); an Arrow table always does.
    """
    struct = schema if isinstance(schema, StructType) else StructType.fromDDL(schema)
    if not isinstance(struct, StructType):
        raise TypeError(f"on_driver needs a struct schema, got {schema!r}")
    arrow = to_arrow_schema(struct)
    if isinstance(rows, pd.DataFrame):
        table = pa.Table.from_pandas(rows[struct.names], schema=arrow, preserve_index=False)
    else:
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(arrow)
        table = pa.Table.from_arrays(
            [pa.array(list(col), type=f.type) for col, f in zip(columns, arrow, strict=True)],
            schema=arrow,
        )
    return spark.createDataFrame(table, struct)  # type: ignore[call-overload]


def key_column(spark: SparkSession, values: Iterable[str], column: str = "key") -> DataFrame:
    """A one-column string frame of keys the driver holds, sorted, sent as Arrow (`on_driver`):
    for joins against a delta's keys, where `among` would not do (the keys are joined on, or
    kept as a frame of their own)."""
    schema = StructType([StructField(column, StringType())])
    return on_driver(spark, [(v,) for v in sorted(values)], schema)


def keys_frame(spark: SparkSession, keys: Iterable[str], name: str = "key") -> DataFrame:
    """`key_column`, marked for broadcast: a delta's few keys joined against a whole table
    (the link delta's changed documents, cases, nodes, trend groups and notice pairs) launch no
    Spark job to build or shuffle them."""
    return F.broadcast(key_column(spark, keys, name))


def among(column: str, values: Iterable[str]) -> Column:
    """`column` is one of `values` (strings the driver holds), as `F.col(column).isin(values)`
    is, null for a null `column` as there: one SQL IN list, parsed by the JVM in one call.

    `Column.isin` sends every value to the JVM as a literal of its own, one py4j round trip
    each: 10,000 record keys took 5.5 to 7 s to build on this project's 2-core machine, the
    text of the same list 7 ms, and an incremental run filters on several such sets (the
    records a delta needs, its reached components). Spark's optimizer makes either the same
    hash-set lookup (`InSet`): the optimized plans are the same."""
    wanted = sorted(set(values))
    if not wanted:
        return F.lit(False)
    for v in wanted:
        if not isinstance(v, str):
            raise TypeError(f"among: {column!r} values must be strings, got {v!r}")
    name = "`" + column.replace("`", "``") + "`"
    return F.expr(f"{name} IN ({', '.join(map(_sql_string, wanted))})")


def _sql_string(value: str) -> str:
    """`value` as a Spark SQL string literal (backslash escapes, the parser's default)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
