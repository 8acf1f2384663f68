"""Replays are idempotent: the exact bytes of an accepted message, sent again, land once in bronze
(receipt `duplicate`), remembered across restarts by the ingest's index in the lake; an erased
record never lands again."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts.lake import TOMBSTONE_SCHEMA, seen_index_path, tombstone_name
from infra.lake import Lake
from streams.brokers import BrokerTraits
from streams.dlq import list_dlq, read_receipts
from streams.publisher import FeedPublisher
from tests.streams.conftest import bronze_table, group, person, run_ingest

pytestmark = pytest.mark.kafka


def _resend(broker: str, topic: str, values: list[bytes]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=broker)
    for value in values:
        producer.send(topic, value=value)
    producer.flush()
    producer.close()


def test_the_same_bytes_sent_again_land_once_and_are_receipted_duplicate(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    reg = registry("CHE")
    with publisher("CHE", partitions=1) as pub:
        ids = [pub.publish("person", person(i, "CHE")) for i in range(5)]
    gid = group()
    first = run_ingest(broker, broker_traits, lake, reg, "CHE", group_id=gid, workers=0)
    assert first.accepted == 5
    table = bronze_table(lake)
    assert table is not None
    raw = dict(
        zip(table.column("message_id").to_pylist(), table.column("raw").to_pylist(), strict=True)
    )
    # A publisher resends two messages byte for byte (twice one of them) among a new one, read by
    # a new ingest process: what it landed before comes from the lake, not from memory.
    with publisher("CHE", partitions=1) as pub:
        new = pub.publish("person", person(9, "CHE"))
    _resend(broker, "feeds.person.CHE", [raw[ids[1]], raw[ids[3]], raw[ids[1]]])
    report = run_ingest(broker, broker_traits, lake, reg, "CHE", group_id=gid, workers=0)
    assert (report.accepted, report.rejected, report.duplicates) == (1, 0, 3)
    landed = bronze_table(lake)
    assert landed is not None
    assert sorted(landed.column("message_id").to_pylist()) == sorted([*ids, new])
    # What the quality suite requires unique per batch (contracts.expectations) is unique in
    # bronze as a whole: a replay can no longer make Great Expectations quarantine a batch.
    pairs = list(
        zip(landed["record_id"].to_pylist(), landed["record_version"].to_pylist(), strict=True)
    )
    assert len(set(pairs)) == len(pairs) == 6
    receipts = read_receipts(broker, "CHE", broker=broker_traits, status="duplicate")
    assert sorted(r["message_id"] for r in receipts) == sorted([ids[1], ids[1], ids[3]])
    assert all("already accepted at feeds.person.CHE+0+" in r["reason"] for r in receipts)
    # Nothing of it is an error: the DLQ stays empty.
    assert list_dlq(broker, broker=broker_traits, country="CHE") == []
    # The index is in the lake, covering the first run's file: a restart reads it, not bronze.
    assert lake.exists(seen_index_path("person", "CHE"))
    third = run_ingest(broker, broker_traits, lake, reg, "CHE", group_id=group(), workers=0)
    assert (third.accepted, third.duplicates) == (6, 3)  # the same offsets again: not replays
    assert len(bronze_table(lake) or []) == 6


def test_an_erased_record_replayed_is_dropped_with_record_erased_and_no_dlq_copy(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    reg = registry("ISL")
    with publisher("ISL", partitions=1) as pub:
        pub.publish("person", person(1, "ISL"))
        kept = pub.publish("person", person(2, "ISL"))
    gid = group()
    first = run_ingest(broker, broker_traits, lake, reg, "ISL", group_id=gid, workers=0)
    assert first.accepted == 2
    table = bronze_table(lake)
    assert table is not None
    erased_raw = table.filter(pa.compute.equal(table["record_id"], "ISL-P-000001"))["raw"][0]
    # The erasure: tombstone written, every copy removed (bronze emptied here for the test).
    stone = pa.Table.from_pylist(
        [
            {
                "source_country": "ISL",
                "feed": "person",
                "record_id": "ISL-P-000001",
                "record_version": 1,
                "action": "retention_purge",
                "erased_at": datetime.now(UTC),
            }
        ],
        schema=TOMBSTONE_SCHEMA,
    )
    lake.write_parquet(tombstone_name("ISL", "20261205T000000Z"), stone)
    for rel in lake.list("bronze"):
        lake.delete(rel)
    with publisher("ISL", partitions=1) as pub:
        newer = pub.publish("person", person(1, "ISL", version=2))
    _resend(broker, "feeds.person.ISL", [erased_raw.as_py()])
    report = run_ingest(broker, broker_traits, lake, reg, "ISL", group_id=group(), workers=0)
    # Replayed from offset 0 by a new group: the erased version is dropped, the rest lands.
    assert report.per_reason == {"record.erased": 2}
    landed = bronze_table(lake)
    assert landed is not None
    assert sorted(landed.column("message_id").to_pylist()) == sorted([kept, newer])
    rejected = read_receipts(broker, "ISL", broker=broker_traits, status="rejected")
    assert {r["error_class"] for r in rejected} == {"record.erased"}
    assert list_dlq(broker, broker=broker_traits, country="ISL") == []
    assert all(
        pq.read_table(io.BytesIO(lake.read_bytes(rel))).num_rows
        for rel in lake.list("bronze")
        if rel.endswith(".parquet")
    )
