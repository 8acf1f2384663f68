"""The receipt a country gets on `feeds.receipts.<ISO3>` for every message it sent.

Receipts travel in batches: one Kafka message (`ReceiptBatch`) carries the receipts of consecutive
messages read from one feed topic partition, in offset order, so the ingest sends one message per
landed batch and partition rather than one per message read. Readers still get one `Receipt` per
message (`streams.dlq.read_receipts`).
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from contracts.common import ContractModel
from contracts.fields import Identifier, MemberCountry, NonNegativeInt, Timestamp

ReceiptStatus = Literal["accepted", "rejected", "duplicate"]
"""`duplicate`: a message id already landed (the same message sent again); it is not landed twice,
and its reason names where the first copy was read."""


class Receipt(ContractModel):
    """What happened to one message: accepted into the lake, rejected with its reason, or a
    duplicate of a message already accepted.

    `message_id` and the record fields are null when the message could not be decoded far enough
    to read them; `topic`/`partition`/`offset` always locate the original.
    """

    message_id: uuid.UUID | None = None
    status: ReceiptStatus
    error_class: str | None = Field(
        default=None, max_length=64, description="Stable code (decode.utf8, validation, …)."
    )
    reason: str | None = Field(default=None, max_length=2000, description="One readable line.")
    source_country: MemberCountry
    feed: str | None = Field(default=None, max_length=32)
    record_id: Identifier | None = None
    record_version: NonNegativeInt | None = None
    topic: str = Field(max_length=249)
    partition: NonNegativeInt
    offset: NonNegativeInt
    processed_at: Timestamp


RECEIPTS_PER_MESSAGE = 1000
"""Most receipts in one Kafka message (about 300 KB of JSON before compression, far below any
broker's message size limit)."""


class ReceiptBatch(ContractModel):
    """One message on `feeds.receipts.<ISO3>`: the receipts of consecutive messages of one feed
    topic partition, in offset order (key: `<topic>+<partition>`)."""

    receipts: list[Receipt] = Field(min_length=1, max_length=RECEIPTS_PER_MESSAGE)
