"""Rows from the DuckDB staging engine into PostgreSQL by `COPY … FROM STDIN`, never row by row."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from infra.warehouse.catalog import Table
from infra.warehouse.ddl import q

_COPY_CHUNK = 1 << 20


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


def copy_query(con: Any, duck: Any, name: str, select: str, target: str, columns: str) -> None:
    """Stream a DuckDB query into `COPY target (columns) FROM STDIN` as CSV.

    DuckDB writes the CSV into a named pipe from a helper thread while this thread forwards it
    to PostgreSQL, so rendering and PostgreSQL's ingest overlap and no file lands on disk.
    """
    with tempfile.TemporaryDirectory(prefix="interlink-load-") as tmp:
        path = str(Path(tmp) / f"{name}.csv")
        os.mkfifo(path)
        failure: list[BaseException] = []

        def render() -> None:
            try:
                duck.execute(
                    f"COPY ({select}) TO '{path}' (FORMAT csv, HEADER false, NULLSTR '\\N', "
                    "FORCE_QUOTE *)"
                )
            except BaseException as exc:  # handed to the forwarding thread below
                failure.append(exc)
                # Unblock a reader still waiting for the pipe to open.
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

        writer = threading.Thread(target=render, name=f"csv-{name}", daemon=True)
        writer.start()
        try:
            with (
                con.cursor() as cur,
                cur.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')") as cp,
                open(path, "rb") as f,
            ):
                while chunk := f.read(_COPY_CHUNK):
                    cp.write(chunk)
                writer.join()
                if failure:
                    raise failure[0]
        finally:
            # If PostgreSQL failed first, drain the pipe so DuckDB finishes and frees the thread.
            if writer.is_alive():
                with contextlib.suppress(OSError), open(path, "rb") as f:
                    while f.read(_COPY_CHUNK):
                        pass
                writer.join(timeout=60)
