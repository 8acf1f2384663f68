"""The per-message checks of the ingest that need no state: topic, decoding, country, signature,
envelope and payload. They run in the ingest process, or in a pool of worker processes
(`CheckPool`) while the ingest process polls Kafka, lands bronze and commits.

A check's outcome is a `Verdict`, plain data that crosses a process boundary cheaply: the
envelope's bronze columns when the message passed, or the rejection's error class and reason. The
one rule that needs the ingest's state (a delete must name a record already received) is applied
by the ingest afterwards, in offset order.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import msgspec

from contracts import (
    ContractError,
    CountryMismatch,
    Envelope,
    canonical_bytes,
    decode,
    normalise_country,
    split_signed,
    validate_envelope,
)
from contracts.bounds import kafka_timestamp_problem
from contracts.lake import BRONZE_ENVELOPE_COLUMNS
from contracts.reasons import UNEXPECTED, documented
from streams.errors import UnknownTopic
from streams.keys import KeyRegistry
from streams.topics import parse_feed_topic

log = logging.getLogger(__name__)

ENVELOPE_COLUMNS = BRONZE_ENVELOPE_COLUMNS
"""The bronze columns that come from the envelope, in the order of `Verdict.columns`."""

_encode = msgspec.json.Encoder().encode


class Rejected(Exception):
    """A message that cannot land: `error_class` is a stable code, `str()` the readable reason."""

    def __init__(self, error_class: str, reason: str) -> None:
        super().__init__(reason)
        self.error_class = error_class


_REJECTED_CLASS = f"{Rejected.__module__}.{Rejected.__name__}"


class Verdict(NamedTuple):
    """What the stateless checks found: `columns` (ENVELOPE_COLUMNS order) when the message
    passed, else the rejection (error class, one-line reason, exception class, message id).
    Workers send it as a plain tuple of the same fields, so readers unpack or index it."""

    columns: tuple[Any, ...] | None
    error_class: str = ""
    reason: str = ""
    exception: str = ""
    message_id: str | None = None


def one_line(text: str, limit: int = 1000) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def message_id_of(value: Any) -> str | None:
    # Best effort: name a rejected message in its receipt when its id can be read at all.
    with contextlib.suppress(Exception):
        data = json.loads(value)
        candidate = data.get("message_id") if isinstance(data, dict) else None
        if isinstance(candidate, str) and len(candidate) <= 64:
            return candidate
    return None


class Checker:
    """The stateless checks against one key registry."""

    def __init__(self, registry: KeyRegistry) -> None:
        self.registry = registry

    def check(self, topic: str, value: bytes | None) -> tuple[Envelope, dict[str, Any]]:
        """The validated envelope and its decoded JSON, or `Rejected` / `ContractError`."""
        try:
            feed, country = parse_feed_topic(topic)
        except UnknownTopic as exc:
            raise Rejected("topic.name", f"{exc}: publish to feeds.<feed>.<ISO3>") from None
        if country is None:
            raise Rejected(
                "topic.country",
                f"topic {topic} does not end in an ISO 3166-1 alpha-3 code: "
                "publish to feeds.<feed>.<ISO3>",
            )
        if value is None:
            raise Rejected("decode.null", "message has no value: send a delete envelope instead")
        # Values laid out as the publisher SDK sends them carry the signed bytes as a slice;
        # any other layout is decoded in full and its canonical bytes recomputed.
        split = split_signed(value)
        signed: bytes | None
        if split is None:
            data, signed = decode(value), None
        else:
            data, signed, _signature = split
        claimed = data.get("source_country")
        if isinstance(claimed, str):
            code = normalise_country(claimed, icao_extras=False)
            if code is not None and code != country:
                raise CountryMismatch(code, country)
        signature = data.get("signature")
        if signature is None:
            raise Rejected(
                "signature.missing",
                "message is not signed: sign the canonical bytes with the country's Ed25519 key",
            )
        if not isinstance(signature, str):
            raise Rejected("signature.invalid", "signature must be a base64 string")
        if country not in self.registry:
            self._revoked(country, canonical_bytes(data) if signed is None else signed, signature)
            raise Rejected(
                "signature.unknown_key",
                f"no public key registered for {country}: add it with `interlink keys register`",
            )
        if signed is None:
            signed = canonical_bytes(data)
        if not self.registry.verify(country, signed, signature):
            self._revoked(country, signed, signature)
            signer = self.registry.signer_of(signed, signature)
            if signer is not None:
                raise Rejected(
                    "signature.wrong_country",
                    f"signed with {signer}'s key on {country}'s topic: a country signs only its "
                    "own records",
                )
            raise Rejected(
                "signature.invalid",
                f"signature does not verify with {country}'s registered key: the message was "
                "altered after signing or signed with another key",
            )
        envelope = validate_envelope(data)
        if envelope.source_country != country:
            raise CountryMismatch(envelope.source_country, country)
        if envelope.feed != feed:
            raise Rejected(
                "feed.mismatch",
                f"envelope feed {envelope.feed!r} on topic {topic}: publish it to "
                f"feeds.{envelope.feed}.{country}",
            )
        return envelope, data

    def _revoked(self, country: str, signed: bytes, signature: str) -> None:
        """Reject a message signed with one of the country's revoked keys as such."""
        kid = self.registry.revoked_signer(country, signed, signature)
        if kid is not None:
            raise Rejected(
                "signature.revoked_key",
                f"signed with {country}'s key {kid}, revoked by the operator: sign with the "
                "country's new key and resend",
            )

    def verdict(self, topic: str, value: bytes | None) -> Verdict:
        try:
            envelope, data = self.check(topic, value)
        except (Rejected, ContractError) as exc:
            return _rejection(exc, value)
        except Exception as exc:
            # A bug met on some input must neither stop the ingest nor lose the message: it
            # waits in the DLQ, with the error, for a fix and a replay.
            log.exception("unexpected error checking a message of %s", topic)
            return _rejection(exc, value)
        return Verdict(columns(envelope, data))

    def verdicts(self, topic: str, values: Sequence[bytes | None]) -> list[Verdict]:
        return [self.verdict(topic, value) for value in values]


