"""The dead-letter topic is created with a bounded retention, not the broker's defaults.

A dead letter keeps the whole message and cannot be deleted one by one, so its topic's retention
is what bounds how long an erased record's copy exists (docs/operations.md, "Erasure").
"""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from streams.topics import DLQ_TOPIC, TOPIC_CONFIGS, TopicCreator

pytestmark = pytest.mark.kafka


def test_dlq_topic_is_created_with_its_retention(broker: str) -> None:
    with TopicCreator(broker, partitions=1) as creator:
        creator.ensure([DLQ_TOPIC])
    admin = KafkaAdminClient(bootstrap_servers=broker, client_id="test-dlq-retention")
    try:
        assert DLQ_TOPIC in admin.list_topics()
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, DLQ_TOPIC)], config_filter="all"
        )
    finally:
        admin.close()
    configs = described["topic"][DLQ_TOPIC]
    got = {key: configs[key]["value"] for key in TOPIC_CONFIGS[DLQ_TOPIC]}
    assert got == {
        "cleanup.policy": "delete",
        "retention.ms": "1209600000",
        "segment.ms": "86400000",
    }
