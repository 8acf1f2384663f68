"""Under a real `airflow standalone` (scheduler, DAG processor, triggerer, API server), a message
published on a feed topic runs ingest → validate → resolve → load → report without anyone
triggering anything, and an ingest run that finds nothing wakes nothing downstream.

The broker is Apache Kafka of this test's own (the watcher rejoins its group after every event it
fires; on Tansu each join waits about half the session timeout). The warehouse is PostgreSQL, so
the daily retention DAG, which also starts unpaused, never fights the load for a DuckDB lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.apache_kafka,
    pytest.mark.spark,
    pytest.mark.airflow,
    pytest.mark.postgres,
    pytest.mark.slow,
]

CHAIN = [
    "feeds_ingest",
    "contracts_validate",
    "entities_resolve",
    "warehouse_load",
    "quality_report",
]
TASKS = {
    "feeds_ingest": "ingest_until_idle",
    "contracts_validate": "validate_new_batches",
    "entities_resolve": "resolve_incremental",
    "warehouse_load": "load_gold",
    "quality_report": "write_report",
}
STARTUP_TIMEOUT = 300.0
"""Standalone migrates its database, starts four processes and parses the DAG folder: minutes on
a loaded two-core machine."""
CHAIN_TIMEOUT = 1200.0
"""Two Spark stages, each in a fresh task process with its own JVM, on a shared machine."""
QUIET_SECONDS = 45.0
"""How long nothing may happen downstream of an idle ingest: several scheduler loops."""


class Standalone:
    """`make airflow` (`interlink.airflow_standalone.start`), stopped with everything it started."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.log = home / "run" / "airflow-standalone.log"
        self.settings: Any = None

    def __enter__(self) -> Standalone:
        from interlink.airflow_standalone import start
        from interlink.settings import Settings

        self.settings = Settings()
        start(self.settings, wait_seconds=STARTUP_TIMEOUT)
        return self

    def __exit__(self, *exc: object) -> None:
        from interlink.airflow_standalone import stop

        stop(self.settings)

    def alive(self) -> bool:
        from interlink.airflow_standalone import running

        return running(self.settings) is not None

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        db = self.home / "airflow" / "airflow.db"
        if not db.exists():
            return []
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
                return con.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # tables not created yet, or a writer holds the lock
            return []

    def wait_for(self, what: str, check: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive(), "airflow standalone exited:\n" + self.tail()
            value = check()
            if value:
                return value
            time.sleep(3)
        raise AssertionError(f"timed out waiting for {what}; standalone log:\n{self.tail()}")

    def runs(self, dag_id: str) -> list[tuple[str, str, str]]:
        """(run_id, run_type, state) of every run of dag_id, oldest first."""
        return [
            (r[0], r[1], r[2])
            for r in self.query(
                "SELECT run_id, run_type, state FROM dag_run WHERE dag_id = ? ORDER BY id", dag_id
            )
        ]

    def task_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.query(
            "SELECT state FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
            dag_id,
            run_id,
            TASKS[dag_id],
        )
        return rows[0][0] if rows else None

    def unfinished(self) -> list[tuple[Any, ...]]:
        return self.query(
            "SELECT dag_id, run_id, state FROM dag_run WHERE state IN ('queued', 'running')"
        )


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[str]:
    from infra.kafka import ApacheKafkaBroker

    broker = ApacheKafkaBroker(state_dir=tmp_path / "kafka")
    broker.start()
    yield str(broker.bootstrap)
    broker.stop()


def _environment(home: Path, broker: str, pg_url: str) -> dict[str, str]:
    from infra.process import free_port

    return {
        "INTERLINK_HOME": str(home),
        "INTERLINK_LAKE__ROOT": str(home / "lake"),
        "INTERLINK_WAREHOUSE__URL": pg_url,
        "INTERLINK_BROKER__BOOTSTRAP_SERVERS": broker,
        "INTERLINK_BROKER__KIND": "apache-kafka",
        "INTERLINK_AIRFLOW__HOME": str(home / "airflow"),
        "INTERLINK_AIRFLOW__PORT": str(free_port()),
        "INTERLINK_KEYS__PRIVATE_DIR": str(home / "keys"),
        "INTERLINK_INGEST__UNTIL_IDLE_SECONDS": "3",
        "INTERLINK_INGEST__GROUP_ID": f"standalone-{home.name}",
        "INTERLINK_SPARK__MASTER": "local[2]",
        # Yearly: only its one run at deployment (catchup off runs the latest at once) may
        # happen during the test, so every later ingest run is the watcher's doing.
        "INTERLINK_AIRFLOW__INGEST_SAFETY_NET_CRON": "0 0 1 1 *",
        # Find the DAG files at once and look for asset events often: the defaults are
        # tuned for large deployments, not for a test that waits on them.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }


def _ingest_summary(airflow: Standalone, run_id: str) -> dict[str, Any]:
    rows = airflow.query(
        "SELECT key, value FROM xcom WHERE dag_id = 'feeds_ingest' AND run_id = ?", run_id
    )
    out: dict[str, Any] = {}
    for key, value in rows:
        text = value.decode() if isinstance(value, bytes) else value
        out[key] = json.loads(text) if isinstance(text, str) else text
    return out


@pytest.mark.timeout(2700)
def test_a_published_message_runs_the_chain_and_an_idle_ingest_wakes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka: str, pg_url: str
) -> None:
    from interlink.airflow_standalone import standalone_env
    from interlink.demo import publish_world
    from interlink.settings import Settings
    from streams.simulate import write_feeds

    for key in [k for k in os.environ if k.startswith("AIRFLOW")]:
        monkeypatch.delenv(key)  # another test's Airflow home must not leak into this one's
    for key, value in _environment(tmp_path, kafka, pg_url).items():
        monkeypatch.setenv(key, value)

    with Standalone(tmp_path) as airflow:
        # The DAGs appear unpaused on their own: nobody clicks anything in this deployment.
        airflow.wait_for(
            "the chain's DAGs, unpaused",
            lambda: (
                {r[0] for r in airflow.query("SELECT dag_id FROM dag WHERE is_paused = 0")}
                >= set(CHAIN)
            ),
            STARTUP_TIMEOUT,
        )
        # The safety net's run at deployment finds nothing and wakes nobody: an idle cycle.
        startup = airflow.wait_for(
            "the safety net's first run to finish",
            lambda: [r for r in airflow.runs("feeds_ingest") if r[2] in ("success", "failed")],
            STARTUP_TIMEOUT,
        )
        assert [(t, s) for _, t, s in startup] == [("scheduled", "success")], startup
        assert airflow.task_state("feeds_ingest", startup[0][0]) == "skipped"
        feeds = tmp_path / "feeds"
        write_feeds(feeds, seed=5, persons=20, countries=["FRA", "DEU"])
        sent = sum(publish_world(Settings(), kafka, feeds)["sent"].values())
        assert sent > 0

        done = airflow.wait_for(
            "quality_report to succeed",
            lambda: [r for r in airflow.runs("quality_report") if r[2] == "success"],
            CHAIN_TIMEOUT,
        )
        assert len(done) == 1
        # Let the watcher's trailing events (messages it saw before the ingest committed) play
        # out: each is an ingest run that lands nothing.
        airflow.wait_for("the scheduler to go idle", lambda: not airflow.unfinished(), 600)

        ingests = airflow.runs("feeds_ingest")[1:]
        assert ingests, "no feed message woke feeds_ingest"
        assert all(run_type == "asset_triggered" for _, run_type, _ in ingests), ingests
        landed = [
            run_id
            for run_id, _, _ in ingests
            if airflow.task_state("feeds_ingest", run_id) == "success"
        ]
        # One run landed everything; every other was woken by an already-landed message, found
        # nothing and ended skipped.
        assert len(landed) == 1, ingests
        assert _ingest_summary(airflow, landed[0])["accepted"] == sent
        skipped = [r for r, _, _ in ingests if airflow.task_state("feeds_ingest", r) == "skipped"]
        assert len(skipped) == len(ingests) - 1
        for dag_id in CHAIN[1:]:
            runs = airflow.runs(dag_id)
            assert [(t, s) for _, t, s in runs] == [("asset_triggered", "success")], (dag_id, runs)
            assert airflow.task_state(dag_id, runs[0][0]) == "success", dag_id

        import psycopg

        with psycopg.connect(pg_url) as con:
            persons = con.execute("SELECT count(*) FROM interlink.person_records").fetchone()
        assert persons is not None and persons[0] > 0

        # An idle cycle: an ingest run with nothing waiting ends skipped and wakes nobody.
        before = {d: len(airflow.runs(d)) for d in CHAIN[1:]}
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "dags", "trigger", "feeds_ingest"],
            env=standalone_env(Settings()),
            check=True,
            capture_output=True,
            timeout=180,
        )
        manual = airflow.wait_for(
            "the idle ingest to finish",
            lambda: [
                r
                for r in airflow.runs("feeds_ingest")
                if r[1] == "manual" and r[2] in ("success", "failed")
            ],
            600,
        )
        assert manual[0][2] == "success"
        assert airflow.task_state("feeds_ingest", manual[0][0]) == "skipped"
        time.sleep(QUIET_SECONDS)
        assert {d: len(airflow.runs(d)) for d in CHAIN[1:]} == before
