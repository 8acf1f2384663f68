"""A topic whose log starts again at offset 0 never costs bronze a landed message: a topic
deleted and recreated (Apache Kafka, Tansu), a Tansu on `memory://` storage restarted. The new
messages reuse the offsets, and the day, of landed files; those files stay, the new messages land
beside them, and a replay of the very same messages (an interrupted run's) still replaces them
(`tests/streams/test_exactly_once.py`, `test_ingest.py`)."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from contracts.lake import parse_bronze_name
from infra.lake import Lake
from streams.brokers import TANSU, BrokerTraits
from streams.keys import KeyRegistry
from streams.publisher import FeedPublisher
from tests.streams.conftest import bronze_ids, person, run_ingest

pytestmark = pytest.mark.kafka


def delete_topic(bootstrap: str, topic: str) -> None:
    """Delete `topic` and wait until the broker no longer lists it (the next publisher creates
    it again, empty, its offsets starting at 0)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-delete-topic")
    try:
        admin.delete_topics([topic], timeout_ms=30_000)
        deadline = time.monotonic() + 60
        while topic in admin.list_topics():
            assert time.monotonic() < deadline, f"{topic} still listed 60 s after its deletion"
            time.sleep(0.2)
    finally:
        admin.close()


def bounds(rel: str) -> tuple[int, int]:
    """(first, last) offset of a bronze file, from its name."""
    parsed = parse_bronze_name(rel)
    assert parsed is not None, rel
    return parsed[2], parsed[3]


def publish(pub: FeedPublisher, records: list[dict[str, Any]]) -> list[str]:
    return [pub.publish("person", r) for r in records]


def file_ids(lake: Lake) -> dict[str, list[str]]:
    """Each bronze file's message ids, by name."""
    return {
        rel: pq.read_table(lake.path(rel), columns=["message_id"]).column(0).to_pylist()
        for rel in lake.list("bronze")
        if rel.endswith(".parquet")
    }


def assert_each_once(lake: Lake, sent: list[str]) -> None:
    landed = bronze_ids(lake)
    twice = [m for m, n in Counter(landed).items() if n > 1]
    assert not twice, f"{len(twice)} message ids landed twice"
    assert set(landed) == set(sent), f"{len(set(sent) - set(landed))} sent messages are missing"


