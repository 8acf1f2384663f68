"""A run that fails says which task failed and why, not the tasks that never ran because of it,
and the operator watched it happen: a progress line per start, retry and failure."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]  # two retries, 20 s apart


def test_a_failed_run_names_the_failing_task_and_its_error_not_the_skipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_home: Path, capfd
) -> None:
    from infra.broker import resolve_bootstrap
    from infra.errors import BrokerNotRunning
    from interlink.airflow_runner import DagRunFailed, run_dag

    # No broker configured and none running: ingest, the first task, cannot start.
    monkeypatch.delenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("INTERLINK_HOME", str(tmp_path))
    monkeypatch.setenv("INTERLINK_LAKE__ROOT", str(tmp_path / "lake"))
    with pytest.raises(BrokerNotRunning) as cause:
        resolve_bootstrap(None, tmp_path / "run")
    log = airflow_home / "logs" / "interlink_pipeline.log"

    with pytest.raises(DagRunFailed) as failed:
        run_dag("interlink_pipeline", airflow_home=airflow_home)

    assert str(failed.value) == (
        f"DAG interlink_pipeline: task ingest failed: BrokerNotRunning: {cause.value}"
    )
    assert failed.value.hint == (
        f"not run because of it: load, report, resolve, validate; task logs: {log}"
    )
    progress = capfd.readouterr().err.splitlines()
    ingest_lines = [line.split("] ", 1)[1] for line in progress if "] ingest " in line]
    # Three attempts (the DAG retries twice), each started and failed with the cause.
    assert [line.split(" after ")[0] for line in ingest_lines] == [
        "ingest started",
        "ingest FAILED",
        "ingest started (attempt 2)",
        "ingest FAILED",
        "ingest started (attempt 3)",
        "ingest FAILED",
    ]
    assert all(
        line.endswith(f"BrokerNotRunning: {cause.value}")
        for line in ingest_lines
        if "FAILED" in line
    )
    assert not [line for line in progress if "validate" in line or "resolve" in line]
