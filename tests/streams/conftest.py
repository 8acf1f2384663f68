"""Fixtures for streams tests: country keys, a key registry, publishers, and lake readers.

The broker is the session's embedded Tansu (tests/conftest.py `broker`). Tests share it, so each
test publishes under its own countries and ingests only those topics (`feed_pattern`) with its own
consumer group: no test sees another's messages, whatever order they run in.
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
from streams.keys import KeyRegistry, create_keypair, load_private_key
from streams.publisher import FeedPublisher

DATA = Path(__file__).resolve().parent.parent / "data" / "streams"


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
def publisher(broker: str, keys: Callable[[str], Any]) -> Iterator[Callable[[str], FeedPublisher]]:
    made: list[FeedPublisher] = []

    def make(country: str, **kwargs: Any) -> FeedPublisher:
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
