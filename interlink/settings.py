"""Typed settings, one section per concern.

Every field can be set from the environment as `INTERLINK_<SECTION>__<KEY>` (for example
`INTERLINK_BROKER__BOOTSTRAP_SERVERS=kafka-1:9092`) or from a `.env` file. Local, CI and production
differ only here: the demo uses the embedded broker, a local lake and a DuckDB file; production
points the same code at a Kafka cluster, an `s3://` lake and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from transforms.config import ResolutionConfig

if TYPE_CHECKING:
    from streams.brokers import BrokerTraits

DEFAULT_HOME = Path("var")


class BrokerSettings(BaseModel):
    bootstrap_servers: str | None = None
    """Kafka bootstrap servers (`host:port,host:port`). Unset: use the embedded Tansu broker."""
    kind: str = "tansu"
    """Kind of broker the clients talk to: `tansu` (the embedded one) or `apache-kafka`. It
    switches the client workarounds Tansu needs (`streams.brokers`); they are safe on any broker,
    so `tansu` is the default, and a Kafka cluster should say `apache-kafka`."""
    embedded_storage: str = "memory://tansu/"
    """Storage of the embedded broker: `memory://tansu/` or `s3://bucket/` (survives restarts)."""
    embedded_port: int | None = None
    """Port of the embedded broker; unset picks a free loopback port."""
    partitions: int = 3
    """Partitions of each feed topic created by publishers and the demo."""
    security_protocol: str = "PLAINTEXT"
    """Passed straight to the Kafka clients: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."""
    sasl_mechanism: str | None = None
    """SCRAM-SHA-512 in production clusters; the embedded broker has no authentication."""
    sasl_username: str | None = None
    """SASL user name of this deployment (a country's principal on its own topics)."""
    sasl_password: SecretStr | None = None
    """SASL password; never logged."""
    ssl_cafile: str | None = None
    """CA bundle used to verify the brokers' TLS certificates."""

    def traits(self) -> BrokerTraits:
        """What the clients may take this broker's word for (`streams.brokers`)."""
        from streams.brokers import broker_traits

        return broker_traits(self.kind)

    def client_options(self) -> dict[str, Any]:
        """Security options for kafka-python clients (empty for the embedded broker)."""
        opts: dict[str, Any] = {}
        if self.security_protocol != "PLAINTEXT":
            opts["security_protocol"] = self.security_protocol
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            opts["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.ssl_cafile:
            opts["ssl_cafile"] = self.ssl_cafile
        return opts


class LakeSettings(BaseModel):
    root: str = str(DEFAULT_HOME / "lake")
    """Lake root: a local directory or `s3://bucket/prefix`."""
    s3_endpoint_url: str | None = None
    """S3 endpoint for non-AWS object stores (MinIO, moto); unset uses AWS defaults."""


class WarehouseSettings(BaseModel):
    url: str = f"duckdb:///{DEFAULT_HOME / 'warehouse.duckdb'}"
    """`duckdb:///path/file.duckdb` (embedded default) or `postgresql://user@host:5432/db`. A
    password in it (`user:secret@`, `?password=`) is never printed: the repr and every message
    show `***` (better still, leave it out and use ~/.pgpass or PGPASSWORD)."""

    def __repr_args__(self) -> Any:
        # A libpq URL may carry the password: never let it reach a log line or a traceback.
        from infra.errors import redact

        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "url" and isinstance(value, str) else value


class SparkSettings(BaseModel):
    master: str = "local[*]"
    """Spark master: `local[*]` here; `spark://…`, `yarn` or `k8s://…` on a cluster."""
    driver_memory: str = "4g"
    """Driver memory for local runs (executors are configured on the cluster). 2g ran out of
    execution memory in the full resolve of a 100k-person world (the weight histogram's
    aggregation, with the parallel collector of quick-JIT sessions); 4g resolves it."""
    shuffle_partitions: int = 4
    """Few partitions suit a laptop; raise on a cluster."""
    executor_memory: str | None = None
    """Memory of each executor on a cluster (`spark.executor.memory`); unset: the cluster's."""
    ui_enabled: bool = False
    """Serve the Spark UI (port 4040 up) while a step runs; off for batch runs and tests."""
    quick_jit: bool = True
    """On a `local` master, compile the JVM's hot code with the quick compiler only
    (`-XX:TieredStopAtLevel=1`) and collect with the parallel collector (`-XX:+UseParallelGC`):
    a resolve of a few thousand records spent more CPU in the optimising compiler than in its own
    jobs, and G1's concurrent threads cost it 3-4 CPU seconds (docs/entity-resolution.md,
    "Speed"). Turn off for local runs of hours, where optimised code pays for its compilation."""
    driver_host: str = "127.0.0.1"
    """Address the driver binds and advertises to executors: loopback for `local[*]`, the
    driver machine's address executors can reach on a cluster."""
    python_env: str | None = None
    """Packed Python environment (`make spark-env` builds `.tools/spark-env/executor-env.tar.gz`)
    shipped to executors with `spark.archives` on a cluster master; unset: executors run the
    driver's interpreter path, which only a `local` master can rely on."""
    s3a_jars: str | None = None
    """Folder of hadoop-aws and its AWS SDK bundle for an `s3://` lake; unset:
    `.tools/spark-s3a/<pyspark's Hadoop version>/jars` (`make spark-s3a`)."""


class IngestSettings(BaseModel):
    group_id: str = "interlink-ingest"
    """Consumer group of the lake writer."""
    until_idle_seconds: float = 5.0
    """Batch runs (Airflow, demo) stop after this long without a new message."""
    batch_max_messages: int = 5000
    """A bronze file holds at most this many messages."""
    batch_max_bytes: int = 64 * 1024 * 1024
    """A bronze batch is flushed when its raw bytes reach this size (bounds memory)."""
    batch_max_seconds: float = 5.0
    """A bronze batch is flushed at least this often."""
    workers: int | None = None
    """Worker processes that check messages (signature, validation) while the ingest process
    polls, lands and commits; unset: one per core (none on a single core); 0: no workers."""


class KeysSettings(BaseModel):
    registry: str = "keys/registry.json"
    """Public-key registry of the member countries, relative to the lake root."""
    private_dir: str = str(DEFAULT_HOME / "keys")
    """Where `interlink keys create` writes a country's key pair (publisher side)."""


class AirflowSettings(BaseModel):
    home: str = str(DEFAULT_HOME / "airflow")
    """AIRFLOW_HOME for in-process `dag.test()` runs (SQLite metadata) and `make airflow`."""
    ingest_safety_net_cron: str = "17 * * * *"
    """When feeds_ingest also runs without a feed message (UTC cron): the safety net that lands
    what a lost trigger event left waiting (docs/operations.md)."""
    host: str = "127.0.0.1"
    """Address the UI of `make airflow` listens on: loopback, so the UI is not on the network
    (a production UI sits behind a TLS proxy instead, docs/deployment.md)."""
    port: int = 8080
    """Port of the UI of `make airflow`."""


class ReportSettings(BaseModel):
    victim_access: bool = False
    """Show victims' identities (names, documents, phones…) in the run report. Off, they are
    masked as the warehouse masks them for recipients without victim access: the report is a
    file that travels further than the warehouse's row-level security."""


class Settings(BaseSettings):
    """All settings of an Interlink deployment."""

    model_config = SettingsConfigDict(
        env_prefix="INTERLINK_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    home: str = str(DEFAULT_HOME)
    """Working directory for state files (embedded broker PID, logs, reports cache)."""
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    keys: KeysSettings = Field(default_factory=KeysSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    resolution: ResolutionConfig = Field(default_factory=ResolutionConfig)
    """Person resolution's knobs (`transforms.config.ResolutionConfig`, documented per field
    there), e.g. `INTERLINK_RESOLUTION__THRESHOLD=0.97` or
    `INTERLINK_RESOLUTION__BLOCKING__MAX_BLOCK_SIZE=80`; unset: the production defaults."""

    @property
    def state_dir(self) -> Path:
        return Path(self.home) / "run"


def load_settings() -> Settings:
    return Settings()
