"""The dead-letter queue and the receipts: the headers a dead letter carries (written by the
ingest), and reading back what the ingest wrote to Kafka: dead letters (list, replay) and receipts.

Readers here use no consumer group: they assign every partition of the topic, read from the
beginning up to its end, and leave no trace on the cluster. The end is the end offset that
ListOffsets answers when the broker's answers are exact (Apache Kafka), else the highwater mark
seen after a poll (Tansu's ListOffsets answers cannot be trusted: `streams.brokers`).

A replay republishes a dead letter's original key, bytes and headers to its source topic, after
the cause was fixed (a key registered, a contract relaxed). Each replayed dead letter is recorded
on `feeds.dlq.replayed` (key `<partition>+<offset>`), so a second replay skips it unless forced:
the message then lands once, like any other.

Erasure cannot delete one message from a Kafka topic, so the DLQ may still hold a copy of a record
the lake has erased (its tombstone in `tombstones/`). No DLQ path brings it back: given the
erased index, listing flags such a letter (`erased`) and replay refuses it, forced or not
(`ReplayResult.refused_erased`). The copy lives until the DLQ topic's retention deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from streams.brokers import TANSU, BrokerTraits
from streams.topics import (
    DLQ_REQUEST_BYTES,
    DLQ_TOPIC,
    FETCH_BYTES,
    FETCH_PARTITION_BYTES,
    MiB,
    TopicCreator,
    receipts_topic,
)

REPLAYED_TOPIC = "feeds.dlq.replayed"

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
H_REPLAY_OF = "interlink.replay_of"
H_ORIGINAL_SIZE = "interlink.original.size"
H_ORIGINAL_SHA256 = "interlink.original.sha256"
H_TRUNCATED = "interlink.truncated"
H_DROPPED_HEADERS = "interlink.dropped_headers"

OURS = ("interlink.", "__connect.errors.")
"""Header name prefixes only the ingest (and the DLQ replay) writes: a publisher's own headers
with these names are dropped before a message is dead-lettered, so a reader of the DLQ trusts
every such header (`dlq list --country DEU` lists only what DEU's topics carried)."""

DLQ_RECORD_MAX = DLQ_REQUEST_BYTES - MiB
"""Largest dead letter sent as it came (key, value and headers): the DLQ producer's request
limit less room for the batch and our headers."""
TRUNCATED_BYTES = MiB
"""How much of a value too large for the DLQ its dead letter keeps (with the whole value's
SHA-256 and size): enough to recognise the message, never enough to stop the ingest."""


def _header_value(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def dead_letter_headers(
    message: Any,
    *,
    country: str | None,
    error_class: str,
    reason: str,
    exception: str,
    message_id: str | None,
) -> list[tuple[str, bytes]]:
    """The headers a refused message goes to the DLQ with: its own (without any `OURS` name, and
    null values as empty ones), then where it was read and why it was refused (`dead_letter_of`
    reads them back)."""
    headers = [
        (name, value if value is not None else b"")
        for name, value in (message.headers or [])
        if isinstance(name, str) and not name.startswith(OURS)
    ]
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
    return headers


def dead_letter(message: Any, headers: list[tuple[str, bytes]]) -> tuple[Any, Any, list[Any]]:
    """(key, value, headers) to send to the DLQ for `message`: as it came, or, when that would
    exceed the DLQ producer's request size (the broker may accept larger messages than we
    send), a truncated copy with the original's size and SHA-256 and coordinates already in
    `headers`. Publisher headers are dropped too when they alone are that large."""
    key, value = message.key, message.value
    size = len(key or b"") + len(value or b"") + sum(len(k) + len(v) for k, v in headers)
    if size <= DLQ_RECORD_MAX:
        return key, value, headers
    ours = [(k, v) for k, v in headers if k.startswith(OURS)]
    theirs = [(k, v) for k, v in headers if not k.startswith(OURS)]
    if sum(len(k) + len(v) for k, v in theirs) > TRUNCATED_BYTES:
        ours.append((H_DROPPED_HEADERS, _header_value(len(theirs))))
        theirs = []
    truncated = []
    if key is not None and len(key) > TRUNCATED_BYTES:
        truncated.append("key")
        key = key[:TRUNCATED_BYTES]
    if value is not None and len(value) > TRUNCATED_BYTES:
        truncated.append("value")
        ours += [
            (H_ORIGINAL_SIZE, _header_value(len(value))),
            (H_ORIGINAL_SHA256, _header_value(hashlib.sha256(value).hexdigest())),
        ]
        value = value[:TRUNCATED_BYTES]
    if truncated:
        ours.append((H_TRUNCATED, _header_value(",".join(truncated))))
    return key, value, theirs + ours


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    client_options: dict[str, Any] | None = None,
    idle_seconds: float = 3.0,
    max_messages: int | None = None,
    broker: BrokerTraits = TANSU,
) -> Iterator[Any]:
    """Every message of `topic` from the beginning to the current end (an unknown topic is
    empty). Stops at the end of every partition, or after `idle_seconds` without a message."""
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=FETCH_PARTITION_BYTES,
        fetch_max_bytes=FETCH_BYTES,
        client_id="interlink-reader",
        **(client_options or {}),
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends: dict[TopicPartition, int] = {}
        done: set[TopicPartition] = set()
        if broker.exact_end_offsets:
            # The end as of now: messages sent while we read are left for the next reader, and
            # an empty partition is done without waiting for a fetch to say so.
            ends = consumer.end_offsets(tps)
            starts = consumer.beginning_offsets(tps)
            done = {tp for tp in tps if starts[tp] >= ends[tp]}
        last = time.monotonic()
        count = 0
        while len(done) < len(tps):
            polled = consumer.poll(timeout_ms=500)
            for records in polled.values():
                for record in records:
                    yield record
                    count += 1
                    if max_messages is not None and count >= max_messages:
                        return
            if polled:
                last = time.monotonic()
            for tp in tps:
                end = ends[tp] if ends else consumer.highwater(tp)
                if end is not None and consumer.position(tp) >= end:
                    done.add(tp)
            if time.monotonic() - last >= idle_seconds:
                return
    finally:
        with contextlib.suppress(Exception):
            consumer.close()


@dataclass
class DeadLetter:
    """One DLQ entry: where it came from, why it was refused, and where it sits in the DLQ."""

    dlq_partition: int
    dlq_offset: int
    topic: str | None
    partition: int | None
    offset: int | None
    error_class: str | None
    reason: str | None
    exception: str | None
    country: str | None
    message_id: str | None
    size: int
    replayed: bool = False
    truncated: bool = False
    """Only a prefix of the message is kept (it exceeded the DLQ's size): never replayed."""
    original_size: int | None = None
    original_sha256: str | None = None
    feed: str | None = None
    record_id: str | None = None
    record_version: int | None = None
    """The record the message carries, when its topic and JSON say so."""
    erased: bool = False
    """The lake erased this record at this version or a later one: never replayed."""
    erased_upto: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ErasedLookup(Protocol):
    """What the lake erased (`streams.ingest.erased.ErasedIndex`)."""

    def erased_upto(self, feed: str, country: str, record_id: str) -> int | None: ...


def _record_of(letter: DeadLetter, value: bytes | None) -> None:
    """Fill the letter's feed, record id and version from its source topic and its JSON (what
    the ingest would have read), when both say."""
    from streams.topics import parse_feed_topic

    if not letter.topic or value is None or letter.truncated:
        return
    try:
        feed, _country = parse_feed_topic(letter.topic)
        doc = json.loads(value)
    except Exception:  # a dead letter may be anything at all: then it names no record
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("record_id"), str):
        return
    letter.feed = feed
    letter.record_id = doc["record_id"]
    version = doc.get("record_version")
    letter.record_version = version if isinstance(version, int) else None


