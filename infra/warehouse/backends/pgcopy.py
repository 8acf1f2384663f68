"""Rows from the DuckDB staging engine into PostgreSQL by `COPY … FROM STDIN`, never row by row.

DuckDB renders the CSV into a named pipe from a helper thread while this thread forwards it to
PostgreSQL, so rendering and PostgreSQL's ingest overlap and no file lands on disk. A pipe is
easy to hang on: `open()` of a FIFO blocks until the other end opens it, and a writer that
already finished (or never started) never will. So the read end is opened once, non-blocking,
before the writer starts (the writer's own open then never waits either), every wait is a
`poll` with a timeout, and a failure on either side ends the transfer within seconds
(`stream_fifo`). Issue 16 found the old clean-up `open(path, "rb")` blocking forever when
PostgreSQL died after DuckDB had written its last byte.
"""

from __future__ import annotations

import contextlib
import os
import select
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.warehouse.catalog import Table
from infra.warehouse.ddl import q
from infra.warehouse.errors import LoadFailed

_COPY_CHUNK = 1 << 20
_POLL_MS = 200
# How long the writer may go without producing a byte (DuckDB stalls on nothing it waits for).
WRITER_STALL_SECONDS = 300.0
# After a failure, how long the writer gets to notice (its next write fails on the closed pipe).
WRITER_GRACE_SECONDS = 10.0


def copy_select(t: Table, load_id: int) -> str:
    """SELECT over chg_<t> rendering every value as PostgreSQL's CSV COPY expects it."""
    parts = []
    for c in t.columns:
        col = q(c.name)
        if c.name == "load_id":
            parts.append(f"{int(load_id)} AS load_id")
        elif c.type == "text[]":
            parts.append(
                f"CASE WHEN {col} IS NULL THEN NULL ELSE '{{' || array_to_string(list_transform("
                f"{col}, lambda e: CASE WHEN e IS NULL THEN 'NULL' ELSE '\"' || replace(replace("
                f"e, '\\', '\\\\'), '\"', '\\\"') || '\"' END), ',') || '}}' END AS {col}"
            )
        elif c.type == "json":
            parts.append(f"CAST({col} AS VARCHAR) AS {col}")
        else:
            parts.append(col)
    return f"SELECT {', '.join(parts)} FROM chg_{t.name}"


def stream_fifo(
    name: str,
    render: Callable[[str], None],
    forward: Callable[[bytes], None],
    *,
    stall_seconds: float = WRITER_STALL_SECONDS,
    grace_seconds: float = WRITER_GRACE_SECONDS,
    on_abort: Callable[[], None] | None = None,
) -> None:
    """Run `render(path)` in a helper thread writing a FIFO, and `forward` every chunk it writes.

    Never blocks without a bound: returns when the writer closed its end and ended, raises what
    `forward` or `render` raised (forward's first), or LoadFailed when the writer produced
    nothing for `stall_seconds`. On failure `on_abort` (DuckDB's interrupt) stops a writer still
    computing, the pipe is drained (dropping the bytes) so one blocked on a full pipe can finish
    its write, and the writer gets `grace_seconds` to end before the read end closes (a daemon
    thread: a writer that never ends cannot keep the process alive)."""
    with tempfile.TemporaryDirectory(prefix="interlink-load-") as tmp:
        path = str(Path(tmp) / f"{name}.csv")
        os.mkfifo(path, 0o600)
        # Opened before the writer starts: O_NONBLOCK makes this open return at once, and the
        # writer's blocking open finds a reader and returns at once too.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                render(path)
            except BaseException as exc:  # handed to the forwarding thread below
                failure.append(exc)

        writer = threading.Thread(target=run, name=f"csv-{name}", daemon=True)
        ok = False
        try:
            writer.start()
            _pump(fd, writer, forward, stall_seconds)
            writer.join(grace_seconds)
            if failure:
                raise failure[0]
            if writer.is_alive():
                raise LoadFailed(
                    f"the staging engine did not finish {name} after writing it; load "
                    "abandoned, warehouse unchanged: rerun the load"
                )
            ok = True
        finally:
            if not ok and writer.is_alive():
                if on_abort is not None:
                    with contextlib.suppress(Exception):
                        on_abort()
                # Keep reading (and dropping) so a writer blocked on a full pipe can end.
                _discard(fd, writer, grace_seconds)
            os.close(fd)


def _discard(fd: int, writer: threading.Thread, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while writer.is_alive() and time.monotonic() < deadline:
        if select.select([fd], [], [], _POLL_MS / 1000)[0] and not _read_now(fd):
            time.sleep(_POLL_MS / 1000)


def _pump(
    fd: int, writer: threading.Thread, forward: Callable[[bytes], None], stall_seconds: float
) -> None:
    """Forward the FIFO's bytes until the writer closed its end (or ended without opening it)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    connected = False
    last = time.monotonic()
    while True:
        events = poller.poll(_POLL_MS)
        if events:
            try:
                chunk = os.read(fd, _COPY_CHUNK)
            except BlockingIOError:
                chunk = None
            if chunk:
                connected = True
                last = time.monotonic()
                forward(chunk)
                continue
            if chunk == b"" and (connected or not writer.is_alive()):
                return  # the writer closed its end: everything it wrote has been read
            if chunk == b"":
                # Linux reports POLLHUP before any writer connected on some kernels: wait.
                time.sleep(_POLL_MS / 1000)
        if not writer.is_alive():
            # Ended without (or after) writing: drain what is left, then stop.
            while chunk := _read_now(fd):
                forward(chunk)
            return
        if time.monotonic() - last > stall_seconds:
            raise LoadFailed(
                f"the staging engine wrote nothing for {stall_seconds:.0f} s; load abandoned, "
                "warehouse unchanged: rerun the load"
            )


def _read_now(fd: int) -> bytes:
    try:
        return os.read(fd, _COPY_CHUNK)
    except BlockingIOError:
        return b""


def copy_query(con: Any, duck: Any, name: str, select_sql: str, target: str, columns: str) -> None:
    """Stream a DuckDB query into `COPY target (columns) FROM STDIN` as CSV (see the module
    docstring for why this can never hang)."""

    def render(path: str) -> None:
        duck.execute(
            f"COPY ({select_sql}) TO '{path}' (FORMAT csv, HEADER false, NULLSTR '\\N', "
            "FORCE_QUOTE *)"
        )

    with (
        con.cursor() as cur,
        cur.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')") as cp,
    ):
        stream_fifo(name, render, cp.write, on_abort=getattr(duck, "interrupt", None))
