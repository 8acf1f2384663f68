"""The lake I/O of the transforms: where each table lives, and reading/writing it.

Transforms themselves are pure DataFrame functions; only this module knows paths. The lake is a
local directory or an `s3://` lake (`infra.lake.Lake`); Spark reads and writes it in place
(`s3a://` on S3), so executors on other machines need no copy of the driver's files. Writes
overwrite the whole table so that a rerun on the same input leaves the same files, and each write
is checked from the driver's side: a Spark job that "succeeds" leaving no data file (executors
writing to a disk the driver does not see) fails here instead of losing the table silently.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

from contracts.lake import (
    BRONZE,
    BRONZE_SCHEMA,
    SILVER,
    TOMBSTONES,
    partition_dir,
    silver_built,
)
from contracts.registry import FEEDS
from infra.lake import Lake, LakeError
from transforms.gold_schema import check_gold

LakeRoot = str | Lake
"""A lake: its root (a directory, `file://…` or `s3://…` with the endpoint from the environment)
or the `Lake` built from settings."""


def as_lake(root: LakeRoot) -> Lake:
    if isinstance(root, Lake):
        return root
    return Lake(root[len("file://") :] if root.startswith("file://") else root)


def _rel(layer: str, name: str) -> str:
    return f"{layer}/{name}"


def table_path(lake_root: LakeRoot, layer: str, name: str) -> str:
    """Spark's URI of `<lake>/<layer>/<name>` (layer: silver, gold, state)."""
    return as_lake(lake_root).spark_uri(_rel(layer, name))


def bronze_path(lake_root: LakeRoot, feed: str) -> str:
    return as_lake(lake_root).spark_uri(partition_dir(BRONZE, feed))


def _has_parquet(lake: Lake, rel: str) -> bool:
    # The trailing slash keeps `silver/person` from matching `silver/person_x` on S3.
    return any(r.endswith(".parquet") for r in lake.list(rel.rstrip("/") + "/"))


def bronze_feeds(lake_root: LakeRoot) -> list[str]:
    """Feeds that have at least one landed bronze file."""
    lake = as_lake(lake_root)
    return [f for f in FEEDS if _has_parquet(lake, partition_dir(BRONZE, f))]


def read_bronze(
    spark: SparkSession,
    lake_root: LakeRoot,
    feed: str,
    countries: Sequence[str] | None = None,
) -> DataFrame | None:
    """All bronze rows of one feed, without the hive partition columns (country, date);
    `countries`: only those countries' partitions (the files of the others are not listed or
    read)."""
    lake = as_lake(lake_root)
    if not _has_parquet(lake, partition_dir(BRONZE, feed)):
        return None
    reader = spark.read.schema(bronze_spark_schema())
    if countries is None:
        df = reader.parquet(lake.spark_uri(partition_dir(BRONZE, feed)))
    else:
        dirs = [partition_dir(BRONZE, feed, c) for c in sorted(set(countries))]
        dirs = [d for d in dirs if _has_parquet(lake, d)]
        if not dirs:
            return None
        df = reader.option("basePath", lake.spark_uri(partition_dir(BRONZE, feed))).parquet(
            *(lake.spark_uri(d) for d in dirs)
        )
    # `country` duplicates source_country and `date` is the landing day: drop both so that silver
    # depends on message content only.
    return df.drop(*[c for c in ("country", "date") if c in df.columns])


@cache
def bronze_spark_schema() -> StructType:
    """The bronze files' schema as Spark reads it, derived from `contracts.lake.BRONZE_SCHEMA`.

    Handed to every bronze read: Spark then reads no Parquet footer to infer it (a driver-side
    read of ~0.1-0.2 s per read call, paid 17 times by the demo's validation alone), and a file
    written before a column was added reads that column as NULL instead of deciding the schema
    for all the others."""
    return from_arrow_schema(BRONZE_SCHEMA)


FileVersion = tuple[str, int, str]
"""(name, size, version) of one lake file: `Lake.list_versions`."""


def _data_files(lake: Lake, rel: str) -> list[FileVersion]:
    # What Spark reads as the table: Parquet files, not its `_SUCCESS` or `_built.json`.
    return [
        f
        for f in lake.list_versions(rel.rstrip("/") + "/")
        if f[0].endswith(".parquet") and not f[0].rsplit("/", 1)[-1].startswith(("_", "."))
    ]


def bronze_files(lake_root: LakeRoot, feed: str) -> list[FileVersion]:
    """The feed's bronze data files with their sizes and versions: what `read_bronze` reads."""
    return _data_files(as_lake(lake_root), partition_dir(BRONZE, feed))


