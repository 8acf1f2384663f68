"""The skeleton path end to end on real parts: generated feeds → Tansu → bronze → GX → Spark →
warehouse, run as the `interlink_pipeline` DAG with `dag.test()`.

Runs against PostgreSQL (production's warehouse) and DuckDB (the embedded default); a second run
must leave the warehouse unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.airflow, pytest.mark.slow]

COUNTRIES = ["FRA", "DEU", "ITA"]
# interlink.demo.publish_bad_messages: bytes that are not JSON, and a DEU envelope on FRA's topic.
BAD_MESSAGE_REASONS = {"decode.json": 1, "country.spoofed": 1}


def _configure(
    monkeypatch: pytest.MonkeyPatch, home: Path, broker: str, warehouse_url: str, airflow_home: Path
) -> None:
    for key, value in {
        "INTERLINK_HOME": str(home),
        "INTERLINK_LAKE__ROOT": str(home / "lake"),
        "INTERLINK_WAREHOUSE__URL": warehouse_url,
        "INTERLINK_BROKER__BOOTSTRAP_SERVERS": broker,
        "INTERLINK_AIRFLOW__HOME": str(airflow_home),
        "INTERLINK_KEYS__PRIVATE_DIR": str(home / "keys"),
        "INTERLINK_INGEST__UNTIL_IDLE_SECONDS": "3",
        "INTERLINK_INGEST__GROUP_ID": f"e2e-{home.name}",
    }.items():
        monkeypatch.setenv(key, value)


def _warehouse_state(url: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row's content, per curated table: equal states mean the
    same rows with the same values, not only as many of them."""
    import psycopg

    from infra.warehouse.catalog import TABLES

    with psycopg.connect(url) as con:
        return {
            t.name: con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                f"FROM interlink.{t.name} x"
            ).fetchall()[0]
            for t in TABLES
        }


def _run_skeleton(
    tmp_path: Path, monkeypatch, broker: str, url: str, airflow_home: Path, capfd
) -> dict[str, Any]:
    from interlink.airflow_runner import run_dag
    from interlink.demo import publish_bad_messages, publish_world
    from interlink.settings import Settings
    from streams.simulate import write_feeds

    _configure(monkeypatch, tmp_path, broker, url, airflow_home)
    feeds = tmp_path / "feeds"
    write_feeds(feeds, seed=11, persons=40, countries=COUNTRIES)
    published = publish_world(Settings(), broker, feeds)
    sent = sum(published["sent"].values())
    assert sent > 0
    assert publish_bad_messages(broker) == 2
    capfd.readouterr()
    first = run_dag("interlink_pipeline", airflow_home=airflow_home)
    # The operator watched it: each stage's start, then its end with its own counts, in order.
    progress = [
        line.split("] ", 1)[1] for line in capfd.readouterr().err.splitlines() if "] " in line
    ]
    stages = [line.split(" ")[0] for line in progress if " started" in line or " done in " in line]
    assert stages == [
        s for t in ("ingest", "validate", "resolve", "load", "report") for s in (t, t)
    ]
    ingest_done = next(line for line in progress if line.startswith("ingest done in "))
    assert ingest_done.endswith(f": accepted {sent}, rejected 2")
    assert "resolve › cluster …" in progress
    # The broker is this test's own, so the counts are exact: every good message lands and both
    # crafted bad ones are rejected, each for its own reason.
    assert first["ingest"]["accepted"] == sent
    assert first["ingest"]["rejected"] == 2
    assert first["ingest"]["per_reason"] == BAD_MESSAGE_REASONS
    gold = first["resolve"]["gold"]
    assert gold["entities"] > 0
    assert gold["cross_country_entities"] > 0, "the sample reports some people in two countries"
    assert Path(first["report"]).exists()
    state = _warehouse_state(url)
    assert state["person_records"][0] > 0
    assert state["ingestion_log"][0] > 0 and state["feed_quality"][0] > 0
    # A second run finds nothing new and leaves the warehouse exactly as it was: same rows, same
    # values in every curated table.
    second = run_dag("interlink_pipeline", airflow_home=airflow_home)
    assert second["ingest"]["accepted"] == 0 and second["ingest"]["rejected"] == 0
    assert _warehouse_state(url) == state
    return first


