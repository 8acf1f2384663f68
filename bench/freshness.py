"""Freshness: how long after a country publishes is its news queryable in the warehouse?

A world of N persons is published, ingested, validated, resolved and loaded (DuckDB and a fresh
PostgreSQL database) first. Then one country publishes 100 person records (half new reports of
existing persons, half corrections) and one travel_document record reporting stolen a document
an existing person carries. Each stage is timed from the first publish until the new record's
entity and the document alert can be read from the warehouse (bench.freshness_worker checks
both). The yardstick, in the same run, is the full rebuild of the same data (`interlink run
--full`: resolution retrains and links everything, the loads move every row); publish, ingest
and validate are the same work in both, so only resolve and load have two measurements.
Small = 2,000 persons; full = 20,000 and 100,000, and from those two a projection to 1,000,000:
per stage, the straight line through the two measured sizes, extended. A stage whose cost follows
the delta is flat in the world size and projects flat; one that grows with the world projects as
if it grew linearly, which is the pessimistic reading for the sorts and joins a run does.
"""

from __future__ import annotations

import logging
import os
import shutil

from bench.config import current
from bench.data import dataset
from bench.er_common import PartialFailure
from bench.measure import ContenderFailed, run_measured
from bench.report import Table, ratio

log = logging.getLogger("bench.freshness")

SMALL = [2_000]
FULL = [20_000, 100_000]
PROJECTED = 1_000_000
CHANGES = 100
STAGES = ("publish", "ingest", "validate", "resolve")
LOADS = ("load DuckDB", "load PostgreSQL")


def _pg() -> tuple[str, object]:
    from bench.bench_warehouse import _create_db, _drop_db

    url = _create_db()
    return url, lambda: _drop_db(url)


def run(small: bool) -> list[Table]:
    opts = current()
    sizes = SMALL if small else FULL
    if opts.persons_override:
        sizes = [opts.persons_override]
    elif opts.max_persons and not small:
        sizes = [s for s in sizes if s <= opts.max_persons]
    table = Table(
        title=f"Freshness: {CHANGES} person records and a stolen document, publish to warehouse",
        description=(
            "Seconds per stage for one country's publication on a world already resolved and "
            "loaded (embedded broker, local lake, local[2] Spark), incremental run against the "
            "full rebuild of the same data; the last rows add the stages up to the moment the "
            "new entity and the document alert are queryable in each warehouse."
        ),
        columns=["data", "stage", "incremental s", "full rebuild s", "incremental / full"],
    )
    failures: list[str] = []
    measured: dict[int, dict[str, float]] = {}
    for persons in sizes:
        data = dataset(opts.workdir, persons=persons, cross_script=True, seed=opts.seed)
        home = opts.workdir / "freshness" / data.input_path.parent.name
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        pg_url, drop = _pg()
        try:
            m = run_measured(
                "freshness",
                [
                    "bench.freshness_worker",
                    "--feeds",
                    str(data.input_path.parent),
                    "--home",
                    str(home),
                    "--result",
                    str(home / "result.json"),
                    "--changes",
                    str(CHANGES),
                    "--pg-url",
                    pg_url,
                ],
                result_file=home / "result.json",
                log_file=home / "log.txt",
                timeout=6 * 3600,
            )
        except (ContenderFailed, TimeoutError) as exc:
            failures.append(f"{data.label}: {exc}")
            table.notes.append(f"freshness failed on {data.label}: {str(exc)[-300:]}")
            continue
        finally:
            drop()  # type: ignore[operator]
        _rows(table, data.label, m.result)
        measured[persons] = _queryable(m.result)
        seen = m.result["summaries"]["queryable"]
        setup = m.result["setup"]
        links = (m.result["summaries"]["resolve"].get("gold") or {}).get("links", {})
        table.notes.append(
            f"{data.label}: queryable after the incremental run: "
            + ", ".join(f"{w} entity {v['entity']}, alert {v['alert']}" for w, v in seen.items())
            + f"; link tables merged: {', '.join(links.get('merged', [])) or 'none'}; "
            f"building the world first took {sum(setup.values()):.0f} s; load average at the "
            f"end {os.getloadavg()[0]:.1f}"
        )
        table.notes.extend(_resolve_phases(data.label, m.result["summaries"]))
        phases = m.result["summaries"].get("load_phases") or {}
        if phases:
            table.notes.append(
                f"{data.label}: incremental load phases (stage / diff / write s): "
                + "; ".join(
                    f"{w} " + " / ".join(f"{p.get(k, 0):.1f}" for k in ("stage", "diff", "write"))
                    for w, p in phases.items()
                )
            )
        if not all(v["entity"] and v["alert"] for v in seen.values()):
            failures.append(f"{data.label}: the delta was not queryable: {seen}")
    _projection(table, measured)
    if failures:
        raise PartialFailure([table], failures)
    return [table]


