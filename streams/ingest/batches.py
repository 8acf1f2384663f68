"""Partition batches and bronze landing: where exactly-once is made.

The messages read since the last commit wait in one `PartitionBatch` per topic partition. At the
flush each batch's accepted messages become one Parquet file named from their Kafka coordinates
(`contracts.lake.bronze_name`: topic, partition, first and last offset, and the day of the first
message's Kafka timestamp), written before the offsets are committed. A crash anywhere before
the commit replays the same offsets, which land under the same name and replace the file; a file
an interrupted run left with other boundaries gives up the messages read again
(`Bronze.land`). So the lake holds each message once without Kafka transactions. A landed file is
replaced only by the same messages (the same message ids at the same offsets): when a topic's
log starts again at offset 0, its earlier files stay and the new messages land beside them.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.lake import (
    BRONZE_ENVELOPE_COLUMNS,
    BRONZE_SCHEMA,
    bronze_dir,
    bronze_name,
    parse_bronze_name,
    partition_values,
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


Rows = dict[int, str | None]
"""A bronze file's messages: message id by offset."""
At = tuple[str, str, str, str, int, int, int]
"""`contracts.lake.bronze_name`'s coordinates: feed, country, day, topic, partition, first, last."""


class Bronze:
    """Lands batches in the lake's bronze zone and replaces what interrupted runs left there.

    A file an interrupted run left is recognised by its messages, not by its offsets alone: a
    topic's log may start again at offset 0 (deleted and recreated, a broker on `memory://`
    storage restarted, a cluster migrated), and the files of its earlier log then hold other
    messages at the same offsets. Those are kept, whatever the new batch's offsets or name.
    """

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self._files: dict[tuple[str, str], dict[str, tuple[str, int, int, int]]] = {}
        self._rows: dict[str, Rows] = {}
        """The messages of the files read during one `land` (only files it compared)."""
        self._warned: set[tuple[str, int]] = set()

    def land(self, batch: PartitionBatch) -> str | None:
        """Write the batch's accepted rows as one bronze file, then remove what an interrupted
        run left for the same messages; returns the file's name (None when the batch accepted
        nothing).

        Such a file holds offsets of this batch's consumed range, and its boundaries may differ
        from this run's: each of its rows whose message this batch read again (same message id
        at the same offset: landed now, dead-lettered, or a replay of one landed elsewhere) is
        dropped; a file left with none is removed, one left with some is rewritten with them
        (its later offsets are read again by the next batches, or never, if the topic started
        again). This also runs when the batch accepted nothing, so a verdict that changed
        between runs (a key revoked) cannot leave the earlier acceptance behind. The normal path
        reads nothing: committed offsets end a file, so only an uncommitted run, or a log that
        started again, leaves a file reaching into the next batch's offsets.
        """
        if batch.country is None:
            return None
        index = self._index(batch.feed, batch.country)
        overlapping = sorted(
            (
                rel
                for rel, (topic, partition, first, last) in index.items()
                if topic == batch.topic
                and partition == batch.partition
                and first <= batch.last
                and last >= batch.first
            ),
            key=lambda rel: index[rel][2:],
        )
        handled: Rows = {}
        if overlapping:
            # Rejected and duplicate messages count too: their receipts carry their ids.
            handled = {r.offset: r.message_id for r in batch.receipts if r.message_id is not None}
        self._rows = {}
        fresh: set[str] = set()
        written = None
        if batch.offsets:
            first, last = batch.offsets[0], batch.offsets[-1]
            day = _day_of(batch.timestamps[0])
            at: At = (batch.feed, batch.country, day, batch.topic, batch.partition, first, last)
            written = self._place(index, at, handled, {}, fresh)
            self.lake.write_parquet(written, bronze_table(batch, datetime.now(UTC)))
            self._landed(index, written, dict(zip(batch.offsets, _ids(batch), strict=True)))
            fresh.add(written)
        for other in overlapping:
            if other not in fresh:
                self._replace(batch, index, other, handled, fresh, written)
        self._rows = {}
        return written

    def _replace(
        self, batch: PartitionBatch, index: dict[str, tuple[str, int, int, int]], other: str,
        handled: Rows, fresh: set[str], written: str | None,
    ) -> None:  # fmt: skip
        """Drop from `other` the rows whose messages this batch read again (see `land`)."""
        rows = self._read_rows(other)
        kept = {off: mid for off, mid in rows.items() if mid is None or handled.get(off) != mid}
        other_messages = sorted(off for off in kept if batch.first <= off <= batch.last)
        if other_messages:
            self._started_again(batch, other, other_messages)
        if len(kept) == len(rows):
            return
        if kept:
            # A file that reaches past this batch: its later rows stay until a batch reads them.
            table = self.lake.read_parquet(other)
            table = table.filter(pc.is_in(table.column("offset"), pa.array(sorted(kept))))
            day = partition_values(other).get("date", "unknown")
            assert batch.country is not None
            at = (batch.feed, batch.country, day, batch.topic, batch.partition, min(kept),
                  max(kept))  # fmt: skip
            rest = self._place(index, at, handled, kept, fresh)
            self.lake.write_parquet(rest, table)
            self._landed(index, rest, kept)
            fresh.add(rest)
            if rest == other:
                log.info("rewrote %s without the messages %s now holds", other, written)
                return
            log.info("moved %d messages of %s, not read again yet, to %s", len(kept), other, rest)
        self.lake.delete(other)
        del index[other]
        log.info("replaced %s, left by an interrupted run, with %s", other, written)

    def _place(
        self, index: dict[str, tuple[str, int, int, int]], at: At, handled: Rows,
        rows: Rows, fresh: set[str],
    ) -> str:  # fmt: skip
        """The name to write `rows` under: `contracts.lake.bronze_name` of `at`, unless a file
        there holds messages that neither `rows` nor the batch (`handled`) has, or was written
        by this landing; then the next free incarnation. Never over other messages."""
        incarnation = 0
        while True:
            rel = bronze_name(*at, incarnation=incarnation)
            if rel not in index:
                return rel
            if rel not in fresh and all(
                mid is not None and (rows.get(off) == mid or handled.get(off) == mid)
                for off, mid in self._read_rows(rel).items()
            ):
                return rel  # the same messages again (a replay): rewritten in place
            incarnation += 1

    def _read_rows(self, rel: str) -> Rows:
        """The (offset, message id) columns of a landed file, read once per landing."""
        rows = self._rows.get(rel)
        if rows is None:
            table = pq.read_table(
                io.BytesIO(self.lake.read_bytes(rel)), columns=["offset", "message_id"]
            )
            offsets, ids = (table.column(c).to_pylist() for c in ("offset", "message_id"))
            rows = self._rows[rel] = dict(zip(offsets, ids, strict=True))
        return rows

    def _landed(self, index: dict[str, tuple[str, int, int, int]], rel: str, rows: Rows) -> None:
        parsed = parse_bronze_name(rel)
        assert parsed is not None
        index[rel] = parsed
        self._rows[rel] = rows

    def _started_again(self, batch: PartitionBatch, other: str, offsets: list[int]) -> None:
        tp = (batch.topic, batch.partition)
        level = logging.INFO if tp in self._warned else logging.WARNING
        self._warned.add(tp)
        log.log(
            level,
            "topic %s partition %d started again: offsets %d-%d now hold other messages than "
            "the landed %s (%d of its messages differ); the landed file is kept, the new "
            "messages land beside it",
            batch.topic, batch.partition, batch.first, batch.last, other, len(offsets),
        )  # fmt: skip

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


def _ids(batch: PartitionBatch) -> list[Any]:
    return [values[MESSAGE_ID] for values in batch.envelopes]


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
