"""Partition batches and bronze landing: where exactly-once is made.

The messages read since the last commit wait in one `PartitionBatch` per topic partition. At the
flush each batch's accepted messages become one Parquet file named from their Kafka coordinates
(`contracts.lake.bronze_name`: topic, partition, first and last offset, and the day of the first
message's Kafka timestamp), written before the offsets are committed. A crash anywhere before
the commit replays the same offsets, which land under the same name and replace the file; a file
an interrupted run left with other boundaries is removed (`Bronze.replace_interrupted`). So the
lake holds each message once without Kafka transactions.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from contracts.lake import (
    BRONZE_ENVELOPE_COLUMNS,
    BRONZE_SCHEMA,
    bronze_dir,
    bronze_name,
    parse_bronze_name,
)

log = logging.getLogger(__name__)

RECORD_ID = BRONZE_ENVELOPE_COLUMNS.index("record_id")
"""Position of the record id in a batch's `envelopes` tuples."""
MESSAGE_ID = BRONZE_ENVELOPE_COLUMNS.index("message_id")
"""Position of the message id in a batch's `envelopes` tuples."""


@dataclass
class PartitionBatch:
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
    """`contracts.lake.BRONZE_ENVELOPE_COLUMNS` of each accepted message."""
    receipts: list[Any] = field(default_factory=list)
    """`receipts.WireReceipt`s, one per message read, accepted or rejected, in offset order
    (sent at the flush)."""


class Pending:
    """Everything read since the last commit: a batch per partition, and the batch's size and age
    (it is full at a count, a size or an age, whichever comes first)."""

    def __init__(self, max_messages: int, max_bytes: int, max_seconds: float) -> None:
        self.max_messages = max(1, max_messages)
        self.max_bytes = max(1, max_bytes)
        self.max_seconds = max_seconds
        self.positions: dict[tuple[str, int], int] = {}
        """Per partition, the next offset to read (kept across batches, for the lag)."""
        self.reset()

    def reset(self) -> None:
        self.partitions: dict[tuple[str, int], PartitionBatch] = {}
        self.messages = 0
        self.bytes = 0
        self.started: float | None = None
        self.rejected: Counter[str] = Counter()
        """Rejections per error class in this batch (for its log line)."""

    def __bool__(self) -> bool:
        return bool(self.partitions)

    def read(self, message: Any, feed: str, country: str | None) -> PartitionBatch:
        """Count a message read and return its partition's batch (created on its first)."""
        topic, partition, offset = message.topic, message.partition, message.offset
        tp = (topic, partition)
        batch = self.partitions.get(tp)
        if batch is None:
            batch = PartitionBatch(topic, partition, feed, country, offset, offset)
            self.partitions[tp] = batch
        batch.last = offset
        self.positions[tp] = offset + 1
        if self.started is None:
            self.started = time.monotonic()
        self.messages += 1
        self.bytes += len(message.value or b"")
        return batch

    def full(self) -> bool:
        if self.messages >= self.max_messages or self.bytes >= self.max_bytes:
            return True
        started = self.started
        return started is not None and time.monotonic() - started >= self.max_seconds

    def accepted_messages(
        self, feed: str, country: str
    ) -> Iterator[tuple[str | None, str, int, int]]:
        """(message_id, record_id, partition, offset) of the accepted messages of one (feed,
        country)."""
        for batch in self.partitions.values():
            if batch.feed == feed and batch.country == country:
                for values, offset in zip(batch.envelopes, batch.offsets, strict=True):
                    yield values[MESSAGE_ID], values[RECORD_ID], batch.partition, offset


class Bronze:
    """Lands batches in the lake's bronze zone and replaces what interrupted runs left there."""

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self._files: dict[tuple[str, str], dict[str, tuple[str, int, int, int]]] = {}

    def land(self, batch: PartitionBatch) -> str | None:
        """Write the batch's accepted rows as one bronze file; returns its name (None when the
        batch accepted nothing)."""
        if not batch.offsets:
            return None
        assert batch.country is not None
        first, last = batch.offsets[0], batch.offsets[-1]
        day = _day_of(batch.timestamps[0])
        rel = bronze_name(batch.feed, batch.country, day, batch.topic, batch.partition, first, last)
        table = bronze_table(batch, datetime.now(UTC))
        self.lake.write_parquet(rel, table)
        return rel

    def replace_interrupted(self, batch: PartitionBatch, written: str | None) -> None:
        """Remove bronze files an interrupted run left for offsets this batch now covers.

        Such a file starts inside this batch's consumed offset range (committed offsets always
        end a file, so no file starts earlier and reaches in), and its boundaries may differ
        from this run's: it is replaced by the file just written, never kept beside it. This
        also runs when the batch accepted nothing, so a verdict that changed between runs (a
        key revoked) cannot leave the earlier acceptance behind.
        """
        if batch.country is None:
            return
        index = self._index(batch.feed, batch.country)
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

    def _index(self, feed: str, country: str) -> dict[str, tuple[str, int, int, int]]:
        key = (feed, country)
        index = self._files.get(key)
        if index is None:
            index = {}
            for rel in self.lake.list(bronze_dir(feed, country)):
                parsed = parse_bronze_name(rel)
                if parsed is not None:
                    index[rel] = parsed
            self._files[key] = index
        return index


def _day_of(timestamp_ms: int | None) -> str:
    # The Kafka timestamp is stored with the message, so a replay derives the same day (and thus
    # the same file name) as the first run; the wall clock would not.
    if timestamp_ms is None or timestamp_ms < 0:
        return "unknown"
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).date().isoformat()


_ENVELOPE_TYPES = [BRONZE_SCHEMA.field(name).type for name in BRONZE_ENVELOPE_COLUMNS]


def bronze_table(batch: PartitionBatch, landed_at: datetime) -> pa.Table:
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
