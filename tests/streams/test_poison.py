"""Poison messages against both real brokers: each one is dead-lettered with a documented class
and the ingest goes on, so the good messages sent behind it (by another country and by the same
one) all land; and headers a publisher spoofs never reach the DLQ listing."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from contracts.reasons import ERROR_CLASSES
from infra.lake import Lake
from streams.brokers import BrokerTraits
from streams.dlq import (
    H_COUNTRY,
    H_MESSAGE_ID,
    TRUNCATED_BYTES,
    list_dlq,
    read_receipts,
    replay_dlq,
)
from streams.ingest import ingest
from streams.publisher import FeedPublisher
from streams.topics import MiB, TopicCreator
from tests.streams.conftest import bronze_ids, feed_pattern, group, person
from tests.streams.test_ingest import _signed, _wire

pytestmark = pytest.mark.kafka

Y10K = 253_402_300_800_000
"""1 January 10000 in milliseconds since the epoch."""


class _NotUtf8(str):
    """A header name kafka-python writes as bytes that are not UTF-8 (as a careless client in
    another language would); the broker stores it as it is."""

    def encode(self, *args: Any, **kwargs: Any) -> bytes:  # type: ignore[override]
        return b"trace\xff"


BAD_HEADERS = [(_NotUtf8("t"), b"1")]


def _offset_if_stored(future: Any) -> int | None:
    """The message's offset when the broker stored it (Apache Kafka may refuse a timestamp)."""
    try:
        return int(future.get(timeout=60).offset)
    except Exception as exc:
        assert "InvalidTimestamp" in type(exc).__name__, exc
        return None


def _with_nul_in_a_name(data: dict[str, Any]) -> dict[str, Any]:
    data["payload"]["primary_name"]["family"] = "Fam\x00ily"
    return data


