"""The member country's side: validate, wrap in the envelope, sign, and produce to its topics.

`FeedPublisher` is the SDK a country uses from its own Python code; `publish_file` (and the
`interlink publish` command built on it) sends a JSON Lines, JSON or CSV file. Nothing invalid
leaves the publisher: a record that breaks the contract raises (or is counted by `publish_file`)
before a byte is sent, so the country learns about it at once rather than from a receipt.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import (
    FEEDS,
    ContractError,
    Envelope,
    Failure,
    ValidationFailure,
    canonical_bytes,
    envelope_for,
    normalise_country,
    signed_value,
)
from streams.brokers import TANSU, BrokerTraits
from streams.errors import PublishFailed, UnknownTopic
from streams.keys import load_private_key, sign
from streams.topics import TopicCreator, feed_topic

log = logging.getLogger(__name__)

RECORD_FIELDS = (
    "record_id",
    "record_version",
    "operation",
    "reported_at",
    "produced_at",
    "operation_code",
    "handling",
    "source_agency",
    "schema_version",
    "message_id",
    "payload",
)
"""Keys a record of a feed file may carry around its payload (see docs/publishing.md)."""
_ENVELOPE_ONLY = ("feed", "source_country", "signature")
"""Keys of a whole envelope, accepted in a file and checked (feed, country) or ignored."""

MAX_REQUEST_BYTES = 2 * 1024 * 1024
"""Producer request limit: above the contract's 1 MiB message limit, so the contract decides."""


def _record_failure(path: str, value: Any, rule: str, message: str) -> ValidationFailure:
    return ValidationFailure([Failure(path, value, rule, message)])


