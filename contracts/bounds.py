"""The bounds every stage can store, declared once: integers within int64, timestamps and dates
within a range every engine represents, and text without control characters.

A value outside them is not merely odd: it is a poison message. A `record_version` of 2**63 fits
no Arrow, Spark or PostgreSQL integer column, a year-10000 timestamp no Python `datetime`, and a
NUL makes every PostgreSQL load roll back. So the contract's field types (`contracts.fields`)
apply these bounds to what publishers send, which the SDK, `publish --dry-run` and the ingest
all validate with, and the ingest applies the timestamp range to the Kafka timestamp too.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""Every integer field lands in a 64-bit column (bronze, silver, the warehouses)."""

TIMESTAMP_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP_MAX = datetime(2200, 1, 1, tzinfo=UTC)
"""Timestamps lie in [TIMESTAMP_MIN, TIMESTAMP_MAX): nothing we hold happened before the Unix
epoch, and 2200 is far beyond any review date yet far inside every engine's range."""
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2199, 12, 31)
"""Calendar dates (review dates, document and case dates) lie in [DATE_MIN, DATE_MAX]."""

KAFKA_TIMESTAMP_MIN_MS = 0
KAFKA_TIMESTAMP_MAX_MS = int(TIMESTAMP_MAX.timestamp() * 1000)
"""The Kafka timestamp (milliseconds since the epoch) of a message the ingest lands: within
the timestamp range; -1 means the producer set none and is allowed."""

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Unicode category Cc: the C0 set, DEL and the C1 set. PostgreSQL cannot store NUL in text, and
none of them belongs in a name, a place or an identifier."""
LINE_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""The same set without tab, line feed and carriage return: free text may hold lines."""

CONTROL_IN_JSON = (
    r"(?<!\\)(?:\\\\)*\\(?:u000[0-8bcefBCEF]|u001[0-9a-fA-F]|u007[fF]|u00[89][0-9a-fA-F]|[bf])"
    r"|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
)
r"""A control character other than tab, LF or CR inside JSON text, escaped (`\u0000`, `\b`; an
escaped backslash before `u0000` is not one) or raw. Python's `re` and Java's (Spark's `rlike`)
read it alike; the quality checks look for it in landed payloads."""


def control_character_at(text: str, *, lines: bool = False) -> int | None:
    """Index of the first control character in `text` (tab, LF and CR allowed with `lines`)."""
    match = (LINE_CONTROL_CHARACTER if lines else CONTROL_CHARACTER).search(text)
    return None if match is None else match.start()


def kafka_timestamp_problem(timestamp_ms: int | None) -> str | None:
    """Why a Kafka message timestamp cannot be landed, or None when it can."""
    if timestamp_ms is None or timestamp_ms == -1:
        return None
    if KAFKA_TIMESTAMP_MIN_MS <= timestamp_ms < KAFKA_TIMESTAMP_MAX_MS:
        return None
    return (
        f"Kafka timestamp {timestamp_ms} ms is outside {TIMESTAMP_MIN.date().isoformat()} .. "
        f"{TIMESTAMP_MAX.date().isoformat()}: check the producer's clock, or let the client set "
        "the timestamp"
    )
