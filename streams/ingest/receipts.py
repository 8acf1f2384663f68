"""The receipts the ingest sends, shaped by `contracts.Receipt`: one per message read, accepted or
rejected, sent in `contracts.ReceiptBatch` messages on `feeds.receipts.<ISO3>` once the batch is
durable (at-least-once: a replay sends them again, same message id, topic, partition and offset).

A receipt is a `WireReceipt`: a msgspec struct with exactly `Receipt`'s fields, in its order,
built by keyword (a field added, renamed or dropped in the contract fails here, loudly), and cut
to the contract's length limits. Not the pydantic model itself: building and validating one per
message would cost more than the message's own checks. `tests/streams/test_receipts.py`
validates both kinds against `Receipt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from contracts import RECEIPTS_PER_MESSAGE, Receipt

WireReceipt = msgspec.defstruct(
    "WireReceipt",
    [(name, Any) for name in Receipt.model_fields if name != "processed_at"]
    # Stamped on the whole batch when it is sent.
    + [("processed_at", Any, None)],
)
"""`contracts.Receipt`'s fields, as the ingest builds and encodes them."""


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
) -> Any:
    """The receipt of a message that lands in bronze."""
    return WireReceipt(
        message_id=message_id,
        status="accepted",
        error_class=None,
        reason=None,
        source_country=country,
        feed=feed,
        record_id=record_id,
        record_version=record_version,
        topic=topic,
        partition=partition,
        offset=offset,
    )


def duplicate(
    message_id: str,
    country: str,
    feed: str,
    record_id: str,
    record_version: int,
    topic: str,
    partition: int,
    offset: int,
    first: tuple[int, int],
) -> Any:
    """The receipt of a message whose id already landed (at `first`, a (partition, offset) of
    the same topic): acknowledged, not landed again."""
    return WireReceipt(
        message_id=message_id,
        status="duplicate",
        error_class=None,
        reason=f"message id already accepted at {topic}+{first[0]}+{first[1]}: not landed again",
        source_country=country,
        feed=feed,
        record_id=record_id,
        record_version=record_version,
        topic=topic,
        partition=partition,
        offset=offset,
    )


def rejected(
    message_id: str | None,
    country: str,
    error_class: str,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
) -> Any:
    """The receipt of a dead-lettered message: its reason, cut to the contract's limits; the
    record fields stay empty (the message may not have decoded far enough to have them)."""
    return WireReceipt(
        message_id=message_id,
        status="rejected",
        error_class=error_class[:ERROR_CLASS_MAX],
        reason=reason[:REASON_MAX],
        source_country=country,
        feed=topic.split(".")[1],
        record_id=None,
        record_version=None,
        topic=topic,
        partition=partition,
        offset=offset,
    )


def receipt_messages(receipts: Sequence[Any], processed_at: str) -> list[bytes]:
    """The Kafka message values carrying `receipts` (`contracts.ReceiptBatch`, at most
    RECEIPTS_PER_MESSAGE each): one producer send per message read cost more than the message's
    checks. Stamps `processed_at` on each receipt."""
    for receipt in receipts:
        receipt.processed_at = processed_at
    return [
        _encode({"receipts": receipts[start : start + RECEIPTS_PER_MESSAGE]})
        for start in range(0, len(receipts), RECEIPTS_PER_MESSAGE)
    ]