class FeedPublisher:
    """Publishes one country's records, signed, to `feeds.<feed>.<ISO3>` keyed by record id.

    The producer is idempotent with `acks=all` and compressed, so a retried send never doubles a
    message inside the broker. `client_options` go straight to kafka-python (SASL/TLS settings of
    a production cluster); `producer_options` override producer tuning; `broker` says which
    kind of broker answers (`streams.brokers`).
    """

    def __init__(
        self,
        bootstrap: str,
        country: str,
        private_key: Ed25519PrivateKey | Path | str,
        *,
        client_options: dict[str, Any] | None = None,
        partitions: int = 3,
        source_agency: str = "NCB",
        producer_options: dict[str, Any] | None = None,
        create_topics: bool = True,
        broker: BrokerTraits = TANSU,
    ) -> None:
        code = normalise_country(country, icao_extras=False)
        if code is None:
            raise UnknownTopic(f"{country!r} is not an ISO 3166-1 country code (e.g. FRA or FR)")
        self.country = code
        self.source_agency = source_agency
        self.private_key = (
            private_key
            if isinstance(private_key, Ed25519PrivateKey)
            else load_private_key(private_key)
        )
        self.bootstrap = bootstrap
        self.client_options = dict(client_options or {})
        self.broker = broker
        self._topics = (
            TopicCreator(bootstrap, client_options=self.client_options, partitions=partitions)
            if create_topics
            else None
        )
        self._producer: Any = None
        self._producer_options = dict(producer_options or {})
        self._errors: list[BaseException] = []
        self.sent = 0

    # -- producer -----------------------------------------------------------------------------
    @property
    def producer(self) -> Any:
        if self._producer is None:
            from streams.producer import make_producer

            self._producer = make_producer(
                self.bootstrap,
                f"interlink-publisher-{self.country}",
                client_options=self.client_options,
                producer_options=self._producer_options,
                linger_ms=20,
                batch_size=256 * 1024,
                max_request_size=MAX_REQUEST_BYTES,
                broker=self.broker,
            )
        return self._producer

    # -- building -----------------------------------------------------------------------------
    def envelope(self, feed: str, record: Mapping[str, Any]) -> Envelope:
        """The validated envelope for a record; `contracts.ValidationFailure` when it breaks a
        rule (the record is then not sent)."""
        if feed not in FEEDS:
            raise _record_failure("feed", feed, "enum", f"choose one of {', '.join(FEEDS)}")
        if not isinstance(record, Mapping):
            kind = type(record).__name__
            raise _record_failure(
                "", record, "decode.not_object", f"a record is an object, not {kind}"
            )
        unknown = [k for k in record if k not in RECORD_FIELDS and k not in _ENVELOPE_ONLY]
        if unknown:
            raise ValidationFailure(
                [
                    Failure(k, record[k], "unknown_field", "unknown field: check its spelling")
                    for k in unknown
                ]
            )
        if "feed" in record and record["feed"] != feed:
            raise _record_failure(
                "feed", record["feed"], "feed.mismatch", f"this is the {feed} feed"
            )
        if "source_country" in record:
            claimed = normalise_country(str(record["source_country"]), icao_extras=False)
            if claimed != self.country:
                raise _record_failure(
                    "source_country",
                    record["source_country"],
                    "country.spoofed",
                    f"this publisher signs for {self.country} only",
                )
        for required in ("record_id", "record_version"):
            if record.get(required) is None:
                raise _record_failure(required, None, "missing", "required field is missing")
        message_id = record.get("message_id")
        try:
            parsed_id = uuid.UUID(str(message_id)) if message_id is not None else None
        except ValueError:
            raise _record_failure("message_id", message_id, "uuid", "not a UUID") from None
        return envelope_for(
            feed,
            self.country,
            record["record_id"],
            record["record_version"],
            record.get("payload"),
            operation=record.get("operation") or "upsert",
            handling=record.get("handling"),
            source_agency=record.get("source_agency") or self.source_agency,
            schema_version=record.get("schema_version"),
            produced_at=record.get("produced_at"),
            reported_at=record.get("reported_at"),
            operation_code=record.get("operation_code"),
            message_id=parsed_id,
        )

    def signed_bytes(self, envelope: Envelope) -> bytes:
        """The message value: the envelope's canonical bytes with the Ed25519 signature of those
        bytes appended as the last member (docs/wire-format.md), so the ingest verifies the
        bytes it received without re-serialising them."""
        data = envelope.to_wire_dict()
        data.pop("signature", None)
        canonical = canonical_bytes(data)
        return signed_value(canonical, sign(self.private_key, canonical))

    # -- sending ------------------------------------------------------------------------------
    def send_envelope(self, envelope: Envelope) -> str:
        if envelope.source_country != self.country:
            raise _record_failure(
                "source_country",
                envelope.source_country,
                "country.spoofed",
                f"this publisher signs for {self.country} only",
            )
        topic = feed_topic(envelope.feed, self.country)
        if self._topics is not None:
            self._topics.ensure([topic])
        future = self.producer.send(
            topic, key=envelope.key, value=self.signed_bytes(envelope), headers=[]
        )
        future.add_errback(self._errors.append)
        self.sent += 1
        return str(envelope.message_id)

    def publish(self, feed: str, record: Mapping[str, Any]) -> str:
        """Validate, sign and send one record; returns its message id. Raises
        `contracts.ContractError` without sending when the record is invalid."""
        return self.send_envelope(self.envelope(feed, record))

    def delete(self, feed: str, record_id: str, record_version: int, **extra: Any) -> str:
        """Send a deletion of `record_id` (a version above the last one sent for it)."""
        record = {
            "record_id": record_id,
            "record_version": record_version,
            "operation": "delete",
            "payload": None,
            **extra,
        }
        return self.publish(feed, record)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the broker acknowledged everything sent; `PublishFailed` if it refused
        any."""
        if self._producer is None:
            return
        self._producer.flush(timeout=timeout)
        if self._errors:
            errors, self._errors = self._errors, []
            raise PublishFailed(
                f"{len(errors)} message(s) were not acknowledged by the broker "
                f"({errors[0]!r}): check the broker and send them again"
            )

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._producer is not None:
                self._producer.close()
                self._producer = None
            if self._topics is not None:
                self._topics.close()

    def __enter__(self) -> FeedPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- files --------------------------------------------------------------------------------------
@dataclass
class RecordFailure:
    """A record of a file that was not sent: where it was and why."""

    line: int
    record_id: str | None
    error_class: str
    reason: str


@dataclass
class PublishSummary:
    """What `publish_file` did: sent, invalid (with reasons), time and rate."""

    path: str
    feed: str
    format: str
    sent: int = 0
    deletes: int = 0
    invalid: int = 0
    dry_run: bool = False
    seconds: float = 0.0
    failures: list[RecordFailure] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    @property
    def records_per_s(self) -> float:
        total = self.sent + self.invalid
        return total / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.invalid == 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("message_ids")
        data["records_per_s"] = round(self.records_per_s, 1)
        return data


CSV_ENVELOPE_COLUMNS = (
    "record_id",
    "record_version",
    "operation",
    "reported_at",
    "operation_code",
    "source_agency",
)
"""CSV columns that belong to the envelope; `handling.<field>` too. Others are payload paths."""


def _from_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """Split a CSV row (already nested by dotted column path) into envelope fields and payload."""
    record: dict[str, Any] = {}
    for name in CSV_ENVELOPE_COLUMNS:
        if name in row:
            record[name] = row.pop(name)
    version = record.get("record_version")
    if isinstance(version, str) and version.strip().lstrip("+").isdigit():
        record["record_version"] = int(version)
    handling = row.pop("handling", None)
    if isinstance(handling, dict):
        dissemination = handling.get("dissemination")
        if isinstance(dissemination, str):
            handling["dissemination"] = [p.strip() for p in dissemination.split(";") if p.strip()]
        record["handling"] = handling
    if "payload" in row and len(row) == 1:
        row = row["payload"]  # columns written as payload.<path>
    is_delete = str(record.get("operation", "")).strip().lower() == "delete"
    record["payload"] = None if is_delete and not row else row
    return record


def _records(path: Path, feed: str, fmt: str | None) -> tuple[str, Iterator[tuple[int, Any]]]:
    from contracts.files import Unreadable, detect_format, read_records, read_text

    text = read_text(path)
    chosen = fmt or detect_format(path, text)

    def gen() -> Iterator[tuple[int, Any]]:
        for line, rec in read_records(text, feed, chosen):
            if isinstance(rec, Unreadable):
                yield line, rec
            elif chosen == "csv" and isinstance(rec, dict):
                yield line, _from_csv_row(rec)
            else:
                yield line, rec

    return chosen, gen()


def publish_file(
    publisher: FeedPublisher,
    feed: str,
    path: Path | str,
    *,
    dry_run: bool = False,
    progress: bool = False,
    fmt: str | None = None,
) -> PublishSummary:
    """Validate every record of a feed file and send the valid ones (none with `dry_run`).

    A record is `{record_id, record_version, operation?, reported_at?, operation_code?,
    handling?, payload}` (JSON Lines or a JSON array), or a CSV row whose columns are those
    envelope fields plus dotted payload paths (docs/publishing.md). Invalid records are counted
    with their line and reason; the valid ones are still sent.
    """
    from contracts.files import Unreadable
    from contracts.registry import check_feed

    check_feed(feed)
    path = Path(path)
    t0 = time.perf_counter()
    chosen, records = _records(path, feed, fmt)
    summary = PublishSummary(path=str(path), feed=feed, format=chosen, dry_run=dry_run)
    items: Any = records
    bar: Any = None
    if progress and sys.stderr.isatty():
        from rich.progress import Progress

        materialised = list(records)
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task(f"{feed} ← {path.name}", total=len(materialised))
        items = materialised
    try:
        for line, rec in items:
            if bar is not None:
                bar.advance(task)
            record_id = rec.get("record_id") if isinstance(rec, dict) else None
            if isinstance(rec, Unreadable):
                failure = rec.failures[0] if rec.failures else None
                summary.invalid += 1
                summary.failures.append(
                    RecordFailure(
                        line,
                        None,
                        failure.rule if failure else "decode",
                        "; ".join(f.message or str(f) for f in rec.failures),
                    )
                )
                continue
            _send(publisher, feed, rec, summary, line, str(record_id) if record_id else None)
        if not dry_run:
            publisher.flush()
    finally:
        if bar is not None:
            bar.stop()
    summary.seconds = time.perf_counter() - t0
    return summary


def publish_deletes(
    publisher: FeedPublisher,
    feed: str,
    deletes: Iterable[tuple[str, int]],
    *,
    dry_run: bool = False,
) -> PublishSummary:
    """Send a deletion of each (record id, version) (none with `dry_run`); like `publish_file`,
    invalid ones are counted with their reason and the valid ones still sent."""
    t0 = time.perf_counter()
    summary = PublishSummary(path="--delete", feed=feed, format="args", dry_run=dry_run)
    for record_id, version in deletes:
        record = {"record_id": record_id, "record_version": version}
        record |= {"operation": "delete", "payload": None}
        _send(publisher, feed, record, summary, 0, record_id)
    if not dry_run:
        publisher.flush()
    summary.seconds = time.perf_counter() - t0
    return summary


def _send(
    publisher: FeedPublisher,
    feed: str,
    record: Any,
    summary: PublishSummary,
    line: int,
    record_id: str | None,
) -> None:
    """Validate one record and send it (unless the summary is a dry run); count the outcome."""
    try:
        envelope = publisher.envelope(feed, record)
        if not summary.dry_run:
            summary.message_ids.append(publisher.send_envelope(envelope))
    except ContractError as exc:
        summary.invalid += 1
        summary.failures.append(RecordFailure(line, record_id, exc.error_class, str(exc)))
        return
    summary.sent += 1
    if envelope.operation == "delete":
        summary.deletes += 1
