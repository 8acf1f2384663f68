"""What wakes `feeds_ingest`: a message on a feed topic that the ingest has not landed yet.

Airflow's triggerer runs the Kafka message-queue trigger (`apache-airflow-providers-apache-kafka`)
on the feed topics under its own consumer group (`WATCH_GROUP`), through the Airflow connection
`KAFKA_CONN_ID` that our runner exports from `Settings.broker` (`kafka_connection_env`): the same
brokers as the ingest, named once. For each message the trigger calls `unlanded_message`; a
truthy answer becomes an asset event on `FEED_MESSAGES`, which schedules `feeds_ingest`.

Why the filter: the trigger fires once per matching message and then rejoins its group, so a burst
of 200 messages would otherwise become 200 asset events and 200 group joins, long after one ingest
run landed them all. A message below the ingest group's committed offset has been landed (or
dead-lettered), so it is let through silently. When the ingest group cannot be read the message
counts as new: a spare ingest run costs seconds, a missed message waits for the safety-net cron.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

KAFKA_CONN_ID = "interlink_kafka"
"""The Airflow connection of the feed watcher (exported as AIRFLOW_CONN_INTERLINK_KAFKA)."""
WATCH_GROUP = "interlink-feed-watch"
"""Consumer group of the triggerer's watcher; the ingest's offsets stay the ingest group's."""
WATCH_SESSION_TIMEOUT_MS = 6000
"""Short, because the watcher rejoins its group after every event it fires and some brokers
(Tansu) hold a join for about half the session timeout."""
_COMMITTED_TTL = 2.0
"""Seconds a read of the ingest group's committed offsets is reused for further messages."""


def kafka_connection_env(settings: Any) -> dict[str, str]:
    """`AIRFLOW_CONN_INTERLINK_KAFKA` for this deployment: the broker of `settings` (the running
    embedded one when none is configured), security options in librdkafka's spelling."""
    from infra.broker import resolve_bootstrap

    broker = settings.broker
    extra: dict[str, Any] = {
        "bootstrap.servers": resolve_bootstrap(broker.bootstrap_servers, settings.state_dir),
        "group.id": WATCH_GROUP,
        # Messages published before the watcher first joined still wake the ingest.
        "auto.offset.reset": "earliest",
        "session.timeout.ms": WATCH_SESSION_TIMEOUT_MS,
        "security.protocol": broker.security_protocol,
    }
    if broker.sasl_mechanism:
        extra["sasl.mechanism"] = broker.sasl_mechanism
        extra["sasl.username"] = broker.sasl_username
        extra["sasl.password"] = (
            broker.sasl_password.get_secret_value() if broker.sasl_password else None
        )
    if broker.ssl_cafile:
        extra["ssl.ca.location"] = broker.ssl_cafile
    conn = {"conn_type": "kafka", "extra": extra}
    return {f"AIRFLOW_CONN_{KAFKA_CONN_ID.upper()}": json.dumps(conn)}


class _IngestPosition:
    """The ingest group's committed offsets, read through the watcher's connection settings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offsets: dict[tuple[str, int], int] = {}
        self._read_at = 0.0
        self._admin: Any = None

    def committed(self, topic: str, partition: int, *, fresh: bool) -> int | None:
        with self._lock:
            if fresh or time.monotonic() - self._read_at > _COMMITTED_TTL:
                self._offsets = self._read()
                self._read_at = time.monotonic()
            return self._offsets.get((topic, partition))

    def _read(self) -> dict[tuple[str, int], int]:
        from confluent_kafka import ConsumerGroupTopicPartitions

        from interlink.settings import load_settings

        if self._admin is None:
            from confluent_kafka.admin import AdminClient

            conf = _connection_extra()
            keep = ("bootstrap.servers", "security.protocol", "sasl.", "ssl.")
            self._admin = AdminClient({k: v for k, v in conf.items() if k.startswith(keep)})
        group = load_settings().ingest.group_id
        future = self._admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        result = future[group].result(timeout=10)
        return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or []}


_POSITION = _IngestPosition()


def _connection_extra() -> dict[str, Any]:
    from airflow.sdk import BaseHook

    return dict(BaseHook.get_connection(KAFKA_CONN_ID).extra_dejson)


def unlanded_message(message: Any) -> dict[str, Any] | None:
    """The trigger's apply function: the message's coordinates when the ingest has not yet
    committed past it (it becomes the asset event's payload), else None."""
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    event = {"topic": topic, "partition": partition, "offset": offset}
    try:
        committed = _POSITION.committed(topic, partition, fresh=False)
        if committed is None or committed <= offset:
            # A cached position may be behind an ingest that just committed: ask again.
            committed = _POSITION.committed(topic, partition, fresh=True)
    except Exception as exc:  # any failure: "assume new", see module doc
        log.warning("ingest offsets unreadable (%s): %s counts as new", exc, event)
        with contextlib.suppress(Exception):
            _POSITION._admin = None
        return event
    if committed is not None and committed > offset:
        return None
    return event
