"""Silver after a one-feed delta: `python -m bench.silver_delta --persons 5000 --work DIR`.

A generated world (every feed, ten countries) is landed in bronze and its silver built; then one
country publishes 100 person records (`bench.freshness_worker.make_delta`'s persons: half new,
half corrected) and the next run's silver step is timed, with the Spark jobs it launched, on
copies of the same lake: as it was before silver followed the delta (every feed rebuilt from all
its bronze), with skipping alone (the person feed rebuilt whole, the others unchanged), and as
`transforms.jobs.build_silver` does it now (the person feed's new records merged). A last,
no-change run shows the floor. Prints a JSON summary; docs/operations.md ("Silver follows the
delta") carries the measured table.

Bronze is written directly (the bronze schema and file names of `contracts.lake`), not through
the broker: the step measured reads bronze and nothing upstream of it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.lake import BRONZE_SCHEMA, bronze_name, silver_built
from contracts.registry import FEEDS
from streams.simulate.bronze import bronze_row

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _bronze_row(feed: str, country: str, m: dict[str, Any], offset: int) -> dict[str, Any]:
    return bronze_row(
        feed,
        country,
        m["record_id"],
        m.get("payload") if m["operation"] != "delete" else None,
        version=m["record_version"],
        operation=m["operation"],
        produced_at=T0 + timedelta(seconds=offset),
        reported_at=T0,
        offset=offset,
        message_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{feed}/{country}/{offset}")),
        agency="BENCH",
    )


def land(feeds: Path, lake: Path, day: str, offsets: dict[tuple[str, str], int]) -> int:
    """Land every `<feed>/<ISO3>.jsonl` under feeds as one bronze file per (feed, country)."""
    n = 0
    for path in sorted(feeds.glob("*/*.jsonl")):
        feed, country = path.parent.name, path.stem
        if feed not in FEEDS:
            continue
        first = offsets[(feed, country)]
        lines = [json.loads(x) for x in path.read_text().splitlines()]
        rows = [_bronze_row(feed, country, m, first + i) for i, m in enumerate(lines)]
        offsets[(feed, country)] = first + len(rows)
        topic = f"feeds.{feed}.{country}"
        target = lake / bronze_name(feed, country, day, topic, 0, first, first + len(rows) - 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=BRONZE_SCHEMA), target)
        n += len(rows)
    return n


def rebuild_everything(spark: Any, lake: str) -> dict[str, int]:
    """The silver step before it followed the delta: every feed from all of its bronze."""
    from transforms import lake_io
    from transforms.standardize import build_silver_frame, without_erased

    counts = {}
    tombstones = lake_io.read_tombstones(spark, lake)
    for feed in FEEDS:
        bronze = lake_io.read_bronze(spark, lake, feed)
        if bronze is None:
            continue
        if tombstones is not None:
            bronze = without_erased(bronze, tombstones)
        counts[feed] = lake_io.write_table(build_silver_frame(bronze, feed), lake, "silver", feed)
    return counts


def measured(spark: Any, name: str, fn: Any) -> dict[str, Any]:
    sc = spark.sparkContext
    sc.setJobGroup(name, name)
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    jobs = len(sc.statusTracker().getJobIdsForGroup(name))
    sc.setJobGroup("", "")
    return {"seconds": round(seconds, 2), "jobs": jobs, "out": out}


def main(argv: list[str] | None = None) -> None:
    from bench.data import COUNTRIES
    from bench.freshness_worker import make_delta
    from interlink.settings import Settings
    from interlink.spark import session_for
    from streams.simulate import write_feeds
    from transforms.jobs import build_silver

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args(argv)
    work: Path = args.work
    shutil.rmtree(work / "lake", ignore_errors=True)
    world = work / f"world-{args.persons}-{args.seed}"
    if not (world / "truth" / "summary.json").exists():
        write_feeds(world, seed=args.seed, persons=args.persons, countries=list(COUNTRIES),
                    overwrite=True)  # fmt: skip
    offsets: dict[tuple[str, str], int] = defaultdict(int)
    lake = work / "lake"
    messages = land(world, lake, "2026-11-27", offsets)
    spark = session_for(Settings(home=str(work)), "bench-silver-delta")
    first = measured(spark, "first", lambda: dict(build_silver(spark, str(lake))))
    delta = work / "delta"
    shutil.rmtree(delta, ignore_errors=True)
    make_delta(world, delta, 100)
    shutil.rmtree(delta / "travel_document")  # one feed changed: persons only
    landed = land(delta, lake, "2026-11-28", offsets)
    # Two rounds, alternating, each on its own copy of the same lake: the second round shows
    # what a warm JVM changes.
    runs: dict[str, Any] = {}
    for i in (1, 2):
        for mode in ("before", "skip_only", "after"):
            copy = work / f"lake-{mode}-{i}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(lake, copy)
            if mode == "skip_only":
                # Without the recorded file list the changed feed cannot merge: it is rebuilt
                # whole, the others skipped (what skipping alone saves).
                built = copy / silver_built("person")
                built.write_text(json.dumps(json.loads(built.read_text()) | {"files": []}))
            if mode == "before":
                fn = lambda c=copy: rebuild_everything(spark, str(c))  # noqa: E731
            else:
                fn = lambda c=copy: _after(build_silver(spark, str(c)))  # noqa: E731
            runs[f"{mode}_{i}"] = measured(spark, f"{mode}_{i}", fn)
    last = work / "lake-after-2"
    runs["no_change"] = measured(spark, "nc", lambda: _after(build_silver(spark, str(last))))
    print(json.dumps({"persons": args.persons, "messages": messages, "delta": landed,
                      "first": first, **runs}, indent=2))  # fmt: skip


def _after(counts: Any) -> dict[str, Any]:
    return {"rows": dict(counts), **counts.summary()}


if __name__ == "__main__":
    main()
