"""The receipts the ingest sends, shaped by `contracts.Receipt`: one per message read, accepted or
rejected, sent in `contracts.ReceiptBatch` messages on `feeds.receipts.<ISO3>` once the batch is
durable (at-least-once: a replay sends them again, same message id, topic, partition and offset).

A receipt is built as the plain dict `Receipt` validates, with the contract's field names and
length limits, not as a model: building and validating a pydantic model per message would cost
more than the message's own checks. `tests/streams/test_receipts.py` validates both kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from contracts import RECEIPTS_PER_MESSAGE, Receipt

_FIELDS = tuple(name for name in Receipt.model_fields if name != "processed_at")
"""Every field but `processed_at`, which is stamped on the whole batch when it is sent."""


def _max_length(name: str) -> int:
    limits = [getattr(m, "max_length", None) for m in Receipt.model_fields[name].metadata]
    (limit,) = [n for n in limits if n is not None]
    return int(limit)


ERROR_CLASS_MAX = _max_length("error_class")
REASON_MAX = _max_length("reason")

_encode = msgspec.json.Encoder().encode


def accepted(
    message_id: str | None,
    country: str,
    feed: str,
    record_id: str,
    record_version: int,
    topic: str,
    partition: int,
    offset: int,
) -> dict[str, Any]:
    """The receipt of a message that lands in bronze."""
    values = (message_id, "accepted", None, None, country, feed, record_id, record_version)
    return dict(zip(_FIELDS, (*values, topic, partition, offset), strict=True))


def rejected(
    message_id: str | None,
    country: str,
    error_class: str,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
) -> dict[str, Any]:
    """The receipt of a dead-lettered message: its reason, cut to the contract's limits; the
    record fields stay empty (the message may not have decoded far enough to have them)."""
    feed = topic.split(".")[1]
    values = (message_id, "rejected", error_class[:ERROR_CLASS_MAX], reason[:REASON_MAX], country)
    return dict(zip(_FIELDS, (*values, feed, None, None, topic, partition, offset), strict=True))


def receipt_messages(receipts: Sequence[dict[str, Any]], processed_at: str) -> list[bytes]:
    """The Kafka message values carrying `receipts` (`contracts.ReceiptBatch`, at most
    RECEIPTS_PER_MESSAGE each): one producer send per message read cost more than the message's
    checks. Stamps `processed_at` on each receipt."""
    for receipt in receipts:
        receipt["processed_at"] = processed_at
    return [
        _encode({"receipts": receipts[start : start + RECEIPTS_PER_MESSAGE]})
        for start in range(0, len(receipts), RECEIPTS_PER_MESSAGE)
    ]