def tombstone_files(lake_root: LakeRoot) -> list[FileVersion]:
    """The tombstone files with their sizes and versions."""
    return _data_files(as_lake(lake_root), TOMBSTONES)


def silver_files(lake_root: LakeRoot, feed: str) -> list[FileVersion]:
    """The data files of one feed's silver table."""
    return _data_files(as_lake(lake_root), _rel(SILVER, feed))


def gold_files(lake_root: LakeRoot, name: str) -> list[FileVersion]:
    """The data files of one gold table."""
    return _data_files(as_lake(lake_root), _rel("gold", name))


def read_tombstone_keys(lake_root: LakeRoot) -> pa.Table | None:
    """Every tombstone row (`contracts.lake.TOMBSTONE_SCHEMA`), read on the driver without
    Spark: tombstones hold keys and versions only, and telling which feeds they touch must not
    cost a Spark job."""
    lake = as_lake(lake_root)
    tables = [lake.read_parquet(rel) for rel, _, _ in tombstone_files(lake)]
    if not tables:
        return None
    cols = ["source_country", "feed", "record_id", "record_version"]
    return pa.concat_tables([t.select(cols) for t in tables])


def read_silver_built(lake_root: LakeRoot, feed: str) -> dict[str, Any] | None:
    """What one feed's silver table was built from (`contracts.lake.SILVER_BUILT`), or None
    when it is missing or unreadable (both mean: rebuild)."""
    lake = as_lake(lake_root)
    rel = silver_built(feed)
    if not lake.exists(rel):
        return None
    try:
        data = json.loads(lake.read_bytes(rel))
    except ValueError:  # a torn or hand-edited record: rebuilding is always safe
        return None
    return data if isinstance(data, dict) else None


def write_silver_built(lake_root: LakeRoot, feed: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True)
    as_lake(lake_root).write_bytes(silver_built(feed), text.encode())


def forget_silver_built(lake_root: LakeRoot, feed: str) -> None:
    """Remove the record before the table is rewritten: a write that dies half way must leave
    a table the next run rebuilds, never one that looks built."""
    lake = as_lake(lake_root)
    if lake.exists(silver_built(feed)):
        lake.delete(silver_built(feed))


def read_bronze_files(
    spark: SparkSession,
    lake_root: LakeRoot,
    feed: str,
    files: Sequence[str],
    *,
    with_country: bool = False,
) -> DataFrame:
    """Some of one feed's bronze files (names as `bronze_files` gives them), as `read_bronze`
    reads the whole feed; `with_country` keeps the `country` of the partition each row's file
    is in (the country of the topic it landed from), as the last column."""
    lake = as_lake(lake_root)
    base = lake.spark_uri(partition_dir(BRONZE, feed))
    df = (
        spark.read.schema(bronze_spark_schema())
        .option("basePath", base)
        .parquet(*(lake.spark_uri(f) for f in files))
    )
    dropped = ("date",) if with_country else ("country", "date")
    return df.drop(*[c for c in dropped if c in df.columns])


def read_tombstones(spark: SparkSession, lake_root: LakeRoot) -> DataFrame | None:
    """The lake's tombstones (`contracts.lake.TOMBSTONE_SCHEMA`): records erased for good."""
    lake = as_lake(lake_root)
    if not _has_parquet(lake, TOMBSTONES):
        return None
    df = spark.read.parquet(lake.spark_uri(TOMBSTONES))
    return df.drop(*[c for c in ("country",) if c in df.columns])


def exists(lake_root: LakeRoot, layer: str, name: str) -> bool:
    return _has_parquet(as_lake(lake_root), _rel(layer, name))


def read_table(spark: SparkSession, lake_root: LakeRoot, layer: str, name: str) -> DataFrame | None:
    """A silver/gold/state table, or None when it was never written."""
    lake = as_lake(lake_root)
    rel = _rel(layer, name)
    return spark.read.parquet(lake.spark_uri(rel)) if _has_parquet(lake, rel) else None


def read_files(spark: SparkSession, lake_root: LakeRoot, files: Sequence[str]) -> DataFrame:
    """Some data files of one table (names as `silver_files` gives them)."""
    lake = as_lake(lake_root)
    return spark.read.parquet(*(lake.spark_uri(f) for f in files))


def _check_written(lake: Lake, rel: str) -> None:
    """Fail when the table Spark just wrote at rel has no data file the driver can see."""
    if not _has_parquet(lake, rel):
        raise LakeError(
            f"Spark reported writing {lake.spark_uri(rel)} but the driver finds no data file "
            "there (only a _SUCCESS marker, or nothing)",
            hint="the executors wrote to a disk this driver does not see: on a Spark cluster the "
            "lake must be shared storage (INTERLINK_LAKE__ROOT=s3://bucket/prefix)",
        )


