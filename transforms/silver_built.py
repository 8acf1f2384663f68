"""Which silver tables a run must rebuild, and how a changed one takes in its new records.

A feed's silver table is a function of three things only: the feed's bronze files, the keys the
lake's tombstones erase from that feed, and the standardization code (`SILVER_FORMAT`). Each
table keeps a record of them (`contracts.lake.SILVER_BUILT`); when the record matches what the
lake holds now, a rebuild would write the very same rows, so the table is left as it is. Files
are compared by name, size and version (mtime or ETag), never read, so deciding costs listings,
not Spark jobs. Anything unexpected (no record, another format, a torn record, silver files
changed since) means "rebuild": the check can only err towards work.

A silver row depends on its own record's messages only (the latest version of one key, then
row-wise standardization), so when bronze has only gained files, rebuilding just the records those
files name and keeping every other row gives the full rebuild's table (`merged_silver`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.lake import SILVER_FORMAT
from transforms.standardize import KEY, build_silver_frame

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


MERGE_MAX_SHARE = 0.5
"""A changed feed is merged (only the records its new files name are rebuilt) while those files
hold at most this share of its bronze bytes; past it, rebuilding the whole table costs less than
finding and replacing the records."""


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

    def record(
        self, rows: int, silver: list[FileVersion], bronze: list[FileVersion]
    ) -> dict[str, Any]:
        """The `SILVER_BUILT` record of a table just written from this source (`bronze`: the
        listing it was built from, so the next run can tell which files are new)."""
        return asdict(self) | {
            "rows": rows,
            "silver": files_digest(silver),
            "files": [list(f) for f in bronze],
        }

    def _intact(self, record: dict[str, Any] | None, silver: list[FileVersion]) -> bool:
        """The table is the one the record describes, for this format and these erasures."""
        if record is None or not silver or not isinstance(record.get("rows"), int):
            return False
        return (
            record.get("format") == self.format
            and record.get("erased") == self.erased
            and record.get("silver") == files_digest(silver)
        )

    def built(self, record: dict[str, Any] | None, silver: list[FileVersion]) -> bool:
        """Whether `record` says the table was built from this very source and its files are
        still the ones written then (retention rewrites silver files in place)."""
        return (
            self._intact(record, silver)
            and record is not None
            and record.get("bronze") == self.bronze
            and record.get("bronze_files") == self.bronze_files
        )

    def added(
        self, record: dict[str, Any] | None, silver: list[FileVersion], bronze: list[FileVersion]
    ) -> list[FileVersion] | None:
        """The bronze files landed since the table was built, when merging their records into
        it gives the full rebuild: the table is intact, every file it was built from is still
        there unchanged (a file rewritten or gone, as retention and quarantine do, can change
        any record), erasures are the same, and the new files are few enough. Else None."""
        if record is None or not self._intact(record, silver):
            return None
        try:
            before = {(str(n), int(z), str(v)) for n, z, v in record.get("files") or []}
        except (TypeError, ValueError):
            return None
        now = set(bronze)
        if not before or not before <= now:
            return None
        new = sorted(now - before)
        total = sum(f[1] for f in bronze)
        if not new or sum(f[1] for f in new) > MERGE_MAX_SHARE * total:
            return None
        return new


@dataclass(frozen=True)
class SilverPlan:
    """What a run does with one feed's silver table, decided from listings and its record."""

    action: Literal["unchanged", "merged", "rebuilt"]
    source: SilverSource
    added: list[FileVersion] | None = None
    """merged: the bronze files landed since the table was built."""
    record: dict[str, Any] | None = None
    """unchanged: the table's record, to be rewritten only if it names another tombstone
    listing (`refreshed`)."""

    def refreshed(self) -> dict[str, Any] | None:
        """unchanged: the record with the current tombstone listing when other feeds'
        erasures changed it (so the next run need not read the tombstones to learn the same);
        None when the record is current."""
        if self.record is None or self.record.get("tombstone_files") == self.source.tombstone_files:
            return None
        return self.record | {"tombstone_files": self.source.tombstone_files}


