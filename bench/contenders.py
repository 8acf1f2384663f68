"""Worker process for one entity-resolution contender: `python -m bench.contenders ENGINE ...`.

Engines: `interlink` (transforms.resolve on Spark), `interlink-incremental` (see
`run_incremental`), `splink-duckdb`, `splink-spark`. Each reads
the same person JSON Lines file (the `interlink resolve` input format) and writes into --out.
The FEBRL yardsticks (`FEBRL_ENGINES`, see bench.febrl_yardsticks) read the raw FEBRL frame
beside that file instead, as their own FEBRL examples do. Outputs:

- `clusters.parquet`: key (source_country|record_id), cluster_id: one row per input record;
- `candidates.parquet` (with --candidates): key_l, key_r: the pairs its blocking let through;
- `result.json`: seconds per phase, `resolve_seconds` (the work a user waits for: from the input
  file to clusters, session start-up excluded) and counts.

Running each engine in its own process keeps their memory apart, so the parent can measure each
one's peak (see bench.measure), and a failing yardstick cannot crash the suite.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

ENGINES = (
    "interlink",
    "interlink-incremental",
    "splink-duckdb",
    "splink-spark",
    "splink-febrl-duckdb",
    "splink-febrl-spark",
    "recordlinkage-ecm",
)
FEBRL_ENGINES = ("splink-febrl-duckdb", "splink-febrl-spark", "recordlinkage-ecm")
"""Yardsticks that read the raw FEBRL columns (`raw.parquet` beside the person file)."""


class Phases:
    """Wall-clock seconds per named phase, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


def _spark(shuffle_partitions: int, work: Path, *, with_splink_jar: bool):  # type: ignore[no-untyped-def]
    from interlink.spark import build_session

    if with_splink_jar:
        # Splink's Spark comparisons (jaro_winkler, …) are Scala UDFs in a jar it ships; the jar
        # must be on the JVM's classpath when the JVM starts, which PYSPARK_SUBMIT_ARGS arranges.
        from splink.backends.spark import similarity_jar_location

        os.environ["PYSPARK_SUBMIT_ARGS"] = f"--jars {similarity_jar_location()} pyspark-shell"
    checkpoints = work / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    return build_session(
        master=os.environ.get("BENCH_SPARK_MASTER", "local[2]"),
        app_name="interlink-bench",
        driver_memory=os.environ.get("BENCH_SPARK_DRIVER_MEMORY", "6g"),
        shuffle_partitions=shuffle_partitions,
        checkpoint_dir=str(checkpoints.resolve()),
        # Splink runs on the JVM's defaults, as its documentation sets Spark up; the quick JIT
        # is Interlink's own session setting (`SparkSettings.quick_jit`).
        quick_jit=not with_splink_jar,
    )


def _splink_api(backend: str, out: Path, shuffle_partitions: int, phases: Phases) -> Any:
    """Splink's database API for `backend` (duckdb | spark); Spark's start-up is its own phase."""
    from splink import DuckDBAPI, SparkAPI

    if backend == "duckdb":
        import duckdb

        # DuckDB spills to `.tmp/` in the working directory by default: keep it with the run's
        # outputs (under var/), where it is found and cleaned with them.
        con = duckdb.connect(config={"temp_directory": str(out / "duckdb-tmp")})
        return DuckDBAPI(connection=con)
    with phases("startup"):
        spark = _spark(shuffle_partitions, out, with_splink_jar=True)
        # Splink's Spark example turns whole-stage code generation off: its wide CASE
        # expressions otherwise spend longer compiling than running.
        spark.conf.set("spark.sql.codegen.wholeStage", "false")
        return SparkAPI(spark_session=spark)