def _flag_erased(letter: DeadLetter, erased: ErasedLookup | None) -> None:
    """Mark a letter whose record was erased at its version or above (a version unknown counts
    as erased: nothing proves it is a later one)."""
    from streams.topics import parse_feed_topic

    if erased is None or letter.feed is None or letter.record_id is None or not letter.topic:
        return
    _feed, country = parse_feed_topic(letter.topic)
    if country is None:
        return
    upto = erased.erased_upto(letter.feed, country, letter.record_id)
    if upto is not None and (letter.record_version is None or letter.record_version <= upto):
        letter.erased, letter.erased_upto = True, upto


def _headers(record: Any) -> dict[str, str]:
    out = {}
    for name, value in record.headers or []:
        with contextlib.suppress(UnicodeDecodeError, AttributeError):
            out[name] = value.decode("utf-8") if value is not None else ""
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def dead_letter_of(record: Any, erased: ErasedLookup | None = None) -> DeadLetter:
    h = _headers(record)
    letter = DeadLetter(
        dlq_partition=record.partition,
        dlq_offset=record.offset,
        topic=h.get(H_TOPIC),
        partition=_int(h.get(H_PARTITION)),
        offset=_int(h.get(H_OFFSET)),
        error_class=h.get(H_ERROR_CLASS),
        reason=h.get(H_MESSAGE),
        exception=h.get(H_CLASS),
        country=h.get(H_COUNTRY),
        message_id=h.get(H_MESSAGE_ID),
        size=len(record.value or b""),
        truncated=H_TRUNCATED in h,
        original_size=_int(h.get(H_ORIGINAL_SIZE)),
        original_sha256=h.get(H_ORIGINAL_SHA256),
    )
    _record_of(letter, record.value)
    _flag_erased(letter, erased)
    return letter


