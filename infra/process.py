"""Start and stop local helper processes (broker, S3 server) by PID, with a state file.

The state file lets one CLI invocation start a service and a later one find and stop it, the way
an operator expects `interlink broker start` / `interlink broker stop` to behave.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from infra.errors import PortInUse


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (a tiny race remains; callers check again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ensure_port_free(port: int, host: str = "127.0.0.1", *, what: str = "service") -> None:
    """Raise PortInUse with the fix when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        if s.connect_ex((host, port)) == 0:
            raise PortInUse(
                f"port {port} on {host} is already in use, so the {what} cannot listen there: "
                f"stop whatever uses it (`ss -ltnp 'sport = :{port}'`) or choose another port"
            )


def port_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; look at its state so a crashed service is reported as dead.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def stop_pid(pid: int, *, grace: float = 5.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL: a stop always ends the process."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                return
            time.sleep(0.05)


@dataclass
class ServiceState:
    """What a started service left behind for later commands."""

    name: str
    pid: int
    host: str
    port: int
    url: str
    log: str
    extra: dict[str, str]

    def save(self, state_dir: Path) -> Path:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / f"{self.name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, state_dir: Path, name: str) -> ServiceState | None:
        path = state_dir / f"{name}.json"
        if not path.exists():
            return None
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            return None

    @staticmethod
    def remove(state_dir: Path, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (state_dir / f"{name}.json").unlink()
