"""The feed watcher: a message wakes feeds_ingest only while the ingest has not landed it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from feed_watch_testkit import commit, publish

pytestmark = [pytest.mark.kafka, pytest.mark.airflow]


def _messages(bootstrap: str, topic: str, count: int) -> list[Any]:
    """Publish `count` messages on a fresh one-partition topic; read them back as the
    triggerer's consumer does (confluent-kafka Message objects)."""
    from confluent_kafka import Consumer

    publish(bootstrap, topic, count)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out: list[Any] = []
    for _ in range(120):
        message = consumer.poll(1.0)
        if message is not None and not message.error():
            out.append(message)
        if len(out) == count:
            break
    consumer.close()
    assert [m.offset() for m in out] == list(range(count))
    return out


def test_only_messages_past_the_ingest_groups_commit_wake_the_ingest(
    broker: str, airflow_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interlink import feed_watch
    from interlink.settings import Settings

    group = f"ingest-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", broker)
    monkeypatch.setenv("INTERLINK_INGEST__GROUP_ID", group)
    env = feed_watch.kafka_connection_env(Settings())
    assert list(env) == ["AIRFLOW_CONN_INTERLINK_KAFKA"]
    extra = json.loads(env["AIRFLOW_CONN_INTERLINK_KAFKA"])["extra"]
    assert extra["bootstrap.servers"] == broker and extra["group.id"] == feed_watch.WATCH_GROUP
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(feed_watch, "_POSITION", feed_watch._IngestPosition())

    topic = f"feeds.person.W{uuid.uuid4().hex[:2].upper()}"
    messages = _messages(broker, topic, 3)
    # Nothing landed yet: every message is news.
    assert [feed_watch.unlanded_message(m) for m in messages] == [
        {"topic": topic, "partition": 0, "offset": i} for i in range(3)
    ]
    # The ingest landed offsets 0 and 1 (committed 2): only offset 2 still wakes it, and the
    # cached position does not hide a commit made since it was read.
    commit(broker, group, topic, 2)
    assert [feed_watch.unlanded_message(m) for m in messages] == [
        None,
        None,
        {"topic": topic, "partition": 0, "offset": 2},
    ]
    commit(broker, group, topic, 3)
    assert feed_watch.unlanded_message(messages[2]) is None
