"""`make airflow` / `interlink airflow start|stop|status`: Airflow's own `airflow standalone`
(scheduler, DAG processor, triggerer, API server and UI) on our DAG folder, in the background.

The same DAGs that `interlink run` executes in-process appear in the UI at http://127.0.0.1:8080;
the admin password is in `<airflow home>/simple_auth_manager_passwords.json.generated`. Settings
reach the tasks through the same INTERLINK_* environment variables; the broker also reaches the
triggerer's feed watcher as the Airflow connection `interlink_kafka` (`interlink.feed_watch`).

Two things a bare `airflow standalone` gets wrong on a shared laptop are set here: the API server
listens on loopback only (its default, 0.0.0.0, shows the UI to the whole network), and the
executor's parallelism, the API workers and the DAG-parsing processes are sized to the machine's
cores (Airflow's defaults, 32 task slots and 4 API workers, swamp a two-core machine).

`stop` must leave nothing behind: standalone forks four components, and they fork task runners and
log servers. The start puts them all in a new session and marks their environment with a token;
the stop ends every process of that session or carrying that token (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from infra.errors import BrokerNotRunning, ServiceError
from infra.process import ServiceState, ensure_port_free, pid_alive, port_answers
from interlink.airflow_runner import airflow_env
from interlink.feed_watch import kafka_connection_env
from interlink.settings import Settings, load_settings

log = logging.getLogger(__name__)

NAME = "airflow"
"""Name of the state file (`<state dir>/airflow.json`) a started standalone leaves behind."""
TOKEN_VAR = "INTERLINK_AIRFLOW_STANDALONE"
"""Environment variable marking every process a start spawned (its value is unique per start)."""
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"


def standalone_env(s: Settings, cores: int | None = None) -> dict[str, str]:
    """The environment of `airflow standalone`: ours (AIRFLOW_HOME, DAG folder) plus the UI's
    address and sizes from the machine; a value already in the environment wins."""
    n = max(1, cores or os.cpu_count() or 1)
    sized = {
        "AIRFLOW__API__HOST": s.airflow.host,
        "AIRFLOW__API__PORT": str(s.airflow.port),
        # One task slot per core: the tasks are Spark and GX jobs that each keep a core busy.
        "AIRFLOW__CORE__PARALLELISM": str(n),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(n),
        # The UI serves one operator; parsing two small DAG files needs no pool either.
        "AIRFLOW__API__WORKERS": str(max(1, n // 4)),
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": str(max(1, n // 2)),
    }
    env = airflow_env(s.airflow.home, os.environ, quiet=False)
    # Standalone starts its components as `airflow …` from PATH: ours, even when the venv is
    # not activated (`.venv/bin/python -m interlink.cli`).
    bin_dir = os.path.dirname(_airflow_binary())
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    for key, value in sized.items():
        env.setdefault(key, value)
    # Task processes report to the API server's execution API, whose default URL assumes 8080.
    env.setdefault(
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        f"http://{env['AIRFLOW__API__HOST']}:{env['AIRFLOW__API__PORT']}/execution/",
    )
    try:
        for key, value in kafka_connection_env(s).items():
            env.setdefault(key, value)
    except BrokerNotRunning as exc:
        log.warning("no feed watcher (%s): feeds_ingest runs only on its safety-net cron", exc)
    return env


def _airflow_binary() -> str:
    return shutil.which("airflow") or os.path.join(os.path.dirname(sys.executable), "airflow")


def running(s: Settings) -> ServiceState | None:
    """The standalone a previous start left running, if its first process is still alive."""
    state = ServiceState.load(s.state_dir, NAME)
    return state if state is not None and pid_alive(state.pid) else None


def start(s: Settings, *, wait_seconds: float = 300.0) -> ServiceState:
    """Start `airflow standalone` in the background; return once the UI answers."""
    existing = running(s)
    if existing is not None:
        return existing
    stop(s)  # a crashed start may have left components behind
    Path(s.airflow.home).mkdir(parents=True, exist_ok=True)
    env = standalone_env(s)
    host, port = env["AIRFLOW__API__HOST"], int(env["AIRFLOW__API__PORT"])
    ensure_port_free(port, host, what="Airflow UI")
    token = uuid.uuid4().hex
    env[TOKEN_VAR] = token
    log = Path(s.state_dir) / "airflow-standalone.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [_airflow_binary(), "standalone"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group and session: `stop` ends them all
        )
    state = ServiceState(
        name=NAME,
        pid=proc.pid,
        host=host,
        port=port,
        url=f"http://{host}:{port}",
        log=str(log),
        extra={"token": token, "home": env["AIRFLOW_HOME"]},
    )
    state.save(s.state_dir)
    deadline = time.monotonic() + wait_seconds
    while not port_answers(port, host, timeout=1.0):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(s)
            raise ServiceError(
                f"airflow standalone did not start (exit code {proc.returncode}); read {log}"
            )
        time.sleep(1.0)
    return state


def started_processes(state: ServiceState) -> list[int]:
    """Every live process the start spawned: members of its session, or marked with its token."""
    marker = f"{TOKEN_VAR}={state.extra.get('token', '')}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] == "Z":  # a zombie has already ended; only its parent can reap it
                continue
            if int(fields[3]) == state.pid or marker in (entry / "environ").read_bytes().split(
                b"\0"
            ):
                found.append(pid)
    return sorted(found)


def stop(s: Settings, *, grace: float = 20.0) -> list[int]:
    """End every process a start spawned (SIGTERM, then SIGKILL after `grace`); return them."""
    state = ServiceState.load(s.state_dir, NAME)
    if state is None:
        return []
    ended: set[int] = set()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = started_processes(state)
        ended.update(pids)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while started_processes(state) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(state.pid, os.WNOHANG)  # reap it when this very process started it
            time.sleep(0.2)
        if not started_processes(state):
            break
    ServiceState.remove(s.state_dir, NAME)
    return sorted(ended)


def main() -> None:
    """`python -m interlink.airflow_standalone`: start in the background and say where."""
    s = load_settings()
    state = start(s)
    print(f"Airflow UI on {state.url} (pid {state.pid}); stop with `interlink airflow stop`")


if __name__ == "__main__":
    main()
