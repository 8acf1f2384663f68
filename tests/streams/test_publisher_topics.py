"""A publisher that sends to several feed topics keeps every one of them in its producer's metadata.

Regression: the embedded broker answers kafka-python's first metadata request (no topics named)
with every topic, so a topic created before the producer's first send was found but not tracked;
the next refresh dropped it and the producer then refreshed metadata on every sender loop, which
made publishing a second feed several times slower (`streams.producer.TrackingProducer`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kafka import TopicPartition

from streams.publisher import FeedPublisher
from tests.streams.conftest import person

pytestmark = pytest.mark.kafka


def test_every_topic_sent_to_keeps_its_partition_leaders(
    publisher: Callable[..., FeedPublisher],
) -> None:
    pub = publisher("LTU")
    pub.delete("case", "LTU-C-000001", 2)  # first topic: created before the producer exists
    for i in range(50):
        pub.publish("person", person(i, "LTU"))
    pub.flush()
    # kafka-python has no public view of its cluster metadata; this is the state that drove the
    # endless refreshes (a partition with batches behind it and no known leader).
    metadata = pub.producer._metadata
    assert not metadata._need_update
    for topic in ("feeds.case.LTU", "feeds.person.LTU"):
        partitions = metadata.partitions_for_topic(topic)
        assert partitions, f"{topic} was dropped from the producer's metadata"
        leaders = {metadata.leader_for_partition(TopicPartition(topic, p)) for p in partitions}
        assert None not in leaders and -1 not in leaders
