"""Kafka helpers of the feed-watch tests (tests/interlink and tests/streams): a fresh topic with
a few messages, and an ingest group's commit, through confluent-kafka as the triggerer uses it."""

from __future__ import annotations


def publish(bootstrap: str, topic: str, count: int) -> None:
    """Create a one-partition topic and publish `count` small messages on it."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        producer.produce(topic, key=f"k{i}".encode(), value=b"{}")
    assert producer.flush(30) == 0


def commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    """Commit `offset` on partition 0 for `group`, as the ingest does after landing a batch."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    consumer.close()
