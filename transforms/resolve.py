"""Standalone resolution of any person file: `interlink resolve --input FILE --output DIR`.

FILE is JSON Lines: one person payload per line (docs/wire-format.md) plus `source_country` and
`record_id`. The same standardisation and model as the pipeline run on it; nothing is persisted
besides the two outputs:

- `DIR/entities.parquet`: source_country, record_id, entity_id (one row per input record);
- `DIR/pairs.parquet`: both record keys, match_weight, match_probability, per-field
  contributions (bits) and levels, for every accepted pair.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from transforms.driver_frames import on_driver
from transforms.entity_ids import assign_ids_rows
from transforms.errors import ResolveInputError
from transforms.persons import (
    Phases,
    Progress,
    ResolutionConfig,
    checkpoint_counted,
    pairs_output,
    resolve_persons,
    to_records,
)
from transforms.schemas import PERSON
from transforms.standardize import person_body

ENTITIES_SCHEMA = "source_country string, record_id string, entity_id string, guard string"
"""entities.parquet: each record with its entity and the guard that split its cluster, if any."""

INPUT_SCHEMA = StructType(
    [
        *PERSON.fields,
        StructField("source_country", StringType()),
        StructField("record_id", StringType()),
    ]
)


def read_person_file(spark: SparkSession, input_path: str) -> DataFrame:
    """Parse the JSON Lines file; fail with the line that lacks a key or is not JSON."""
    path = Path(input_path)
    if not path.is_file():
        raise ResolveInputError(
            f"input file {input_path} does not exist: pass a JSON Lines file of person records"
        )
    lines = spark.read.text(str(path)).where(F.trim("value") != "")
    parsed = lines.select(
        "value",
        F.from_json("value", INPUT_SCHEMA, {"mode": "PERMISSIVE"}).alias("p"),
    )
    # Both checks in one query (one parse of the file, not two): per record key, its lines and
    # the position of its first line that is not a person record. The first such line in the
    # file is reported before any duplicate.
    bad_line = (
        F.col("p").isNull()
        | F.col("p.source_country").isNull()
        | F.col("p.record_id").isNull()
        | F.col("p.primary_name").isNull()
    )
    at = F.monotonically_increasing_id()
    problem = (
        parsed.select("value", "p", F.when(bad_line, at).alias("_bad_at"))
        .groupBy("p.source_country", "p.record_id")
        .agg(
            F.count(F.lit(1)).alias("count"),
            F.min("_bad_at").alias("_bad_at"),
            F.min_by("value", "_bad_at").alias("bad"),
        )
        .where("_bad_at is not null or count > 1")
        .orderBy(F.col("_bad_at").asc_nulls_last())
        .limit(1)
        .collect()
    )
    if problem and problem[0]["_bad_at"] is not None:
        raise ResolveInputError(
            f"{input_path}: a line is not a person record with source_country, record_id and "
            f"primary_name: {problem[0]['bad'][:200]!r}; fix or remove it"
        )
    if problem:
        d = problem[0]
        raise ResolveInputError(
            f"{input_path}: record {d['source_country']}/{d['record_id']} appears "
            f"{d['count']} times; keep one line per (source_country, record_id)"
        )
    return parsed.select(
        F.upper(F.col("p.source_country")).alias("source_country"),
        F.col("p.record_id").alias("record_id"),
        F.sha2("value", 256).alias("payload_hash"),
        F.col("p").alias("p"),
    )


def _single_parquet(df: DataFrame, target: Path) -> None:
    """Write `df` as one Parquet file at `target` (Spark writes folders; users expect a file)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        out = Path(tmp) / "out"
        df.coalesce(1).write.mode("overwrite").parquet(str(out))
        part = next(out.glob("part-*.parquet"))
        if target.exists():
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        shutil.move(str(part), target)


def resolve_file(
    spark: SparkSession,
    input_path: str,
    output_dir: str,
    *,
    config: ResolutionConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Resolve the persons of one file; write entities.parquet and pairs.parquet; return counts
    and seconds per phase (`progress`, when given, hears each phase start and end)."""
    phase = Phases(progress)
    with phase("standardise"):
        raw = read_person_file(spark, input_path)
        persons = person_body(raw.withColumn("feed", F.lit("person")))
        records, n_records = checkpoint_counted(to_records(persons))
    res = resolve_persons(records, config=config, phases=phase, n_records=n_records)
    with phase("write"):
        return _write(spark, res, Path(output_dir)) | {"phase_seconds": phase.seconds}


def _write(spark: SparkSession, res: Any, out: Path) -> dict[str, Any]:
    # A file's clusters are collected once (5,033 records in the benchmark's 5k row): the ID rules
    # and the entities table are made on the driver (`assign_ids_rows`), without the Spark jobs
    # of the rules' joins and windows, the joins back to the records and a range sort.
    clusters = res.clusters.select("rk", "component", "guard").collect()
    ids, _, _ = assign_ids_rows([(r["rk"], r["component"]) for r in clusters], [], [], 1)
    entity_of = dict(ids)
    rows = sorted(
        (entity_of[r["rk"]], *r["rk"].split("|", 1), r["guard"]) for r in clusters
    )  # (entity, country, record): the file's order
    entities = on_driver(spark, [(c, rec, e, g) for e, c, rec, g in rows], ENTITIES_SCHEMA)
    out.mkdir(parents=True, exist_ok=True)
    _single_parquet(entities, out / "entities.parquet")
    # One file: sorted within its one partition, with no range partitioning's sampling pass.
    pairs = (
        pairs_output(res.accepted)
        .coalesce(1)
        .sortWithinPartitions("l_source_country", "l_record_id", "r_source_country", "r_record_id")
    )
    _single_parquet(pairs, out / "pairs.parquet")
    return {
        "records": len(rows),
        "entities": len(set(entity_of.values())),
        # The file's row count from its footer: a count of the accepted pairs is a query.
        "pairs": pq.read_metadata(out / "pairs.parquet").num_rows,
        "output": str(out),
    }
