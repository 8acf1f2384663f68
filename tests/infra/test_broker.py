"""The embedded broker starts from our code, answers Kafka clients, and stops by PID."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.broker import (
    EmbeddedBroker,
    metadata_answers,
    resolve_bootstrap,
    running_broker,
    stop_running_broker,
)
from infra.errors import BrokerNotRunning, PortInUse
from infra.process import pid_alive

pytestmark = pytest.mark.kafka


def test_broker_round_trips_keyed_messages_with_headers(broker: str) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.create_topics([NewTopic("test.roundtrip", 2, 1)])
    admin.close()
    producer = KafkaProducer(
        bootstrap_servers=broker, enable_idempotence=True, acks="all", compression_type="gzip"
    )
    for i in range(20):
        producer.send(
            "test.roundtrip",
            key=f"r{i % 4}".encode(),
            value=f"v{i}".encode(),
            headers=[("h", b"x")],
        )
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        "test.roundtrip",
        bootstrap_servers=broker,
        group_id="t-rt",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    seen: list = []
    for _ in range(30):
        for records in consumer.poll(500).values():
            seen.extend(records)
        if len(seen) >= 20:
            break
    consumer.close()
    assert sorted(m.value for m in seen) == sorted(f"v{i}".encode() for i in range(20))
    # Same key → same partition, in order: what keeps a record's versions ordered.
    by_key: dict = {}
    for m in seen:
        by_key.setdefault(m.key, set()).add(m.partition)
    assert all(len(parts) == 1 for parts in by_key.values())
    assert all(m.headers == [("h", b"x")] for m in seen)


def test_broker_state_file_lets_a_later_command_find_and_stop_it(tmp_path: Path) -> None:
    b = EmbeddedBroker(state_dir=tmp_path)
    bootstrap = b.start()
    state = running_broker(tmp_path)
    assert state is not None and state.url == bootstrap
    assert resolve_bootstrap(None, tmp_path) == bootstrap
    b.process = None  # detach, as `interlink broker start` does
    assert stop_running_broker(tmp_path)
    assert not pid_alive(state.pid)
    assert not metadata_answers(bootstrap, timeout=0.5)
    with pytest.raises(BrokerNotRunning, match="interlink broker start"):
        resolve_bootstrap(None, tmp_path)


def test_configured_cluster_wins_over_embedded(tmp_path: Path) -> None:
    assert resolve_bootstrap("kafka-1:9092", tmp_path) == "kafka-1:9092"


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port}"):
            EmbeddedBroker(state_dir=tmp_path, port=port).start()


@pytest.mark.slow
def test_s3_storage_keeps_messages_across_a_broker_restart(tmp_path: Path, local_s3) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import NewTopic

    local_s3.create_bucket("tansu-restart")
    b = EmbeddedBroker(state_dir=tmp_path, storage="s3://tansu-restart/", s3_env=local_s3.env())
    bootstrap = b.start()
    port = b.port
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic("durable", 1, 1)])
    admin.close()
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(5):
        p.send("durable", value=f"m{i}".encode())
    p.flush()
    p.close()
    b.stop()
    b2 = EmbeddedBroker(
        state_dir=tmp_path, port=port, storage="s3://tansu-restart/", s3_env=local_s3.env()
    )
    bootstrap = b2.start()
    try:
        c = KafkaConsumer(
            "durable",
            bootstrap_servers=bootstrap,
            group_id="durable-g",
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )
        got: list = []
        for _ in range(30):
            for recs in c.poll(500).values():
                got.extend(r.value for r in recs)
            if len(got) >= 5:
                break
        c.close()
        assert got == [f"m{i}".encode() for i in range(5)]
    finally:
        b2.stop()
