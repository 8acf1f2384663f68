"""Which silver tables a run must rebuild.

A feed's silver table is a function of three things only: the feed's bronze files, the keys the
lake's tombstones erase from that feed, and the standardization code (`SILVER_FORMAT`). Each
table keeps a record of them (`contracts.lake.SILVER_BUILT`); when the record matches what the
lake holds now, a rebuild would write the very same rows, so the table is left as it is. Files
are compared by name, size and version (mtime or ETag), never read, so deciding costs listings,
not Spark jobs. Anything unexpected (no record, another format, a torn record, silver files
changed since) means "rebuild": the check can only err towards work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

from contracts.lake import SILVER_FORMAT

FileVersion = tuple[str, int, str]


def files_digest(files: Iterable[FileVersion]) -> str:
    """One digest of a sorted file listing (name, size, version)."""
    h = hashlib.sha256()
    for name, size, version in sorted(files):
        h.update(f"{name}\t{size}\t{version}\n".encode())
    return h.hexdigest()


def erased_digests(tombstones: pa.Table | None, feeds: Iterable[str]) -> dict[str, str]:
    """Per feed, one digest of its erased keys with the version each is erased up to: an
    erasure of a person record changes the person digest and no other feed's."""
    per_feed: dict[str, list[tuple[str, str, int]]] = {f: [] for f in feeds}
    if tombstones is not None and tombstones.num_rows:
        upto = tombstones.group_by(["feed", "source_country", "record_id"]).aggregate(
            [("record_version", "max")]
        )
        for row in upto.to_pylist():
            if row["feed"] in per_feed:
                per_feed[row["feed"]].append(
                    (row["source_country"], row["record_id"], int(row["record_version_max"]))
                )
    out = {}
    for feed, keys in per_feed.items():
        h = hashlib.sha256()
        for country, rid, version in sorted(keys):
            h.update(f"{country}\t{rid}\t{version}\n".encode())
        out[feed] = h.hexdigest()
    return out


@dataclass(frozen=True)
class SilverSource:
    """What one feed's silver table is built from, as digests."""

    bronze: str
    bronze_files: int
    erased: str
    tombstone_files: str
    """Digest of the tombstone listing: while it is the recorded one, `erased` is too, and the
    tombstones need not be read."""
    format: int = SILVER_FORMAT

    def record(self, rows: int, silver: list[FileVersion]) -> dict[str, Any]:
        """The `SILVER_BUILT` record of a table just written from this source."""
        return asdict(self) | {"rows": rows, "silver": files_digest(silver)}

    def built(self, record: dict[str, Any] | None, silver: list[FileVersion]) -> bool:
        """Whether `record` says the table was built from this very source and its files are
        still the ones written then (retention rewrites silver files in place)."""
        if record is None or not silver or not isinstance(record.get("rows"), int):
            return False
        same_source = all(
            record.get(k) == v for k, v in asdict(self).items() if k != "tombstone_files"
        )
        return same_source and record.get("silver") == files_digest(silver)
