"""The ingest's receipts and dead-letter headers, without a broker: what it sends is what
`contracts.Receipt` validates and what `streams.dlq` reads back."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

from contracts import Receipt, ReceiptBatch
from streams.dlq import dead_letter_headers, dead_letter_of
from streams.ingest import receipts


def test_accepted_and_rejected_receipts_validate_as_the_contracts_receipt() -> None:
    message_id = str(uuid.uuid4())
    ok = receipts.accepted(message_id, "FRA", "person", "FRA-P-1", 3, "feeds.person.FRA", 2, 41)
    bad = receipts.rejected(None, "FRA", "x" * 100, "why " * 1000, "feeds.case.FRA", 0, 7)
    (value,) = receipts.receipt_messages([ok, bad], "2026-12-04T10:00:00Z")
    batch = ReceiptBatch.model_validate(json.loads(value))
    accepted, rejected = batch.receipts
    assert ok.__struct_fields__ == tuple(Receipt.model_fields)
    assert (accepted.status, str(accepted.message_id), accepted.record_version) == (
        "accepted",
        message_id,
        3,
    )
    assert (rejected.status, rejected.feed, rejected.record_id) == ("rejected", "case", None)
    assert len(rejected.error_class or "") == receipts.ERROR_CLASS_MAX == 64
    assert len(rejected.reason or "") == receipts.REASON_MAX == 2000


def test_receipts_are_split_at_the_contracts_batch_limit() -> None:
    many = [
        receipts.accepted(None, "DEU", "case", f"C{i}", 1, "feeds.case.DEU", 0, i)
        for i in range(2500)
    ]
    values = receipts.receipt_messages(many, "2026-12-04T10:00:00Z")
    sizes = [len(ReceiptBatch.model_validate_json(v).receipts) for v in values]
    assert sizes == [1000, 1000, 500]


def test_dead_letter_headers_read_back_as_the_dead_letter() -> None:
    message = SimpleNamespace(
        topic="feeds.person.BEL",
        partition=1,
        offset=9,
        timestamp=1_700_000_000_000,
        headers=[("trace", b"abc")],
    )
    headers = dead_letter_headers(
        message,
        country="BEL",
        error_class="signature.invalid",
        reason="bad signature",
        exception="streams.checking.Rejected",
        message_id="m-1",
    )
    assert headers[0] == ("trace", b"abc")
    record = SimpleNamespace(partition=0, offset=5, headers=headers, value=b"{}")
    letter = dead_letter_of(record)
    assert (letter.topic, letter.partition, letter.offset) == ("feeds.person.BEL", 1, 9)
    assert (letter.error_class, letter.reason, letter.country) == (
        "signature.invalid",
        "bad signature",
        "BEL",
    )
    assert letter.message_id == "m-1"
