"""Airflow fixes its home and metadata database when it is first imported: a pipeline step must
not import it (a later run in the same process would write another home's database and sync
another DAG folder), and a runner that finds it bound to another home says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.airflow]


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def test_importing_the_pipeline_steps_and_their_progress_imports_no_airflow() -> None:
    done = _python(
        "import sys\n"
        "import interlink.pipeline, interlink.progress, transforms.jobs\n"
        "from interlink.progress import phase_progress\n"
        "phase_progress('resolve')('silver', 1.0)\n"
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))\n",
        dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_runner_refuses_a_home_other_than_the_one_airflow_was_imported_with(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    env = {**os.environ, "AIRFLOW_HOME": str(first)}
    done = _python(
        "import airflow.configuration\n"
        "from interlink.airflow_runner import AirflowHomeConflict, configure_airflow_env\n"
        f"configure_airflow_env({str(first)!r})\n"
        "try:\n"
        f"    configure_airflow_env({str(second)!r})\n"
        "except AirflowHomeConflict as e:\n"
        "    print(e)\n",
        env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"Airflow was already imported in this process with home {first}, not {second}"
    )
