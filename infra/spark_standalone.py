"""A Spark standalone cluster (one master, workers) from the pyspark wheel's `bin/spark-class`.

For tests and a laptop rehearsal of a cluster run: the same master and worker daemons a
production standalone cluster runs, on loopback. A worker can be started *shared-nothing*: in its
own mount namespace (`unshare --mount`, root only) with private tmpfs over the folders it must not
see (the driver's working tree, /tmp), so it reads nothing the driver wrote locally: code, Python
and jars come from the driver, data from the lake's object store. Its own Spark installation is
bind-mounted outside the hidden folders first.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import ServiceError
from infra.process import free_port, port_answers, stop_pid


def spark_home() -> Path:
    """SPARK_HOME of the pyspark wheel (it ships bin/spark-class and the jars)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


@dataclass
class StandaloneCluster:
    """A master and `workers` workers on 127.0.0.1; `hide` folders are invisible to workers."""

    state_dir: Path
    workers: int = 1
    worker_cores: int = 2
    worker_memory: str = "2g"
    hide: tuple[Path, ...] = ()
    host: str = "127.0.0.1"
    port: int | None = None
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _roots: list[Path] = field(default_factory=list)

    @property
    def master_url(self) -> str:
        return f"spark://{self.host}:{self.port}"

    def _env(self, home: Path) -> dict[str, str]:
        # A clean environment: workers get no cloud credentials or settings from the driver's.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SPARK_HOME": str(home)}
        for key in ("JAVA_HOME", "HOME", "LANG"):
            if key in os.environ:
                env[key] = os.environ[key]
        env["SPARK_NO_DAEMONIZE"] = "1"
        return env

    def _spawn(self, argv: list[str], env: dict[str, str], log_name: str) -> None:
        log = open(self.state_dir / log_name, "ab")  # noqa: SIM115 - lives as long as the daemon
        self._procs.append(
            subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )

    def _wait(self, port: int, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self._procs):
                self.stop()
                raise ServiceError(f"the Spark {what} exited: see the logs in {self.state_dir}")
            if port_answers(port, self.host):
                return
            time.sleep(0.3)
        self.stop()
        raise ServiceError(f"the Spark {what} did not listen on {self.host}:{port}")

    def _worker_argv(self, i: int, port: int) -> tuple[list[str], Path]:
        daemon = [
            "bin/spark-class",
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            self.host,
            "--port",
            str(port),
            "--webui-port",
            str(free_port(self.host)),
            "--cores",
            str(self.worker_cores),
            "--memory",
            self.worker_memory,
        ]
        home = spark_home()
        if not self.hide:
            work = self.state_dir / f"worker-{i}"
            work.mkdir(parents=True, exist_ok=True)
            return [
                str(home / daemon[0]),
                *daemon[1:],
                "--work-dir",
                str(work),
                self.master_url,
            ], home
        if shutil.which("unshare") is None or os.geteuid() != 0:
            raise ServiceError("a shared-nothing worker needs root and `unshare` (util-linux)")
        # The mount point lives outside every hidden folder; in the namespace it holds the
        # worker's Spark installation and work directory on a tmpfs nobody else sees.
        root = Path(tempfile.mkdtemp(prefix="interlink-worker-", dir="/var/tmp"))
        self._roots.append(root)
        where = ["--work-dir", f"{root}/work", self.master_url]
        script = [
            "set -e",
            f"mount -t tmpfs tmpfs {root}",
            f"mkdir {root}/spark {root}/work",
            f"mount --bind {shlex.quote(str(home))} {root}/spark",
            *(f"mount -t tmpfs tmpfs {shlex.quote(str(h))}" for h in self.hide),
            f"cd {root}/work",
            "exec " + shlex.join([f"{root}/spark/{daemon[0]}", *daemon[1:], *where]),
        ]
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script)]
        return argv, root / "spark"

    def start(self, timeout: float = 90.0) -> str:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        home = spark_home()
        ui = free_port(self.host)
        master = [
            str(home / "bin" / "spark-class"),
            "org.apache.spark.deploy.master.Master",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--webui-port",
            str(ui),
        ]
        self._spawn(master, self._env(home), "master.log")
        self._wait(self.port, "master", timeout)
        for i in range(self.workers):
            port = free_port(self.host)
            argv, worker_home = self._worker_argv(i, port)
            self._spawn(argv, self._env(worker_home), f"worker-{i}.log")
            self._wait(port, f"worker {i}", timeout)
        self._wait_registered(ui, timeout)
        return self.master_url

    def _wait_registered(self, ui: int, timeout: float) -> None:
        """Until the master counts every worker alive (its UI's JSON): jobs need executors."""
        import json
        import urllib.request

        deadline = time.monotonic() + timeout
        alive = 0
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://{self.host}:{ui}/json/", timeout=5) as resp:
                alive = int(json.load(resp).get("aliveworkers", 0))
            if alive >= self.workers:
                return
            time.sleep(0.5)
        self.stop()
        raise ServiceError(
            f"{alive} of {self.workers} Spark workers registered: see the logs in {self.state_dir}"
        )

    def stop(self) -> None:
        for p in reversed(self._procs):
            stop_pid(p.pid)
        self._procs.clear()
        for root in self._roots:
            # The tmpfs was private to the worker's namespace: here the folder is still empty.
            shutil.rmtree(root, ignore_errors=True)
        self._roots.clear()

    def __enter__(self) -> StandaloneCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
