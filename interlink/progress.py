"""Progress lines while a run works: one when each stage starts, one when it ends with its
seconds and counts, and the phases of resolution in between.

`interlink run` and `interlink demo` run the pipeline DAG in-process with `dag.test()`, whose
output goes to the task log file; before this, a run printed nothing for minutes. The runner
registers an Airflow listener for one run (`interlink.task_listener`) that writes to the terminal
the run was started from. The lines go to stderr, so `interlink run --json` keeps stdout for its
JSON.

This module imports no Airflow: pipeline steps import it, and importing Airflow binds its
configuration (home, metadata database) for the whole process — before a runner has set it.

Inside a task, a step reports its own phases through `phase_progress(stage)`: to the terminal
when a runner is reporting, else to the task's log (under `airflow standalone`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from transforms.persons import Progress

log = logging.getLogger("interlink.progress")

COUNTED = (
    "accepted",
    "rejected",
    "validated",
    "quarantined",
    "records",
    "entities",
    "cross_country_entities",
    "pairs",
    "networks",
    "tables",
)
"""The counts a stage's end line shows, from its summary (resolution's are under `gold`)."""


def stage_counts(summary: Any) -> str:
    """`accepted 207, rejected 2`: the counts an operator checks a stage against."""
    if isinstance(summary, str):
        return summary  # the report step returns where the report is
    if not isinstance(summary, dict):
        return ""
    flat = {**summary, **(summary.get("gold") or {})}
    parts = []
    for key in COUNTED:
        value = flat.get(key)
        name = key.replace("_", " ")
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            parts.append(f"{name} {value}")
        elif isinstance(value, list):
            parts.append(f"{name} {len(value)}")
        elif isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
            parts.append(f"{name} {len(value)} ({sum(value.values())} rows)")
    return ", ".join(parts)


def first_line(error: object) -> str:
    """`ExceptionType: first line of its message`: what a failed task's line names."""
    if isinstance(error, BaseException):
        text = str(error).strip()
        head = text.splitlines()[0] if text else ""
        return f"{type(error).__name__}: {head}" if head else type(error).__name__
    text = str(error or "").strip()
    return text.splitlines()[0] if text else "no error message"


class ProgressPrinter:
    """Timestamped lines (seconds since the run began) on one stream, whole lines only."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.t0 = time.perf_counter()
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            elapsed = time.perf_counter() - self.t0
            self.stream.write(f"[{elapsed:6.1f}s] {text}\n")
            self.stream.flush()


_ACTIVE: ProgressPrinter | None = None
"""The printer of the run in progress in this process, if a runner is reporting."""


def phase_end_line(stage: str, phase: str, seconds: float) -> str:
    """`resolve › block 2.1 s`: the line that ends a phase (`parse_phase_end` reads it back)."""
    return f"{stage} › {phase} {seconds:.1f} s"


def parse_phase_end(text: str) -> tuple[str, str, float] | None:
    """(stage, phase, seconds) of a `phase_end_line`, or None for any other line (a phase's
    start). For callers that hear a step's phases through the log, e.g. a benchmark."""
    head, sep, rest = text.partition(" › ")
    phase, _, secs = rest.removesuffix(" s").rpartition(" ")
    if not sep or not rest.endswith(" s") or not phase:
        return None
    try:
        return head, phase, float(secs)
    except ValueError:
        return None


def phase_progress(stage: str) -> Progress:
    """A phase callback for a step: `resolve › block done in 2.1 s` on the runner's terminal,
    or the same words in the log when no runner reports (a scheduler's task log)."""
    printer = _ACTIVE

    def report(phase: str, seconds: float | None) -> None:
        text = f"{stage} › {phase} …" if seconds is None else phase_end_line(stage, phase, seconds)
        if printer is not None:
            printer.line(text)
        else:
            log.info(text)

    return report