def run_splink(
    backend: str,
    input_path: Path,
    out: Path,
    *,
    candidates: bool,
    shuffle_partitions: int,
    u_max_pairs: float | None,
) -> dict[str, Any]:
    from splink import Linker

    from bench import splink_model as sm

    phases = Phases()
    extra: dict[str, Any] = {}
    db_api = _splink_api(backend, out, shuffle_partitions, phases)
    with phases("standardise"):
        df = sm.load_input(input_path)
        sdf = db_api.register(df)
        linker = Linker(sdf, sm.settings(), log_level=logging.WARNING)
    sm.train(linker, u_max_pairs=u_max_pairs, phase=phases)
    with phases("predict"):
        predictions = linker.inference.predict(threshold_match_probability=sm.PREDICT_THRESHOLD)
    with phases("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=sm.CLUSTER_THRESHOLD
        )
        frame = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    frame.rename(columns={"unique_id": "key"}).astype(str).to_parquet(out / "clusters.parquet")
    if candidates:
        with phases("candidates"):
            blocked = linker.inference.compute_blocked_pairs_for_predict().as_pandas_dataframe()
            pairs = blocked[["join_key_l", "join_key_r"]].set_axis(["key_l", "key_r"], axis=1)
            pairs.astype(str).to_parquet(out / "candidates.parquet")
            extra["candidate_pairs"] = len(pairs)
    extra["records"] = len(df)
    return _result(
        phases,
        extra,
        core=(
            "standardise",
            "train: prior",
            "train: u",
            "train: EM names",
            "train: EM dob",
            "predict",
            "cluster",
        ),
    )


def run_febrl_yardstick(
    engine: str, input_path: Path, out: Path, *, shuffle_partitions: int
) -> dict[str, Any]:
    from bench import febrl_yardsticks as fy

    phases = Phases()
    frame = fy.read_raw(input_path.parent / "raw.parquet")
    if engine == "recordlinkage-ecm":
        extra = fy.run_ecm(frame, out, phases)
        return _result(phases, extra, core=("resolve",))
    db_api = _splink_api(engine.removeprefix("splink-febrl-"), out, shuffle_partitions, phases)
    extra = fy.run_splink(db_api, frame, out, phases)
    core = [p for p in phases.seconds if p != "startup"]
    return _result(phases, extra, core=tuple(core))


def run_interlink(
    input_path: Path, out: Path, *, candidates: bool, shuffle_partitions: int
) -> dict[str, Any]:
    from transforms.resolve import resolve_file

    phases = Phases()
    extra: dict[str, Any] = {}
    with phases("startup"):
        spark = _spark(shuffle_partitions, out, with_splink_jar=False)
    result_dir = out / "interlink"
    with phases("resolve"):
        summary = resolve_file(spark, str(input_path), str(result_dir))
    # Where the resolve's seconds went (standardise, block, compare, train, score, cluster,
    # write), as Splink's phases are reported: the table's notes put the two side by side.
    for name, seconds in summary.get("phase_seconds", {}).items():
        phases.seconds[f"resolve: {name}"] = seconds
    entities = pd.read_parquet(result_dir / "entities.parquet")
    frame = pd.DataFrame(
        {
            "key": entities["source_country"].astype(str) + "|" + entities["record_id"].astype(str),
            "cluster_id": entities["entity_id"].astype(str),
        }
    )
    frame.to_parquet(out / "clusters.parquet")
    if isinstance(summary, dict):
        extra["summary"] = {k: v for k, v in summary.items() if isinstance(v, int | float | str)}
    if candidates:
        with phases("candidates"):
            pairs = _interlink_candidates(spark, input_path, result_dir)
            pairs.astype(str).to_parquet(out / "candidates.parquet")
            extra["candidate_pairs"] = len(pairs)
    extra["records"] = len(frame)
    return _result(phases, extra, core=("resolve",))


NEW_SHARE = 100
"""The incremental run adds one record in this many (1 %), chosen by a hash of its key."""


