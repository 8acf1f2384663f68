"""Property tests of the ingest's checking path (hypothesis): random bytes, envelopes, headers,
timestamps and record batches never make it raise, every refusal carries a documented class,
and whatever it accepts can be stored (a bronze table builds from it).

No broker: these are the pure pieces the ingest runs on every message; the poison test
(test_poison.py) runs the same inputs through both real brokers.
"""

from __future__ import annotations

import base64
import copy
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import canonical_bytes, envelope_for, signed_value
from contracts.reasons import ERROR_CLASSES, UNEXPECTED
from streams.checking import Checker, kafka_rejection
from streams.dlq import OURS, dead_letter, dead_letter_headers
from streams.ingest.batches import PartitionBatch, bronze_table
from streams.ingest.corrupt import parse_batches
from streams.keys import KeyRegistry

SEEN: Counter[str] = Counter()
"""Examples run per property (printed at the end with -s; the report quotes them)."""

_KEY: Any = None


def _registry() -> tuple[KeyRegistry, Any]:
    global _KEY
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if _KEY is None:
        _KEY = Ed25519PrivateKey.generate()
    registry = KeyRegistry()
    registry.add("EST", _KEY.public_key())
    return registry, _KEY


def _base() -> dict[str, Any]:
    payload = {
        "role": "victim",
        "primary_name": {"family": "Tamm", "given": "Mari", "script": "Latn"},
        "birth_date": "1990-04",
        "nationalities": ["EST"],
        "description": "free text",
    }
    data = envelope_for("person", "EST", "EST-P-1", 1, payload).to_wire_dict()
    data.pop("signature", None)
    return data


BASE = _base()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += _paths(child, (*path, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


@st.composite
def envelopes(draw: Any) -> bytes:
    """A signed envelope with some of its fields replaced by random JSON (or edge values)."""
    data = copy.deepcopy(BASE)
    edge = st.sampled_from(
        [2**63, 2**63 - 1, -1, 0, "", "\x00", "a\x1fb", "9999-12-31T23:59:59Z", "2200-01-01"]
    )
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=3)):
        node: Any = data
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = draw(json_values | edge)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed the path
    key = _registry()[1]
    try:
        canonical = canonical_bytes(data)
    except (TypeError, ValueError):
        return json.dumps(data, default=str).encode()
    signature = base64.b64encode(key.sign(canonical)).decode()
    if draw(st.booleans()):
        return signed_value(canonical, signature)  # the SDK's layout
    return json.dumps({**data, "signature": signature}, ensure_ascii=False).encode()


topics = st.sampled_from(["feeds.person.EST", "feeds.case.EST", "feeds.person.LVA"]) | st.text(
    max_size=30
)
values = st.none() | st.binary(max_size=400) | envelopes()


def _assert_documented_or_storable(topic: str, value: Any, checker: Checker) -> None:
    verdict = checker.verdict(topic, value)
    SEEN[f"verdict {verdict.error_class or 'accepted'}"] += 1
    if verdict.columns is None:
        assert verdict.error_class in ERROR_CLASSES, verdict
        assert verdict.error_class != UNEXPECTED, verdict  # an exception the checks did not expect
        assert verdict.reason
        return
    # Accepted: it must land (int64 columns, timestamps, dates of the bronze schema).
    batch = PartitionBatch(topic, 0, "person", "EST", 0, 0)
    batch.offsets, batch.timestamps, batch.raws = [0], [0], [bytes(value)]
    batch.envelopes = [verdict.columns]
    from datetime import UTC, datetime

    assert bronze_table(batch, datetime.now(UTC)).num_rows == 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=topics, value=values)
def test_checks_never_raise_and_refuse_only_with_documented_classes(topic: str, value: Any) -> None:
    SEEN["checks"] += 1
    registry, _key = _registry()
    _assert_documented_or_storable(topic, value, Checker(registry))


@settings(max_examples=300, deadline=None)
@given(value=envelopes())
def test_signed_envelopes_with_random_fields_are_accepted_storable_or_refused(value: bytes) -> None:
    SEEN["envelopes"] += 1
    registry, _key = _registry()
    _assert_documented_or_storable("feeds.person.EST", value, Checker(registry))


class _Message:
    def __init__(self, headers: Any, key: Any, value: Any, timestamp: int) -> None:
        self.topic, self.partition, self.offset = "feeds.person.EST", 0, 7
        self.headers, self.key, self.value, self.timestamp = headers, key, value, timestamp


