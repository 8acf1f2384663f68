"""Gold DataFrames checked against their declaration (`contracts/gold.py`) before they are written.

Spark types are read back as the contract's logical types, so the check says the same thing the
warehouse relies on: which columns a gold table has, and of what type.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from contracts.gold import gold_table

_SCALARS: dict[type[T.DataType], str] = {
    T.StringType: "text",
    T.IntegerType: "int",
    T.LongType: "bigint",
    T.DoubleType: "double",
    T.BooleanType: "bool",
    T.DateType: "date",
    T.TimestampType: "timestamptz",
}


def logical_type(dt: T.DataType) -> str:
    """The contract's name for a Spark type (`array<string>` is `text[]`, …)."""
    if isinstance(dt, T.ArrayType):
        return logical_type(dt.elementType) + "[]"
    if isinstance(dt, T.StructType):
        return "struct<" + ",".join(f"{f.name}:{logical_type(f.dataType)}" for f in dt) + ">"
    if isinstance(dt, T.MapType):
        return f"map<{logical_type(dt.keyType)},{logical_type(dt.valueType)}>"
    # Types the contract does not use (NullType, short, decimal…) stay visible in the mismatch.
    return _SCALARS.get(type(dt), dt.simpleString())


def check_gold(name: str, df: DataFrame) -> DataFrame:
    """`df` itself when it matches gold table `name`'s declaration, else `GoldSchemaMismatch`."""
    gold_table(name).check({f.name: logical_type(f.dataType) for f in df.schema})
    return df