DICTIONARY_PAGE_BYTES = 64 * 1024
"""Parquet's dictionary budget per column chunk (parquet-java's default is 1 MiB); a column whose
distinct values outgrow it is written plain. Name leaves, match keys and tokens have thousands of
distinct values per file: within the default budget the writer hashed every one of their values
into a dictionary that saved little (the gold person table is 4 % larger without them), and that
hashing was a quarter of the CPU of the write (186k rows at 100k persons: 7.9-9.2 CPU s with
1 MiB, 6.0-6.9 with 64 KiB, alternating in one session). Columns of few values (countries, codes,
roles, years) keep their dictionaries; near-unique ones (ids, hashes) go plain either way."""


def _write(df: DataFrame, lake: Lake, rel: str) -> int:
    """Overwrite `rel` with `df`, check its data files are there, and return its rows.

    The rows are counted by the write itself (an `Observation`, delivered with the write's own
    job): reading the files back to count them cost one more schema read and Spark job per table,
    some thirty per run whatever the data's size. The check that matters for a shared-nothing
    cluster is the driver's listing, not a count."""
    observed = Observation(f"rows-{uuid.uuid4().hex}")
    counted = df.observe(observed, F.count(F.lit(1)).alias("rows"))
    writer = counted.write.mode("overwrite")
    writer = writer.option("parquet.dictionary.page.size", str(DICTIONARY_PAGE_BYTES))
    writer.parquet(lake.spark_uri(rel))
    _check_written(lake, rel)
    return int(observed.get["rows"])


def write_table(df: DataFrame, lake_root: LakeRoot, layer: str, name: str) -> int:
    """Overwrite a table with `df` and return its row count (counted by the write)."""
    return _write(df, as_lake(lake_root), _rel(layer, name))


def write_table_via_temp(df: DataFrame, lake_root: LakeRoot, layer: str, name: str) -> int:
    """Overwrite a table that `df` itself was computed from (state tables read and rewritten).

    Spark cannot overwrite a path it is still reading lazily, so the result is written beside it
    first and then moved into place.
    """
    lake = as_lake(lake_root)
    rel = _rel(layer, name)
    tmp = rel + ".tmp"
    lake.delete_prefix(tmp + "/")
    n = _write(df, lake, tmp)
    lake.move_prefix(tmp, rel)
    return n


def replace_files(
    df: DataFrame, lake_root: LakeRoot, layer: str, name: str, remove: Sequence[str]
) -> int:
    """Add `df`'s rows to a table as new files and remove its files `remove` (names as
    `silver_files` gives them); return the rows added (counted by the write).

    For a merge that touches a few of a table's files: `df` may read the files it replaces (it
    is written beside the table first). The new files go in before the old ones go, so a crash
    in between leaves rows twice: callers must have marked the table as needing a rebuild
    (`forget_silver_built`) before calling."""
    lake = as_lake(lake_root)
    rel = _rel(layer, name)
    tmp = rel + ".tmp"
    lake.delete_prefix(tmp + "/")
    n = _write(df, lake, tmp)
    for src, _, _ in _data_files(lake, tmp):
        lake.move(src, f"{rel}/{src.rsplit('/', 1)[-1]}")
    lake.delete_prefix(tmp + "/")
    for gone in remove:
        lake.delete(gone)
        folder, base = gone.rsplit("/", 1)
        if lake.exists(crc := f"{folder}/.{base}.crc"):  # a local write's checksum
            lake.delete(crc)
    return n


def read_json(lake_root: LakeRoot, layer: str, name: str) -> dict[str, Any] | None:
    lake = as_lake(lake_root)
    rel = _rel(layer, name)
    return json.loads(lake.read_bytes(rel)) if lake.exists(rel) else None


def write_json(lake_root: LakeRoot, layer: str, name: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str)
    as_lake(lake_root).write_bytes(_rel(layer, name), text.encode())


def write_gold(df: DataFrame, lake_root: LakeRoot, name: str, *, via_temp: bool = False) -> int:
    """Check `df` against gold table `name`'s declaration (contracts/gold.py), then overwrite it
    (`via_temp`: when `df` reads the table's previous version, see `write_table_via_temp`)."""
    write = write_table_via_temp if via_temp else write_table
    return write(check_gold(name, df), lake_root, "gold", name)


def delete(lake_root: LakeRoot, layer: str, name: str) -> None:
    """Remove one file of the lake (nothing when it is not there)."""
    lake = as_lake(lake_root)
    rel = _rel(layer, name)
    if lake.exists(rel):
        lake.delete(rel)
