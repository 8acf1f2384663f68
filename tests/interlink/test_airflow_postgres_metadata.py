"""docs/deployment.md's Airflow set-up on a PostgreSQL metadata database, command for command:
the schema migrates, the database checks out, and every Interlink DAG is registered."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.slow]

PG_ADMIN_URL = os.environ.get("INTERLINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_airflow_metadata_in_postgresql_migrates_and_registers_every_dag(tmp_path: Path) -> None:
    from interlink.airflow_runner import airflow_env

    name = f"interlink_airflow_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    # psycopg 3 (in our lock file) for both of Airflow's engines, as the deployment page says.
    conn = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"{conn}/{name}"
    base["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = f"{conn}/{name}"
    base["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), base.get("PATH", "")])
    env = airflow_env(tmp_path / "airflow", base)

    def airflow(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["airflow", *args], capture_output=True, text=True, env=env, timeout=900
        )

    try:
        for step in (("db", "migrate"), ("db", "check"), ("dags", "reserialize")):
            done = airflow(*step)
            assert done.returncode == 0, (step, done.stderr[-2000:])
        with psycopg.connect(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}") as meta:
            dags = {row[0] for row in meta.execute("SELECT dag_id FROM dag").fetchall()}
            errors = meta.execute("SELECT filename, stacktrace FROM import_error").fetchall()
        assert errors == []
        assert dags == {
            "interlink_pipeline",
            "feeds_ingest",
            "contracts_validate",
            "entities_resolve",
            "warehouse_load",
            "quality_report",
            "retention_review",
            "entities_retrain",
        }
        assert not (tmp_path / "airflow" / "airflow.db").exists(), "SQLite was not used"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
