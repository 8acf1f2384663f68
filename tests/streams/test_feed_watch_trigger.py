"""The feed watch as Airflow's triggerer runs it, on each broker: the Kafka message-queue trigger
of `feeds_ingest`'s asset (`interlink.dag_factory.feed_watch_trigger`), with its filter
(`interlink.feed_watch.unlanded_message`), wakes on a message the ingest has not landed and on
nothing the ingest already committed past.

The whole event-driven chain under `airflow standalone` runs on Apache Kafka
(tests/dags/test_event_driven_standalone.py); this proves the trigger itself on Tansu too, the
broker `make demo` embeds, where librdkafka's group join and the offsets read are Tansu's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from feed_watch_testkit import commit, publish

pytestmark = [pytest.mark.kafka, pytest.mark.airflow]

WAKE_TIMEOUT = 90.0
"""Generous: the trigger's consumer joins its group first (about half the session timeout on
Tansu) on a machine other tests keep busy."""


async def _first_event(trigger: Any) -> Any:
    events = trigger.run()
    try:
        return await asyncio.wait_for(events.__anext__(), WAKE_TIMEOUT)
    finally:
        await events.aclose()


def test_the_triggerer_wakes_on_the_first_message_the_ingest_has_not_landed(
    broker: str, airflow_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interlink import feed_watch
    from interlink.settings import Settings

    group = f"ingest-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", broker)
    monkeypatch.setenv("INTERLINK_INGEST__GROUP_ID", group)
    for key, value in feed_watch.kafka_connection_env(Settings()).items():
        # A watch group of this test's own: the shared broker holds other tests' topics.
        conn = json.loads(value)
        conn["extra"]["group.id"] = f"watch-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv(key, json.dumps(conn))
    monkeypatch.setattr(feed_watch, "_POSITION", feed_watch._IngestPosition())
    from interlink.dag_factory import FEED_MESSAGES, feed_watch_trigger

    watched = FEED_MESSAGES.watchers[0].trigger
    topic = f"feeds.person.T{uuid.uuid4().hex[:2].upper()}"
    trigger = feed_watch_trigger((topic,))
    assert type(trigger) is type(watched)

    # Three messages; the ingest has landed the first two (committed 2): the third wakes it.
    publish(broker, topic, 3)
    commit(broker, group, topic, 2)
    event = asyncio.run(_first_event(trigger))
    assert event.payload == {"topic": topic, "partition": 0, "offset": 2}, event.payload