def _replayed(
    bootstrap: str, client_options: dict[str, Any] | None, broker: BrokerTraits
) -> set[str]:
    return {
        (r.key or b"").decode("utf-8", "replace")
        for r in read_topic(bootstrap, REPLAYED_TOPIC, client_options=client_options, broker=broker)
    }


def list_dlq(
    bootstrap: str,
    *,
    client_options: dict[str, Any] | None = None,
    country: str | None = None,
    error_class: str | None = None,
    broker: BrokerTraits = TANSU,
    erased: ErasedLookup | None = None,
) -> list[DeadLetter]:
    """Dead letters, oldest first, optionally for one country and/or error class (prefix);
    with `erased`, each letter of an erased record is flagged."""
    replayed = _replayed(bootstrap, client_options, broker)
    out = []
    for record in read_topic(bootstrap, DLQ_TOPIC, client_options=client_options, broker=broker):
        letter = dead_letter_of(record, erased)
        if not _matches(letter, country, error_class):
            continue
        letter.replayed = f"{letter.dlq_partition}+{letter.dlq_offset}" in replayed
        out.append(letter)
    return out


def _matches(letter: DeadLetter, country: str | None, error_class: str | None) -> bool:
    if country is not None and letter.country != country:
        return False
    return error_class is None or (letter.error_class or "").startswith(error_class)


@dataclass
class ReplayResult:
    replayed: list[DeadLetter]
    skipped_already_replayed: int
    skipped_no_source: int
    skipped_truncated: int = 0
    """Dead letters holding only a prefix of their message: the source must send it again."""
    refused_erased: list[DeadLetter] = field(default_factory=list)
    """Dead letters of records the lake erased: never replayed, even forced."""


