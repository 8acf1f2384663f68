"""The Airflow listener behind a runner's progress lines (`interlink.progress` formats them).

Kept apart from `interlink.progress` because it imports Airflow, which pipeline steps must not:
only the runner imports this module, after it has pointed Airflow at its home.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from airflow.listeners import hookimpl

from interlink import progress
from interlink.progress import ProgressPrinter, first_line, stage_counts


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


@contextlib.contextmanager
def listening(printer: ProgressPrinter) -> Iterator[TaskProgress]:
    """Register a TaskProgress for the duration (and make `printer` the one steps report to)."""
    from airflow.sdk.listener import get_listener_manager

    listener = TaskProgress(printer)
    manager = get_listener_manager()
    manager.add_listener(listener)
    previous, progress._ACTIVE = progress._ACTIVE, printer
    try:
        yield listener
    finally:
        progress._ACTIVE = previous
        manager.pm.unregister(listener)
