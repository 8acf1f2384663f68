"""Incremental link gold is the full build, row for row, on a generated world.

The world is the scenario generator's (300 persons, 4 countries, every feed). After a first run,
a delta lands: a new person record, a correction (a record becomes a copy of a person a notice
hits, so it changes entity and gains the hit), the deletion of that person (its hits go), a new
case sharing a phone with an existing case, and a stolen-document report on a document an
existing person carries. One lake merges the link tables with the previous run's
(`transforms.links_delta`); its copy rebuilds them whole from the same person resolution. Every
link table must be the same rows in both, and the delta must show in them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F
from transforms_testkit import message, write_bronze

from contracts.lake import LINK_STATE
from contracts.registry import FEEDS
from streams.simulate import write_feeds
from transforms import lake_io as io
from transforms.jobs import LINK_FACTS, LINK_META, LINK_NOTICE_KEYS, build_gold, build_silver
from transforms.links_delta import LINK_TABLES
from transforms.links_notices import notice_keys

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]


def _feed_rows(root: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(root.glob("*/*.jsonl")):
        if path.parent.name not in FEEDS:
            continue
        for line in path.read_text().splitlines():
            m = json.loads(line)
            rows.append(
                message(
                    path.parent.name,
                    path.stem,
                    m["record_id"],
                    m.get("payload") if m["operation"] != "delete" else None,
                    version=m["record_version"],
                    operation=m["operation"],
                )
            )
    return rows


def _once(rows: list[dict[str, Any]], feed: str) -> list[dict[str, Any]]:
    """Records of a feed with a single upsert and nothing else (safe to change or hold back)."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["feed"] == feed:
            seen.setdefault(r["record_id"], []).append(r)
    return [v[0] for v in seen.values() if len(v) == 1 and v[0]["operation"] == "upsert"]


