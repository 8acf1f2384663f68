"""The lake I/O of the transforms: where each table lives, and reading/writing it.

Transforms themselves are pure DataFrame functions; only this module knows paths. The lake root is
a local directory (the pipeline materialises s3:// lakes to a local mirror before calling us).
Writes overwrite the whole table so that a rerun on the same input leaves the same files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from contracts.lake import BRONZE, TOMBSTONES, partition_dir
from contracts.registry import FEEDS
from transforms.gold_schema import check_gold


def _strip_scheme(root: str) -> str:
    return root[len("file://") :] if root.startswith("file://") else root


def table_path(lake_root: str, layer: str, name: str) -> str:
    """Path of `<lake>/<layer>/<name>` (layer: silver, gold, state)."""
    return f"{_strip_scheme(lake_root).rstrip('/')}/{layer}/{name}"


def bronze_path(lake_root: str, feed: str) -> str:
    return f"{_strip_scheme(lake_root).rstrip('/')}/{partition_dir(BRONZE, feed)}"


def _has_parquet(path: str) -> bool:
    p = Path(path)
    return p.is_dir() and any(p.rglob("*.parquet"))


def bronze_feeds(lake_root: str) -> list[str]:
    """Feeds that have at least one landed bronze file."""
    return [f for f in FEEDS if _has_parquet(bronze_path(lake_root, f))]


def read_bronze(spark: SparkSession, lake_root: str, feed: str) -> DataFrame | None:
    """All bronze rows of one feed, without the hive partition columns (country, date)."""
    path = bronze_path(lake_root, feed)
    if not _has_parquet(path):
        return None
    df = spark.read.parquet(path)
    # `country` duplicates source_country and `date` is the landing day: drop both so that silver
    # depends on message content only.
    return df.drop(*[c for c in ("country", "date") if c in df.columns])


def read_tombstones(spark: SparkSession, lake_root: str) -> DataFrame | None:
    """The lake's tombstones (`contracts.lake.TOMBSTONE_SCHEMA`): records erased for good."""
    path = f"{_strip_scheme(lake_root).rstrip('/')}/{TOMBSTONES}"
    if not _has_parquet(path):
        return None
    df = spark.read.parquet(path)
    return df.drop(*[c for c in ("country",) if c in df.columns])


def exists(lake_root: str, layer: str, name: str) -> bool:
    return _has_parquet(table_path(lake_root, layer, name))


def read_table(spark: SparkSession, lake_root: str, layer: str, name: str) -> DataFrame | None:
    """A silver/gold/state table, or None when it was never written."""
    path = table_path(lake_root, layer, name)
    return spark.read.parquet(path) if _has_parquet(path) else None


def write_table(df: DataFrame, lake_root: str, layer: str, name: str) -> int:
    """Overwrite a table with `df` and return its row count (read back from the files)."""
    path = table_path(lake_root, layer, name)
    df.write.mode("overwrite").parquet(path)
    return df.sparkSession.read.parquet(path).count()


def write_table_via_temp(df: DataFrame, lake_root: str, layer: str, name: str) -> int:
    """Overwrite a table that `df` itself was computed from (state tables read and rewritten).

    Spark cannot overwrite a path it is still reading lazily, so the result is written beside it
    first and then moved into place.
    """
    path = Path(table_path(lake_root, layer, name))
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    df.write.mode("overwrite").parquet(str(tmp))
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    return df.sparkSession.read.parquet(str(path)).count()


def read_json(lake_root: str, layer: str, name: str) -> dict[str, Any] | None:
    path = Path(table_path(lake_root, layer, name))
    return json.loads(path.read_text()) if path.exists() else None


def write_json(lake_root: str, layer: str, name: str, data: dict[str, Any]) -> None:
    path = Path(table_path(lake_root, layer, name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))


def write_gold(df: DataFrame, lake_root: str, name: str) -> int:
    """Check `df` against gold table `name`'s declaration (contracts/gold.py), then overwrite it."""
    return write_table(check_gold(name, df), lake_root, "gold", name)
