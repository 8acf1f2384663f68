"""Ingest against both real brokers (Tansu and Apache Kafka): landing, dead letters with reasons,
receipts, deletes, replays that rewrite the same files, and a second Kafka client
(confluent-kafka)."""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from contracts import canonical_bytes, envelope_for
from infra.lake import Lake
from streams.brokers import BrokerTraits
from streams.dlq import list_dlq, read_receipts, read_topic, replay_dlq
from streams.ingest import BRONZE_SCHEMA, H_OFFSET, H_TOPIC, Ingest, ingest
from streams.keys import KeyRegistry
from streams.publisher import FeedPublisher, publish_file
from tests.streams.conftest import (
    BRONZE_NAME,
    DATA,
    IDLE,
    bronze_ids,
    bronze_table,
    feed_pattern,
    group,
    person,
    run_ingest,
)

pytestmark = pytest.mark.kafka


def test_valid_records_land_once_with_provenance_and_accepted_receipts(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
    caplog: Any,
) -> None:
    with publisher("NLD") as pub:
        summary = publish_file(pub, "person", DATA / "person_records.jsonl")
    assert summary.sent == 3 and summary.invalid == 4
    caplog.set_level(logging.INFO, logger="streams.ingest")
    report = run_ingest(broker, broker_traits, lake, registry("NLD"), "NLD")
    assert (report.accepted, report.rejected) == (3, 0)
    assert report.per_country == {"NLD": 3}
    assert set(report.lag.values()) == {0}

    table = bronze_table(lake)
    assert table is not None and table.schema.names == BRONZE_SCHEMA.names
    assert sorted(table.column("message_id").to_pylist()) == sorted(summary.message_ids)
    for rel in lake.list("bronze"):
        assert BRONZE_NAME.match(rel), rel
    rows = {r["record_id"] + "/" + r["operation"]: r for r in table.to_pylist()}
    first = rows["NLD-P-000001/upsert"]
    assert first["handling_code"] == "H1" and first["dissemination"] == ["DEU", "BEL"]
    assert first["operation_code"] == "LIBERTERRA-2026"
    assert json.loads(first["payload"])["aliases"][0]["full"] == "Иван Петров"
    assert json.loads(first["raw"])["signature"]
    assert first["kafka_timestamp"] is not None and first["topic"] == "feeds.person.NLD"
    # The delete of a record upserted earlier in the same partition is accepted, payload null.
    assert rows["NLD-P-000002/delete"]["payload"] is None

    receipts = read_receipts(broker, "NLD", broker=broker_traits)
    assert Counter(r["status"] for r in receipts) == {"accepted": 3}
    assert {r["message_id"] for r in receipts} == set(summary.message_ids)
    from contracts.receipt import Receipt

    for r in receipts:
        Receipt.model_validate(r)
    logged = [
        json.loads(r.getMessage()) for r in caplog.records if "ingest.batch" in r.getMessage()
    ]
    assert logged and sum(x["accepted"] for x in logged) == 3 and "lag" in logged[0]


def _signed(data: dict[str, Any], key: Any) -> bytes:
    data = {k: v for k, v in data.items() if k != "signature"}
    data["signature"] = base64.b64encode(key.sign(canonical_bytes(data))).decode()
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _wire(country: str, record_id: str, **changes: Any) -> dict[str, Any]:
    rec = person(1, country)
    env = envelope_for("person", country, record_id, 1, rec["payload"])
    data = env.to_wire_dict()
    data.pop("signature", None)
    data.update(changes)
    return data