TOP_PHASES = 8
"""How many of the resolve's phases a note names (the largest, incremental run)."""


def _resolve_phases(label: str, summaries: dict) -> list[str]:  # type: ignore[type-arg]
    """A note naming the incremental resolve's largest phases with the full rebuild's seconds
    for the same phase (`-` where the full run has no such phase, e.g. a merge)."""
    inc = summaries.get("resolve_phases") or {}
    full = summaries.get("full_resolve_phases") or {}
    if not inc:
        return []
    top = sorted(inc.items(), key=lambda kv: -kv[1])[:TOP_PHASES]
    cells = "; ".join(
        f"{p} {s:.1f}" + (f" (full {full[p]:.1f})" if p in full else "") for p, s in top
    )
    return [f"{label}: the incremental resolve's largest phases, s: {cells}"]


def _queryable(result: dict) -> dict[str, float]:  # type: ignore[type-arg]
    """Incremental seconds per stage, and publish → queryable per warehouse."""
    inc = result["delta"]
    shared = sum(inc[s] for s in ("publish", "ingest", "validate"))
    out = {stage: float(inc[stage]) for stage in (*STAGES, *LOADS)}
    for stage in LOADS:
        out[f"publish → queryable in {stage.removeprefix('load ')}"] = (
            shared + inc["resolve"] + inc[stage]
        )
    return out


def _projection(table: Table, measured: dict[int, dict[str, float]]) -> None:
    """Rows for PROJECTED persons from the two largest measured worlds (see the module doc)."""
    if len(measured) < 2:
        return
    (n1, a), (n2, b) = sorted(measured.items())[-2:]
    label = f"{PROJECTED // 1_000_000}M persons, projected"
    for stage, t2 in b.items():
        slope = max(0.0, (t2 - a[stage]) / (n2 - n1))
        table.add(label, stage, f"{t2 + slope * (PROJECTED - n2):.1f}", "", "")
    table.notes.append(
        f"{label}: not measured; each stage extends the straight line through its incremental "
        f"seconds at {n1:,} and {n2:,} persons (a stage that fell between them projects flat)"
    )


def _rows(table: Table, label: str, result: dict) -> None:  # type: ignore[type-arg]
    inc, full = result["delta"], result["full"]
    for stage in STAGES:
        table.add(
            label,
            stage,
            f"{inc[stage]:.1f}",
            "same" if stage != "resolve" else f"{full[stage]:.1f}",
            ratio(inc[stage], full.get(stage)) if stage == "resolve" else "",
        )
    for stage in LOADS:
        table.add(
            label, stage, f"{inc[stage]:.1f}", f"{full[stage]:.1f}", ratio(inc[stage], full[stage])
        )
    shared = sum(inc[s] for s in ("publish", "ingest", "validate"))
    for stage in LOADS:
        a = shared + inc["resolve"] + inc[stage]
        b = shared + full["resolve"] + full[stage]
        where = stage.removeprefix("load ")
        table.add(label, f"publish → queryable in {where}", f"{a:.1f}", f"{b:.1f}", ratio(a, b))
