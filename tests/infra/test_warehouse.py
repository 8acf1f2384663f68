"""The warehouse on DuckDB (the embedded default): migrations, loads, deletions, retention.

Gold fixtures come from tests/data/warehouse/world.json, written as Parquet through the Lake; the
same world drives the PostgreSQL governance tests (test_warehouse_pg.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from infra.lake import Lake
from infra.warehouse import (
    BadWarehouseURL,
    NotMigrated,
    load,
    migrate,
    purge_expired,
    render_data_dictionary,
    retention_report,
    table_counts,
)
from infra.warehouse.catalog import TABLES

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 28)


def _world_module() -> Any:
    # tests/data/warehouse is on pytest's pythonpath (pyproject.toml).
    import warehouse_world

    return warehouse_world


W = _world_module()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lk = Lake(str(tmp_path / "lake"))
    W.write_lake(lk)
    return lk


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    migrate(u)
    return u


def q(url: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(url.removeprefix("duckdb:///"))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def keys_of(url: str, table: str) -> set[str]:
    return {r[0] for r in q(url, f"SELECT unnest(record_keys) FROM interlink.{table}")}


def test_migrate_is_idempotent_and_recorded(tmp_path: Path) -> None:
    u = f"duckdb:///{tmp_path / 'm.duckdb'}"
    first = migrate(u)
    assert first[0] == "0001_curated_tables" and "0004_views" in first
    assert migrate(u) == []
    versions = [r[0] for r in q(u, "SELECT version FROM interlink.schema_migrations ORDER BY 1")]
    assert versions == [int(m[:4]) for m in first]


def test_tables_match_the_catalog_and_carry_its_comments(url: str) -> None:
    for t in TABLES:
        cols = [
            r[0]
            for r in q(
                url,
                "SELECT column_name FROM information_schema.columns WHERE "
                "table_schema = 'interlink' AND table_name = ? ORDER BY "
                "ordinal_position",
                [t.name],
            )
        ]
        assert cols == t.column_names, t.name
        comments = dict(
            q(
                url,
                "SELECT column_name, comment FROM duckdb_columns() WHERE "
                "schema_name = 'interlink' AND table_name = ?",
                [t.name],
            )
        )
        assert all(comments[c.name] == c.description for c in t.columns), t.name


def test_data_dictionary_page_is_current() -> None:
    page = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert page == render_data_dictionary(), (
        "docs/data-dictionary.md is stale: run `uv run python -m infra.warehouse.dictionary > "
        "docs/data-dictionary.md`"
    )


def test_load_fills_every_curated_table_with_provenance_and_handling(url: str, lake: Lake) -> None:
    report = load(url, lake)
    counts = report.as_dict()["tables"]
    world = W.world()
    assert counts["records"] == sum(len(v) for v in world["silver"].values()) == 9
    assert counts["person_records"] == counts["person_identities"] == 5
    assert all(counts[t.name] >= 1 for t in TABLES), counts
    assert report.skipped == {}
    # Provenance down to the Kafka offset, through the persons view.
    row = q(
        url,
        "SELECT topic, kafka_partition, kafka_offset, ingest_time, primary_name, "
        "caveat FROM interlink.persons WHERE record_id = 'DEU-P-7'",
    )[0]
    assert row[:3] == ("feeds.person.DEU", 1, 42)
    assert row[3].isoformat() == "2026-11-02T10:00:00+00:00"
    assert row[4] == "Иван Петров"  # names kept as sent
    assert row[5].startswith("H1: not to be used as evidence")
    # H3 carries its handling note as the caveat.
    assert q(url, "SELECT caveat FROM interlink.records WHERE record_id = 'FRA-P-9'")[0][0] == (
        "H3: Do not contact the victim directly."
    )
    # A derived row takes the strictest handling of its sources and names all of them.
    link = q(url, "SELECT handling_code, dissemination, record_keys FROM interlink.case_links")[0]
    assert link[0] == "H1" and link[1] == ["DEU", "HTEG"]
    assert set(link[2]) == {
        "DEU/case/DEU-C-9",
        "FRA/case/FRA-C-1",
        "DEU/person/DEU-P-7",
        "FRA/person/FRA-P-1",
    }
    # A network names the records of its cases and of its entity's person records.
    assert keys_of(url, "networks") == {
        "DEU/case/DEU-C-9",
        "FRA/case/FRA-C-1",
        "DEU/person/DEU-P-7",
        "FRA/person/FRA-P-1",
    }
    # Nested gold values arrive as JSON, struct fields as columns.
    docs = q(url, "SELECT documents FROM interlink.person_identities WHERE record_id = 'FRA-P-1'")
    assert json.loads(docs[0][0])[0]["number"] == "FE123456"
    assert q(url, "SELECT route_transit FROM interlink.cases WHERE record_id = 'FRA-C-1'") == [
        (["POL", "DEU"],)
    ]
    entity = q(url, "SELECT n_records, countries FROM interlink.entities WHERE entity_id = 'E1'")
    assert entity == [(2, ["DEU", "FRA"])]


def test_rerun_changes_nothing_and_only_changed_rows_move(url: str, lake: Lake) -> None:
    first = load(url, lake)
    again = load(url, lake)
    assert again.moved == 0
    # Nothing it reads changed: the fingerprint short-cut answers without staging anything.
    assert again.skipped == {"*": f"sources unchanged since load {first.load_id}"}
    assert again.as_dict()["tables"]["records"] == 9
    assert table_counts(url) == again.as_dict()["tables"]
    before = q(url, "SELECT row_key, row_hash, load_id FROM interlink.person_records ORDER BY 1")
    world = W.world()
    world["silver"]["person"][3]["sex"] = "M"  # ESP-P-2 corrected by its source
    W.write_lake(lake, world, only=["gold/person_entities"])
    third = load(url, lake)
    moved = third.as_dict()["moved"]
    assert moved["person_records"] == {"inserted": 0, "updated": 1, "deleted": 0}
    assert third.moved == 1  # identities of that record did not change: they do not move
    after = q(url, "SELECT row_key, row_hash, load_id FROM interlink.person_records ORDER BY 1")
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][2] == third.load_id
    full = load(url, lake, full=True)
    assert full.as_dict()["moved"]["records"]["inserted"] == 9
    assert q(url, "SELECT count(*) FROM interlink.records")[0][0] == 9
    assert [r[0] for r in q(url, "SELECT load_id FROM interlink.load_log ORDER BY 1")] == [
        first.load_id,
        third.load_id,
        full.load_id,
    ]


def test_record_gone_from_gold_is_removed_everywhere_and_audited(url: str, lake: Lake) -> None:
    load(url, lake)
    world = W.world()
    # DEU deleted DEU-P-7: transforms dropped it from silver and person_entities; the other
    # gold tables still name it until transforms recomputes them.
    world["silver"]["person"] = [
        r for r in world["silver"]["person"] if r["record_id"] != "DEU-P-7"
    ]
    W.write_lake(lake, world, only=["silver/person", "gold/person_entities"])
    report = load(url, lake)
    assert report.source_deletes == 1
    for t in TABLES:
        assert "DEU/person/DEU-P-7" not in keys_of(url, t.name), t.name
    audit = q(
        url,
        "SELECT action, record_key, source_country, record_version, reason "
        "FROM interlink.audit_log",
    )
    assert audit == [
        (
            "source_delete",
            "DEU/person/DEU-P-7",
            "DEU",
            2,
            "record no longer in gold: deleted by its source (operation=delete)",
        )
    ]
    assert load(url, lake).moved == 0  # stable afterwards


def test_missing_gold_tables_are_skipped_with_a_note(url: str, tmp_path: Path) -> None:
    lk = Lake(str(tmp_path / "partial"))
    W.write_lake(lk, only=["silver/person", "silver/case", "gold/person_entities"])
    report = load(url, lk)
    assert report.skipped["case_links"] == "gold/case_links missing: table left as it was"
    assert report.as_dict()["tables"]["records"] == 7


def test_load_before_migrate_says_what_to_do(tmp_path: Path, lake: Lake) -> None:
    with pytest.raises(NotMigrated, match="interlink warehouse migrate"):
        load(f"duckdb:///{tmp_path / 'fresh.duckdb'}", lake)


def test_unknown_url_names_the_accepted_forms(lake: Lake) -> None:
    with pytest.raises(BadWarehouseURL, match=r"duckdb:///path/file\.duckdb or postgresql://"):
        load("mysql://x", lake)


def _lake_holds(lake: Lake, record_id: str) -> list[str]:
    """Parquet files of the lake mentioning record_id in any column."""
    return [
        rel
        for prefix in ("bronze", "silver", "gold")
        for rel in lake.list(prefix)
        if rel.endswith(".parquet") and record_id in str(lake.read_parquet(rel).to_pylist())
    ]


def test_purge_removes_expired_record_from_tables_and_lake(url: str, lake: Lake) -> None:
    load(url, lake)
    assert _lake_holds(lake, "ITA-P-3")
    bronze_before = set(lake.list("bronze"))
    report = purge_expired(url, lake, today=TODAY)
    assert [p["record_key"] for p in report.purged] == ["ITA/person/ITA-P-3"]
    assert report.rows_per_table == {
        "records": 1,
        "person_records": 1,
        "person_identities": 1,
        "notice_hits": 1,
    }
    for t in TABLES:
        assert "ITA/person/ITA-P-3" not in keys_of(url, t.name), t.name
    assert _lake_holds(lake, "ITA-P-3") == []
    # Its bronze file held only it and is gone; every other bronze file is untouched.
    ita = "bronze/feed=person/country=ITA/date=2021-06-30/feeds.person.ITA+0+3-3.parquet"
    assert set(lake.list("bronze")) == bronze_before - {ita}
    assert "silver/person/part-00000-test.snappy.parquet" in report.lake_files_rewritten
    silver = lake.read_parquet("silver/person/part-00000-test.snappy.parquet")[
        "record_id"
    ].to_pylist()
    assert sorted(silver) == ["DEU-P-7", "ESP-P-2", "FRA-P-1", "FRA-P-9"]
    audit = q(
        url,
        "SELECT action, record_key, source_country, reason, details FROM "
        "interlink.audit_log ORDER BY audit_id",
    )
    assert [a[:3] for a in audit] == [
        ("retention_purge", "ITA/person/ITA-P-3", "ITA"),
        ("lake_erasure", "ITA/person/ITA-P-3", "ITA"),
    ]
    assert audit[0][3] == "review_by 2026-06-30 passed on 2026-11-28 without extension"
    assert ita in json.loads(audit[1][4])["files"]
    # Idempotent: nothing left to do, no new audit rows.
    again = purge_expired(url, lake, today=TODAY)
    assert again.purged == [] and again.lake_rows_removed == 0
    assert q(url, "SELECT count(*) FROM interlink.audit_log")[0][0] == 2
    # Stale silver and gold (transforms has not run yet) cannot bring the record back…
    W.write_lake(lake, bronze=False)
    reload = load(url, lake)
    assert "1 rows of purged or deleted records not reloaded" in reload.tables["records"].notes
    assert "ITA/person/ITA-P-3" not in keys_of(url, "records")
    # …but a later version that extends review_by can.
    world = W.world()
    ita_rec = next(r for r in world["silver"]["person"] if r["record_id"] == "ITA-P-3")
    ita_rec.update(record_version=2, review_by="2031-06-30")
    W.write_lake(lake, world, only=["silver/person"])
    load(url, lake)
    assert q(url, "SELECT record_version FROM interlink.records WHERE record_id = 'ITA-P-3'") == [
        (2,)
    ]


def test_retention_report_lists_records_due_within_six_months(url: str, lake: Lake) -> None:
    load(url, lake)
    report = retention_report(url, today=TODAY, lake=lake)
    d = report.as_dict()
    assert d["until"] == "2027-05-28"
    assert d["per_country"] == {"ESP": 1}
    assert report.per_country["ESP"][0]["record_id"] == "ESP-P-2"
    notice = json.loads(lake.read_bytes("reports/retention/2026-11-28/ESP.json"))
    assert notice["records"][0]["review_by"] == "2027-03-01"
    assert retention_report(url, today=TODAY, months_ahead=3).as_dict()["records"] == 0


def test_s3_lake_loads_and_purges_like_a_local_one(s3_lake: Lake, url: str) -> None:
    lake = s3_lake
    W.write_lake(lake)
    report = load(url, lake)
    assert report.as_dict()["tables"]["records"] == 9 and report.skipped == {}
    files = {r[0] for r in q(url, "SELECT file FROM interlink.ingestion_log")}
    assert files == set(lake.list("bronze"))
    purged = purge_expired(url, lake, today=TODAY)
    assert [p["record_key"] for p in purged.purged] == ["ITA/person/ITA-P-3"]
    assert _lake_holds(lake, "ITA-P-3") == []
