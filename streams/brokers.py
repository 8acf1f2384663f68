"""What the Kafka clients may take a broker's word for: one `BrokerTraits` per kind of broker.

Interlink runs against two Kafka-protocol brokers: Tansu, embedded for the demo, and Apache Kafka,
in production and in the tests. Tansu answers a few requests differently, and the clients work
around that; the workarounds cost little but are not needed on Apache Kafka, so they are switched
by these traits rather than by `if tansu` branches. The kind is a setting
(`INTERLINK_BROKER__KIND`); a client told nothing assumes Tansu, whose workarounds are correct on
any broker (only slower or less exact), so a missing setting never loses a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.errors import UnknownBrokerKind


@dataclass(frozen=True)
class BrokerTraits:
    """How one kind of broker answers the requests the clients depend on."""

    kind: str
    """The setting's value for this broker (`tansu` or `apache-kafka`)."""
    untracked_topics_in_metadata: bool
    """It answers a metadata request that names no topic with every topic. kafka-python then
    finds a topic without tracking it, and drops it at the next refresh: the producer has to
    track each topic it sends to itself (`streams.producer.TrackingProducer`)."""
    exact_end_offsets: bool
    """Its ListOffsets answers give the partitions' end offsets. Without it, a reader finds the
    end by the highwater mark its fetches report, and stops after an idle time when none comes."""
    join_grace: float
    """Seconds an idle ingest waits beyond `until_idle` for its group join and a first highwater
    mark before it calls the topics empty."""


TANSU = BrokerTraits(
    kind="tansu", untracked_topics_in_metadata=True, exact_end_offsets=False, join_grace=20.0
)
APACHE_KAFKA = BrokerTraits(
    kind="apache-kafka", untracked_topics_in_metadata=False, exact_end_offsets=True, join_grace=10.0
)
BROKER_KINDS = {t.kind: t for t in (TANSU, APACHE_KAFKA)}


def broker_traits(kind: str) -> BrokerTraits:
    """The traits of a broker kind named in the settings; a clear error for any other name."""
    try:
        return BROKER_KINDS[kind]
    except KeyError:
        raise UnknownBrokerKind(
            f"unknown broker kind {kind!r}: set INTERLINK_BROKER__KIND to one of "
            f"{', '.join(BROKER_KINDS)}"
        ) from None
