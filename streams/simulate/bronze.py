"""Bronze rows for a generated message, for benchmarks and tests that start at the lake.

The ingest lands a message as one row of `contracts.lake.BRONZE_SCHEMA`. A benchmark or test of a
later stage (silver, resolution) that writes bronze directly needs the same row without a broker
or a signature: this builds it, with the envelope fields a generated message leaves open filled
in the same way everywhere (handling H0, reliability B2, review in 2031).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

REVIEW_BY = date(2031, 11, 1)
"""The review date of every synthetic row: far enough for no retention run to purge it."""


def bronze_row(
    feed: str,
    country: str,
    record_id: str,
    payload: dict[str, Any] | None,
    *,
    version: int = 1,
    operation: str = "upsert",
    produced_at: datetime,
    reported_at: datetime,
    offset: int | None = None,
    message_id: str | None = None,
    agency: str = "TEST",
    operation_code: str | None = None,
) -> dict[str, Any]:
    """One bronze row (an accepted message); `payload` None for a delete. `offset` None is
    left for the writer to assign; `message_id` defaults to a fresh UUID."""
    body = json.dumps(payload, ensure_ascii=False) if payload is not None else None
    return {
        "topic": f"feeds.{feed}.{country}",
        "partition": 0,
        "offset": offset,
        "kafka_timestamp": produced_at,
        "ingest_time": produced_at,
        "message_id": message_id or str(uuid.uuid4()),
        "feed": feed,
        "schema_version": 1,
        "source_country": country,
        "source_agency": agency,
        "record_id": record_id,
        "record_version": version,
        "operation": operation,
        "produced_at": produced_at,
        "reported_at": reported_at,
        "operation_code": operation_code,
        "dissemination": [],
        "handling_code": "H0",
        "handling_note": None,
        "source_reliability": "B",
        "information_assessment": "2",
        "review_by": REVIEW_BY,
        "payload": body,
        "raw": (body or "").encode(),
    }
