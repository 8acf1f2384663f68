"""Progress lines while a run works: one when each stage starts, one when it ends with its
seconds and counts, and the phases of resolution in between.

`interlink run` and `interlink demo` run the pipeline DAG in-process with `dag.test()`, whose
output goes to the task log file; before this, a run printed nothing for minutes. `TaskProgress`
is an Airflow listener (Airflow calls it as each task instance starts, succeeds or fails) that the
runner registers for one run and that writes to the terminal the run was started from. The lines
go to stderr, so `interlink run --json` keeps stdout for its JSON.

Inside a task, a step reports its own phases through `phase_progress(stage)`: to the terminal
when a runner is reporting, else to the task's log (under `airflow standalone`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from airflow.listeners import hookimpl

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


class TaskProgress:
    """Airflow listener: a line per task start, success, retry or failure.

    It also keeps each task's last error line, so a failed run can name the task that failed
    and why, rather than the downstream tasks Airflow marks `upstream_failed`.
    """

    def __init__(self, printer: ProgressPrinter) -> None:
        self.printer = printer
        self.started: dict[str, float] = {}
        self.errors: dict[str, str] = {}

    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        task_id = task_instance.task_id
        self.started[task_id] = time.perf_counter()
        attempt = getattr(task_instance, "try_number", 1) or 1
        again = f" (attempt {attempt})" if attempt > 1 else ""
        self.printer.line(f"{task_id} started{again}")

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        task_id = task_instance.task_id
        summary = None
        with contextlib.suppress(Exception):  # a line without counts beats a broken run
            summary = task_instance.xcom_pull(task_ids=task_id, key="return_value")
        counts = stage_counts(summary)
        self.printer.line(
            f"{task_id} done in {self._seconds(task_id):.1f} s" + (f": {counts}" if counts else "")
        )

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        task_id = task_instance.task_id
        self.errors[task_id] = first_line(error)
        self.printer.line(
            f"{task_id} FAILED after {self._seconds(task_id):.1f} s: {self.errors[task_id]}"
        )

    def _seconds(self, task_id: str) -> float:
        return time.perf_counter() - self.started.get(task_id, time.perf_counter())


_ACTIVE: ProgressPrinter | None = None
"""The printer of the run in progress in this process, if a runner is reporting."""


@contextlib.contextmanager
def listening(printer: ProgressPrinter) -> Iterator[TaskProgress]:
    """Register a TaskProgress for the duration (and make `printer` the one steps report to)."""
    global _ACTIVE
    from airflow.sdk.listener import get_listener_manager

    listener = TaskProgress(printer)
    manager = get_listener_manager()
    manager.add_listener(listener)
    previous, _ACTIVE = _ACTIVE, printer
    try:
        yield listener
    finally:
        _ACTIVE = previous
        manager.pm.unregister(listener)


def phase_progress(stage: str) -> Progress:
    """A phase callback for a step: `resolve › block done in 2.1 s` on the runner's terminal,
    or the same words in the log when no runner reports (a scheduler's task log)."""
    printer = _ACTIVE

    def report(phase: str, seconds: float | None) -> None:
        text = f"{stage} › {phase} …" if seconds is None else f"{stage} › {phase} {seconds:.1f} s"
        if printer is not None:
            printer.line(text)
        else:
            log.info(text)

    return report