@pytest.mark.postgres
def test_skeleton_path_into_postgres(
    tmp_path: Path, monkeypatch, pg_url: str, airflow_home: Path, spark, capfd
) -> None:
    from infra.broker import EmbeddedBroker

    # A broker of its own: on the session's shared one, other tests' messages would make the
    # accepted and rejected counts pass even with the crafted bad messages lost or accepted.
    with EmbeddedBroker(state_dir=tmp_path / "broker", storage="memory://tansu/") as own:
        _run_skeleton(tmp_path, monkeypatch, own.bootstrap, pg_url, airflow_home, capfd)


@pytest.mark.browser
def test_asset_dags_chain_end_to_end_into_duckdb(
    tmp_path: Path, monkeypatch, airflow_home: Path, spark, chromium
) -> None:
    """Each operational DAG runs with dag.test() in the order its assets trigger it; the run
    report and the Data Docs it leaves open offline in Chromium (screenshots in tmp_path)."""
    import duckdb

    from infra.broker import EmbeddedBroker
    from interlink.airflow_runner import run_dag
    from interlink.demo import publish_world
    from interlink.settings import Settings
    from streams.simulate import write_feeds

    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with EmbeddedBroker(state_dir=tmp_path / "broker") as own_broker:
        _configure(monkeypatch, tmp_path, own_broker.bootstrap, url, airflow_home)
        feeds = tmp_path / "feeds"
        write_feeds(feeds, seed=5, persons=30, countries=["ESP", "GRC"])
        publish_world(Settings(), own_broker.bootstrap, feeds)
        results = {}
        for dag_id in (
            "feeds_ingest",
            "contracts_validate",
            "entities_resolve",
            "warehouse_load",
            "quality_report",
            "retention_review",
        ):
            results[dag_id] = run_dag(dag_id, airflow_home=airflow_home)
    assert results["feeds_ingest"]["ingest_until_idle"]["accepted"] > 0
    assert results["contracts_validate"]["validate_new_batches"]["passed"] > 0
    assert results["entities_resolve"]["resolve_incremental"]["gold"]["entities"] > 0
    assert Path(results["quality_report"]["write_report"]).exists()
    assert "purged" in results["retention_review"]["purge_and_notify"]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM interlink.person_records").fetchall()[0][0]
        countries = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT source_country FROM interlink.person_records"
            ).fetchall()
        }
        # Provenance and the source's restriction text reach the curated rows from the real
        # pipeline (not only from a fixture lake): every record has its ingest time, and every H3
        # record's caveat is its own handling note, not the generic fallback.
        no_ingest_time, h3, h3_with_note = con.execute(
            "SELECT count(*) FILTER (WHERE ingest_time IS NULL), "
            "count(*) FILTER (WHERE handling_code = 'H3'), "
            "count(*) FILTER (WHERE handling_code = 'H3' AND handling_note IS NOT NULL "
            "AND caveat = 'H3: ' || handling_note) FROM interlink.records"
        ).fetchall()[0]
    finally:
        con.close()
    assert n > 0 and countries == {"ESP", "GRC"}
    assert no_ingest_time == 0
    assert h3 > 0 and h3 == h3_with_note  # seed 5 reports a few H3 records
    from tests.interlink.offline_views import check_data_docs, check_report

    lake = tmp_path / "lake"
    check_report(chromium, Path(results["quality_report"]["write_report"]), lake, tmp_path)
    check_data_docs(chromium, lake / "reports" / "quality" / "data_docs" / "index.html", tmp_path)
