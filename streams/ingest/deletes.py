"""The delete rule's memory: which records of a (feed, country) were already received, and where.

A delete must name a record received before it. What was received is read from the lake (bronze
and quarantine), not kept in memory, so it survives restarts; and a record counts as seen only
at offsets before the one being decided, so a replay decides the same way as the first run (part
of bronze's exactly-once guarantee: the same offsets land the same rows).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pyarrow.parquet as pq

from contracts.lake import BRONZE, QUARANTINE, partition_dir
from streams.checking import Rejected

Seen = dict[str, tuple[int, int]]
"""record_id -> (partition, offset) of its first sighting."""


def unknown_delete(feed: str, country: str, record_id: str) -> Rejected:
    return Rejected(
        "delete.unknown_record",
        f"delete of {feed} record {record_id!r}, which was never received from "
        f"{country}: check the record id",
    )


def remember(index: Seen, record_id: str, partition: int, offset: int) -> None:
    known = index.get(record_id)
    if known is None or (known[0] == partition and offset < known[1]):
        index[record_id] = (partition, offset)


class DeleteIndex:
    """The records seen per (feed, country), loaded from the lake on first use."""

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self._seen: dict[tuple[str, str], Seen] = {}

    def known(
        self,
        feed: str,
        country: str,
        record_id: str,
        partition: int,
        offset: int,
        pending: Iterable[tuple[str, int, int]],
    ) -> bool:
        """Was record_id landed before this offset? `pending` are the (record_id, partition,
        offset) accepted but not landed yet, in case the index is loaded now."""
        where = self._index(feed, country, pending).get(record_id)
        if where is None:
            return False
        seen_partition, seen_offset = where
        return seen_partition != partition or seen_offset < offset

    def accepted(
        self, feed: str, country: str, record_id: str, partition: int, offset: int
    ) -> None:
        """Note an accepted message (only where the index is loaded: a later load reads it
        from the pending batch or from bronze)."""
        index = self._seen.get((feed, country))
        if index is not None:
            remember(index, record_id, partition, offset)

    def _index(self, feed: str, country: str, pending: Iterable[tuple[str, int, int]]) -> Seen:
        key = (feed, country)
        index = self._seen.get(key)
        if index is not None:
            return index
        index = {}
        for zone in (BRONZE, QUARANTINE):
            for rel in self.lake.list(partition_dir(zone, feed, country)):
                if not rel.endswith(".parquet"):
                    continue
                table = pq.read_table(
                    io.BytesIO(self.lake.read_bytes(rel)),
                    columns=["record_id", "partition", "offset"],
                )
                for rid, part, off in zip(
                    table.column("record_id").to_pylist(),
                    table.column("partition").to_pylist(),
                    table.column("offset").to_pylist(),
                    strict=True,
                ):
                    remember(index, rid, part, off)
        for record_id, partition, offset in pending:
            remember(index, record_id, partition, offset)
        self._seen[key] = index
        return index
