"""Applying the checks' verdicts, in offset order: an accepted message joins its partition's
batch (with its receipt), anything else goes to the DLQ with Kafka Connect style headers (and a
rejected receipt). The rules that need state are applied here, in this order: a record erased at
this version or a later one never lands again (`erased`: dropped, receipt `record.erased`, no DLQ
copy); a message id already landed is a replay (`seen`: receipt `duplicate`, not landed twice); a
delete must name a record received before it (`deletes`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from contracts import Envelope
from contracts.lake import BRONZE_ENVELOPE_COLUMNS
from streams.checking import Checker, Rejected, Verdict, kafka_rejection
from streams.dlq import dead_letter, dead_letter_headers
from streams.errors import UnknownTopic
from streams.ingest import receipts
from streams.ingest.batches import MESSAGE_ID, RECORD_ID, Pending
from streams.ingest.deletes import unknown_delete
from streams.ingest.erased import ErasedIndex, erased
from streams.ingest.metrics import IngestReport
from streams.ingest.seen import SeenIndex, before
from streams.topics import DLQ_TOPIC, TopicCreator, parse_feed_topic

log = logging.getLogger(__name__)

_RECORD_VERSION = BRONZE_ENVELOPE_COLUMNS.index("record_version")
_OPERATION = BRONZE_ENVELOPE_COLUMNS.index("operation")
_REJECTED_CLASS = f"{Rejected.__module__}.{Rejected.__name__}"


class Intake:
    """Where checked messages go: the pending batch or the DLQ (see the module docstring)."""

    def __init__(
        self,
        checker: Checker,
        pending: Pending,
        seen: SeenIndex,
        erased: ErasedIndex,
        report: IngestReport,
        topics: TopicCreator,
        producer: Callable[[], Any],
    ) -> None:
        self.checker = checker
        self.pending = pending
        self.seen = seen
        self.erased = erased
        self.report = report
        self._topics = topics
        self._producer = producer
        """The ingest's producer, created on first use (a run without rejections never needs
        one before its first receipts)."""
        self._topic_info: dict[str, tuple[str, str | None]] = {}

    def check(self, topic: str, partition: int, offset: int, value: bytes | None) -> tuple[
        Envelope, dict[str, Any]
    ]:  # fmt: skip
        """The validated envelope and its decoded JSON, or `Rejected` / `ContractError`: every
        rule, the delete rule included (which `apply` applies after `Checker`'s)."""
        envelope, data = self.checker.check(topic, value)
        feed, country = self._topic_of(topic)
        assert country is not None  # the checker rejects topics without a country
        if envelope.operation == "delete" and not self._known(
            feed, country, envelope.record_id, partition, offset
        ):
            raise unknown_delete(feed, country, envelope.record_id)
        return envelope, data

    def _topic_of(self, topic: str) -> tuple[str, str | None]:
        info = self._topic_info.get(topic)
        if info is None:
            try:
                info = parse_feed_topic(topic)
            except UnknownTopic:
                info = ("unknown", None)  # the checker dead-letters it with the reason
            self._topic_info[topic] = info
        return info

    def _known(self, feed: str, country: str, record_id: str, partition: int, offset: int) -> bool:
        landed = self.seen.landed(feed, country, self.pending.accepted_messages(feed, country))
        return before(landed.records.get(record_id), partition, offset)

    def handle(self, message: Any) -> bool:
        """Check one consumed message in this process and add it to the batch or the DLQ; True
        when accepted."""
        return self.apply(message, self.checker.verdict(message.topic, message.value))

    def apply(self, message: Any, verdict: Verdict) -> bool:
        """Add a checked message to its partition's batch (or the DLQ), in offset order."""
        topic, partition, offset = message.topic, message.partition, message.offset
        feed, country = self._topic_of(topic)
        batch = self.pending.read(message, feed, country)
        values = verdict[0]  # Verdict.columns; workers send Verdicts as plain tuples
        if values is None:
            self._reject(message, country, verdict)
            return False
        assert country is not None  # the checker rejects topics without a country
        message_id, record_id = values[MESSAGE_ID], values[RECORD_ID]
        late = kafka_rejection(message.timestamp, message_id)
        if late is not None:
            self._reject(message, country, late)
            return False
        record_version, operation = values[_RECORD_VERSION], values[_OPERATION]
        upto = self.erased.erased_upto(feed, country, record_id)
        if upto is not None and record_version <= upto:
            self._drop_erased(message, country, feed, record_id, record_version, upto, message_id)
            return False
        landed = self.seen.landed(feed, country, self.pending.accepted_messages(feed, country))
        first = landed.messages.get(message_id)
        if before(first, partition, offset):
            assert first is not None
            batch.receipts.append(
                receipts.duplicate(
                    message_id,
                    country,
                    feed,
                    record_id,
                    record_version,
                    topic,
                    partition,
                    offset,
                    first,
                )
            )
            self.report.duplicates += 1
            return False
        if operation == "delete" and not before(landed.records.get(record_id), partition, offset):
            exc = unknown_delete(feed, country, record_id)
            self._reject(
                message,
                country,
                Verdict(None, exc.error_class, str(exc), _REJECTED_CLASS, message_id),
            )
            return False
        batch.offsets.append(offset)
        batch.timestamps.append(message.timestamp if message.timestamp >= 0 else None)
        batch.raws.append(bytes(message.value))
        batch.envelopes.append(values)
        batch.receipts.append(
            receipts.accepted(
                message_id, country, feed, record_id, record_version, topic, partition, offset
            )
        )
        self.seen.accepted(feed, country, message_id, record_id, partition, offset)
        return True

    def _drop_erased(
        self, message: Any, country: str, feed: str, record_id: str, version: int, upto: int,
        message_id: str | None,
    ) -> None:  # fmt: skip
        """A message of an erased record: a receipt says why, and no copy is kept anywhere (not
        even in the DLQ: it holds the very data that was erased)."""
        exc = erased(feed, country, record_id, version, upto)
        batch = self.pending.partitions[(message.topic, message.partition)]
        batch.receipts.append(
            receipts.rejected(
                message_id,
                country,
                exc.error_class,
                str(exc),
                message.topic,
                message.partition,
                message.offset,
            )
        )
        self.report.count_rejected(country, exc.error_class)
        self.pending.rejected[exc.error_class] += 1

    def _reject(self, message: Any, country: str | None, verdict: Verdict) -> None:
        _columns, error_class, reason, exception, message_id = verdict
        headers = dead_letter_headers(
            message,
            country=country,
            error_class=error_class,
            reason=reason,
            exception=exception,
            message_id=message_id,
        )
        key, value, headers = dead_letter(message, headers)
        self._topics.ensure([DLQ_TOPIC])
        self._producer().send(DLQ_TOPIC, key=key, value=value, headers=headers)
        batch = self.pending.partitions.get((message.topic, message.partition))
        if country and batch is not None:
            batch.receipts.append(
                receipts.rejected(
                    message_id,
                    country,
                    error_class,
                    reason,
                    message.topic,
                    message.partition,
                    message.offset,
                )
            )
        self.report.count_rejected(country, error_class)
        self.pending.rejected[error_class] += 1
        log.debug("rejected %s+%s+%s: %s", message.topic, message.partition, message.offset, reason)