def plan_feed(
    *,
    record: dict[str, Any] | None,
    bronze: list[FileVersion],
    silver: list[FileVersion],
    tombstone_files: str,
    erased: Callable[[], str],
    full: bool,
) -> SilverPlan:
    """The plan of one feed whose bronze listing is `bronze` and table listing `silver`.

    `erased` gives the digest of the feed's erased keys; it reads the tombstones, so it is called
    only when the record does not already hold it for this very tombstone listing."""
    if record is not None and record.get("tombstone_files") == tombstone_files:
        feed_erased = str(record.get("erased"))
    else:
        feed_erased = erased()
    source = SilverSource(files_digest(bronze), len(bronze), feed_erased, tombstone_files)
    if full:
        return SilverPlan("rebuilt", source)
    if record is not None and source.built(record, silver):
        return SilverPlan("unchanged", source, record=record)
    added = source.added(record, silver, bronze)
    return SilverPlan("rebuilt" if added is None else "merged", source, added=added)


def landed_countries(files: Iterable[FileVersion]) -> list[str] | None:
    """The countries whose bronze partitions (`country=<ISO3>`) hold `files`, or None when a
    file is in none.

    Every message of a record lives in its own country's partition: the partition is the
    topic's country, and ingest sends a message whose envelope country is not its topic's to the
    dead-letter topic. So the records the new files name have all their bronze in these
    partitions, and a merge reads those alone instead of the whole feed's bronze."""
    out: set[str] = set()
    for name, _, _ in files:
        parts = [p for p in name.split("/") if p.startswith("country=")]
        if len(parts) != 1:
            return None
        out.add(parts[0].removeprefix("country="))
    return sorted(out)


MERGE_MAX_FILES = 64
"""A merge rewrites only the table's files that hold a landed record and adds the rebuilt rows
as new files (`held_by_file`); once the table has this many files it is rewritten whole instead,
which compacts the small files merges leave."""

MERGE_WHOLE_BELOW_BYTES = 4 << 20
"""A table smaller than this is merged by rewriting it whole: asking which of its files hold a
landed record costs a query of its own (4 Spark jobs), more than writing a few MiB again. At 20k
persons the 0.5 MiB travel-document table's merge took 2.1 to 2.8 s file by file where the
older whole merge (which also read every country's bronze) took 1.0 to 1.4 s (h17l's runs);
whole under this rule, 1.5 s in the quiet freshness benchmark (1.1 s at 100k)."""


def held_by_file(old: DataFrame, landed: DataFrame, feed: str) -> DataFrame:
    """Per file of the silver table `old`: (file, rows, held), held being its rows of a record
    `landed` names. Reads the key columns alone."""
    keys = F.broadcast(
        landed.where(landed["feed"] == feed).select(*KEY).distinct().withColumn("_hit", F.lit(1))
    )
    return (
        old.select(*KEY, F.col("_metadata.file_name").alias("file"))
        .join(keys, list(KEY), "left")
        .groupBy("file")
        .agg(F.count(F.lit(1)).alias("rows"), F.count("_hit").alias("held"))
    )


def merged_silver(old: DataFrame, bronze: DataFrame, landed: DataFrame, feed: str) -> DataFrame:
    """`old` silver with every record `landed` (the new bronze files) names rebuilt from all of
    its bronze rows (`bronze`, erasures applied; it may be just the landed countries' bronze,
    `landed_countries`): new and corrected records replaced, deleted ones dropped, the rest kept
    as they are. `old` may be the table's files that hold a landed record only
    (`held_by_file`): the result then replaces those files."""
    # The keys are a delta's (`MERGE_MAX_SHARE` bounds them): broadcast, so neither the feed's
    # bronze nor its silver is shuffled to find them.
    keys = F.broadcast(landed.where(landed["feed"] == feed).select(*KEY).distinct())
    # Materialised once: the write reads it, and so would the sort's sampling pass, each time
    # scanning bronze and standardising the records again.
    fresh = build_silver_frame(bronze.join(keys, list(KEY), "left_semi"), feed).localCheckpoint(
        eager=True
    )
    kept = old.join(keys, list(KEY), "left_anti")
    return kept.unionByName(fresh)
