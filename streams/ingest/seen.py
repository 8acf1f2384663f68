"""The ingest's memory of what it landed: the message ids and record ids of each (feed, country),
with where each was first landed.

Two rules read it: a message id landed before is a replay (the same bytes sent again), which is
receipted `duplicate` and never lands twice; a delete must name a record landed before it. Both
count a sighting only at offsets before the one being decided, so a replay of the same offsets
after a crash decides the same way as the first run (bronze's exactly-once guarantee).

The memory lives in the lake, so it survives restarts: the bronze and quarantine files
themselves, plus a compacted index under state/ (`contracts.lake.seen_index_path`) naming the
files it covers. A restart reads the index and only the files landed since, then rewrites the
index to cover them: the first message of a (feed, country) after a restart costs one small
read, not a scan of the feed's history. Rows later erased from bronze stay in the index (a replay
of an erased message is still a replay).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.lake import (
    BRONZE,
    QUARANTINE,
    SEEN_INDEX_FILES_KEY,
    SEEN_INDEX_SCHEMA,
    partition_dir,
    seen_index_path,
    zone_relative,
)

log = logging.getLogger(__name__)

Position = tuple[int, int]
"""(partition, offset) of a first sighting."""


def _remember(index: dict[str, Position], key: str, partition: int, offset: int) -> None:
    known = index.get(key)
    if known is None or (known[0] == partition and offset < known[1]):
        index[key] = (partition, offset)


def before(where: Position | None, partition: int, offset: int) -> bool:
    """Was a sighting at `where` before (partition, offset)? Another partition's always is:
    the message or record arrived there first, whatever its offset."""
    if where is None:
        return False
    return where[0] != partition or where[1] < offset


@dataclass
class Landed:
    """What one (feed, country) landed: first sightings per message id and per record id."""

    messages: dict[str, Position] = field(default_factory=dict)
    records: dict[str, Position] = field(default_factory=dict)
    covers: set[str] = field(default_factory=set)
    """Bronze file names (without zone) already read into this index."""

    def add(
        self, message_id: str | None, record_id: str | None, partition: int, offset: int
    ) -> None:
        if message_id is not None:
            _remember(self.messages, message_id, partition, offset)
        if record_id is not None:
            _remember(self.records, record_id, partition, offset)


class SeenIndex:
    """The message ids and record ids landed per (feed, country), loaded on first use."""

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self._landed: dict[tuple[str, str], Landed] = {}

    def landed(
        self, feed: str, country: str, pending: Iterable[tuple[str | None, str, int, int]] = ()
    ) -> Landed:
        """The (feed, country)'s memory; `pending` are the (message_id, record_id, partition,
        offset) accepted but not landed yet, in case it is loaded now."""
        key = (feed, country)
        landed = self._landed.get(key)
        if landed is None:
            landed = self._load(feed, country)
            for message_id, record_id, partition, offset in pending:
                landed.add(message_id, record_id, partition, offset)
            self._landed[key] = landed
        return landed

    def accepted(
        self, feed: str, country: str, message_id: str | None, record_id: str, partition: int,
        offset: int,
    ) -> None:  # fmt: skip
        """Note an accepted message (where the memory is loaded: a later load reads it from the
        pending batch or from bronze)."""
        landed = self._landed.get((feed, country))
        if landed is not None:
            landed.add(message_id, record_id, partition, offset)

    # -- the lake ---------------------------------------------------------------------------------
    def _load(self, feed: str, country: str) -> Landed:
        landed = self._read_index(feed, country)
        fresh = 0
        for zone in (BRONZE, QUARANTINE):
            for rel in self.lake.list(partition_dir(zone, feed, country)):
                name = zone_relative(rel)
                if not rel.endswith(".parquet") or name in landed.covers:
                    continue
                table = pq.read_table(
                    io.BytesIO(self.lake.read_bytes(rel)),
                    columns=["message_id", "record_id", "partition", "offset"],
                )
                for mid, rid, part, off in zip(
                    *(table.column(c).to_pylist() for c in table.column_names), strict=True
                ):
                    landed.add(mid, rid, part, off)
                landed.covers.add(name)
                fresh += 1
        if fresh:
            self._write_index(feed, country, landed)
        return landed

    def _read_index(self, feed: str, country: str) -> Landed:
        rel = seen_index_path(feed, country)
        landed = Landed()
        if not self.lake.exists(rel):
            return landed
        try:
            pf = pq.ParquetFile(io.BytesIO(self.lake.read_bytes(rel)))
            covers = json.loads((pf.schema_arrow.metadata or {})[SEEN_INDEX_FILES_KEY])
            table = pf.read()
        except Exception as exc:  # a torn or foreign file: rebuild from bronze, never stop
            log.warning("ignoring unreadable %s (%r): rebuilding it from bronze", rel, exc)
            return landed
        landed.covers = set(covers)
        for mid, rid, part, off in zip(
            *(table.column(c).to_pylist() for c in SEEN_INDEX_SCHEMA.names), strict=True
        ):
            landed.add(mid, rid, part, off)
        return landed

    def _write_index(self, feed: str, country: str, landed: Landed) -> None:
        # One row per first sighting of a message id, naming the record when that message was
        # also the record's first sighting; a record first seen under an id already seen
        # elsewhere (a rare resend) gets a row of its own without a message id.
        record_at = {pos: rid for rid, pos in landed.records.items()}
        rows: list[tuple[str | None, str | None, int, int]] = [
            (mid, record_at.pop(pos, None), *pos) for mid, pos in landed.messages.items()
        ]
        rows += [(None, rid, *pos) for pos, rid in record_at.items()]
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
        table = pa.Table.from_arrays(
            [pa.array(c, f.type) for c, f in zip(columns, SEEN_INDEX_SCHEMA, strict=True)],
            schema=SEEN_INDEX_SCHEMA.with_metadata(
                {SEEN_INDEX_FILES_KEY: json.dumps(sorted(landed.covers)).encode()}
            ),
        )
        self.lake.write_parquet(seen_index_path(feed, country), table)
