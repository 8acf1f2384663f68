"""`make airflow`: Airflow's own `airflow standalone` (scheduler, API server, UI) on our DAG folder.

The same DAGs that `interlink run` executes in-process appear in the UI at http://127.0.0.1:8080;
`airflow standalone` prints the generated admin password on its first start. Settings reach the
tasks through the same INTERLINK_* environment variables.
"""

from __future__ import annotations

import os
import shutil
import sys

from interlink.airflow_runner import configure_airflow_env
from interlink.settings import load_settings


def main() -> None:
    s = load_settings()
    configure_airflow_env(s.airflow.home, quiet=False)
    os.environ.setdefault("AIRFLOW__API__PORT", "8080")
    airflow = shutil.which("airflow") or os.path.join(os.path.dirname(sys.executable), "airflow")
    os.execv(airflow, [airflow, "standalone"])


if __name__ == "__main__":
    main()
