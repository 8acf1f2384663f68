"""Fixtures for streams tests: both brokers, country keys, a key registry, publishers, lake readers.

Every test that takes `broker` runs twice: against the embedded Tansu (marked `tansu`) and against
Apache Kafka 4 in KRaft mode (marked `apache_kafka`), each started once for the session by our own
code (`infra.broker.EmbeddedBroker`, `infra.kafka.ApacheKafkaBroker`). `broker_traits` is the
matching `streams.brokers.BrokerTraits`, passed to the streams calls as production passes
`Settings.broker.traits()`. Tests share a broker, so each test publishes under its own countries
and ingests only those topics (`feed_pattern`) with its own consumer group: no test sees
another's messages, whatever order they run in.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts import FEEDS
from infra.lake import Lake
from streams.brokers import APACHE_KAFKA, TANSU, BrokerTraits
from streams.ingest import IngestReport, ingest
from streams.keys import KeyRegistry, create_keypair, load_private_key
from streams.publisher import FeedPublisher

DATA = Path(__file__).resolve().parent.parent / "data" / "streams"


BROKERS = [
    pytest.param("tansu", marks=pytest.mark.tansu, id="tansu"),
    pytest.param("apache_kafka", marks=pytest.mark.apache_kafka, id="apache_kafka"),
]


@pytest.fixture(scope="session", params=BROKERS)
def broker_process(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The session's broker of this parameter's kind, started once and stopped at the end.

    pytest groups the tests by this parameter, so one broker runs at a time. Tansu keeps its
    messages in memory; Apache Kafka keeps them on disk, so a test may restart it.
    """
    from infra.broker import EmbeddedBroker
    from infra.kafka import ApacheKafkaBroker

    state = tmp_path_factory.mktemp(request.param)
    process = (
        EmbeddedBroker(state_dir=state, storage="memory://tansu/")
        if request.param == "tansu"
        else ApacheKafkaBroker(state_dir=state)
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def broker(broker_process: Any) -> str:
    """Bootstrap servers of the session's broker (overrides the Tansu-only one of tests/)."""
    return str(broker_process.bootstrap)


@pytest.fixture(scope="session")
def broker_traits(broker_process: Any) -> BrokerTraits:
    """What the clients may take this broker's word for."""
    from infra.kafka import ApacheKafkaBroker

    return APACHE_KAFKA if isinstance(broker_process, ApacheKafkaBroker) else TANSU


IDLE = 1.5
"""Seconds without a message after which a test's ingest run ends."""


def run_ingest(
    broker: str,
    traits: BrokerTraits,
    lake: Lake,
    registry: KeyRegistry,
    *countries: str,
    **kw: Any,
) -> IngestReport:
    """One ingest run of `countries`' feed topics to `lake` (a new consumer group unless given)."""
    kw.setdefault("group_id", group())
    kw.setdefault("until_idle", IDLE)
    return ingest(
        broker,
        lake,
        key_registry=registry,
        topic_pattern=feed_pattern(*countries),
        broker=traits,
        **kw,
    )


def feed_pattern(*countries: str) -> str:
    """A subscription pattern for the feed topics of these countries only."""
    return r"^feeds\.(" + "|".join(FEEDS) + r")\.(" + "|".join(countries) + r")$"


def group() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def person(i: int, country: str, *, version: int = 1, pad: int = 0) -> dict[str, Any]:
    """A valid person record (pad adds description text to reach a message size)."""
    payload: dict[str, Any] = {
        "role": "suspect",
        "primary_name": {"family": f"Family{i}", "given": "Ivan", "script": "Latn"},
        "sex": "M",
        "birth_date": "1985-03",
        "nationalities": ["UKR"],
        "phones": ["+380501234567"],
    }
    if pad:
        payload["description"] = "x" * pad
    return {
        "record_id": f"{country}-P-{i:06d}",
        "record_version": version,
        "reported_at": "2026-11-20T09:00:00Z",
        "payload": payload,
    }


def bronze_table(lake: Lake, prefix: str = "bronze") -> pa.Table | None:
    tables = [
        pq.read_table(io.BytesIO(lake.read_bytes(rel)))
        for rel in lake.list(prefix)
        if rel.endswith(".parquet")
    ]
    return pa.concat_tables(tables) if tables else None


def bronze_ids(lake: Lake) -> list[str]:
    table = bronze_table(lake)
    return [] if table is None else table.column("message_id").to_pylist()


@pytest.fixture
def keys(tmp_path: Path) -> Callable[[str], Any]:
    """keys("FRA") -> that country's private key (created once per test)."""
    cache: dict[str, Any] = {}

    def get(country: str) -> Any:
        if country not in cache:
            private, _public = create_keypair(country, tmp_path / "keys")
            cache[country] = load_private_key(private)
        return cache[country]

    return get


@pytest.fixture
def registry(keys: Callable[[str], Any]) -> Callable[..., KeyRegistry]:
    """registry("FRA", "DEU") -> a KeyRegistry trusting those countries' keys."""

    def make(*countries: str) -> KeyRegistry:
        reg = KeyRegistry()
        for c in countries:
            reg.add(c, keys(c).public_key())
        return reg

    return make


@pytest.fixture
def publisher(
    broker: str, broker_traits: BrokerTraits, keys: Callable[[str], Any]
) -> Iterator[Callable[[str], FeedPublisher]]:
    made: list[FeedPublisher] = []

    def make(country: str, **kwargs: Any) -> FeedPublisher:
        kwargs.setdefault("broker", broker_traits)
        pub = FeedPublisher(broker, country, keys(country), **kwargs)
        made.append(pub)
        return pub

    yield make
    for pub in made:
        pub.close()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(str(tmp_path / "lake"))


BRONZE_NAME = re.compile(
    r"^bronze/feed=(?P<feed>\w+)/country=(?P<country>[A-Z]{3})/date=\d{4}-\d{2}-\d{2}/"
    r"(?P<topic>feeds\.\w+\.[A-Z]{3})\+(?P<partition>\d+)\+(?P<first>\d+)-(?P<last>\d+)\.parquet$"
)