def test_poison_messages_are_dead_lettered_and_the_messages_behind_them_land(
    broker: str, broker_traits: BrokerTraits, lake: Lake, keys: Callable[[str], Any], registry: Any
) -> None:
    from kafka import KafkaProducer

    lva = keys("LVA")
    big = b'{"pad": "' + b"x" * (31 * MiB + MiB // 2) + b'"}'
    poison: list[tuple[str, bytes, dict[str, Any]]] = [
        ("validation", _signed(_wire("LVA", "LVA-P-BIGV", record_version=2**63), lva), {}),
        ("validation", _signed(_with_nul_in_a_name(_wire("LVA", "LVA-P-NUL")), lva), {}),
        ("kafka.timestamp", _signed(_wire("LVA", "LVA-P-Y10K"), lva), {"timestamp_ms": Y10K}),
        ("kafka.header_key", _signed(_wire("LVA", "LVA-P-HDR"), lva), {"headers": BAD_HEADERS}),
        ("decode.too_large", big, {}),
        ("decode.number", b'{"record_version": ' + b"9" * 5000 + b"}", {}),
    ]  # fmt: skip
    from kafka.admin import KafkaAdminClient, NewTopic

    # Apache Kafka 4 refuses timestamps more than an hour ahead unless the topic allows them:
    # this one does, as a topic created before that default, or by a lax operator, would.
    admin = KafkaAdminClient(bootstrap_servers=broker)
    lax = {"message.timestamp.after.max.ms": str(2**63 - 1)}
    admin.create_topics([NewTopic("feeds.person.LVA", 1, 1, topic_configs=lax)])
    admin.close()
    with TopicCreator(broker, partitions=1) as creator:
        creator.ensure(["feeds.person.CYP"])
    producer = KafkaProducer(bootstrap_servers=broker, max_request_size=33 * MiB, linger_ms=50)
    good: list[str] = []
    expected: Counter[str] = Counter()
    offsets: dict[str, int] = {}
    with FeedPublisher(broker, "CYP", keys("CYP"), broker=broker_traits) as cyp:
        for n, (error_class, value, extra) in enumerate(poison):
            # A broker that refuses a timestamp fails the whole producer: that one goes alone.
            alone = "timestamp_ms" in extra
            via = KafkaProducer(bootstrap_servers=broker) if alone else producer
            sent = via.send("feeds.person.LVA", key=b"k", value=value, **extra)
            if alone:
                via.flush()
                via.close()
            # Good LVA messages in the same producer batch, after the poison one.
            same = [_signed(_wire("LVA", f"LVA-P-{n}-{i}"), lva) for i in range(3)]
            for v in same:
                producer.send("feeds.person.LVA", key=b"k", value=v)
            producer.flush()
            offset = _offset_if_stored(sent)
            if offset is not None:
                expected[error_class] += 1
                offsets[error_class] = offset
            good += [json.loads(v)["message_id"] for v in same]
            good += [cyp.publish("person", person(100 * n + i, "CYP")) for i in range(20)]
    producer.close()
    assert set(expected.values()) == {1, 2} and sum(expected.values()) == len(poison)

    def run() -> Any:
        return ingest(
            broker,
            lake,
            key_registry=registry("LVA", "CYP"),
            group_id=gid,
            until_idle=2.0,
            topic_pattern=feed_pattern("LVA", "CYP"),
            broker=broker_traits,
        )

    gid = group()
    report = run()
    assert report.per_reason == dict(expected)
    assert report.accepted == len(good) == 6 * 23
    assert sorted(bronze_ids(lake)) == sorted(good)
    # The offsets moved on: a rerun of the same group reads nothing again.
    again = run()
    assert (again.accepted, again.rejected) == (0, 0)

    letters = list_dlq(broker, country="LVA", broker=broker_traits)
    assert Counter(x.error_class for x in letters) == expected
    assert all(x.error_class in ERROR_CLASSES for x in letters)
    by_class = {x.error_class: x for x in letters}
    reasons = sorted(x.reason or "" for x in letters if x.error_class == "validation")
    assert "record_version" in reasons[0] and "less_than_equal" in reasons[0]
    assert "primary_name.family" in reasons[1] and "text.control_character" in reasons[1]
    header = by_class["kafka.header_key"]
    assert header.topic == "feeds.person.LVA" and header.offset == offsets["kafka.header_key"]
    assert "not UTF-8" in (header.reason or "")
    large = by_class["decode.too_large"]
    assert large.truncated and large.size == TRUNCATED_BYTES
    assert large.original_size == len(big)
    assert large.original_sha256 == hashlib.sha256(big).hexdigest()
    assert (large.topic, large.offset) == ("feeds.person.LVA", offsets["decode.too_large"])
    # A prefix is no message: replaying it would land garbage, so the source sends it again.
    replay = replay_dlq(broker, country="LVA", error_class="decode.too_large", broker=broker_traits)
    assert replay.replayed == [] and replay.skipped_truncated == 1
    receipts = read_receipts(broker, "LVA", broker=broker_traits)
    rejected = Counter(r["error_class"] for r in receipts if r["status"] == "rejected")
    assert rejected == expected
    assert not [r for r in receipts if r["error_class"] and r["error_class"].startswith("internal")]


def test_dlq_listing_trusts_only_the_headers_the_ingest_wrote(
    broker: str, broker_traits: BrokerTraits, lake: Lake, registry: Any
) -> None:
    from kafka import KafkaProducer

    # A message on a topic without a country (so the ingest names none) claiming to be DEU's.
    topic = "feeds.person.QQZ"
    with TopicCreator(broker, partitions=1) as creator:
        creator.ensure([topic])
    producer = KafkaProducer(bootstrap_servers=broker)
    spoofed = [(H_COUNTRY, b"DEU"), (H_MESSAGE_ID, b"forged-id"), ("__connect.errors.topic", b"x")]
    producer.send(topic, value=b"{}", headers=[*spoofed, ("trace", b"kept")])
    producer.flush()
    producer.close()
    report = ingest(
        broker,
        lake,
        key_registry=registry("DEU"),
        group_id=group(),
        until_idle=2.0,
        topic_pattern=r"^feeds\.person\.QQZ$",
        broker=broker_traits,
    )
    assert report.per_reason == {"topic.country": 1}
    letters = [x for x in list_dlq(broker, broker=broker_traits) if x.topic == topic]
    assert len(letters) == 1
    assert letters[0].country is None and letters[0].message_id is None
    assert [
        x for x in list_dlq(broker, country="DEU", broker=broker_traits) if x.topic == topic
    ] == []
