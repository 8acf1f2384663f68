"""The rebuild decision alone (no Spark): when a silver table is skipped, merged or rebuilt."""

from __future__ import annotations

from transforms.silver_built import SilverSource, files_digest, plan_feed

OLD = [("bronze/feed=person/country=FRA/date=1/a.parquet", 1000, "1")]
SILVER = [("silver/person/part-0.parquet", 500, "7")]


def _source(bronze: list[tuple[str, int, str]]) -> SilverSource:
    return SilverSource(files_digest(bronze), len(bronze), erased="e", tombstone_files="t")


def test_the_same_files_are_built_and_new_files_are_the_delta() -> None:
    record = _source(OLD).record(10, SILVER, OLD)
    assert _source(OLD).built(record, SILVER)
    new = ("bronze/feed=person/country=DEU/date=2/b.parquet", 100, "2")
    now = [*OLD, new]
    assert not _source(now).built(record, SILVER)
    assert _source(now).added(record, SILVER, now) == [new]


def test_anything_but_files_added_means_a_whole_rebuild() -> None:
    record = _source(OLD).record(10, SILVER, OLD)
    small = ("bronze/feed=person/country=DEU/date=2/b.parquet", 100, "2")
    # A recorded file rewritten in place (retention) or gone (quarantined).
    rewritten = [(OLD[0][0], 990, "3"), small]
    assert _source(rewritten).added(record, SILVER, rewritten) is None
    assert _source([small]).added(record, SILVER, [small]) is None
    # New files holding most of the feed: rebuilding whole costs less.
    big = [*OLD, ("bronze/feed=person/country=DEU/date=2/c.parquet", 5000, "2")]
    assert _source(big).added(record, SILVER, big) is None
    # The table changed since it was recorded, or other erasures, or another format.
    now = [*OLD, small]
    assert _source(now).added(record, [("silver/person/part-0.parquet", 400, "8")], now) is None
    other = SilverSource(files_digest(now), 2, erased="e2", tombstone_files="t")
    assert other.added(record, SILVER, now) is None
    assert _source(now).added(record | {"format": 0}, SILVER, now) is None
    assert _source(now).added(None, SILVER, now) is None


def _never() -> str:
    raise AssertionError("the tombstones were read although the record holds their digest")


def test_the_plan_reads_tombstones_only_when_their_listing_changed() -> None:
    record = _source(OLD).record(10, SILVER, OLD)
    same = plan_feed(
        record=record, bronze=OLD, silver=SILVER, tombstone_files="t", erased=_never, full=False
    )
    assert same.action == "unchanged" and same.refreshed() is None
    # Another feed's erasure changed the listing, not this feed's digest: still unchanged, and
    # the record is refreshed so that the next run need not read the tombstones again.
    moved = plan_feed(
        record=record,
        bronze=OLD,
        silver=SILVER,
        tombstone_files="t2",
        erased=lambda: "e",
        full=False,
    )
    assert moved.action == "unchanged"
    assert moved.refreshed() == record | {"tombstone_files": "t2"}
    # This feed's own erasure: rebuilt whole.
    erased = plan_feed(
        record=record,
        bronze=OLD,
        silver=SILVER,
        tombstone_files="t2",
        erased=lambda: "e2",
        full=False,
    )
    assert erased.action == "rebuilt" and erased.added is None


def test_the_plan_merges_new_files_and_full_rebuilds() -> None:
    record = _source(OLD).record(10, SILVER, OLD)
    new = ("bronze/feed=person/country=DEU/date=2/b.parquet", 100, "2")
    now = [*OLD, new]
    merged = plan_feed(
        record=record, bronze=now, silver=SILVER, tombstone_files="t", erased=_never, full=False
    )
    assert merged.action == "merged" and merged.added == [new]
    assert merged.source == _source(now)
    for bronze in (OLD, now):
        full = plan_feed(
            record=record,
            bronze=bronze,
            silver=SILVER,
            tombstone_files="t",
            erased=_never,
            full=True,
        )
        assert full.action == "rebuilt" and full.added is None
    first = plan_feed(
        record=None, bronze=OLD, silver=[], tombstone_files="t", erased=lambda: "e", full=False
    )
    assert first.action == "rebuilt"
