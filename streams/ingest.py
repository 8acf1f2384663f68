"""The operator's side: land every feed message exactly once in bronze, or in the DLQ with a reason.

A consumer group reads `feeds.<feed>.<ISO3>` in micro-batches bounded by count, bytes and time.
Each message is decoded, its country checked against the topic's, its Ed25519 signature checked
against the registered key of that country, and its envelope and payload validated
(`streams.checking`: in a pool of worker processes while this process polls, lands and commits,
or in this process for a trickle of messages). Per batch and
partition, the accepted messages become one Parquet file named from the Kafka coordinates
(`<topic>+<partition>+<first>-<last>.parquet`); the file is made durable before the offsets are
committed, so a crash at any point leads to a replay that rewrites the same names: the lake holds
each message once without Kafka transactions. Everything else goes to `feeds.dlq` with the original
bytes and Kafka Connect style headers. Every message yields a receipt on `feeds.receipts.<ISO3>`
(batched: one Kafka message per landed batch and partition, `contracts.ReceiptBatch`).

Delivery guarantees: bronze is exactly-once; the DLQ and the receipts are at-least-once (a crash
after they were sent but before the commit sends them again, with the same message id, topic,
partition and offset, so readers can deduplicate on those).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import re
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from contracts import RECEIPTS_PER_MESSAGE, Envelope
from streams.brokers import TANSU, BrokerTraits
from streams.checking import (
    ENVELOPE_COLUMNS,
    Checker,
    CheckPool,
    Rejected,
    Verdict,
    default_workers,
)
from streams.errors import UnknownTopic
from streams.keys import KeyRegistry
from streams.topics import (
    DLQ_TOPIC,
    FEED_TOPIC_PATTERN,
    TopicCreator,
    parse_feed_topic,
    receipts_topic,
)

log = logging.getLogger(__name__)

MiB = 1024 * 1024
BRONZE_PREFIX = "bronze"
QUARANTINE_PREFIX = "quarantine"
_FILE_RE = re.compile(r"^(?P<topic>.+)\+(?P<partition>\d+)\+(?P<first>\d+)-(?P<last>\d+)\.parquet$")

BRONZE_SCHEMA = pa.schema(
    [
        pa.field("topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("kafka_timestamp", pa.timestamp("ms", tz="UTC")),
        pa.field("ingest_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("feed", pa.string(), nullable=False),
        pa.field("schema_version", pa.int32(), nullable=False),
        pa.field("source_country", pa.string(), nullable=False),
        pa.field("source_agency", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("record_version", pa.int64(), nullable=False),
        pa.field("operation", pa.string(), nullable=False),
        pa.field("produced_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("reported_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("operation_code", pa.string()),
        pa.field("dissemination", pa.list_(pa.string())),
        pa.field("handling_code", pa.string()),
        pa.field("handling_note", pa.string()),
        pa.field("source_reliability", pa.string()),
        pa.field("information_assessment", pa.string()),
        pa.field("review_by", pa.date32()),
        pa.field("payload", pa.string()),
        pa.field("raw", pa.binary(), nullable=False),
    ]
)
"""Bronze columns, as docs/wire-format.md lists them."""

# Kafka Connect's dead-letter header names (errors.deadletterqueue.context.headers.enable), so
# tools that know Connect's DLQ read ours; `interlink.*` adds what Connect has no name for.
H_TOPIC = "__connect.errors.topic"
H_PARTITION = "__connect.errors.partition"
H_OFFSET = "__connect.errors.offset"
H_CLASS = "__connect.errors.exception.class.name"
H_MESSAGE = "__connect.errors.exception.message"
H_ERROR_CLASS = "interlink.error.class"
H_COUNTRY = "interlink.source.country"
H_MESSAGE_ID = "interlink.message_id"
H_TIMESTAMP = "interlink.source.timestamp"
H_REJECTED_AT = "interlink.rejected_at"


# -- results ------------------------------------------------------------------------------------
@dataclass
class IngestReport:
    """What one ingest run did (also what the Airflow task returns)."""

    accepted: int = 0
    rejected: int = 0
    per_country: dict[str, int] = field(default_factory=dict)
    """Accepted messages per source country."""
    rejected_per_country: dict[str, int] = field(default_factory=dict)
    per_reason: dict[str, int] = field(default_factory=dict)
    """Rejected messages per error class (decode.utf8, signature.invalid, …)."""
    files: list[str] = field(default_factory=list)
    batches: int = 0
    seconds: float = 0.0
    lag: dict[str, int] = field(default_factory=dict)
    """Messages not yet read per `<topic>+<partition>` at the end (from highwater marks)."""
    stopped_by: str = ""

    @property
    def messages(self) -> int:
        return self.accepted + self.rejected

    @property
    def records_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "messages": self.messages,
            "per_country": dict(sorted(self.per_country.items())),
            "rejected_per_country": dict(sorted(self.rejected_per_country.items())),
            "per_reason": dict(sorted(self.per_reason.items())),
            "files": list(self.files),
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "records_per_s": round(self.records_per_s, 1),
            "lag": dict(sorted(self.lag.items())),
            "stopped_by": self.stopped_by,
        }


# -- per-partition batch ------------------------------------------------------------------------
@dataclass
class _PartitionBatch:
    topic: str
    partition: int
    feed: str
    country: str | None
    first: int
    last: int
    offsets: list[int] = field(default_factory=list)
    """Of the accepted messages; `timestamps`, `raws` and `envelopes` are aligned with it."""
    timestamps: list[int | None] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[Any, ...]] = field(default_factory=list)
    """`streams.checking.ENVELOPE_COLUMNS` of each accepted message."""
    receipts: list[dict[str, Any]] = field(default_factory=list)
    """One per message read, accepted or rejected, in offset order (sent at the flush)."""


def bronze_dir(feed: str, country: str) -> str:
    return f"{BRONZE_PREFIX}/feed={feed}/country={country}"


def bronze_name(feed: str, country: str, day: str, topic: str, partition: int, first: int,
                last: int) -> str:  # fmt: skip
    """Relative bronze path of the messages first..last of topic/partition (see module doc)."""
    return f"{bronze_dir(feed, country)}/date={day}/{topic}+{partition}+{first}-{last}.parquet"


def parse_bronze_name(rel: str) -> tuple[str, int, int, int] | None:
    """(topic, partition, first, last) of a bronze file name, or None for other files."""
    m = _FILE_RE.match(rel.rsplit("/", 1)[-1])
    if m is None:
        return None
    return m["topic"], int(m["partition"]), int(m["first"]), int(m["last"])


def _day_of(timestamp_ms: int | None) -> str:
    # The Kafka timestamp is stored with the message, so a replay derives the same day (and thus
    # the same file name) as the first run; the wall clock would not.
    if timestamp_ms is None or timestamp_ms < 0:
        return "unknown"
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).date().isoformat()


def _header_value(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


PARALLEL_MIN = 64
"""A poll with fewer messages (and nothing in the workers) is checked in this process: shipping a
trickle to the workers would add latency and copying for no gain."""
CHUNK_MAX = 256
"""Most messages per chunk sent to a worker."""


# -- the ingest ---------------------------------------------------------------------------------
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
        self.batch_max_messages = max(1, batch_max_messages)
        self.batch_max_bytes = max(1, batch_max_bytes)
        self.batch_max_seconds = batch_max_seconds
        self.client_options = dict(client_options or {})
        self.consumer_options = dict(consumer_options or {})
        self.producer_options = dict(producer_options or {})
        self.topic_pattern = topic_pattern
        self.log_batches = log_batches
        self.workers = default_workers() if workers is None else max(0, workers)
        """Worker processes for the checks (0: all in this process)."""
        self.on_first_message = on_first_message
        self.broker = broker
        """The kind of broker answering (`streams.brokers`): which client workarounds apply."""
        """Called once, when the first message arrives (benchmarks start their clocks there)."""
        self.checker = Checker(key_registry)
        self.report = IngestReport()
        self._pending: dict[tuple[str, int], _PartitionBatch] = {}
        self._pending_messages = 0
        self._pending_bytes = 0
        self._batch_started: float | None = None
        self._batch_rejected: Counter[str] = Counter()
        self._positions: dict[tuple[str, int], int] = {}
        self._highwater: dict[tuple[str, int], int] = {}
        self._bronze_files: dict[tuple[str, str], dict[str, tuple[str, int, int, int]]] = {}
        self._seen: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
        self._topics = TopicCreator(bootstrap, client_options=self.client_options, partitions=1)
        self._consumer: Any = None
        self._producer: Any = None
        self._stop = threading.Event()
        self._stop_reason = ""
        self._pool: CheckPool | None = None
        self._inflight: deque[tuple[list[Any], Future[list[Verdict]]]] = deque()
        self._topic_info: dict[str, tuple[str, str | None]] = {}

    # -- clients ------------------------------------------------------------------------------
    def _make_consumer(self) -> Any:
        from kafka import KafkaConsumer
        from kafka.consumer.subscription_state import ConsumerRebalanceListener

        options: dict[str, Any] = {
            "group_id": self.group_id,
            "client_id": f"interlink-ingest-{self.group_id}",
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            # A join waits about half the session timeout on the embedded broker; short values
            # keep test and Airflow runs quick while tolerating a busy machine.
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1000,
            # New country topics are discovered through metadata refreshes.
            "metadata_max_age_ms": 5000,
            "max_poll_records": min(self.batch_max_messages, 2000),
            # Large enough to fetch a message above the contract's limit, so it can be
            # dead-lettered rather than block the partition.
            "max_partition_fetch_bytes": 16 * MiB,
            "fetch_max_bytes": 64 * MiB,
            **self.client_options,
            **self.consumer_options,
        }
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, **options)
        ingest = self

        class _Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked: Any) -> None:
                # Land and commit what we hold before another member takes the partitions over.
                if ingest._pending_messages:
                    ingest.flush()

            def on_partitions_assigned(self, assigned: Any) -> None:
                log.info("assigned %d partitions", len(assigned))

        consumer.subscribe(pattern=self.topic_pattern, listener=_Listener())
        return consumer

    @property
    def producer(self) -> Any:
        if self._producer is None:
            from streams.producer import make_producer
            from streams.publisher import _compression

            options: dict[str, Any] = {
                "acks": "all",
                "enable_idempotence": True,
                "compression_type": _compression(),
                "linger_ms": 10,
                # The DLQ keeps oversized messages byte for byte.
                "max_request_size": 32 * MiB,
                "client_id": f"interlink-ingest-{self.group_id}",
                **self.client_options,
                **self.producer_options,
            }
            self._producer = make_producer(self.broker, bootstrap_servers=self.bootstrap, **options)
        return self._producer

    # -- checks -------------------------------------------------------------------------------
    def check(self, topic: str, partition: int, offset: int, value: bytes | None) -> tuple[
        Envelope, dict[str, Any]
    ]:  # fmt: skip
        """The validated envelope and its decoded JSON, or `Rejected` / `ContractError`: every
        rule, the delete rule included (which `handle` applies after `Checker`'s)."""
        envelope, data = self.checker.check(topic, value)
        feed, country = self._topic_of(topic)
        assert country is not None  # the checker rejects topics without a country
        if envelope.operation == "delete" and not self._known(
            feed, country, envelope.record_id, partition, offset
        ):
            raise _unknown_delete(feed, country, envelope.record_id)
        return envelope, data

    def _topic_of(self, topic: str) -> tuple[str, str | None]:
        info = self._topic_info.get(topic)
        if info is None:
            try:
                info = parse_feed_topic(topic)
            except UnknownTopic:
                info = ("unknown", None)  # the checker dead-letters it with the reason
            self._topic_info[topic] = info
        return info

    # -- the seen-record index (deletes) --------------------------------------------------------
    def _known(self, feed: str, country: str, record_id: str, partition: int, offset: int) -> bool:
        """Was record_id landed before this offset? Derived from bronze (and quarantine), so it
        survives restarts; offsets at or after this one do not count, so a replay decides the
        same way as the first run."""
        index = self._seen_index(feed, country)
        where = index.get(record_id)
        if where is None:
            return False
        seen_partition, seen_offset = where
        return seen_partition != partition or seen_offset < offset

    def _seen_index(self, feed: str, country: str) -> dict[str, tuple[int, int]]:
        key = (feed, country)
        index = self._seen.get(key)
        if index is not None:
            return index
        index = {}
        for prefix in (BRONZE_PREFIX, QUARANTINE_PREFIX):
            for rel in self.lake.list(f"{prefix}/feed={feed}/country={country}"):
                if not rel.endswith(".parquet"):
                    continue
                table = pq.read_table(
                    io.BytesIO(self.lake.read_bytes(rel)),
                    columns=["record_id", "partition", "offset"],
                )
                for rid, part, off in zip(
                    table.column("record_id").to_pylist(),
                    table.column("partition").to_pylist(),
                    table.column("offset").to_pylist(),
                    strict=True,
                ):
                    _remember(index, rid, part, off)
        for batch in self._pending.values():
            if batch.feed == feed and batch.country == country:
                for values, offset in zip(batch.envelopes, batch.offsets, strict=True):
                    _remember(index, values[_RECORD_ID], batch.partition, offset)
        self._seen[key] = index
        return index

    # -- consuming ----------------------------------------------------------------------------
    def handle(self, message: Any) -> bool:
        """Check one consumed message in this process and add it to the batch or the DLQ; True
        when accepted."""
        return self._apply(message, self.checker.verdict(message.topic, message.value))

    def _apply(self, message: Any, verdict: Verdict) -> bool:
        """Add a checked message to its partition's batch (or the DLQ), in offset order."""
        topic, partition, offset = message.topic, message.partition, message.offset
        tp = (topic, partition)
        feed, country = self._topic_of(topic)
        batch = self._pending.get(tp)
        if batch is None:
            batch = _PartitionBatch(topic, partition, feed, country, offset, offset)
            self._pending[tp] = batch
        batch.last = offset
        if self._batch_started is None:
            self._batch_started = time.monotonic()
        self._pending_messages += 1
        self._pending_bytes += len(message.value or b"")
        self._positions[tp] = offset + 1
        values = verdict[0]  # Verdict.columns; workers send Verdicts as plain tuples
        if values is None:
            self._reject(message, country, verdict)
            return False
        assert country is not None  # the checker rejects topics without a country
        message_id, record_id = values[_MESSAGE_ID], values[_RECORD_ID]
        record_version, operation = values[_RECORD_VERSION], values[_OPERATION]
        if operation == "delete" and not self._known(feed, country, record_id, partition, offset):
            exc = _unknown_delete(feed, country, record_id)
            self._reject(
                message,
                country,
                Verdict(None, exc.error_class, str(exc), _REJECTED_CLASS, message_id),
            )
            return False
        batch.offsets.append(offset)
        batch.timestamps.append(message.timestamp if message.timestamp >= 0 else None)
        batch.raws.append(bytes(message.value))
        batch.envelopes.append(values)
        batch.receipts.append(
            {
                "message_id": message_id,
                "status": "accepted",
                "error_class": None,
                "reason": None,
                "source_country": country,
                "feed": feed,
                "record_id": record_id,
                "record_version": record_version,
                "topic": topic,
                "partition": partition,
                "offset": offset,
            }
        )
        index = self._seen.get((feed, country))
        if index is not None:
            _remember(index, record_id, partition, offset)
        return True

    # -- the worker pool ------------------------------------------------------------------------
    def _dispatch(self, records: list[Any]) -> None:
        """Check one partition's polled messages, in the workers when it pays, and apply the
        verdicts that are ready (in order)."""
        if self._pool is None or (not self._inflight and len(records) < PARALLEL_MIN):
            for message in records:
                self.handle(message)
                if self.batch_full():
                    self._land_pending()
            return
        size = min(CHUNK_MAX, max(32, math.ceil(len(records) / self._pool.workers)))
        topic = records[0].topic
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            future = self._pool.submit(topic, [m.value for m in chunk])
            self._inflight.append((chunk, future))
        self._collect(wait_all=False)

    def _collect(self, *, wait_all: bool) -> None:
        """Apply the verdicts of the chunks in flight, oldest first: those already done, plus
        (to bound memory) the oldest while too many are in flight, or all with `wait_all`."""
        limit = 4 * (self._pool.workers if self._pool is not None else 1)
        while self._inflight:
            chunk, future = self._inflight[0]
            if not (wait_all or future.done() or len(self._inflight) > limit):
                break
            self._inflight.popleft()
            for message, verdict in zip(chunk, self._verdicts(chunk, future), strict=True):
                self._apply(message, verdict)
                if self.batch_full():
                    # Only what was applied lands: later chunks go to the next batch.
                    self._land_pending()

    def _verdicts(self, chunk: list[Any], future: Future[list[Verdict]]) -> list[Verdict]:
        try:
            return future.result()
        except Exception as exc:
            # A worker died (killed, out of memory): check in this process from here on. Nothing
            # of the chunk was applied, so no message is lost or doubled.
            if self._pool is not None:
                log.warning("check workers failed (%r): checking in the ingest process", exc)
                pool, self._pool = self._pool, None
                with contextlib.suppress(Exception):
                    pool.close()
            return [self.checker.verdict(m.topic, m.value) for m in chunk]

    def _reject(self, message: Any, country: str | None, verdict: Verdict) -> None:
        _columns, error_class, reason, exception, message_id = verdict
        headers = list(message.headers or [])
        headers += [
            (H_TOPIC, _header_value(message.topic)),
            (H_PARTITION, _header_value(message.partition)),
            (H_OFFSET, _header_value(message.offset)),
            (H_CLASS, _header_value(exception)),
            (H_MESSAGE, _header_value(reason)),
            (H_ERROR_CLASS, _header_value(error_class)),
            (H_TIMESTAMP, _header_value(message.timestamp)),
            (H_REJECTED_AT, _header_value(datetime.now(UTC).isoformat())),
        ]
        if country:
            headers.append((H_COUNTRY, _header_value(country)))
        if message_id:
            headers.append((H_MESSAGE_ID, _header_value(message_id)))
        self._topics.ensure([DLQ_TOPIC])
        self.producer.send(DLQ_TOPIC, key=message.key, value=message.value, headers=headers)
        batch = self._pending.get((message.topic, message.partition))
        if country and batch is not None:
            batch.receipts.append(
                {
                    "message_id": message_id,
                    "status": "rejected",
                    "error_class": error_class[:64],
                    "reason": reason[:2000],
                    "source_country": country,
                    "feed": message.topic.split(".")[1],
                    "record_id": None,
                    "record_version": None,
                    "topic": message.topic,
                    "partition": message.partition,
                    "offset": message.offset,
                }
            )
        self.report.rejected += 1
        self.report.per_reason[error_class] = self.report.per_reason.get(error_class, 0) + 1
        who = country or "unknown"
        self.report.rejected_per_country[who] = self.report.rejected_per_country.get(who, 0) + 1
        self._batch_rejected[error_class] += 1
        log.debug("rejected %s+%s+%s: %s", message.topic, message.partition, message.offset, reason)

    def _send_receipts(self, batch: _PartitionBatch, processed_at: str) -> None:
        """The batch's receipts, a few Kafka messages of up to RECEIPTS_PER_MESSAGE each
        (`contracts.ReceiptBatch`): one producer send per message read cost more than the
        message's checks."""
        if batch.country is None or not batch.receipts:
            return
        topic = receipts_topic(batch.country)
        self._topics.ensure([topic])
        key = f"{batch.topic}+{batch.partition}".encode()
        receipts = batch.receipts
        for receipt in receipts:
            receipt["processed_at"] = processed_at
        for start in range(0, len(receipts), RECEIPTS_PER_MESSAGE):
            chunk = receipts[start : start + RECEIPTS_PER_MESSAGE]
            self.producer.send(topic, key=key, value=_encode({"receipts": chunk}))

    # -- landing ------------------------------------------------------------------------------
    def batch_full(self) -> bool:
        if self._pending_messages >= self.batch_max_messages:
            return True
        if self._pending_bytes >= self.batch_max_bytes:
            return True
        started = self._batch_started
        return started is not None and time.monotonic() - started >= self.batch_max_seconds

    def _bronze_index(self, feed: str, country: str) -> dict[str, tuple[str, int, int, int]]:
        key = (feed, country)
        index = self._bronze_files.get(key)
        if index is None:
            index = {}
            for rel in self.lake.list(bronze_dir(feed, country)):
                parsed = parse_bronze_name(rel)
                if parsed is not None:
                    index[rel] = parsed
            self._bronze_files[key] = index
        return index

    def _land(self, batch: _PartitionBatch) -> str | None:
        """Write the batch's accepted rows as one bronze file; returns its name (None when the
        batch accepted nothing)."""
        if not batch.offsets:
            return None
        assert batch.country is not None
        first, last = batch.offsets[0], batch.offsets[-1]
        day = _day_of(batch.timestamps[0])
        rel = bronze_name(batch.feed, batch.country, day, batch.topic, batch.partition, first, last)
        table = _bronze_table(batch, datetime.now(UTC))
        self.lake.write_parquet(rel, table)
        return rel

    def _replace_interrupted(self, batch: _PartitionBatch, written: str | None) -> None:
        """Remove bronze files an interrupted run left for offsets this batch now covers.

        Such a file starts inside this batch's consumed offset range (committed offsets always
        end a file, so no file starts earlier and reaches in), and its boundaries may differ
        from this run's: it is replaced by the file just written, never kept beside it. This
        also runs when the batch accepted nothing, so a verdict that changed between runs (a
        key revoked) cannot leave the earlier acceptance behind.
        """
        if batch.country is None:
            return
        index = self._bronze_index(batch.feed, batch.country)
        for other, (topic, partition, o_first, _o_last) in list(index.items()):
            if (
                other != written
                and topic == batch.topic
                and partition == batch.partition
                and batch.first <= o_first <= batch.last
            ):
                self.lake.delete(other)
                del index[other]
                log.info("replaced %s, left by an interrupted run, with %s", other, written)
        if written is not None:
            parsed = parse_bronze_name(written)
            assert parsed is not None
            index[written] = parsed

    def flush(self) -> None:
        """Land every message read so far: the checks in flight are applied first, then the
        pending batch lands (`_land_pending`)."""
        self._collect(wait_all=True)
        self._land_pending()

    def _land_pending(self) -> None:
        """Land the pending batch: bronze files, then receipts and DLQ acknowledged, then the
        offsets committed. A crash anywhere before the commit replays the same messages."""
        if not self._pending:
            return
        from kafka.errors import CommitFailedError
        from kafka.structs import OffsetAndMetadata, TopicPartition

        t0 = time.monotonic()
        messages = self._pending_messages
        written: list[str] = []
        accepted = 0
        for batch in self._pending.values():
            rel = self._land(batch)
            self._replace_interrupted(batch, rel)
            if rel is None:
                continue
            written.append(rel)
            accepted += len(batch.offsets)
            country = batch.country or "?"
            self.report.per_country[country] = self.report.per_country.get(country, 0) + len(
                batch.offsets
            )
        # Receipts go out once the accepted messages are durable, before the offsets commit.
        processed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        for batch in self._pending.values():
            self._send_receipts(batch, processed_at)
        if self._producer is not None:
            self._producer.flush()
        offsets = {
            TopicPartition(b.topic, b.partition): OffsetAndMetadata(b.last + 1, "", -1)
            for b in self._pending.values()
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
        seconds = time.monotonic() - t0
        batch_seconds = time.monotonic() - (self._batch_started or t0)
        if self.log_batches:
            log.info(
                json.dumps(
                    {
                        "event": "ingest.batch",
                        "batch": self.report.batches,
                        "messages": messages,
                        "accepted": accepted,
                        "rejected": messages - accepted,
                        "rejected_by_reason": dict(self._batch_rejected),
                        "bytes": self._pending_bytes,
                        "files": written,
                        "flush_seconds": round(seconds, 3),
                        "records_per_s": round(messages / batch_seconds, 1)
                        if batch_seconds > 0
                        else None,
                        "lag": self.lag(),
                        "at": datetime.now(UTC).isoformat(),
                    },
                    sort_keys=False,
                )
            )
        self._pending = {}
        self._pending_messages = 0
        self._pending_bytes = 0
        self._batch_started = None
        self._batch_rejected = Counter()

    def lag(self) -> dict[str, int]:
        """Unread messages per partition: highwater mark minus the next offset to read."""
        out = {}
        for tp, position in self._positions.items():
            hw = self._highwater.get(tp)
            if hw is not None:
                out[f"{tp[0]}+{tp[1]}"] = max(0, hw - position)
        return out

    def _update_highwater(self) -> None:
        from kafka.structs import TopicPartition

        for topic, partition in self._positions:
            hw = self._consumer.highwater(TopicPartition(topic, partition))
            if hw is not None:
                self._highwater[(topic, partition)] = hw

    def _caught_up(self) -> bool:
        for tp in self._consumer.assignment():
            hw = self._consumer.highwater(tp)
            if hw is None or self._consumer.position(tp) < hw:
                return False
        return True

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
        t0 = time.monotonic()
        if join_grace is None:
            join_grace = self.broker.join_grace
        # pyarrow loads pandas on first use (seconds on a busy machine): pay it before the group
        # join rather than inside the first flush, while the partitions are held.
        pa.array([0])
        if self.workers and self._pool is None:
            self._pool = CheckPool(self.registry, self.workers)
        self._consumer = self._make_consumer()
        self._topics.ensure([DLQ_TOPIC])
        last_activity = time.monotonic()
        assigned_once = False
        processed = 0
        try:
            while not self._stop.is_set():
                budget = None if max_messages is None else max_messages - processed
                polled = self._consumer.poll(
                    timeout_ms=int(poll_timeout * 1000),
                    max_records=min(budget, 2000) if budget is not None else None,
                )
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
                    self._update_highwater()
                if self._inflight:
                    self._collect(wait_all=False)
                if (self._pending or self._inflight) and (self.batch_full() or not got):
                    # An empty poll means we are caught up: land what we have rather than wait.
                    self.flush()
                if max_messages is not None and processed >= max_messages:
                    self.stop("max_messages")
                    break
                if until_idle is not None and not self._pending and not self._inflight:
                    idle = time.monotonic() - last_activity
                    # Idle means caught up: every assigned partition answered a fetch and has
                    # nothing beyond our position. A slow first fetch on a busy machine must not
                    # look like an empty topic. The grace covers the group join and a broker
                    # that never reports a highwater mark.
                    if (idle >= until_idle and assigned_once and self._caught_up()) or (
                        idle >= until_idle + join_grace
                    ):
                        self.stop("idle")
                        break
            self.flush()
        finally:
            with contextlib.suppress(Exception):
                self._update_highwater()
            self.report.lag = self.lag()
            self._close()
        self.report.seconds = time.monotonic() - t0
        self.report.stopped_by = self._stop_reason or "stop"
        return self.report

    def _close(self) -> None:
        self._inflight.clear()
        if self._pool is not None:
            with contextlib.suppress(Exception):
                self._pool.close()
            self._pool = None
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


_encode = msgspec.json.Encoder().encode
_MESSAGE_ID = ENVELOPE_COLUMNS.index("message_id")
_RECORD_ID = ENVELOPE_COLUMNS.index("record_id")
_RECORD_VERSION = ENVELOPE_COLUMNS.index("record_version")
_OPERATION = ENVELOPE_COLUMNS.index("operation")
_ENVELOPE_TYPES = [BRONZE_SCHEMA.field(name).type for name in ENVELOPE_COLUMNS]


def _bronze_table(batch: _PartitionBatch, landed_at: datetime) -> pa.Table:
    """The batch's accepted messages as a bronze table, built column by column."""
    n = len(batch.offsets)
    envelope_columns = list(zip(*batch.envelopes, strict=True))
    arrays = [
        pa.array([batch.topic] * n, pa.string()),
        pa.array([batch.partition] * n, pa.int32()),
        pa.array(batch.offsets, pa.int64()),
        pa.array(batch.timestamps, pa.timestamp("ms", tz="UTC")),
        pa.array([landed_at] * n, pa.timestamp("us", tz="UTC")),
        *(pa.array(c, t) for c, t in zip(envelope_columns, _ENVELOPE_TYPES, strict=True)),
        pa.array(batch.raws, pa.binary()),
    ]
    return pa.Table.from_arrays(arrays, schema=BRONZE_SCHEMA)


_REJECTED_CLASS = f"{Rejected.__module__}.{Rejected.__name__}"


def _unknown_delete(feed: str, country: str, record_id: str) -> Rejected:
    return Rejected(
        "delete.unknown_record",
        f"delete of {feed} record {record_id!r}, which was never received from "
        f"{country}: check the record id",
    )


def _remember(
    index: dict[str, tuple[int, int]], record_id: str, partition: int, offset: int
) -> None:
    known = index.get(record_id)
    if known is None or (known[0] == partition and offset < known[1]):
        index[record_id] = (partition, offset)


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
