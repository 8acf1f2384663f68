"""Loads fail fast (issue 16): the COPY pipe never waits for a writer that is gone, every wait on
PostgreSQL is bounded, and a connection killed mid-COPY ends the load with LoadFailed, the
previous state intact, again and again, and a rerun completes.

The pipe tests drive `stream_fifo` (the one function that owns the FIFO) with writers and
forwarders that fail at the moments that used to hang: deterministic, unlike a kill's timing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from warehouse_pg_world import ADMIN, admin_q, big_records, world_db

from infra.lake import Lake
from infra.warehouse import LoadFailed, WarehouseBusy, load
from infra.warehouse.backends.base import WRITER_LOCK
from infra.warehouse.backends.pgcopy import stream_fifo

# A run that has not ended after this long is hung (the old code never ended at all).
HUNG = 30.0


def _ends(fn: Callable[[], Any]) -> tuple[bool, list[BaseException], float]:
    """Run fn in a thread: (ended within HUNG, what it raised, seconds it took)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    t0 = time.monotonic()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(HUNG)
    return not t.is_alive(), raised, time.monotonic() - t0


def _write_all_then_linger(data: bytes) -> Callable[[str], None]:
    """A writer that writes everything, closes its end, then stays alive: the moment when the
    old clean-up's blocking open() found no writer and waited forever."""

    def render(path: str) -> None:
        with open(path, "wb") as f:
            f.write(data)
        time.sleep(2)

    return render


class Refused(Exception):
    pass


def _refuse(_chunk: bytes) -> None:
    raise Refused("the warehouse went away")


@pytest.mark.parametrize("run", range(6))
def test_forwarder_failing_after_the_writer_finished_ends_at_once(run: int) -> None:
    render = _write_all_then_linger(b"x" * 4096)
    ended, raised, _ = _ends(lambda: stream_fifo(f"t{run}", render, _refuse))
    assert ended, "stream_fifo hung after the forwarder failed"
    assert [type(e) for e in raised] == [Refused]


def test_writer_failing_before_opening_the_pipe_ends_with_its_error() -> None:
    def render(_path: str) -> None:
        raise ValueError("DuckDB could not render the rows")

    got: list[bytes] = []
    ended, raised, _ = _ends(lambda: stream_fifo("never", render, got.append))
    assert ended
    assert [str(e) for e in raised] == ["DuckDB could not render the rows"] and got == []


def test_writer_blocked_on_a_full_pipe_is_released_when_the_forwarder_fails() -> None:
    # 8 MiB: far more than a pipe holds, so the writer is mid-write when forwarding stops.
    ended, raised, _ = _ends(
        lambda: stream_fifo("full", _write_all_then_linger(b"y" * (8 << 20)), _refuse)
    )
    assert ended and [type(e) for e in raised] == [Refused]


def test_every_byte_written_is_forwarded_in_order() -> None:
    data = os.urandom(3 << 20)
    got: list[bytes] = []
    ended, raised, _ = _ends(lambda: stream_fifo("ok", _write_all_then_linger(data), got.append))
    assert ended and raised == []
    assert b"".join(got) == data


def test_a_writer_that_stalls_is_abandoned_with_load_failed() -> None:
    def render(path: str) -> None:
        with open(path, "wb"):
            time.sleep(5)  # opened, never writes

    ended, raised, _ = _ends(
        lambda: stream_fifo("stall", render, lambda _c: None, stall_seconds=1, grace_seconds=1)
    )
    assert ended and [type(e) for e in raised] == [LoadFailed]
    assert "wrote nothing for 1 s" in str(raised[0]) and "rerun the load" in str(raised[0])


@pytest.mark.postgres
def test_a_load_waiting_for_the_writer_lock_gives_up_with_warehouse_busy(tmp_path: Path) -> None:
    with world_db(tmp_path) as (url, lake, _roles):
        lake.write_parquet("silver/person/part-00001-more.snappy.parquet", big_records(3))
        with psycopg.connect(url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
            # The URL's own options win over the defaults (lock_timeout 2min).
            short = url + "?options=-c%20lock_timeout%3D1s"
            ended, raised, _ = _ends(lambda: load(short, lake))
        assert ended, "the load waited for the writer lock without a bound"
        assert [type(e) for e in raised] == [WarehouseBusy]
        assert "writer lock" in str(raised[0]) and "nothing was changed" in str(raised[0])
        assert load(url, lake).tables["records"].inserted == 3


def _state(url: str) -> tuple[Any, ...]:
    return (
        admin_q(
            url,
            "SELECT count(*), md5(string_agg(row_hash, '' ORDER BY row_key)) "
            "FROM interlink.records",
        )[0],
        admin_q(url, "SELECT max(load_id) FROM interlink.load_log")[0][0],
    )


def _kill_copy_once(url: str, lake: Lake) -> tuple[bool, list[BaseException], float]:
    """Run a load, terminate its backend while it COPYs into records; (ended, raised, seconds
    from the kill to the load's end)."""
    dbname = url.rsplit("/", 1)[1]
    raised: list[BaseException] = []

    def run() -> None:
        try:
            load(url, lake)
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    killed_at = None
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        deadline = time.monotonic() + 120
        while worker.is_alive() and time.monotonic() < deadline and killed_at is None:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND query LIKE 'COPY interlink.records %%'",
                (dbname,),
            ).fetchall()
            if rows:
                admin.execute("SELECT pg_terminate_backend(%s)", (rows[0][0],))
                killed_at = time.monotonic()
            time.sleep(0.005)
    assert killed_at is not None, "the COPY was never seen running"
    worker.join(HUNG)
    return not worker.is_alive(), raised, time.monotonic() - killed_at


@pytest.mark.postgres
def test_five_kills_mid_copy_each_end_the_load_with_load_failed_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    with world_db(tmp_path) as (url, lake, _roles):
        before = _state(url)
        lake.write_parquet("silver/person/part-00001-big.snappy.parquet", big_records(60_000))
        took = []
        for kill in range(5):
            ended, raised, seconds = _kill_copy_once(url, lake)
            assert ended, f"kill {kill}: the load did not end"
            # The typed error that says the warehouse is intact and to rerun, not psycopg's.
            assert [type(e) for e in raised] == [LoadFailed], (kill, raised)
            assert "warehouse unchanged" in str(raised[0])
            assert str(raised[0]).endswith("rerun the load")
            assert _state(url) == before, f"kill {kill}: part of the load is visible"
            took.append(seconds)
        print(f"seconds from kill to LoadFailed: {[round(s, 2) for s in took]}")
        report = load(url, lake)
        assert report.tables["records"].rows == 60_009
        assert report.tables["records"].inserted == 60_000
        assert load(url, lake).moved == 0


@pytest.mark.postgres
def test_every_warehouse_connection_has_bounded_waits_the_url_may_change() -> None:
    from infra.warehouse.backends.postgres import PostgresBackend

    def settings(url: str) -> tuple[Any, ...]:
        backend = PostgresBackend.connect(url)
        try:
            server = tuple(
                backend.read(f"SHOW {name}")[0][0]
                for name in (
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                )
            )
            client = backend.con.info.get_parameters()
            return server, {k: client.get(k) for k in ("connect_timeout", "keepalives_idle")}
        finally:
            backend.close()

    assert settings(ADMIN) == (
        ("30min", "2min", "10min"),
        {"connect_timeout": "10", "keepalives_idle": "30"},
    )
    own = ADMIN + "?connect_timeout=3&options=-c%20lock_timeout%3D5s"
    assert settings(own) == (
        ("30min", "5s", "10min"),
        {"connect_timeout": "3", "keepalives_idle": "30"},
    )
