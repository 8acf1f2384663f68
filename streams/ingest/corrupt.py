"""Record batches the Kafka client cannot read, read by hand so one record cannot stop the ingest.

kafka-python decodes a whole record batch before it skips to the position asked for, and raises
`CorruptRecordError` on the first record it cannot decode: a header key that is not UTF-8 (which
brokers accept), a broken structure or CRC. Every later poll raises again, and seeking past the
record does not help while it shares a batch with the records after it. So when a poll raises,
`Probe` fetches the batch at each lagging partition's position with a raw Fetch request, parses
it here leniently, and hands back every record of the first unreadable batch: readable ones are
checked like any other message, unreadable ones are dead-lettered with their coordinates and a
documented class (`kafka.header_key`, `kafka.corrupt_record`), and the consumer seeks past the
batch. Nothing is skipped silently and the offset moves on.
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Record batch v2 header: base offset, length, leader epoch, magic, CRC, attributes, last offset
# delta, first and max timestamp, producer id and epoch, base sequence, record count.
_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC_FROM = 21  # the CRC covers everything from the attributes on
_LOG_APPEND_TIME = 0x08
_CONTROL = 0x20


@dataclass
class RawRecord:
    """One record as read from the raw batch, shaped like kafka-python's ConsumerRecord for the
    ingest; `problem` (with `error_class`) says why the client could not read it."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    problem: str | None = None
    error_class: str | None = None


@dataclass
class RawBatch:
    base_offset: int
    next_offset: int
    records: list[RawRecord]
    unreadable: bool
    """True when the client could not read this batch (some record has a problem)."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    from kafka.record.util import decode_varint

    value, pos = decode_varint(buf, pos)
    return int(value), int(pos)


def _bytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    size, pos = _varint(buf, pos)
    if size < 0:
        return None, pos
    if pos + size > len(buf):
        raise IndexError("field runs past the batch")
    return bytes(buf[pos : pos + size]), pos + size


def _decompress(codec: int, data: bytes) -> bytes:
    from kafka import codec as kc

    decoders = {1: kc.gzip_decode, 2: kc.snappy_decode, 3: kc.lz4_decode, 4: kc.zstd_decode}
    if codec == 0:
        return data
    if codec not in decoders:
        raise ValueError(f"unknown compression codec {codec}")
    return bytes(decoders[codec](data))


def _record(
    buf: bytes, pos: int, topic: str, partition: int, base: int, first_ts: int, ts: int | None
) -> tuple[RawRecord, int]:
    length, pos = _varint(buf, pos)
    end = pos + length
    pos += 1  # attributes: unused
    ts_delta, pos = _varint(buf, pos)
    offset_delta, pos = _varint(buf, pos)
    key, pos = _bytes(buf, pos)
    value, pos = _bytes(buf, pos)
    count, pos = _varint(buf, pos)
    if count < 0:
        raise ValueError(f"negative header count {count}")
    timestamp = ts if ts is not None else first_ts + ts_delta
    record = RawRecord(topic, partition, base + offset_delta, timestamp, key, value)
    for i in range(count):
        name, pos = _bytes(buf, pos)
        header_value, pos = _bytes(buf, pos)
        try:
            text = (name or b"").decode("utf-8")
        except UnicodeDecodeError:
            record.problem = f"header {i} key {name!r:.80} is not UTF-8: Kafka header keys are text"
            record.error_class = "kafka.header_key"
            continue
        record.headers.append((text, header_value))
    if pos != end:
        raise ValueError(f"record length {length} does not match its fields")
    return record, pos


def parse_batches(data: bytes, topic: str, partition: int) -> Iterator[RawBatch]:
    """The complete record batches (format v2) in a Fetch response's records bytes."""
    from kafka.record.util import calc_crc32c

    pos = 0
    while len(data) - pos >= _HEADER.size:
        (base, length, _epoch, magic, crc, attributes, last_delta, first_ts, max_ts, *_rest,
         count) = _HEADER.unpack_from(data, pos)  # fmt: skip
        end = pos + 12 + length
        if end > len(data):
            return  # a partial batch at the end of the response
        batch = RawBatch(base, base + last_delta + 1, [], unreadable=False)
        problem = None
        if magic != 2:
            problem = f"record batch format v{magic} is not read here"
        elif calc_crc32c(memoryview(data)[pos + _CRC_FROM : end]) != crc:
            problem = "record batch failed its CRC check"
        if problem is None and attributes & _CONTROL:
            yield batch  # a transaction marker: no records for the consumer
            pos = end
            continue
        ts = max_ts if attributes & _LOG_APPEND_TIME else None
        read = base - 1
        if problem is None:
            try:
                buf = _decompress(attributes & 0x07, data[pos + _HEADER.size : end])
                at = 0
                for _ in range(count):
                    record, at = _record(buf, at, topic, partition, base, first_ts, ts)
                    batch.records.append(record)
                    batch.unreadable |= record.problem is not None
                    read = record.offset
            except (ValueError, IndexError, struct.error, OSError) as exc:
                problem = f"record structure broken after offset {read}: {exc!r:.200}"
        if problem is not None:
            # What follows the last readable record cannot be told apart: each remaining offset
            # is dead-lettered by its coordinates, with the raw batch as its value.
            batch.unreadable = True
            raw = bytes(data[pos:end])
            batch.records += [
                RawRecord(topic, partition, o, -1, None, raw, [], problem, "kafka.corrupt_record")
                for o in range(read + 1, batch.next_offset)
            ]
        yield batch
        pos = end