def _rejection(exc: Exception, value: Any) -> Verdict:
    error_class = getattr(exc, "error_class", None)
    reason = one_line(str(exc))
    if not isinstance(error_class, str) or not documented(error_class):
        # Publishers route rejections by class: only the documented ones reach them
        # (contracts.reasons); the exception itself stays in the reason and the DLQ header.
        error_class = UNEXPECTED
        reason = one_line(f"unexpected error ({type(exc).__name__}): {exc}")
    return Verdict(
        None,
        error_class,
        reason,
        f"{type(exc).__module__}.{type(exc).__name__}",
        message_id_of(value),
    )


def kafka_rejection(timestamp: Any, message_id: str | None) -> Verdict | None:
    """The rejection of a message whose Kafka timestamp cannot be landed, else None (the bronze
    file name and the `kafka_timestamp` column derive from it)."""
    problem = kafka_timestamp_problem(timestamp if isinstance(timestamp, int) else None)
    if problem is None:
        return None
    exc = Rejected("kafka.timestamp", problem)
    return Verdict(None, exc.error_class, problem, _REJECTED_CLASS, message_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = _EPOCH.date().toordinal()
_MICROSECOND = timedelta(microseconds=1)


def columns(envelope: Envelope, data: dict[str, Any]) -> tuple[Any, ...]:
    """The envelope's bronze column values (ENVELOPE_COLUMNS order) in Arrow's terms:
    timestamps as microseconds since the epoch (UTC), `review_by` as days since the epoch (they
    cross process boundaries far cheaper than datetime objects); `payload` is the payload as
    sent, re-encoded compactly."""
    handling = envelope.handling
    payload = data.get("payload")
    review_by = handling.review_by
    return (
        str(envelope.message_id),
        envelope.feed,
        envelope.schema_version,
        envelope.source_country,
        envelope.source_agency,
        envelope.record_id,
        envelope.record_version,
        envelope.operation,
        (envelope.produced_at - _EPOCH) // _MICROSECOND,
        (envelope.reported_at - _EPOCH) // _MICROSECOND,
        envelope.operation_code,
        list(handling.dissemination),
        handling.handling_code,
        handling.handling_note,
        handling.source_reliability,
        handling.information_assessment,
        None if review_by is None else review_by.toordinal() - _EPOCH_DAY,
        None if payload is None else _encode(payload).decode("utf-8"),
    )


# -- worker processes ---------------------------------------------------------------------------
_worker_checker: Checker | None = None


def _init_worker(registry_json: str) -> None:
    global _worker_checker
    # The ingest process alone decides when to stop (it flushes and commits first); a Ctrl-C
    # sent to the whole process group must not kill the workers under it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_the_ingest, name="ingest-watch", daemon=True).start()
    _worker_checker = Checker(KeyRegistry.from_json(registry_json))


def _exit_with_the_ingest() -> None:
    # A worker waits on a queue whose write end it holds itself, so a SIGKILLed ingest would
    # leave it (and the fork server it keeps alive) behind; the parent's sentinel ends it.
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(0)


def _check_chunk(topic: str, values: list[bytes | None]) -> list[Verdict]:
    assert _worker_checker is not None, "worker not initialised"
    # As plain tuples: a NamedTuple pickles through Python code, several times slower.
    return [tuple(v) for v in _worker_checker.verdicts(topic, values)]  # type: ignore[misc]


def _ready(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@contextlib.contextmanager
def _main_not_reimported() -> Iterator[None]:
    """Start processes without their re-importing the `__main__` module, as spawned and
    forkserver children otherwise do: the workers need nothing from it, and a script without a
    main guard would run again in each of them."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def default_workers() -> int:
    """One worker per core when there are at least two (the ingest process itself mostly waits on
    Kafka and on the workers); none on a single core, where they would only add copying."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, 8)


class CheckPool:
    """Worker processes that run `Checker.verdicts` on chunks of one partition's messages.

    Workers come from a fork server (a clean single-threaded process that imported the checks
    once), never from a fork of the ingest process, whose Kafka client threads could hold locks.
    """

    def __init__(self, registry: KeyRegistry, workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(registry.to_json(),),
        )
        # Start every worker now (while the consumer joins its group), not on the first chunks;
        # each warm-up task outlasts the loop, so no worker is idle and each submit starts one.
        with _main_not_reimported():
            for _ in range(workers):
                self._executor.submit(_ready, 0.2)

    def submit(self, topic: str, values: list[bytes | None]) -> Future[list[Verdict]]:
        return self._executor.submit(_check_chunk, topic, values)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