def replay_dlq(
    bootstrap: str,
    *,
    client_options: dict[str, Any] | None = None,
    country: str | None = None,
    error_class: str | None = None,
    dlq_offsets: set[tuple[int, int]] | None = None,
    force: bool = False,
    dry_run: bool = False,
    select: Callable[[DeadLetter], bool] | None = None,
    broker: BrokerTraits = TANSU,
    erased: ErasedLookup | None = None,
) -> ReplayResult:
    """Republish matching dead letters to their source topics (original key, bytes, headers).

    Pass the lake's `erased` index (the CLI always does): a letter of an erased record is
    refused, forced or not, so that no DLQ copy brings an erased record back."""
    from streams.producer import make_producer

    replayed_keys = set() if force else _replayed(bootstrap, client_options, broker)
    chosen: list[tuple[DeadLetter, Any]] = []
    refused: list[DeadLetter] = []
    already = no_source = truncated = 0
    for record in read_topic(bootstrap, DLQ_TOPIC, client_options=client_options, broker=broker):
        letter = dead_letter_of(record, erased)
        if not _matches(letter, country, error_class):
            continue
        if dlq_offsets is not None and (letter.dlq_partition, letter.dlq_offset) not in dlq_offsets:
            continue
        if select is not None and not select(letter):
            continue
        if f"{letter.dlq_partition}+{letter.dlq_offset}" in replayed_keys:
            already += 1
            continue
        if not letter.topic:
            no_source += 1
            continue
        if letter.truncated:
            truncated += 1
            continue
        if letter.erased:
            refused.append(letter)
            continue
        chosen.append((letter, record))
    if dry_run or not chosen:
        return ReplayResult([c[0] for c in chosen], already, no_source, truncated, refused)
    with TopicCreator(bootstrap, client_options=client_options, partitions=1) as creator:
        creator.ensure([REPLAYED_TOPIC])
    producer = make_producer(
        bootstrap,
        "interlink-dlq-replay",
        client_options=client_options,
        # Republished as they were stored: no compression of our own on top.
        compression_type=None,
        max_request_size=DLQ_REQUEST_BYTES,
        broker=broker,
    )
    try:
        for letter, record in chosen:
            source = letter.topic
            assert source, "letters without a source topic are counted as no_source, not chosen"
            # Keep the publisher's own headers; drop the previous failure's context.
            headers = [
                (k, v)
                for k, v in (record.headers or [])
                if not k.startswith(("__connect.errors.", "interlink."))
            ]
            coordinate = f"{letter.dlq_partition}+{letter.dlq_offset}"
            headers.append((H_REPLAY_OF, f"{DLQ_TOPIC}+{coordinate}".encode()))
            producer.send(source, key=record.key, value=record.value, headers=headers)
        producer.flush()
        # Recorded only after the republished messages were acknowledged.
        for letter, _record in chosen:
            coordinate = f"{letter.dlq_partition}+{letter.dlq_offset}"
            producer.send(REPLAYED_TOPIC, key=coordinate.encode(), value=b"")
        producer.flush()
    finally:
        producer.close()
    return ReplayResult([c[0] for c in chosen], already, no_source, truncated, refused)


def read_receipts(
    bootstrap: str,
    country: str,
    *,
    client_options: dict[str, Any] | None = None,
    status: str | None = None,
    message_ids: set[str] | None = None,
    broker: BrokerTraits = TANSU,
) -> list[dict[str, Any]]:
    """The receipts on `feeds.receipts.<ISO3>`, one per message read, oldest first, optionally
    filtered. A Kafka message there carries a batch of them (`contracts.ReceiptBatch`); one sent
    by an older ingest carries a single receipt, and counts the same."""
    out = []
    topic = receipts_topic(country)
    for record in read_topic(bootstrap, topic, client_options=client_options, broker=broker):
        try:
            value = json.loads(record.value)
        except (TypeError, ValueError):
            continue
        if not isinstance(value, dict):
            continue
        batch = value.get("receipts")
        for receipt in batch if isinstance(batch, list) else [value]:
            if not isinstance(receipt, dict):
                continue
            if status is not None and receipt.get("status") != status:
                continue
            if message_ids is not None and receipt.get("message_id") not in message_ids:
                continue
            out.append(receipt)
    return out


__all__ = [
    "DLQ_TOPIC",
    "H_CLASS",
    "H_COUNTRY",
    "H_ERROR_CLASS",
    "H_MESSAGE",
    "H_MESSAGE_ID",
    "H_OFFSET",
    "H_ORIGINAL_SHA256",
    "H_ORIGINAL_SIZE",
    "H_PARTITION",
    "H_REJECTED_AT",
    "H_REPLAY_OF",
    "H_TIMESTAMP",
    "H_TOPIC",
    "H_TRUNCATED",
    "REPLAYED_TOPIC",
    "DeadLetter",
    "ErasedLookup",
    "ReplayResult",
    "dead_letter",
    "dead_letter_headers",
    "dead_letter_of",
    "list_dlq",
    "read_receipts",
    "read_topic",
    "replay_dlq",
]
