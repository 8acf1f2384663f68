"""Why the ingest refuses a message: every error class a receipt or a dead letter can carry,
with its meaning and what the publisher (or the operator) does about it.

Declared once: the ingest sends no other class (anything else it meets becomes
`ingest.unexpected`), docs/operations.md lists exactly these (a test compares them), and
publishers count and route rejections by these codes without parsing prose.
"""

from __future__ import annotations

from typing import NamedTuple


class ErrorClass(NamedTuple):
    meaning: str
    action: str


ERROR_CLASSES: dict[str, ErrorClass] = {
    "topic.name": ErrorClass(
        "the topic is not `feeds.<feed>.<ISO3>` with a known feed", "publish to your feed topics"
    ),
    "topic.country": ErrorClass(
        "the topic does not end in an ISO 3166-1 alpha-3 code", "use `feeds.<feed>.<ISO3>`"
    ),
    "kafka.header_key": ErrorClass(
        "a record header's key is not UTF-8 text (Kafka requires it; most clients cannot read "
        "such a record at all)",
        "fix the producer's header names",
    ),
    "kafka.corrupt_record": ErrorClass(
        "the Kafka record batch cannot be read (CRC or structure broken); the dead letter holds "
        "its coordinates and the raw batch bytes",
        "send the records again; tell the operator if it repeats",
    ),
    "kafka.timestamp": ErrorClass(
        "the Kafka message timestamp lies outside 1970 .. 2200",
        "fix the producer's clock, or let the client set the timestamp",
    ),
    "decode.null": ErrorClass("the message has no value (a tombstone)", "send a delete envelope"),
    "decode.bytes": ErrorClass("the message value is not bytes", "send one JSON object"),
    "decode.utf8": ErrorClass("the value is not UTF-8", "send one UTF-8 JSON object per message"),
    "decode.json": ErrorClass("the value is not JSON (or holds NaN/Infinity)", "send valid JSON"),
    "decode.not_object": ErrorClass("the JSON is not an object", "send one JSON object"),
    "decode.duplicate_key": ErrorClass(
        "a JSON object holds the same key twice", "send each field once"
    ),
    "decode.too_deep": ErrorClass("JSON nested deeper than 16 levels", "flatten the record"),
    "decode.too_large": ErrorClass(
        "the value is above 1 MiB (a dead letter above the DLQ's request size keeps a truncated "
        "copy with the original's SHA-256 and size)",
        "records are a few KB: split or trim",
    ),
    "decode.number": ErrorClass(
        "a number too long to read (an integer of thousands of digits)",
        "integers are 64-bit: send the value as it is meant",
    ),
    "country.spoofed": ErrorClass(
        "`source_country` is not the topic's country", "publish your own records on your topics"
    ),
    "signature.missing": ErrorClass("the message is not signed", "sign the canonical bytes"),
    "signature.invalid": ErrorClass(
        "the signature does not verify: altered after signing, or signed with a key not "
        "registered for you",
        "sign the canonical bytes; check the registered key",
    ),
    "signature.wrong_country": ErrorClass(
        "signed with another country's key", "each country signs its own records"
    ),
    "signature.unknown_key": ErrorClass(
        "no public key registered for the topic's country",
        "ask the operator to register your `.pub`",
    ),
    "signature.revoked_key": ErrorClass(
        "signed with a key the operator revoked", "sign with your current, registered key"
    ),
    "validation": ErrorClass(
        "envelope or payload breaks the contract; the reason lists each field and rule (e.g. "
        "`text.control_character`, `timestamp.range`, `less_than_equal`)",
        "fix the record (`publish --dry-run` shows the same)",
    ),
    "feed.mismatch": ErrorClass(
        "the envelope's `feed` differs from the topic's feed", "publish to `feeds.<feed>.<ISO3>`"
    ),
    "delete.unknown_record": ErrorClass("a delete of a record never received", "check the id"),
    "record.erased": ErrorClass(
        "a version of a record that was erased (deleted or purged); not dead-lettered",
        "send a new version only if the record may be held again",
    ),
    "ingest.unexpected": ErrorClass(
        "the ingest met an unexpected error checking the message: a bug in Interlink, not in "
        "the message; the operator has the exception in the log and the dead letter",
        "nothing; the operator replays it once fixed",
    ),
}
"""Every error class, in the order docs/operations.md lists them."""

UNEXPECTED = "ingest.unexpected"


def documented(error_class: str) -> bool:
    return error_class in ERROR_CLASSES


def markdown_table() -> str:
    """The table of docs/operations.md (a test keeps the two equal)."""
    rows = ["| error class | meaning | what to do |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {c.meaning} | {c.action} |" for name, c in ERROR_CLASSES.items()]
    return "\n".join(rows)
