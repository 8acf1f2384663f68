"""The delete rule: a delete must name a record received before it (in bronze or quarantine, at an
earlier offset, so a replay decides the same way as the first run). What was received is the
ingest's memory of what it landed (`streams.ingest.seen`)."""

from __future__ import annotations

from streams.checking import Rejected


def unknown_delete(feed: str, country: str, record_id: str) -> Rejected:
    return Rejected(
        "delete.unknown_record",
        f"delete of {feed} record {record_id!r}, which was never received from "
        f"{country}: check the record id",
    )
