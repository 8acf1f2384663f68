"""Apache Kafka 4 as a local process: one KRaft node (broker and controller) from Maven jars.

The tests and the ingest benchmark run the streams code against this broker as well as against
Tansu (`infra.broker.EmbeddedBroker`, the demo's embedded default), so that what Interlink relies
on holds for the broker production runs. `make kafka` fetches the jars named in
`infra/kafka/pom.xml` into `.tools/kafka/<version>/libs` (idempotent; `make test` runs it). The
node keeps its log directories under `state_dir`, so a stop and a start on the same port keep
topics, messages and committed offsets, like a restarted production broker.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra.broker import wait_until_ready
from infra.errors import BrokerNotReady, BrokerNotRunning, JavaNotFound, ServiceError
from infra.process import ServiceState, ensure_port_free, free_port, stop_pid

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
STATE_NAME = "broker"


class KafkaNotInstalled(ServiceError):
    """The Apache Kafka jars have not been fetched."""


def kafka_version() -> str:
    """The Kafka version named once, in infra/kafka/pom.xml (the Makefile reads it there too)."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if found is None:
        raise ServiceError(f"{POM} names no <kafka.version>: restore the file from git")
    return found.group(1)


def kafka_libs() -> Path:
    """The directory of the broker's jars; `INTERLINK_KAFKA_LIBS` overrides the `make kafka` one."""
    configured = os.environ.get("INTERLINK_KAFKA_LIBS")
    libs = Path(configured) if configured else REPO / ".tools" / "kafka" / kafka_version() / "libs"
    if not any(libs.glob("kafka_2.13-*.jar")):
        raise KafkaNotInstalled(
            f"no Apache Kafka jars in {libs}: run `make kafka` (fetches them from Maven Central "
            "with mvn), or set INTERLINK_KAFKA_LIBS to a Kafka distribution's libs/ directory"
        )
    return libs


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise JavaNotFound(
            "Apache Kafka needs Java 17 or later on PATH: apt-get install openjdk-17-jre-headless"
        )
    return java


# Log4j 2 configuration: the broker's own INFO lines would fill the log at each segment roll;
# warnings and the start/stop lines of the server are what a failed test needs.
_LOG4J2 = """\
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=OUT
appender.out.type=Console
appender.out.name=OUT
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
"""


@dataclass
class ApacheKafkaBroker:
    """A single-node Apache Kafka (KRaft, combined broker and controller) on loopback ports.

    The same interface as `EmbeddedBroker`: `start()` returns the bootstrap servers once the
    node answers a metadata request, `stop()` shuts it down (SIGTERM: a controlled shutdown,
    then SIGKILL), and a start after a stop resumes the same log directories.
    """

    state_dir: Path
    port: int | None = None
    host: str = "127.0.0.1"
    heap: str = "512m"
    startup_timeout: float = 90.0
    process: subprocess.Popen[bytes] | None = None
    controller_port: int | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise BrokerNotRunning("the Apache Kafka broker has not been started")
        return f"{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    def _properties(self) -> str:
        listeners = (
            f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}"
        )
        # One node is the whole cluster: every internal topic has one replica, and the first
        # consumer group does not wait for more members (group.initial.rebalance.delay.ms).
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers={self.host}:{self.controller_port}",
                f"listeners={listeners}",
                f"advertised.listeners={listeners}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={self.data_dir}",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                # The DLQ keeps oversized feed messages byte for byte (ingest's max_request_size).
                "message.max.bytes=33554432",
                "replica.fetch.max.bytes=33554432",
                "",
            ]
        )

    def _java_cmd(self, main: str, *args: str) -> list[str]:
        return [
            _java(),
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            str(kafka_libs() / "*"),
            main,
            *args,
        ]

    def _format(self, config: Path) -> None:
        """Format the log directories once (KRaft refuses to start on unformatted ones)."""
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        # --standalone: this node is the only voter of a dynamic controller quorum.
        cmd = self._java_cmd(
            "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), "--standalone"
        )
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise BrokerNotReady(
                f"formatting the Kafka log directories in {self.data_dir} failed "
                f"(exit {done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}; "
                "remove that directory and start again"
            )

    def start(self) -> str:
        """Format (first start only), start the node, wait until it answers a metadata request,
        and return the bootstrap servers."""
        if self.port is None:
            self.port = free_port(self.host)
        if self.controller_port is None:
            self.controller_port = free_port(self.host)
        ensure_port_free(self.port, self.host, what="Apache Kafka broker")
        ensure_port_free(self.controller_port, self.host, what="Apache Kafka controller")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2)
        config = self.state_dir / "server.properties"
        config.write_text(self._properties())
        self._format(config)
        log_path = self.state_dir / "broker.log"
        with open(log_path, "ab") as out:
            # Its own process group: a stop by PID ends the JVM, and Ctrl-C does not reach it.
            self.process = subprocess.Popen(
                self._java_cmd("kafka.Kafka", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_ready(
            self,
            log_path,
            what="the Apache Kafka broker",
            hint=f"see {config} and the log",
            extra={"kind": "apache-kafka", "version": kafka_version()},
        )
        log.info("Apache Kafka %s ready on %s", kafka_version(), self.bootstrap)
        return self.bootstrap

    def stop(self) -> None:
        """Controlled shutdown (SIGTERM), SIGKILL if it takes longer than the grace."""
        if self.process is not None:
            stop_pid(self.process.pid, grace=30.0)
            with contextlib.suppress(Exception):
                self.process.wait(timeout=5)
            self.process = None
        ServiceState.remove(self.state_dir, STATE_NAME)

    def kill(self) -> None:
        """SIGKILL at once (a crashed broker); the next start recovers its logs."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.process.wait(timeout=10)
            self.process = None
        ServiceState.remove(self.state_dir, STATE_NAME)

    def __enter__(self) -> ApacheKafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, never starting with
    "-". Kafka's own `Uuid.randomUuid` draws again in that case, and so must we: the storage
    tool's argument parser reads "-t -xyz" as a missing value (1 id in 64 broke the format)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid
