"""The ingest consumer: poll the feed topics, dispatch the checks, apply the verdicts in offset
order, land each batch and only then commit its offsets.

The order of a flush is the exactly-once guarantee (see the package docstring): bronze files made
durable (`batches.Bronze`), then the receipts and dead letters acknowledged by the broker, then
the offsets committed. A crash anywhere before the commit replays the same messages, which land
under the same file names.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from contracts import Envelope
from streams.brokers import TANSU, BrokerTraits
from streams.checking import Checker, Verdict, default_workers, message_id_of
from streams.ingest import receipts
from streams.ingest.batches import Bronze, PartitionBatch, Pending
from streams.ingest.corrupt import Probe, unreadable_batches
from streams.ingest.dispatch import CheckQueue
from streams.ingest.erased import ErasedIndex
from streams.ingest.intake import Intake
from streams.ingest.metrics import IngestReport, Lag, caught_up, log_batch
from streams.ingest.seen import SeenIndex
from streams.keys import KeyRegistry
from streams.topics import (
    DLQ_REQUEST_BYTES,
    DLQ_TOPIC,
    FEED_TOPIC_PATTERN,
    FETCH_BYTES,
    FETCH_PARTITION_BYTES,
    MiB,
    TopicCreator,
    receipts_topic,
)

log = logging.getLogger(__name__)

_CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    # A join waits about half the session timeout on the embedded broker; short values keep test
    # and Airflow runs quick while tolerating a busy machine.
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
    # New country topics are discovered through metadata refreshes.
    "metadata_max_age_ms": 5000,
    "max_partition_fetch_bytes": FETCH_PARTITION_BYTES,
    "fetch_max_bytes": FETCH_BYTES,
}
"""The ingest consumer's options besides its group and poll size."""


class Ingest:
    """One ingest consumer; `run()` consumes until idle, a message count, or a signal.

    Use `ingest()` unless you need to drive it step by step (tests, benchmarks).
    """

    def __init__(
        self,
        bootstrap: str,
        lake: Any,
        *,
        key_registry: KeyRegistry,
        group_id: str = "interlink-ingest",
        batch_max_messages: int = 5000,
        batch_max_bytes: int = 64 * MiB,
        batch_max_seconds: float = 5.0,
        client_options: dict[str, Any] | None = None,
        consumer_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
        topic_pattern: str = FEED_TOPIC_PATTERN,
        log_batches: bool = True,
        workers: int | None = None,
        on_first_message: Callable[[], None] | None = None,
        broker: BrokerTraits = TANSU,
    ) -> None:
        self.bootstrap = bootstrap
        self.lake = lake
        self.registry = key_registry
        self.group_id = group_id
        self.pending = Pending(batch_max_messages, batch_max_bytes, batch_max_seconds)
        self.batch_max_messages = self.pending.max_messages
        self.client_options = dict(client_options or {})
        self.consumer_options = dict(consumer_options or {})
        self.producer_options = dict(producer_options or {})
        self.topic_pattern = topic_pattern
        self.log_batches = log_batches
        self.on_first_message = on_first_message
        """Called once, when the first message arrives (benchmarks start their clocks there)."""
        self.broker = broker
        """The kind of broker answering (`streams.brokers`): which client workarounds apply."""
        self.checker = Checker(key_registry)
        workers = default_workers() if workers is None else max(0, workers)
        self.checks = CheckQueue(self.checker, key_registry, workers)
        self.workers = workers
        """Worker processes for the checks (0: all in this process)."""
        self.report = IngestReport()
        self.lag = Lag(self.pending.positions)
        self.bronze = Bronze(lake)
        self._topics = TopicCreator(bootstrap, client_options=self.client_options, partitions=1)
        self._probe = Probe(bootstrap, self.client_options, FETCH_PARTITION_BYTES)
        self._consumer: Any = None
        self._producer: Any = None
        self._stop = threading.Event()
        self._stop_reason = ""
        self.intake = Intake(
            self.checker,
            self.pending,
            SeenIndex(lake),
            ErasedIndex(lake),
            self.report,
            self._topics,
            lambda: self.producer,
        )

    # -- clients ------------------------------------------------------------------------------
    @property
    def producer(self) -> Any:
        if self._producer is None:
            from streams.producer import make_producer

            self._producer = make_producer(
                self.bootstrap,
                f"interlink-ingest-{self.group_id}",
                client_options=self.client_options,
                producer_options=self.producer_options,
                linger_ms=10,
                max_request_size=DLQ_REQUEST_BYTES,
                broker=self.broker,
            )
        return self._producer

    # -- checks -------------------------------------------------------------------------------
    def check(self, topic: str, partition: int, offset: int, value: bytes | None) -> tuple[
        Envelope, dict[str, Any]
    ]:  # fmt: skip
        """The validated envelope and its decoded JSON, or `Rejected` / `ContractError`: every
        rule, the delete rule included."""
        return self.intake.check(topic, partition, offset, value)

    def handle(self, message: Any) -> bool:
        """Check one consumed message in this process and add it to the batch or the DLQ; True
        when accepted."""
        return self.intake.handle(message)

    def _dispatch(self, records: list[Any]) -> None:
        """Check one partition's polled messages, in the workers when it pays, and apply the
        verdicts that are ready (in order)."""
        if not self.checks.in_workers(len(records)):
            for message in records:
                self.handle(message)
                if self.batch_full():
                    self._land_pending()
            return
        self.checks.submit(records)
        self._collect(wait_all=False)

    def _collect(self, *, wait_all: bool) -> None:
        """Apply the verdicts of the checks in flight that are ready (all with `wait_all`)."""
        for message, verdict in self.checks.ready(wait_all=wait_all):
            self.intake.apply(message, verdict)
            if self.batch_full():
                # Only what was applied lands: later chunks go to the next batch.
                self._land_pending()

    def _read_unreadable(self, error: Exception) -> None:
        """After a poll raised on a record batch the client cannot read: check its readable
        records, dead-letter the others with their coordinates, and seek past it
        (`streams.ingest.corrupt`). Re-raises `error` when no such batch is found."""
        self._collect(wait_all=True)  # verdicts of earlier offsets apply first
        found = unreadable_batches(self._consumer, self._probe)
        if not found:
            raise error
        for tp, position, batch in found:
            for record in batch.records:
                if record.offset < position:
                    continue  # already read before the poll raised
                if record.problem is None:
                    self.handle(record)
                else:
                    verdict = Verdict(
                        None,
                        record.error_class or "kafka.corrupt_record",
                        record.problem,
                        "kafka.errors.CorruptRecordError",
                        message_id_of(record.value),
                    )
                    self.intake.apply(record, verdict)
                if self.batch_full():
                    self._land_pending()
            self._consumer.seek(tp, batch.next_offset)

    # -- landing ------------------------------------------------------------------------------
    def batch_full(self) -> bool:
        return self.pending.full()

    def flush(self) -> None:
        """Land every message read so far: the checks in flight are applied first, then the
        pending batch lands (`_land_pending`)."""
        self._collect(wait_all=True)
        self._land_pending()

    def _land_pending(self) -> None:
        """Land the pending batch: bronze files, then receipts and DLQ acknowledged, then the
        offsets committed. A crash anywhere before the commit replays the same messages."""
        pending = self.pending
        if not pending:
            return
        from kafka.errors import CommitFailedError
        from kafka.structs import OffsetAndMetadata, TopicPartition

        t0 = time.monotonic()
        written: list[str] = []
        accepted = 0
        for batch in pending.partitions.values():
            rel = self.bronze.land(batch)
            if rel is None:
                continue
            written.append(rel)
            accepted += len(batch.offsets)
            self.report.count_landed(batch.country, len(batch.offsets))
        # Receipts go out once the accepted messages are durable, before the offsets commit.
        processed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        for batch in pending.partitions.values():
            self._send_receipts(batch, processed_at)
        if self._producer is not None:
            self._producer.flush()
        offsets = {
            TopicPartition(b.topic, b.partition): OffsetAndMetadata(b.last + 1, "", -1)
            for b in pending.partitions.values()
        }
        if self._consumer is not None:
            try:
                self._consumer.commit(offsets)
            except CommitFailedError as exc:
                # The group rebalanced away these partitions: their new owner replays from the
                # last commit and replaces the files just written (same or overlapping ranges).
                log.warning("offsets not committed (%s): the new owner will replay them", exc)
        self.report.accepted += accepted
        self.report.files.extend(written)
        self.report.batches += 1
        if self.log_batches:
            log_batch(
                batch=self.report.batches,
                messages=pending.messages,
                accepted=accepted,
                rejected_by_reason=dict(pending.rejected),
                size=pending.bytes,
                files=written,
                flush_seconds=time.monotonic() - t0,
                batch_seconds=time.monotonic() - (pending.started or t0),
                lag=self.lag.as_dict(),
            )
        pending.reset()

    def _send_receipts(self, batch: PartitionBatch, processed_at: str) -> None:
        """The batch's receipts, in as few Kafka messages as the contract allows."""
        if batch.country is None or not batch.receipts:
            return
        topic = receipts_topic(batch.country)
        self._topics.ensure([topic])
        key = f"{batch.topic}+{batch.partition}".encode()
        for value in receipts.receipt_messages(batch.receipts, processed_at):
            self.producer.send(topic, key=key, value=value)

    # -- running ------------------------------------------------------------------------------
    def stop(self, reason: str = "stop") -> None:
        """Ask the loop to flush, commit and leave the group (safe from a signal handler)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    def run(
        self,
        *,
        until_idle: float | None = None,
        max_messages: int | None = None,
        poll_timeout: float = 0.5,
        join_grace: float | None = None,
    ) -> IngestReport:
        """Consume until `until_idle` seconds pass without a message, `max_messages` were
        processed, or `stop()` (SIGTERM/SIGINT) is called; then flush, commit and leave."""
        from kafka.errors import CorruptRecordError

        t0 = time.monotonic()
        if join_grace is None:
            join_grace = self.broker.join_grace
        # pyarrow loads pandas on first use (seconds on a busy machine): pay it before the group
        # join rather than inside the first flush, while the partitions are held.
        pa.array([0])
        self.checks.start()
        self._consumer = _make_consumer(self)
        self._topics.ensure([DLQ_TOPIC])
        last_activity = time.monotonic()
        assigned_once = False
        processed = 0
        try:
            while not self._stop.is_set():
                budget = None if max_messages is None else max_messages - processed
                try:
                    polled = self._consumer.poll(
                        timeout_ms=int(poll_timeout * 1000),
                        max_records=min(budget, 2000) if budget is not None else None,
                    )
                except CorruptRecordError as exc:
                    self._read_unreadable(exc)
                    last_activity = time.monotonic()
                    continue
                if self._consumer.assignment():
                    if not assigned_once:
                        last_activity = time.monotonic()
                    assigned_once = True
                got = 0
                for records in polled.values():
                    if records and got == 0 and processed == 0 and self.on_first_message:
                        self.on_first_message()
                    self._dispatch(records)
                    got += len(records)
                    processed += len(records)
                if got:
                    last_activity = time.monotonic()
                    self.lag.update(self._consumer)
                if self.checks:
                    self._collect(wait_all=False)
                if (self.pending or self.checks) and (self.batch_full() or not got):
                    # An empty poll means we are caught up: land what we have rather than wait.
                    self.flush()
                if max_messages is not None and processed >= max_messages:
                    self.stop("max_messages")
                    break
                if until_idle is not None and not self.pending and not self.checks:
                    idle = time.monotonic() - last_activity
                    # Idle means caught up: every assigned partition answered a fetch and has
                    # nothing beyond our position. A slow first fetch on a busy machine must not
                    # look like an empty topic. The grace covers the group join and a broker
                    # that never reports a highwater mark.
                    if (idle >= until_idle and assigned_once and caught_up(self._consumer)) or (
                        idle >= until_idle + join_grace
                    ):
                        self.stop("idle")
                        break
            self.flush()
        finally:
            with contextlib.suppress(Exception):
                self.lag.update(self._consumer)
            self.report.lag = self.lag.as_dict()
            self._close()
        self.report.seconds = time.monotonic() - t0
        self.report.stopped_by = self._stop_reason or "stop"
        return self.report

    def _close(self) -> None:
        self.checks.close()
        self._probe.close()
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                self._consumer.close(autocommit=False)
            self._consumer = None
        if self._producer is not None:
            with contextlib.suppress(Exception):
                self._producer.flush()
                self._producer.close()
            self._producer = None
        self._topics.close()


def _make_consumer(ingest: Ingest) -> Any:
    """A consumer subscribed to `ingest.topic_pattern`, landing what it holds before a rebalance
    takes partitions away (moved out of `Ingest` to keep the class small; it reads the settings
    and calls back `ingest.flush`)."""
    from kafka import KafkaConsumer
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    options = {
        **_CONSUMER_DEFAULTS,
        "group_id": ingest.group_id,
        "client_id": f"interlink-ingest-{ingest.group_id}",
        "max_poll_records": min(ingest.batch_max_messages, 2000),
        **ingest.client_options,
        **ingest.consumer_options,
    }
    consumer = KafkaConsumer(bootstrap_servers=ingest.bootstrap, **options)

    class _Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            # Land and commit what we hold before another member takes the partitions over.
            if ingest.pending.messages:
                ingest.flush()

        def on_partitions_assigned(self, assigned: Any) -> None:
            log.info("assigned %d partitions", len(assigned))

    consumer.subscribe(pattern=ingest.topic_pattern, listener=_Listener())
    return consumer


@contextlib.contextmanager
def _signals_stop(stop: Callable[[str], None]) -> Any:
    """SIGTERM/SIGINT ask the loop to finish cleanly (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum: int, _frame: Any) -> None:
        stop(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ingest(
    bootstrap: str,
    lake: Any,
    *,
    key_registry: KeyRegistry,
    group_id: str = "interlink-ingest",
    until_idle: float | None = None,
    max_messages: int | None = None,
    batch_max_messages: int = 5000,
    batch_max_bytes: int = 64 * MiB,
    batch_max_seconds: float = 5.0,
    client_options: dict[str, Any] | None = None,
    consumer_options: dict[str, Any] | None = None,
    topic_pattern: str = FEED_TOPIC_PATTERN,
    workers: int | None = None,
    broker: BrokerTraits = TANSU,
) -> IngestReport:
    """Land the feed topics into `lake` bronze (or the DLQ) and return what happened.

    Without `until_idle` or `max_messages` it runs until SIGTERM/SIGINT, then flushes, commits
    and leaves the group. `client_options` go straight to kafka-python (SASL/TLS settings).
    `workers` check processes run the checks (default: one per core; 0: in this process);
    `broker` names the kind of broker (`streams.brokers`).
    """
    runner = Ingest(
        bootstrap,
        lake,
        key_registry=key_registry,
        group_id=group_id,
        batch_max_messages=batch_max_messages,
        batch_max_bytes=batch_max_bytes,
        batch_max_seconds=batch_max_seconds,
        client_options=client_options,
        consumer_options=consumer_options,
        topic_pattern=topic_pattern,
        workers=workers,
        broker=broker,
    )
    with _signals_stop(runner.stop):
        return runner.run(until_idle=until_idle, max_messages=max_messages)
