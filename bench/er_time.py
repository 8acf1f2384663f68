"""ER time and peak memory: Interlink vs Splink's Spark backend on the same generated persons.

Each contender runs in a fresh process on the same person file; reported are the resolve time
(input file to clusters, Spark session start-up excluded, measured inside the worker), the whole
process's wall time (start-up included), and the peak resident memory of its process tree (the
Python worker plus its JVM), sampled by bench.measure. No candidate pairs are written in these
runs, so nothing but resolving is timed.

Sizes: small = 500 persons against Splink's DuckDB backend (only shows the suite works; the JVM's
fixed costs dominate); full = 2,700 and 5,400 persons (about 5k and 10k records: where a
resolve is mostly Spark's fixed costs, the issue-14 goal of 20 s for 5k records), 100k and 1M
persons against Splink's Spark and DuckDB backends.

A second table compares Interlink's incremental run (1 % new records resolved against the state
of the other 99 %) with a full rebuild on the same records, and checks that both give the same
clusters.
"""

from __future__ import annotations

from bench.config import current
from bench.data import dataset
from bench.er_common import NAMES, PartialFailure, run_engine
from bench.report import Table, versus

SMALL = [500]
FULL = [2_700, 5_400, 100_000, 1_000_000]


def plan(small: bool) -> tuple[list[int], list[str]]:
    opts = current()
    sizes = SMALL if small else FULL
    if opts.persons_override:
        sizes = [opts.persons_override]
    elif opts.max_persons and not small:
        sizes = [s for s in sizes if s <= opts.max_persons]
    # Splink's Spark backend spends minutes in per-job overhead even on a few hundred records
    # (u sampling runs ~10 chunks of Spark jobs), which would break the small run's budget.
    yardsticks = ["splink-duckdb"] if small else ["splink-spark", "splink-duckdb"]
    return sizes, yardsticks


def run(small: bool) -> list[Table]:
    opts = current()
    sizes, yardsticks = plan(small)
    table = Table(
        title="Entity resolution time and peak memory (persons, cross-script)",
        description=(
            "Each cell: `Interlink vs yardstick (×Interlink/yardstick)`; lower is better for "
            "seconds and memory, higher for records/s. Spark runs `local[2]`, driver memory 6g."
        ),
        columns=[
            "data",
            "records",
            "yardstick",
            "resolve seconds",
            "process wall seconds",
            "peak memory MiB",
            "records/s",
        ],
    )
    failures: list[str] = []
    for persons in sizes:
        data = dataset(opts.workdir, persons=persons, cross_script=True, seed=opts.seed)
        n = data.records()
        partitions = 2 if small else max(4, min(64, n // 25_000))
        runs = {
            e: run_engine(
                e,
                data,
                opts.workdir,
                candidates=False,
                tag="-time",
                shuffle_partitions=partitions,
            )
            for e in ["interlink", *yardsticks]
        }
        for e, r in runs.items():
            if not r.ok:
                failures.append(f"{NAMES[e]} on {data.label}: {r.error}")
                table.notes.append(f"{NAMES[e]} failed on {data.label}: {r.error}")
        me = runs["interlink"]
        for y in yardsticks:
            them = runs[y]

            def rate(secs: float | None, n: int = n) -> float | None:
                return None if not secs else n / secs

            table.add(
                data.label,
                f"{n:,}",
                NAMES[y],
                versus(me.resolve_seconds, them.resolve_seconds, "{:.1f}"),
                versus(
                    me.measured and me.measured.wall_seconds,
                    them.measured and them.measured.wall_seconds,
                    "{:.1f}",
                ),
                versus(
                    me.measured and me.measured.peak_rss_mib,
                    them.measured and them.measured.peak_rss_mib,
                    "{:.0f}",
                ),
                versus(rate(me.resolve_seconds), rate(them.resolve_seconds), "{:,.0f}"),
            )
        for e, r in runs.items():
            if r.measured:
                phases = ", ".join(f"{k} {v:.1f}s" for k, v in r.measured.result["phases"].items())
                table.notes.append(f"{NAMES[e]} on {data.label}: {phases}")
    incremental = _incremental_table(sizes, small, failures)
    interlink_failures = [f for f in failures if f.startswith(NAMES["interlink"])]
    if interlink_failures:
        raise PartialFailure([table, incremental], interlink_failures)
    return [table, incremental]


def _incremental_table(sizes: list[int], small: bool, failures: list[str]) -> Table:
    """Interlink incremental (1 % new records against resolved state) vs its full rebuild."""
    opts = current()
    table = Table(
        title="Incremental resolution (1 % new records) vs full rebuild",
        description=(
            "Interlink resolves 99 % of the records, keeps its state (trained model, record "
            "hashes and keys, key statuses, scored pairs, clusters) in Parquet, then resolves all "
            "records incrementally from it with the stored model and, in the same process, again "
            "from scratch, retraining. Each cell: `incremental vs full (×incremental/full)`; "
            "lower is better."
        ),
        columns=[
            "data",
            "records",
            "new records",
            "resolve seconds",
            "pairs compared",
            "dirty records",
            "same clusters",
        ],
    )
    for persons in sizes:
        data = dataset(opts.workdir, persons=persons, cross_script=True, seed=opts.seed)
        n = data.records()
        partitions = 2 if small else max(4, min(64, n // 25_000))
        run = run_engine(
            "interlink-incremental",
            data,
            opts.workdir,
            candidates=False,
            tag="-incremental",
            shuffle_partitions=partitions,
        )
        if not run.ok or run.measured is None:
            failures.append(f"{NAMES['interlink']} incremental on {data.label}: {run.error}")
            table.notes.append(f"incremental run failed on {data.label}: {run.error}")
            continue
        res = run.measured.result
        compared = res["pairs_compared"]
        table.add(
            data.label,
            f"{res['records']:,}",
            f"{res['new_records']:,}",
            versus(res["resolve_seconds"], res["full_seconds"], "{:.1f}"),
            versus(compared["incremental"], compared["full"], "{:,.0f}"),
            f"{res['dirty_records']:,}",
            "yes"
            if res["same_clusters"]
            else f"NO ({res.get('differing_records', '?')} records differ)",
        )
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in res["phases"].items())
        table.notes.append(f"{data.label}: {phases}")
    return table
