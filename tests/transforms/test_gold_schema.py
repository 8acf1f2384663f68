"""Gold writers check their DataFrames against contracts/gold.py before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.gold import GoldSchemaMismatch
from transforms import lake_io
from transforms.gold_schema import logical_type

pytestmark = pytest.mark.spark


def test_spark_types_read_as_the_contracts_logical_types(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.sql(
        "SELECT 'a' AS s, 1 AS i, CAST(1 AS BIGINT) AS b, array('x') AS xs, "
        "array(named_struct('kind', 'phone', 'value', '+33')) AS ev, "
        "map('name', 1.5D) AS m, current_date() AS d, true AS f"
    )
    assert {f.name: logical_type(f.dataType) for f in df.schema} == {
        "s": "text",
        "i": "int",
        "b": "bigint",
        "xs": "text[]",
        "ev": "struct<kind:text,value:text>[]",
        "m": "map<text,double>",
        "d": "date",
        "f": "bool",
    }


def test_gold_frame_breaking_the_contract_is_not_written(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = spark.sql("SELECT 'N-1' AS network_id, 'case' AS member_type, 'FRA|C-1' AS member_id")
    assert lake_io.write_gold(good, str(tmp_path), "network_members") == 1
    renamed = good.withColumnRenamed("member_id", "member")
    with pytest.raises(GoldSchemaMismatch, match="missing member_id; unexpected member"):
        lake_io.write_gold(renamed, str(tmp_path), "network_members")
    # The table written before is untouched.
    assert lake_io.read_table(spark, str(tmp_path), "gold", "network_members").columns == [
        "network_id",
        "member_type",
        "member_id",
    ]
