"""`interlink airflow start|stop|status` (`make airflow`, `make airflow-stop`): the UI only on
loopback, sized to the machine, and a stop that leaves no process of the start behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from infra.process import ServiceState, pid_alive, port_answers
from interlink.airflow_standalone import NAME, TOKEN_VAR, standalone_env, started_processes
from interlink.settings import Settings


def _free_ports(n: int) -> list[int]:
    """`n` distinct free ports. The sockets stay open until all are chosen: one closed at once
    may be handed out again, and a log server (listening on every address) given the UI's port
    then answers in its place, as a CI run once saw."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_standalone_listens_on_loopback_and_is_sized_to_the_cores(tmp_path: Path) -> None:
    s = Settings(home=str(tmp_path), airflow={"home": str(tmp_path / "airflow")})
    two = standalone_env(s, cores=2)
    assert (two["AIRFLOW__API__HOST"], two["AIRFLOW__API__PORT"]) == ("127.0.0.1", "8080")
    assert two["AIRFLOW__CORE__PARALLELISM"] == "2"
    assert two["AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG"] == "2"
    assert two["AIRFLOW__API__WORKERS"] == "1"
    assert two["AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES"] == "1"
    sixteen = standalone_env(s, cores=16)
    assert sixteen["AIRFLOW__CORE__PARALLELISM"] == "16"
    assert sixteen["AIRFLOW__API__WORKERS"] == "4"
    assert sixteen["AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES"] == "8"
    assert two["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert os.environ.get("AIRFLOW_HOME") != two["AIRFLOW_HOME"], "this process is untouched"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (/proc/net/tcp{,6}, state 0A)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # IPv6: four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.airflow
@pytest.mark.slow
def test_start_serves_the_ui_on_loopback_and_stop_leaves_no_process_behind(
    tmp_path: Path,
) -> None:
    port, worker_logs, trigger_logs = _free_ports(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLINK_", "AIRFLOW"))}
    env.update(
        {
            "INTERLINK_HOME": str(tmp_path),
            "INTERLINK_AIRFLOW__HOME": str(tmp_path / "airflow"),
            "INTERLINK_AIRFLOW__PORT": str(port),
            # Log servers of their own: other test runs on this machine may hold 8793/8794.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs),
        }
    )

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "interlink.cli", "airflow", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            cwd=tmp_path,
        )

    started = cli("start")
    state = ServiceState.load(tmp_path / "run", NAME)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert started.stdout.startswith(f"Airflow UI on http://127.0.0.1:{port} (pid ")
        assert state is not None
        assert _listening_addresses(port) == {"127.0.0.1"}
        status = cli("status")
        assert status.returncode == 0 and "answering" in status.stdout, status.stdout
        pids = started_processes(state)
        commands = {Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ") for p in pids}
        for component in (
            b"standalone",
            b"scheduler",
            b"api_server",
            b"triggerer",
            b"dag-processor",
        ):
            assert any(component in c for c in commands), (component, commands)
        token = state.extra["token"]
        environ = Path(f"/proc/{state.pid}/environ").read_bytes().split(b"\0")
        assert f"AIRFLOW__CORE__PARALLELISM={os.cpu_count()}".encode() in environ
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("Airflow stopped ("), stopped
    assert [p for p in pids if pid_alive(p)] == []
    # Nothing anywhere on the machine still carries this start's mark.
    marked = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"{TOKEN_VAR}={token}".encode() in (entry / "environ").read_bytes():
                    marked.append(int(entry.name))
            except OSError:
                continue
    assert [p for p in marked if pid_alive(p)] == []
    assert not port_answers(port)
    assert cli("status").returncode == 1