def test_each_bad_input_goes_to_the_dlq_with_its_reason_and_valid_ones_still_land(
    broker: str, broker_traits: BrokerTraits, lake: Lake, keys: Callable[[str], Any], registry: Any
) -> None:
    from kafka import KafkaProducer

    bel, deu = keys("BEL"), keys("DEU")
    tampered = json.loads(_signed(_wire("BEL", "BEL-P-T"), bel))
    tampered["payload"]["primary_name"]["family"] = "Changed"
    missing = _wire("BEL", "BEL-P-M")
    del missing["record_version"]
    bad: list[tuple[str, bytes]] = [
        ("decode.json", b"\x00\x01\x02 binary, not JSON"),
        ("decode.utf8", b'{"message_id": "\xff\xfe"}'),
        ("decode.not_object", b"[1, 2, 3]"),
        ("decode.too_deep", b'{"a":' * 200 + b"1" + b"}" * 200),
        ("decode.too_large", b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'),
        ("validation", _signed(missing, bel)),
        ("validation", _signed(_wire("BEL", "BEL-P-U", colour="red"), bel)),
        ("validation", _signed(_wire("BEL", "BEL-P-W", record_version="one"), bel)),
        ("country.spoofed", _signed(_wire("DEU", "BEL-P-S"), bel)),
        ("signature.missing", json.dumps(_wire("BEL", "BEL-P-N")).encode()),
        ("signature.invalid", json.dumps(tampered).encode()),
        ("signature.wrong_country", _signed(_wire("BEL", "BEL-P-D"), deu)),
        (
            "delete.unknown_record",
            _signed(_wire("BEL", "BEL-P-404", operation="delete", payload=None), bel),
        ),
    ]
    valid = [_signed(_wire("BEL", f"BEL-P-V{i}"), bel) for i in range(3)]
    producer = KafkaProducer(bootstrap_servers=broker, max_request_size=8 * 1024 * 1024)
    FeedPublisher(
        broker, "BEL", bel, broker=broker_traits
    ).close()  # creates the topic like a publisher would
    from streams.topics import TopicCreator

    with TopicCreator(broker, partitions=3) as creator:
        creator.ensure(["feeds.person.BEL"])
    # All on one partition, valid ones between the bad ones: one batch, interleaved.
    sequence = [valid[0], *[v for _c, v in bad[:7]], valid[1], *[v for _c, v in bad[7:]], valid[2]]
    for value in sequence:
        producer.send("feeds.person.BEL", key=b"k", value=value, partition=0)
    producer.flush()
    producer.close()

    report = run_ingest(broker, broker_traits, lake, registry("BEL", "DEU"), "BEL")
    assert report.accepted == 3 and report.rejected == len(bad)
    expected = Counter(c for c, _v in bad)
    assert report.per_reason == dict(expected)
    valid_ids = {json.loads(v)["message_id"] for v in valid}
    assert set(bronze_ids(lake)) == valid_ids

    letters = [x for x in list_dlq(broker, country="BEL", broker=broker_traits)]
    assert Counter(x.error_class for x in letters) == expected
    by_offset = {x.offset: x for x in letters}
    records = {
        int(dict(r.headers)[H_OFFSET]): r
        for r in read_topic(broker, "feeds.dlq", broker=broker_traits)
        if dict(r.headers).get(H_TOPIC) == b"feeds.person.BEL"
    }
    for offset, value in enumerate(sequence):
        if value in valid:
            assert offset not in by_offset
            continue
        assert records[offset].value == value, "the DLQ keeps the original bytes"
        assert by_offset[offset].reason
    spoofed = next(x for x in letters if x.error_class == "country.spoofed")
    assert "DEU" in spoofed.reason and "BEL" in spoofed.reason

    receipts = read_receipts(broker, "BEL", broker=broker_traits)
    assert Counter(r["status"] for r in receipts) == {"accepted": 3, "rejected": len(bad)}
    rejected = [r for r in receipts if r["status"] == "rejected"]
    assert all(r["reason"] and r["error_class"] for r in rejected)
    # Receipts travel batched, accepted and rejected together in offset order.
    from contracts import ReceiptBatch

    batches = [
        ReceiptBatch.model_validate_json(r.value)
        for r in read_topic(broker, "feeds.receipts.BEL", broker=broker_traits)
    ]
    assert len(batches) < len(sequence)
    assert [r.offset for b in batches for r in b.receipts] == list(range(len(sequence)))


def test_delete_of_a_record_landed_by_an_earlier_run_is_accepted(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    reg = registry("PRT")
    with publisher("PRT") as pub:
        pub.publish("person", person(1, "PRT"))
    gid = group()
    assert run_ingest(broker, broker_traits, lake, reg, "PRT", group_id=gid).accepted == 1
    with publisher("PRT") as pub:
        known = pub.delete("person", "PRT-P-000001", 2)
        unknown = pub.delete("person", "PRT-P-999999", 2)
    # A new process: what was seen comes from bronze, not from memory.
    report = run_ingest(broker, broker_traits, lake, reg, "PRT", group_id=gid)
    assert (report.accepted, report.rejected) == (1, 1)
    assert report.per_reason == {"delete.unknown_record": 1}
    assert known in bronze_ids(lake) and unknown not in bronze_ids(lake)


def test_replay_with_other_batch_bounds_leaves_each_message_once(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    reg = registry("ESP")
    with publisher("ESP", partitions=1) as pub:
        ids = [pub.publish("person", person(i, "ESP")) for i in range(300)]
    first = run_ingest(broker, broker_traits, lake, reg, "ESP", batch_max_messages=100)
    assert first.accepted == 300
    before = lake.list("bronze")
    # A different group re-reads everything with other boundaries, like a crashed run's replay.
    again = run_ingest(broker, broker_traits, lake, reg, "ESP", batch_max_messages=70)
    assert again.accepted == 300
    landed = bronze_ids(lake)
    assert len(landed) == 300 and set(landed) == set(ids)
    assert lake.list("bronze") != before
    # The same boundaries rewrite the very same names.
    third = run_ingest(broker, broker_traits, lake, reg, "ESP", batch_max_messages=70)
    assert sorted(third.files) == sorted(again.files) == lake.list("bronze")
    assert len(bronze_ids(lake)) == 300


def test_a_message_sent_by_confluent_kafka_lands_like_any_other(
    broker: str, broker_traits: BrokerTraits, lake: Lake, keys: Callable[[str], Any], registry: Any
) -> None:
    from confluent_kafka import Producer

    from streams.topics import TopicCreator

    with TopicCreator(broker, partitions=3) as creator:
        creator.ensure(["feeds.notice.AUT"])
    envelope = envelope_for(
        "notice",
        "AUT",
        "AUT-N-1",
        1,
        {
            "notice_type": "yellow",
            "notice_id": "Y-00001/1-2026",
            "issuing_country": "AUT",
            "status": "active",
            "subject": {"primary_name": {"family": "Gruber", "given": "Anna"}, "sex": "F"},
        },
    )
    data = envelope.to_wire_dict()
    data.pop("signature", None)
    value = _signed(data, keys("AUT"))
    producer = Producer({"bootstrap.servers": broker, "enable.idempotence": True, "acks": "all"})
    producer.produce("feeds.notice.AUT", key=b"AUT-N-1", value=value)
    assert producer.flush(30) == 0
    report = run_ingest(broker, broker_traits, lake, registry("AUT"), "AUT")
    assert report.accepted == 1 and report.rejected == 0
    table = bronze_table(lake)
    assert table is not None and table.column("feed").to_pylist() == ["notice"]
    assert table.column("raw").to_pylist() == [value]


def test_dlq_replay_after_registering_the_key_lands_once(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
    keys: Any,
) -> None:
    with publisher("SVN") as pub:
        sent = pub.publish("person", person(1, "SVN"))
    gid = group()
    empty = KeyRegistry()  # the operator forgot to register SVN's key
    report = run_ingest(broker, broker_traits, lake, empty, "SVN", group_id=gid)
    assert report.per_reason == {"signature.unknown_key": 1}
    result = replay_dlq(
        broker, country="SVN", error_class="signature.unknown_key", broker=broker_traits
    )
    assert [x.message_id for x in result.replayed] == [sent]
    again = replay_dlq(broker, country="SVN", broker=broker_traits)
    assert again.replayed == [] and again.skipped_already_replayed == 1
    report = run_ingest(broker, broker_traits, lake, registry("SVN"), "SVN", group_id=gid)
    assert report.accepted == 1 and bronze_ids(lake) == [sent]


def test_stop_flushes_commits_and_leaves_the_group(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    import threading
    import time

    reg = registry("HRV")
    with publisher("HRV") as pub:
        for i in range(20):
            pub.publish("person", person(i, "HRV"))
    runner = Ingest(broker, lake, key_registry=reg, group_id=group(),
                    topic_pattern=feed_pattern("HRV"), batch_max_seconds=60,
                    broker=broker_traits)  # fmt: skip

    def stop_when_landed() -> None:
        deadline = time.monotonic() + 120
        while runner.report.accepted < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        runner.stop("SIGTERM")

    stopper = threading.Thread(target=stop_when_landed, daemon=True)
    stopper.start()
    report = runner.run()  # no idle limit: only stop() ends it
    stopper.join()
    assert report.stopped_by == "SIGTERM" and report.accepted == 20


def test_messages_on_topics_without_a_country_are_dead_lettered(
    broker: str, broker_traits: BrokerTraits, lake: Lake, registry: Any
) -> None:
    from kafka import KafkaProducer

    from streams.topics import TopicCreator

    topics = ["feeds.person.QQQ", "feeds.person.NOR.extra"]
    with TopicCreator(broker, partitions=1) as creator:
        creator.ensure(topics)
    producer = KafkaProducer(bootstrap_servers=broker)
    for topic in topics:
        producer.send(topic, value=b"{}")
    producer.flush()
    producer.close()
    report = ingest(
        broker,
        lake,
        key_registry=registry("NOR"),
        group_id=group(),
        until_idle=IDLE,
        topic_pattern=r"^feeds\.person\.(QQQ|NOR\.extra)$",
        broker=broker_traits,
    )
    assert report.per_reason == {"topic.country": 1, "topic.name": 1}
    assert report.accepted == 0 and lake.list("bronze") == []


def test_batches_flush_by_bytes_so_memory_stays_bounded(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    with publisher("IRL", partitions=1) as pub:
        for i in range(120):
            pub.publish("person", person(i, "IRL", pad=800))
    limit = 20_000  # bytes of raw messages held before a flush
    report = run_ingest(broker, broker_traits, lake, registry("IRL"), "IRL", batch_max_bytes=limit)
    assert report.accepted == 120
    sizes = [len(bronze_table(lake, rel)) for rel in lake.list("bronze")]
    message_bytes = len(bronze_table(lake).column("raw")[0].as_py())
    assert len(sizes) >= 120 * message_bytes // limit
    assert max(sizes) <= limit // message_bytes + 1


def _landed(lake: Lake) -> list[dict[str, Any]]:
    table = bronze_table(lake)
    assert table is not None
    rows = table.drop_columns(["ingest_time"]).to_pylist()
    return sorted(rows, key=lambda r: (r["partition"], r["offset"]))


def test_checks_in_worker_processes_land_what_one_process_lands(
    broker: str,
    broker_traits: BrokerTraits,
    tmp_path: Any,
    keys: Callable[[str], Any],
    registry: Any,
    monkeypatch: Any,
) -> None:
    from kafka import KafkaProducer

    from streams import checking

    lux = keys("LUX")
    with FeedPublisher(broker, "LUX", lux, broker=broker_traits) as pub:
        for i in range(400):
            pub.publish("person", person(i, "LUX"))
        pub.delete("person", "LUX-P-000007", 2)
        pub.delete("person", "LUX-P-999999", 2)
    producer = KafkaProducer(bootstrap_servers=broker)
    for value in [b"not json", json.dumps(_wire("LUX", "LUX-P-N")).encode()]:
        producer.send("feeds.person.LUX", key=b"LUX-P-000001", value=value)
    producer.flush()
    producer.close()
    chunks: list[int] = []
    submit = checking.CheckPool.submit

    def counted(self: Any, topic: str, values: list[Any]) -> Any:
        chunks.append(len(values))
        return submit(self, topic, values)

    monkeypatch.setattr(checking.CheckPool, "submit", counted)
    reg = registry("LUX")
    pooled = run_ingest(broker, broker_traits, Lake(str(tmp_path / "a")), reg, "LUX", workers=2)
    assert chunks, "a backlog is checked in the workers"
    alone = run_ingest(broker, broker_traits, Lake(str(tmp_path / "b")), reg, "LUX", workers=0)
    assert pooled.accepted == alone.accepted == 401
    assert (
        pooled.per_reason
        == alone.per_reason
        == {
            "decode.json": 1,
            "delete.unknown_record": 1,
            "signature.missing": 1,
        }
    )
    assert _landed(Lake(str(tmp_path / "a"))) == _landed(Lake(str(tmp_path / "b")))


def test_a_failed_worker_pool_falls_back_to_checking_in_process(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
    monkeypatch: Any,
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from streams import checking

    with publisher("MLT", partitions=1) as pub:
        ids = [pub.publish("person", person(i, "MLT")) for i in range(200)]

    def broken(self: Any, topic: str, values: list[Any]) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future

    monkeypatch.setattr(checking.CheckPool, "submit", broken)
    report = run_ingest(broker, broker_traits, lake, registry("MLT"), "MLT", workers=2)
    assert report.accepted == 200 and report.rejected == 0
    assert sorted(bronze_ids(lake)) == sorted(ids)
