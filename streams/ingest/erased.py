"""Erased records never land again: the ingest drops a message whose record was erased (deleted by
its source and purged from the lake, or purged after its review-by date) at that version or a
later one it supersedes, with the receipt `record.erased`.

What was erased is read from the lake's `tombstones/` zone (`contracts.lake.TOMBSTONE_SCHEMA`),
written by the erasure before it removes any copy, so a replay of a purged record's original bytes
finds it however long afterwards. Such a message is not dead-lettered: a DLQ copy would keep the
very data the erasure removed.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pyarrow.parquet as pq

from contracts.lake import tombstone_dir
from streams.checking import Rejected

REFRESH_SECONDS = 30.0
"""How often a running ingest looks for tombstones written since it loaded them (one listing per
country): a purge during a long run takes effect within this delay."""


def erased(feed: str, country: str, record_id: str, version: int, upto: int) -> Rejected:
    return Rejected(
        "record.erased",
        f"{feed} record {record_id!r} of {country} was erased up to version {upto}; version "
        f"{version} is not accepted again: send a new version (above {upto}) only if the record "
        "may legitimately be held again",
    )


class ErasedIndex:
    """Tombstones per source country: (feed, record_id) -> highest erased version."""

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self._erased: dict[str, dict[tuple[str, str], int]] = {}
        self._files: dict[str, set[str]] = {}
        self._checked: dict[str, float] = {}

    def erased_upto(self, feed: str, country: str, record_id: str) -> int | None:
        """The highest erased version of the record, or None when it was never erased."""
        return self._country(country).get((feed, record_id))

    def _country(self, country: str) -> dict[tuple[str, str], int]:
        now = time.monotonic()
        if now - self._checked.get(country, -REFRESH_SECONDS) >= REFRESH_SECONDS:
            self._checked[country] = now
            self._refresh(country)
        return self._erased.setdefault(country, {})

    def _refresh(self, country: str) -> None:
        read = self._files.setdefault(country, set())
        erased = self._erased.setdefault(country, {})
        for rel in self.lake.list(tombstone_dir(country)):
            if rel in read or not rel.endswith(".parquet"):
                continue
            table = pq.read_table(
                io.BytesIO(self.lake.read_bytes(rel)),
                columns=["feed", "record_id", "record_version"],
            )
            for feed, rid, version in zip(
                *(table.column(c).to_pylist() for c in table.column_names), strict=True
            ):
                if version > erased.get((feed, rid), -1):
                    erased[(feed, rid)] = version
            read.add(rel)
