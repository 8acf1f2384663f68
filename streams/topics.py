"""Topic names shared by publishers and the ingest: one topic per feed and country.

`feeds.<feed>.<ISO3>` carries a country's messages (key = record id), `feeds.dlq` the dead
letters, `feeds.receipts.<ISO3>` the receipts a country reads back. Topics are created explicitly
through the admin API (never by auto-create, which some brokers disable and which would pick the
broker's default partition count).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from typing import Any

from contracts import FEEDS, normalise_country
from contracts.registry import check_feed
from streams.errors import UnknownTopic

log = logging.getLogger(__name__)

DLQ_TOPIC = "feeds.dlq"
RECEIPTS_PREFIX = "feeds.receipts."
FEED_TOPIC_PATTERN = r"^feeds\.(" + "|".join(FEEDS) + r")\..*"
"""What the ingest subscribes to: every feed topic, of every country, present and future."""
_FEED_TOPIC_RE = re.compile(FEED_TOPIC_PATTERN)

MiB = 1024 * 1024
FETCH_PARTITION_BYTES = 16 * MiB
"""Most bytes a consumer fetches per partition: above the contract's message limit, so an
oversized message is read (and dead-lettered) rather than blocking its partition."""
FETCH_BYTES = 64 * MiB
"""Most bytes a consumer fetches per request."""
DLQ_REQUEST_BYTES = 32 * MiB
"""Producer request limit wherever dead letters are written (the ingest) or republished (a
replay): the DLQ keeps oversized messages byte for byte."""
_ISO3_RE = re.compile(r"[A-Z]{3}")

DAY_MS = 24 * 60 * 60 * 1000
TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    DLQ_TOPIC: {
        "cleanup.policy": "delete",
        "retention.ms": str(14 * DAY_MS),
        "segment.ms": str(DAY_MS),
    },
}
"""Configs a topic is created with. A dead letter keeps the whole message, payload included, and
cannot be deleted one by one: only the topic's retention ends it, so the bound is set here rather
than left to the broker's defaults (Apache Kafka: 7 days of week-long segments, two weeks in all).
14 days with daily segments: a copy is gone at most 15 days after it was dead-lettered; `delete`,
never `compact`, which would keep a letter per key forever. docs/operations.md explains it. A topic
that already exists keeps its configuration (an operator's `kafka-configs.sh` wins)."""


def feed_topic(feed: str, country: str) -> str:
    """`feeds.<feed>.<ISO3>` (alpha-2 accepted); `UnknownTopic` for an unknown feed or country."""
    check_feed(feed)
    code = normalise_country(country, icao_extras=False)
    if code is None:
        raise UnknownTopic(f"{country!r} is not an ISO 3166-1 country code (e.g. FRA or FR)")
    return f"feeds.{feed}.{code}"


def receipts_topic(country: str) -> str:
    code = normalise_country(country, icao_extras=False)
    if code is None:
        raise UnknownTopic(f"{country!r} is not an ISO 3166-1 country code (e.g. FRA or FR)")
    return RECEIPTS_PREFIX + code


def is_feed_topic(topic: str) -> bool:
    return _FEED_TOPIC_RE.match(topic) is not None


def parse_feed_topic(topic: str) -> tuple[str, str | None]:
    """(feed, ISO3) of a feed topic; the country is None when the suffix is not a country."""
    parts = topic.split(".")
    if len(parts) != 3 or parts[0] != "feeds" or parts[1] not in FEEDS:
        raise UnknownTopic(f"{topic!r} is not a feed topic (feeds.<feed>.<ISO3>)")
    suffix = parts[2]
    # Only the canonical alpha-3 form names a topic: `feeds.person.fr` is not France's topic.
    code = normalise_country(suffix, icao_extras=False) if _ISO3_RE.fullmatch(suffix) else None
    return parts[1], code if code == suffix else None


class TopicCreator:
    """Creates topics once per process through the admin API; existing topics are left alone."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_options: dict[str, Any] | None = None,
        partitions: int = 3,
        replication_factor: int = 1,
    ) -> None:
        self.bootstrap = bootstrap
        self.replication_factor = replication_factor
        self.client_options = dict(client_options or {})
        self.partitions = partitions
        self._known: set[str] = set()
        self._admin: Any = None

    def ensure(self, topics: Iterable[str], *, partitions: int | None = None) -> None:
        missing = [t for t in dict.fromkeys(topics) if t not in self._known]
        if not missing:
            return
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError, TopicAuthorizationFailedError

        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id="interlink-topics",
                **self.client_options,
            )
        existing = set(self._admin.list_topics())
        todo = [t for t in missing if t not in existing]
        if todo:
            n = partitions or self.partitions
            new = [
                NewTopic(
                    name=t,
                    num_partitions=n,
                    replication_factor=self.replication_factor,
                    topic_configs=TOPIC_CONFIGS.get(t, {}),
                )
                for t in todo
            ]
            try:
                self._admin.create_topics(new)
                log.info("created topics %s with %d partitions", todo, n)
            except TopicAlreadyExistsError:
                pass  # created concurrently by another publisher or ingest: fine
            except TopicAuthorizationFailedError:
                # Production clusters create topics through their own tooling; a publisher's
                # principal may lack the right. Sending still works when the topic exists.
                log.warning("not allowed to create topics %s: they must exist already", todo)
        self._known.update(missing)

    def close(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None

    def __enter__(self) -> TopicCreator:
        return self

    def __exit__(self, *exc: object) -> None:
        # The admin client keeps a network thread: an unclosed one outlives its caller and
        # logs connection errors once the broker is gone.
        self.close()