class Probe:
    """Raw Fetch requests for the partitions a poll could not read (a client of its own,
    created on the first unreadable batch, with the ingest's connection settings)."""

    def __init__(self, bootstrap: str, client_options: dict[str, Any], max_bytes: int) -> None:
        self.bootstrap = bootstrap
        self.client_options = client_options
        self.max_bytes = max_bytes
        self._client: Any = None

    def _fetch(self, topic: str, partition: int, offset: int) -> bytes:
        from kafka.net.compat import KafkaNetClient
        from kafka.protocol.consumer import FetchRequest
        from kafka.structs import TopicPartition

        if self._client is None:
            self._client = KafkaNetClient(
                bootstrap_servers=self.bootstrap,
                client_id="interlink-ingest-probe",
                # As the consumer's: a fetch answers at least one whole batch, however large.
                receive_message_max_bytes=100_000_000,
                **self.client_options,
            )
        client = self._client
        future = client.cluster.add_topic(topic)
        client.poll(future=future, timeout_ms=10_000)
        leader = client.cluster.leader_for_partition(TopicPartition(topic, partition))
        fetch_topic = FetchRequest.FetchTopic
        part = fetch_topic.FetchPartition(
            partition=partition,
            current_leader_epoch=-1,
            fetch_offset=offset,
            last_fetched_epoch=-1,
            log_start_offset=-1,
            partition_max_bytes=self.max_bytes,
        )
        request = FetchRequest(
            max_wait_ms=500,
            min_bytes=1,
            max_bytes=self.max_bytes,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=[fetch_topic(topic=topic, partitions=[part])],
            forgotten_topics_data=[],
            rack_id="",
            max_version=11,  # v12 and later name topics by id
        )
        response = client.send_and_receive(leader, request, timeout_ms=30_000)
        for answer in response.responses:
            for data in answer.partitions:
                if data.partition_index == partition and data.records:
                    return bytes(data.records)
        return b""

    def unreadable(self, topic: str, partition: int, position: int) -> RawBatch | None:
        """The batch holding `position` when the client cannot read it, else None."""
        data = self._fetch(topic, partition, position)
        for batch in parse_batches(data, topic, partition):
            if batch.next_offset > position:
                return batch if batch.unreadable else None
        return None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None


def unreadable_batches(consumer: Any, probe: Probe) -> list[tuple[Any, int, RawBatch]]:
    """(partition, position, batch) of each assigned partition whose next batch the client
    cannot read; only partitions with messages left are fetched."""
    found = []
    for tp in sorted(consumer.assignment()):
        position = consumer.position(tp)
        highwater = consumer.highwater(tp)
        if position is None or (highwater is not None and position >= highwater):
            continue
        batch = probe.unreadable(tp.topic, tp.partition, position)
        if batch is not None:
            log.warning(
                "unreadable record batch at %s+%s offsets %s..%s: dead-lettering its bad records",
                tp.topic,
                tp.partition,
                batch.base_offset,
                batch.next_offset - 1,
            )
            found.append((tp, position, batch))
    return found