def test_a_recreated_topic_lands_its_new_messages_beside_the_landed_files(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    keys: Callable[[str], Any],
    registry: Callable[..., KeyRegistry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    reg, gid = registry("MNE"), f"test-{uuid.uuid4().hex[:8]}"
    with FeedPublisher(broker, "MNE", keys("MNE"), partitions=1, broker=broker_traits) as pub:
        before = publish(pub, [person(i, "MNE") for i in range(30)])
    first = run_ingest(broker, broker_traits, lake, reg, "MNE", group_id=gid, batch_max_messages=10)
    assert first.accepted == 30
    landed = file_ids(lake)
    assert sorted(map(bounds, landed)) == [(0, 9), (10, 19), (20, 29)]

    delete_topic(broker, "feeds.person.MNE")
    with FeedPublisher(broker, "MNE", keys("MNE"), partitions=1, broker=broker_traits) as pub:
        after = publish(pub, [person(i, "MNE") for i in range(100, 115)])
    with caplog.at_level(logging.WARNING, logger="streams.ingest.batches"):
        again = run_ingest(
            broker, broker_traits, lake, reg, "MNE", group_id=gid, batch_max_messages=10
        )
    assert again.accepted == 15
    # Every landed file is still there, untouched, and the new messages are in bronze once.
    now = file_ids(lake)
    assert {rel: now.get(rel) for rel in landed} == landed
    assert_each_once(lake, before + after)
    # Offsets 0-9 on the same day: the name was taken by other messages, so the new batch landed
    # under the name's next incarnation, which still parses as the same coordinates.
    (reused,) = [rel for rel in landed if bounds(rel) == (0, 9)]
    beside = reused.removesuffix(".parquet") + ".i1.parquet"
    assert now[beside] == after[:10]
    assert parse_bronze_name(beside) == parse_bronze_name(reused)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("feeds.person.MNE partition 0 started again" in m for m in warned), warned

    # A replay of the new log (another group: the same offsets, the same messages) rewrites the
    # new files in place and still leaves the landed ones alone.
    third = run_ingest(broker, broker_traits, lake, reg, "MNE", batch_max_messages=10)
    assert sorted(third.files) == sorted(set(now) - set(landed))
    assert file_ids(lake) == now


@pytest.mark.slow
def test_a_republished_prefix_after_a_recreate_keeps_the_rest_of_the_landed_file(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    keys: Callable[[str], Any],
    registry: Callable[..., KeyRegistry],
) -> None:
    # The same message ids at the same offsets: indistinguishable from an interrupted run's
    # replay, so they replace their landed copies; the landed file's later messages, which the
    # new log will never hold, must stay.
    reg = registry("MCO")
    records = [{**person(i, "MCO"), "message_id": str(uuid.uuid4())} for i in range(30)]
    with FeedPublisher(broker, "MCO", keys("MCO"), partitions=1, broker=broker_traits) as pub:
        sent = publish(pub, records)
    assert run_ingest(broker, broker_traits, lake, reg, "MCO").accepted == 30
    delete_topic(broker, "feeds.person.MCO")
    with FeedPublisher(broker, "MCO", keys("MCO"), partitions=1, broker=broker_traits) as pub:
        assert publish(pub, records[:10]) == sent[:10]
    assert run_ingest(broker, broker_traits, lake, reg, "MCO").accepted == 10
    assert_each_once(lake, sent)
    assert sorted(map(bounds, file_ids(lake))) == [(0, 9), (10, 29)]


@pytest.mark.slow
@pytest.mark.tansu
def test_a_restarted_memory_tansu_keeps_the_files_its_earlier_log_landed(
    tmp_path: Path, lake: Lake, keys: Callable[[str], Any], registry: Callable[..., KeyRegistry]
) -> None:
    from infra.broker import EmbeddedBroker

    reg = registry("SMR")
    broker = EmbeddedBroker(state_dir=tmp_path / "broker", storage="memory://tansu/")
    bootstrap = broker.start()
    try:
        with FeedPublisher(bootstrap, "SMR", keys("SMR"), partitions=1) as pub:
            before = publish(pub, [person(i, "SMR") for i in range(40)])
        assert run_ingest(bootstrap, TANSU, lake, reg, "SMR", batch_max_messages=20).accepted == 40
        broker.stop()
        assert broker.start() == bootstrap  # same port, nothing kept: the log starts at 0
        with FeedPublisher(bootstrap, "SMR", keys("SMR"), partitions=1) as pub:
            after = publish(pub, [person(i, "SMR") for i in range(100, 125)])
        assert run_ingest(bootstrap, TANSU, lake, reg, "SMR", batch_max_messages=20).accepted == 25
        assert_each_once(lake, before + after)
    finally:
        broker.stop()


def test_a_replay_that_accepts_nothing_still_replaces_the_interrupted_runs_file(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    keys: Callable[[str], Any],
    registry: Callable[..., KeyRegistry],
) -> None:
    # Between the interrupted run and its replay the key was revoked: the replay dead-letters
    # the messages, and their rejected receipts (same ids, same offsets) say the landed copies
    # are theirs, so the earlier acceptance does not stay behind.
    reg = registry("LIE")
    with FeedPublisher(broker, "LIE", keys("LIE"), partitions=1, broker=broker_traits) as pub:
        publish(pub, [person(i, "LIE") for i in range(5)])
    assert run_ingest(broker, broker_traits, lake, reg, "LIE", workers=0).accepted == 5
    reg.revoke("LIE", reg.key_id("LIE") or "", "key leaked")
    replay = run_ingest(broker, broker_traits, lake, reg, "LIE", workers=0)
    assert (replay.accepted, replay.per_reason) == (0, {"signature.revoked_key": 5})
    assert file_ids(lake) == {}
