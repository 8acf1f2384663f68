"""End to end: generated feeds through publish → ingest → validate → resolve → load.

The pipeline's own step functions run in one fresh process (bench.e2e_worker) on a world from
the generator; each stage's wall time is reported with its throughput and share of the total.
There is no outside yardstick for a whole pipeline, so the comparison column puts each stage
against the total: it shows where the time goes, which is what an operator sizing a deployment
needs. Small = 200 persons; full = 10k and 100k persons.
"""

from __future__ import annotations

import logging
import shutil

from bench.config import current
from bench.data import dataset
from bench.er_common import PartialFailure
from bench.measure import ContenderFailed, run_measured
from bench.report import Table

log = logging.getLogger("bench.end_to_end")

SMALL = [200]
FULL = [10_000, 100_000]
STAGES = ("publish", "ingest", "validate", "resolve", "load")


def run(small: bool) -> list[Table]:
    opts = current()
    sizes = SMALL if small else FULL
    if opts.persons_override:
        sizes = [opts.persons_override]
    elif opts.max_persons and not small:
        sizes = [s for s in sizes if s <= opts.max_persons]
    table = Table(
        title="End to end: publish to warehouse (embedded broker, local lake, DuckDB)",
        description=(
            "Wall time per pipeline stage on generated multi-country feeds, the stage's "
            "throughput in published messages per second, and its share of the pipeline's total "
            "(ingest excludes the idle wait that ends it)."
        ),
        columns=["data", "messages", "stage", "seconds", "messages/s", "share of total"],
    )
    failures = []
    for persons in sizes:
        data = dataset(opts.workdir, persons=persons, cross_script=True, seed=opts.seed)
        feeds = data.input_path.parent
        home = opts.workdir / "e2e" / feeds.name
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        try:
            m = run_measured(
                "pipeline",
                [
                    "bench.e2e_worker",
                    "--feeds",
                    str(feeds),
                    "--home",
                    str(home),
                    "--result",
                    str(home / "result.json"),
                ],
                result_file=home / "result.json",
                log_file=home / "log.txt",
                timeout=4 * 3600,
            )
        except (ContenderFailed, TimeoutError) as exc:
            failures.append(f"{data.label}: {exc}")
            table.notes.append(f"pipeline failed on {data.label}: {str(exc)[-300:]}")
            continue
        stages = m.result["stages"]
        messages = int(m.result["messages"])
        total = sum(stages.values())
        for stage in STAGES:
            secs = stages.get(stage)
            if secs is None:
                continue
            table.add(
                data.label,
                f"{messages:,}",
                stage,
                f"{secs:.1f}",
                f"{messages / secs:,.0f}" if secs > 0 else "n/a",
                f"{secs:.1f} of {total:.1f} s ({100 * secs / total:.0f} %)" if total else "n/a",
            )
        table.notes.append(
            f"{data.label}: process wall {m.wall_seconds:.0f} s (broker, Spark and GX start-up "
            f"included), peak memory of the process tree {m.peak_rss_mib:,.0f} MiB"
        )
    if failures:
        raise PartialFailure([table], failures)
    return [table]