def run_incremental(input_path: Path, out: Path, *, shuffle_partitions: int) -> dict[str, Any]:
    """Incremental resolution of 1 % new records against a resolved 99 %, vs a full rebuild.

    The 99 % are resolved first (a full run: the model is trained) and their state (record
    hashes and keys, key statuses, scored pairs, clusters, the model's term frequencies) is
    written to Parquet and read back, as the pipeline keeps it in the lake; then all records are
    resolved incrementally from that state with the stored model, and the state it leaves is
    written (`incremental write`); then again from scratch, retraining. `same_clusters` says
    whether both gave the same clusters, `differing_records` how many records sit in a cluster
    the other run does not have.
    """
    from pyspark.sql import functions as F

    from transforms.persons import resolve_persons, to_records
    from transforms.persons_delta import StoredResolution, resolve_delta
    from transforms.resolve import read_person_file
    from transforms.standardize import person_body

    phases = Phases()
    with phases("startup"):
        spark = _spark(shuffle_partitions, out, with_splink_jar=False)
    with phases("standardise"):
        raw = read_person_file(spark, str(input_path))
        records = to_records(person_body(raw.withColumn("feed", F.lit("person"))))
        records = records.localCheckpoint(eager=True)
        is_new = (F.abs(F.xxhash64("rk")) % NEW_SHARE) == 0
        base = records.where(~is_new).localCheckpoint(eager=True)
    with phases("resolve 99 %"):
        first = resolve_persons(base)
        first.clusters.count()
    state = out / "state"

    def keep(name: str, df: Any) -> Any:
        df.write.mode("overwrite").parquet(str(state / name))
        return spark.read.parquet(str(state / name))

    stored = StoredResolution(
        model=first.model,
        tf=keep("tf", first.tf),
        records=keep("records", first.record_state),
        flagged=keep("keys", first.flagged),
        pairs=keep("pairs", first.pairs),
        over=keep("over", first.over),
        clusters=keep("clusters", first.clusters),
    )
    with phases("incremental"):
        inc = resolve_delta(records, stored)
        inc_clusters = inc.clusters.select("rk", "component").localCheckpoint(eager=True)
    with phases("incremental write"):
        for name, df in (
            ("records", inc.record_state),
            ("keys", inc.flagged),
            ("pairs", inc.pairs),
            ("over", inc.over),
            ("clusters", inc.clusters),
        ):
            df.write.mode("overwrite").parquet(str(state / f"{name}.next"))
    with phases("full"):
        full = resolve_persons(records)
        full_clusters = full.clusters.select("rk", "component").localCheckpoint(eager=True)

    def partition(df: Any) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for r in df.collect():
            groups.setdefault(r["component"], set()).add(r["rk"])
        return {frozenset(g) for g in groups.values()}

    a, b = partition(inc_clusters), partition(full_clusters)
    pd.DataFrame(
        [(r["rk"], r["component"]) for r in full_clusters.collect()], columns=["key", "cluster_id"]
    ).to_parquet(out / "clusters.parquet")
    return {
        "phases": phases.seconds,
        "resolve_seconds": phases.seconds["incremental"],
        "full_seconds": phases.seconds["full"],
        "records": records.count(),
        "new_records": records.count() - base.count(),
        "pairs_compared": {"incremental": inc.new_vectors, "full": full.new_vectors},
        "dirty_records": inc.dirty,
        "same_clusters": a == b,
        "differing_records": sum(len(g) for g in a ^ b) // 2,
    }


def _interlink_candidates(spark: Any, input_path: Path, result_dir: Path) -> pd.DataFrame:
    """Interlink's blocked pairs on the same file: the same public steps resolve_persons runs
    (standardise, record keys, key statuses, candidate pairs), default config."""
    from pyspark.sql import functions as F

    from transforms import blocking as B
    from transforms.persons import ResolutionConfig, to_records
    from transforms.resolve import read_person_file
    from transforms.standardize import person_body

    raw = read_person_file(spark, str(input_path))
    records = to_records(person_body(raw.withColumn("feed", F.lit("person"))))
    keys = B.record_keys(records).cache()
    flagged = B.flagged_keys(B.key_stats(keys, ResolutionConfig().blocking))
    pairs = B.candidate_pairs(keys, flagged).select("l_rk", "r_rk").toPandas()
    return pairs.set_axis(["key_l", "key_r"], axis=1)


def _result(phases: Phases, extra: dict[str, Any], *, core: tuple[str, ...]) -> dict[str, Any]:
    return {
        "phases": phases.seconds,
        "resolve_seconds": sum(phases.seconds.get(p, 0.0) for p in core),
        **extra,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.contenders")
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--candidates", action="store_true", help="also write blocked pairs")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument(
        "--u-max-pairs",
        type=float,
        default=None,
        help="pairs sampled for Splink's u estimation (default: Splink's own, 1e6)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.engine == "interlink-incremental":
        result = run_incremental(args.input, args.out, shuffle_partitions=args.shuffle_partitions)
    elif args.engine in FEBRL_ENGINES:
        result = run_febrl_yardstick(
            args.engine, args.input, args.out, shuffle_partitions=args.shuffle_partitions
        )
    elif args.engine == "interlink":
        result = run_interlink(
            args.input,
            args.out,
            candidates=args.candidates,
            shuffle_partitions=args.shuffle_partitions,
        )
    else:
        result = run_splink(
            args.engine.removeprefix("splink-"),
            args.input,
            args.out,
            candidates=args.candidates,
            shuffle_partitions=args.shuffle_partitions,
            u_max_pairs=args.u_max_pairs,
        )
    (args.out / "result.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
