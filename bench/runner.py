"""Find the benchmark modules, run them, and write their tables into BENCHMARKS.md.

A benchmark is a module of this package exposing `run(small: bool) -> Table | list[Table]`:
the suite's own (`er_quality`, `er_time`, `end_to_end`, `freshness`) plus every
`bench/bench_*.py`, so a new benchmark is one new file. A module that raises does not stop the
others: its section says it failed and why, and the run exits non-zero so CI notices.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
import traceback
from pathlib import Path

import bench
from bench.config import REPO
from bench.report import Table, render_section, where_measured, write_report

log = logging.getLogger("bench")

OWN = ["er_quality", "er_time", "end_to_end", "freshness"]


class UnknownBenchmark(ValueError):
    """--only named a benchmark that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"no benchmark named {name!r}; known: {', '.join(known)}")


def discover() -> list[str]:
    """Module names in run order: ingest first (pipeline order), the suite's own, then others."""
    found = {m.name for m in pkgutil.iter_modules(bench.__path__)}
    plugins = sorted(n for n in found if n.startswith("bench_"))
    order = ["bench_ingest", *OWN, "bench_warehouse"]
    names = [n for n in order if n in found]
    return names + [n for n in plugins if n not in names]


def select(names: list[str], only: list[str] | None) -> list[str]:
    if not only:
        return names
    chosen = []
    for want in only:
        match = [n for n in names if n in (want, f"bench_{want}")]
        if not match:
            raise UnknownBenchmark(want, names)
        chosen += match
    return chosen


def run_all(
    *, small: bool, only: list[str] | None, output: Path, command: str
) -> dict[str, str | None]:
    """Run the chosen benchmarks; returns name -> None (ok) or the error text."""
    names = discover()
    chosen = select(names, only)
    outcome: dict[str, str | None] = {}
    sections: dict[str, str] = {}
    mode = "small" if small else "full"
    where = where_measured(REPO)  # one machine and commit for the whole run
    for name in chosen:
        log.info("benchmark %s (%s)…", name, mode)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            produced = module.run(small)
            tables = produced if isinstance(produced, list) else [produced]
            if not all(isinstance(t, Table) for t in tables):
                raise TypeError(f"bench.{name}.run returned {type(produced).__name__}, not Table")
            outcome[name] = None
        except Exception as exc:
            partial = getattr(exc, "tables", None)
            text = "".join(traceback.format_exception_only(exc)).strip()
            log.error("benchmark %s failed:\n%s", name, traceback.format_exc())
            failed = Table(title=f"{name}: failed", columns=["error"])
            failed.add(text[-1500:])
            # A partial failure still carries every table it measured: keep them.
            tables = [*(partial or []), failed]
            outcome[name] = text
        seconds = time.perf_counter() - t0
        sections[name] = render_section(name, tables, seconds=seconds, mode=mode, where=where)
        # Written after every module so a long run that dies late keeps what it measured.
        write_report(output, REPO, sections, order=names, command=command)
        log.info("benchmark %s done in %.0fs", name, seconds)
    return outcome
