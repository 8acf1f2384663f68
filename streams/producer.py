"""The Kafka producer every Interlink component sends with, and the one factory that builds it.

kafka-python's `KafkaProducer`, plus, on a broker that needs it (`BrokerTraits`), the tracking of
every topic it sends to. Imported lazily by its users (like `kafka` itself), so commands that
never send do not load the client.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from streams.brokers import TANSU, BrokerTraits


class TrackingProducer(KafkaProducer):
    """A `KafkaProducer` that keeps every topic it sends to in its metadata refreshes.

    Why: kafka-python (3.0) tracks a topic only when its first send finds no partitions for it
    in the producer's metadata. The embedded broker (Tansu) answers the producer's first metadata
    request, which names no topic, with every topic, so a topic created beforehand is found
    without being tracked; the next refresh for another topic drops it, and from then on the
    sender sees partitions without a leader on every loop and refreshes metadata continuously
    (publishing a second feed ran about 7x slower, the GIL going to the network thread). Apache
    Kafka answers that first request with no topic and needs none of this (`make_producer` gives
    it kafka-python's producer). A client version without the hook is left alone.
    """

    def __init__(self, **configs: Any) -> None:
        super().__init__(**configs)
        self._tracked: set[str] = set()

    def send(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        if topic not in self._tracked:
            add = getattr(getattr(self, "_sender", None), "add_topic", None)
            if add is not None:
                add(topic)
            self._tracked.add(topic)
        return super().send(topic, *args, **kwargs)


def compression() -> str:
    """The producers' compression: zstd compresses JSON best at low CPU; gzip is always there."""
    from kafka.codec import has_zstd

    return "zstd" if has_zstd() else "gzip"


def make_producer(
    bootstrap: str,
    client_id: str,
    *,
    client_options: dict[str, Any] | None = None,
    producer_options: dict[str, Any] | None = None,
    broker: BrokerTraits = TANSU,
    **tuning: Any,
) -> KafkaProducer:
    """The producer of one component (publisher, ingest, DLQ replay).

    Idempotent with `acks=all`, so a retried send never doubles a message inside the broker,
    and compressed. `tuning` is the component's own (linger, batch and request sizes); then come
    the deployment's `client_options` (SASL/TLS settings, straight to kafka-python) and last the
    caller's `producer_options`, which override anything. The producer tracks its topics where
    the broker's metadata answers call for it (Tansu), and is kafka-python's own elsewhere.
    """
    options: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": compression(),
        **tuning,
        "client_id": client_id,
        **(client_options or {}),
        **(producer_options or {}),
    }
    if broker.untracked_topics_in_metadata:
        return TrackingProducer(bootstrap_servers=bootstrap, **options)
    return KafkaProducer(bootstrap_servers=bootstrap, **options)
