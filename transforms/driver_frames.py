"""Frames built from rows the driver holds, without a Python RDD."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StructType


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
