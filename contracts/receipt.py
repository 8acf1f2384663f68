"""The receipt a country gets on `feeds.receipts.<ISO3>` for every message it sent."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from contracts.common import ContractModel
from contracts.fields import Identifier, MemberCountry, NonNegativeInt, Timestamp

ReceiptStatus = Literal["accepted", "rejected"]


class Receipt(ContractModel):
    """What happened to one message: accepted into the lake, or rejected with its reason.

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
