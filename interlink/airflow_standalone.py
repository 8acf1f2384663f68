"""`make airflow`: Airflow's own `airflow standalone` (scheduler, API server, UI) on our DAG folder.

The same DAGs that `interlink run` executes in-process appear in the UI at http://127.0.0.1:8080;
`airflow standalone` prints the generated admin password on its first start. Settings reach the
tasks through the same INTERLINK_* environment variables; the broker also reaches the triggerer's
feed watcher as the Airflow connection `interlink_kafka` (`interlink.feed_watch`).
"""

from __future__ import annotations

import os
import shutil
import sys

from infra.errors import BrokerNotRunning
from interlink.airflow_runner import configure_airflow_env
from interlink.feed_watch import kafka_connection_env
from interlink.settings import load_settings


def main() -> None:
    s = load_settings()
    configure_airflow_env(s.airflow.home, quiet=False)
    try:
        os.environ.update(kafka_connection_env(s))
    except BrokerNotRunning as exc:
        print(f"no feed watcher: {exc}; feeds_ingest runs only on its safety-net cron")
    port = os.environ.setdefault("AIRFLOW__API__PORT", "8080")
    # Task processes report to the API server's execution API, whose default URL assumes 8080.
    os.environ.setdefault(
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"http://localhost:{port}/execution/"
    )
    airflow = shutil.which("airflow") or os.path.join(os.path.dirname(sys.executable), "airflow")
    os.execv(airflow, [airflow, "standalone"])


if __name__ == "__main__":
    main()
