"""The preflight an operator meets before a run: a service that is down is named in seconds,
with its fix, before any stage has run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlink.preflight import run_checks
from interlink.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str, home: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")}
    full_env.update(
        {
            "INTERLINK_HOME": str(home),
            "INTERLINK_LAKE__ROOT": str(home / "lake"),
            "INTERLINK_AIRFLOW__HOME": str(home / "airflow"),
        }
    )
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "interlink.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=home,
    )


@pytest.mark.kafka
def test_run_with_the_warehouse_on_a_closed_port_fails_before_any_stage_naming_it(
    tmp_path: Path, broker: str
) -> None:
    port = _free_port()
    t0 = time.perf_counter()
    out = _cli(
        "run",
        home=tmp_path,
        env={
            "INTERLINK_BROKER__BOOTSTRAP_SERVERS": broker,
            "INTERLINK_WAREHOUSE__URL": f"postgresql://postgres@127.0.0.1:{port}/test",
        },
    )
    # Measured for the record, never asserted (a shared machine makes timings noise).
    print(f"interlink run failed after {time.perf_counter() - t0:.1f} s")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    message = lines[0]
    assert message.startswith("interlink: preflight failed: warehouse: warehouse postgresql://")
    assert f"127.0.0.1:{port}" in message and "fix INTERLINK_WAREHOUSE__URL" in message
    assert "broker:" not in message and "lake:" not in message and "spark:" not in message
    # Nothing ran: no stage started, nothing landed, Airflow was never set up.
    assert "started" not in out.stderr
    assert not (tmp_path / "lake" / "bronze").exists()
    assert not (tmp_path / "airflow").exists()


def test_preflight_names_each_failing_service_with_its_fix(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    out = _cli(
        "preflight",
        home=tmp_path,
        env={
            "JAVA_HOME": str(tmp_path / "no-java"),
            "INTERLINK_LAKE__ROOT": str(tmp_path / "a-file" / "lake"),
            "INTERLINK_WAREHOUSE__URL": f"duckdb:///{tmp_path / 'w.duckdb'}",
        },
    )
    assert out.returncode == 1, out.stdout + out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.strip().splitlines())
    assert set(lines) == {"FAIL  broker", "FAIL  lake", "ok    warehouse", "FAIL  spark"}
    assert lines["FAIL  broker"].startswith("no broker: start the embedded one")
    assert lines["FAIL  lake"].startswith("NotADirectoryError:")
    assert lines["FAIL  lake"].endswith("INTERLINK_LAKE__S3_ENDPOINT_URL and the AWS_* credentials")
    assert lines["FAIL  spark"].startswith(f"JAVA_HOME={tmp_path / 'no-java'} has no bin/java")
    assert lines["ok    warehouse"] == f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert "Traceback" not in out.stdout + out.stderr


def test_preflight_reports_java_and_a_spark_master_that_does_not_answer(tmp_path: Path) -> None:
    ok = run_checks(Settings(home=str(tmp_path)), only=("spark",))
    assert [(r.name, r.ok) for r in ok] == [("spark", True)]
    assert ok[0].detail.startswith("Java ") and ok[0].detail.endswith("master local[*]")
    port = _free_port()
    master = f"spark://127.0.0.1:{port}"
    down = run_checks(Settings(home=str(tmp_path), spark={"master": master}), only=("spark",))
    assert down[0].error == (
        f"Spark master {master} does not answer: start the master "
        "(`spark-class org.apache.spark.deploy.master.Master`) or fix INTERLINK_SPARK__MASTER"
    )


def test_a_warehouse_that_accepts_but_never_answers_fails_at_the_deadline(
    tmp_path: Path,
) -> None:
    """A host that drops packets, or a hung server, must not hold a run for minutes: the
    connection here is accepted by the kernel and then never answered."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        s = Settings(
            home=str(tmp_path),
            warehouse={"url": f"postgresql://postgres@127.0.0.1:{port}/test"},
        )
        (result,) = run_checks(s, only=("warehouse",), deadline=1.0)
    # PostgreSQL's own connect timeout is 10 s: this error is the deadline's, not the driver's.
    assert result.error == (
        "no answer within 1 s: start the database or fix INTERLINK_WAREHOUSE__URL"
    )
