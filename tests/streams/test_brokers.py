"""The broker kind in the settings selects the client workarounds, and only known kinds."""

from __future__ import annotations

import pytest

from interlink.settings import Settings
from streams.brokers import APACHE_KAFKA, TANSU, broker_traits
from streams.errors import UnknownBrokerKind


def test_default_kind_is_tansu_whose_workarounds_are_safe_on_any_broker() -> None:
    assert Settings().broker.traits() is TANSU


def test_apache_kafka_kind_turns_the_tansu_workarounds_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTERLINK_BROKER__KIND", "apache-kafka")
    traits = Settings().broker.traits()
    assert traits is APACHE_KAFKA
    assert not traits.untracked_topics_in_metadata and traits.exact_end_offsets
    assert traits.join_grace < TANSU.join_grace


def test_an_unknown_kind_names_the_value_and_the_choices() -> None:
    with pytest.raises(UnknownBrokerKind, match=r"'kafka3'.*tansu, apache-kafka"):
        broker_traits("kafka3")