def _table(spark, lake: Path, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    df = io.read_table(spark, str(lake), "gold", name)
    assert df is not None, name
    return sorted(
        json.dumps(r.asDict(recursive=True), sort_keys=True, default=str) for r in df.collect()
    )


@pytest.fixture(scope="module")
def lakes(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("links_delta")
    write_feeds(work / "world", seed=11, persons=300, countries=["FRA", "DEU", "ITA", "ROU"])
    rows = _feed_rows(work / "world")
    singles = _once(rows, "person")
    held = singles[-1]
    lake = work / "incremental"
    write_bronze(lake, [r for r in rows if r is not held])
    build_silver(spark, str(lake))
    first = build_gold(spark, str(lake))

    hits = io.read_table(spark, str(lake), "gold", "notice_hits")
    assert hits is not None and hits.count() > 0, "the world should hit a notice"
    hit = hits.orderBy("person_source_country", "person_record_id").first()
    gone_id = hit["person_record_id"]
    gone = next(r for r in rows if r["feed"] == "person" and r["record_id"] == gone_id)
    fixed = next(r for r in singles if r is not held and r["record_id"] != gone_id)
    carrier = next(
        r
        for r in singles
        if r not in (held, fixed)
        and r["record_id"] != gone_id
        and json.loads(r["payload"]).get("documents")
    )
    doc = json.loads(carrier["payload"])["documents"][0]
    case = next(r for r in _once(rows, "case") if json.loads(r["payload"]).get("phones"))
    case_body = json.loads(case["payload"])
    top = max(r["record_version"] for r in rows if r["record_id"] == gone_id)
    delta = [
        held,
        message(
            "person",
            fixed["source_country"],
            fixed["record_id"],
            json.loads(gone["payload"]),
            version=2,
        ),
        message(
            "person", gone["source_country"], gone_id, None, version=top + 1, operation="delete"
        ),
        message(
            "case",
            case["source_country"],
            "DELTA-C-1",
            {**case_body, "persons": [], "vehicles": [], "phones": case_body["phones"][:1]},
        ),
        message(
            "travel_document",
            "ITA",
            "DELTA-D-1",
            {**doc, "status": "stolen_issued", "status_date": "2026-11-01"},
        ),
    ]
    full = work / "full"
    shutil.copytree(lake, full)
    # The copy forgets its link state: its tables are built whole, from the same resolution.
    io.delete(str(full), LINK_STATE, LINK_META)
    # This copy's kept notice keys are emptied: no notice changes in the delta, so its run must
    # trust them and find no notice pair for the corrected person.
    stale = work / "stale"
    shutil.copytree(lake, stale)
    keys = io.read_table(spark, str(stale), LINK_STATE, LINK_NOTICE_KEYS)
    assert keys is not None and keys.count() > 0
    io.write_table_via_temp(keys.limit(0), str(stale), LINK_STATE, LINK_NOTICE_KEYS)
    out = {}
    for name, root in (("incremental", lake), ("full", full), ("stale", stale)):
        write_bronze(root, delta, day="2026-11-29")
        build_silver(spark, str(root))
        out[name] = build_gold(spark, str(root))
    # A run with nothing new, on a copy: every table is the previous one, left as it was.
    again = work / "again"
    shutil.copytree(lake, again)
    out["again"] = build_gold(spark, str(again))
    return {
        "lakes": {"incremental": lake, "full": full, "again": again, "stale": stale},
        "first": first,
        "runs": out,
        "gone": (gone["source_country"], gone_id),
        "fixed": (fixed["source_country"], fixed["record_id"]),
        "carrier": (carrier["source_country"], carrier["record_id"]),
        "case": (case["source_country"], case["record_id"]),
        "hit_notice": hit["notice_id"],
    }


def test_incremental_run_merges_every_link_table(lakes) -> None:  # type: ignore[no-untyped-def]
    assert lakes["first"]["links"] == {"mode": "full", "merged": [], "unchanged": []}
    assert lakes["runs"]["incremental"]["links"]["merged"] == list(LINK_TABLES)
    assert lakes["runs"]["incremental"]["links"]["unchanged"] == []
    assert lakes["runs"]["full"]["links"] == {"mode": "full", "merged": [], "unchanged": []}


def test_run_with_nothing_new_keeps_every_link_table(spark, lakes) -> None:  # type: ignore[no-untyped-def]
    again, inc = lakes["runs"]["again"], lakes["runs"]["incremental"]
    assert again["links"]["unchanged"] == list(LINK_TABLES)
    # The counts an unchanged table reports are those its files hold.
    counted = [k for k in LINK_TABLES if k in inc and k != "network_members"]
    assert counted and {k: again[k] for k in counted} == {k: inc[k] for k in counted}
    for table in LINK_TABLES:
        assert _table(spark, lakes["lakes"]["again"], table) == _table(
            spark, lakes["lakes"]["full"], table
        ), table


@pytest.mark.parametrize("table", LINK_TABLES)
def test_incremental_table_equals_full_rebuild(spark, lakes, table: str) -> None:  # type: ignore[no-untyped-def]
    inc = _table(spark, lakes["lakes"]["incremental"], table)
    full = _table(spark, lakes["lakes"]["full"], table)
    assert len(inc) == len(full)
    assert inc == full


def test_rescored_hits_keep_the_explanation_maps_in_order(spark, lakes) -> None:  # type: ignore[no-untyped-def]
    # A map's entries are compared in order by a reader that hashes rows (the warehouse load):
    # the rescored hits' maps list their entries as the full build's do. Read in Spark, since a
    # collected map is a Python dict whose order is the collect's, not the file's.
    def keys(name: str) -> list[tuple[str, ...]]:
        df = io.read_table(spark, str(lakes["lakes"][name]), "gold", "notice_hits")
        assert df is not None
        cols = [F.map_keys("contributions").alias("c"), F.map_keys("levels").alias("l")]
        rows = df.select("notice_id", "person_source_country", "person_record_id", *cols)
        return sorted((*r[:3], ",".join(r["c"]), ",".join(r["l"])) for r in rows.collect())

    inc = keys("incremental")
    assert lakes["fixed"] in {(r[1], r[2]) for r in inc}
    assert inc == keys("full")


def test_delta_shows_in_the_merged_tables(spark, lakes) -> None:  # type: ignore[no-untyped-def]
    lake = str(lakes["lakes"]["incremental"])
    alerts = io.read_table(spark, lake, "gold", "document_alerts")
    seen = {
        (r["seen_in_source_country"], r["seen_in_record_id"])
        for r in alerts.where("register_record_id = 'DELTA-D-1'").collect()
    }
    assert lakes["carrier"] in seen
    links = io.read_table(spark, lake, "gold", "case_links").collect()
    pairs = {
        frozenset({r["case_a_record_id"], r["case_b_record_id"]})
        for r in links
        if "phone" in {e["kind"] for e in r["evidence"]}
    }
    assert frozenset({"DELTA-C-1", lakes["case"][1]}) in pairs
    hits = io.read_table(spark, lake, "gold", "notice_hits").collect()
    persons = {(r["person_source_country"], r["person_record_id"]) for r in hits}
    assert lakes["gone"] not in persons
    assert lakes["fixed"] in persons


def test_notice_keys_are_kept_while_no_notice_changes(spark, lakes) -> None:  # type: ignore[no-untyped-def]
    # Both runs keep the notices' keys as the silver notices give them...
    for name in ("incremental", "full"):
        lake = str(lakes["lakes"][name])
        notices = io.read_table(spark, lake, "silver", "notice")
        kept = io.read_table(spark, lake, LINK_STATE, LINK_NOTICE_KEYS)
        assert kept is not None, name
        assert sorted(map(tuple, kept.collect())) == sorted(
            map(tuple, notice_keys(notices).collect())
        ), name
    # ...and a run in which no notice changed reads them instead of deriving them again: with
    # the kept keys emptied, the corrected person meets no notice.
    hits = io.read_table(spark, str(lakes["lakes"]["stale"]), "gold", "notice_hits").collect()
    assert lakes["fixed"] not in {(r["person_source_country"], r["person_record_id"]) for r in hits}


def test_facts_are_kept_in_as_many_files_as_a_shuffle_makes(spark, lakes) -> None:  # type: ignore[no-untyped-def]
    # The facts are the union of a dozen frames, one partition each or more: unless gathered,
    # every run wrote (and the next read) one file per partition of each.
    parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    for name in ("incremental", "full"):
        folder = lakes["lakes"][name] / LINK_STATE / LINK_FACTS
        files = [p for p in folder.iterdir() if p.suffix == ".parquet"]
        assert 1 <= len(files) <= parts, (name, len(files))