header_names = st.text(max_size=20) | st.sampled_from(
    ["interlink.source.country", "interlink.message_id", "__connect.errors.topic", "interlink.x"]
)


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(st.tuples(header_names, st.none() | st.binary(max_size=40)), max_size=6),
    key=st.none() | st.binary(max_size=20),
    value=st.none() | st.binary(max_size=60),
    timestamp=st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
def test_dead_letters_carry_only_our_own_headers_whatever_a_publisher_sends(
    headers: list[tuple[str, bytes | None]], key: Any, value: Any, timestamp: int
) -> None:
    SEEN["headers"] += 1
    message = _Message(headers, key, value, timestamp)
    rejection = kafka_rejection(timestamp, None)
    assert rejection is None or rejection.error_class == "kafka.timestamp"
    ours = dead_letter_headers(
        message, country=None, error_class="decode.json", reason="r", exception="e", message_id=None
    )
    out_key, out_value, out = dead_letter(message, ours)
    assert (out_key, out_value) == (key, value)
    assert all(isinstance(k, str) and isinstance(v, bytes) for k, v in out)
    theirs = [(k, v or b"") for k, v in headers if not k.startswith(OURS)]
    assert [h for h in out if not h[0].startswith(OURS)] == theirs
    # Nothing of theirs under our names: no country (the topic gave none), no message id.
    names = [k for k, _v in out]
    assert "interlink.source.country" not in names and "interlink.message_id" not in names
    assert names.count("__connect.errors.topic") == 1


records = st.lists(
    st.tuples(
        st.none() | st.binary(max_size=20),
        st.none() | st.binary(max_size=80),
        st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=10)), max_size=3),
        st.booleans(),  # a header key that is not UTF-8
    ),
    min_size=1,
    max_size=8,
)


class _NotUtf8(str):
    def encode(self, *args: Any, **kwargs: Any) -> bytes:  # type: ignore[override]
        return b"k\xfe"


@settings(max_examples=200, deadline=None)
@given(
    records=records,
    base=st.integers(min_value=0, max_value=2**40),
    codec=st.sampled_from([0, 1, 4]),
)
def test_raw_batches_read_back_what_kafka_python_wrote_and_flag_only_bad_header_keys(
    records: list[Any], base: int, codec: int
) -> None:
    from kafka.record.default_records import DefaultRecordBatchBuilder

    SEEN["batches"] += 1
    builder = DefaultRecordBatchBuilder(2, codec, False, -1, -1, -1, 1 << 20)
    for i, (key, value, headers, bad) in enumerate(records):
        hs = [(_NotUtf8("x"), b"v")] if bad else []
        builder.append(i, 1_796_000_000_000 + i, key, value, hs + headers)
    data = bytearray(builder.build())
    data[0:8] = base.to_bytes(8, "big")  # the broker assigns the base offset (not under the CRC)
    batches = list(parse_batches(bytes(data), "feeds.person.EST", 0))
    assert len(batches) == 1 and batches[0].next_offset == base + len(records)
    got = batches[0].records
    assert [r.offset for r in got] == [base + i for i in range(len(records))]
    for record, (key, value, headers, bad) in zip(got, records, strict=True):
        assert (record.key, record.value, record.headers) == (key, value, headers)
        assert (record.error_class == "kafka.header_key") is bad
    assert batches[0].unreadable is any(r[3] for r in records)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_as_a_fetch_response_never_raise(data: bytes) -> None:
    SEEN["raw"] += 1
    for batch in parse_batches(data, "t", 0):
        for record in batch.records:
            assert record.problem is None or record.error_class in ERROR_CLASSES


@pytest.fixture(scope="module", autouse=True)
def _print_counts() -> Any:
    yield
    print(f"\nhypothesis examples run: {dict(SEEN)}")


def test_a_bug_in_the_checks_reaches_the_publisher_as_ingest_unexpected() -> None:
    key = _registry()[1]

    class Broken(KeyRegistry):
        def verify(self, *args: Any, **kwargs: Any) -> bool:
            raise KeyError("a bug")

    broken = Broken()
    broken.add("EST", key.public_key())
    data = copy.deepcopy(BASE)
    canonical = canonical_bytes(data)
    signed = signed_value(canonical, base64.b64encode(key.sign(canonical)).decode())
    verdict = Checker(broken).verdict("feeds.person.EST", signed)
    assert verdict.columns is None and verdict.error_class == UNEXPECTED
    assert "KeyError" in verdict.reason and verdict.message_id == data["message_id"]
