"""An erased record never comes back, end to end on real parts (Tansu, lake, GX, Spark, DuckDB):
a source deletes a record, the run erases every lake copy and leaves a tombstone in the lake; the
original bytes replayed afterwards, into a DuckDB warehouse rebuilt from the lake, land nowhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]


def _holds(lake: Any, prefix: str, record_id: str) -> list[str]:
    """Files of a zone holding the record's content (the delete envelope itself, which holds
    only its id, stays in bronze so that silver keeps applying it)."""
    found = []
    for rel in (r for r in lake.list(prefix) if r.endswith(".parquet")):
        rows = lake.read_parquet(rel).to_pylist()
        if any(record_id in str(r) and r.get("operation") != "delete" for r in rows):
            found.append(rel)
    return found


def _warehouse_keys(url: str) -> list[str]:
    import duckdb

    con = duckdb.connect(url.removeprefix("duckdb:///"))
    try:
        return [r[0] for r in con.execute("SELECT record_key FROM interlink.records").fetchall()]
    finally:
        con.close()


def _pipeline(s: Any) -> dict[str, Any]:
    from interlink import pipeline as P

    out = {"ingest": P.ingest_step(s, until_idle=2.0)}
    out["validate"] = P.validate_step(s)
    out["resolve"] = P.resolve_step(s)
    out["load"] = P.load_step(s)
    out["retention"] = P.retention_step(s)
    return out


@pytest.mark.timeout(2400)  # three pipeline runs with Spark: minutes each on a shared machine
def test_a_deleted_record_replayed_after_erasure_lands_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any
) -> None:
    from kafka import KafkaProducer

    from infra.audit import read_tombstones
    from infra.broker import EmbeddedBroker
    from interlink.demo import publish_world
    from interlink.pipeline import lake_of
    from interlink.settings import Settings
    from streams.keys import load_private_key, private_key_path
    from streams.publisher import FeedPublisher
    from streams.simulate import write_feeds

    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    with EmbeddedBroker(state_dir=tmp_path / "broker", storage="memory://tansu/") as own:
        for key, value in {
            "INTERLINK_HOME": str(tmp_path),
            "INTERLINK_LAKE__ROOT": str(tmp_path / "lake"),
            "INTERLINK_WAREHOUSE__URL": url,
            "INTERLINK_BROKER__BOOTSTRAP_SERVERS": own.bootstrap,
            "INTERLINK_KEYS__PRIVATE_DIR": str(tmp_path / "keys"),
            "INTERLINK_INGEST__GROUP_ID": "e2e-erasure",
            "INTERLINK_INGEST__WORKERS": "0",
        }.items():
            monkeypatch.setenv(key, value)
        s = Settings()
        lake = lake_of(s)
        write_feeds(tmp_path / "feeds", seed=5, persons=8, countries=["FRA", "DEU"])
        publish_world(s, own.bootstrap, tmp_path / "feeds")
        _pipeline(s)
        bronze = lake.read_parquet(
            next(r for r in lake.list("bronze/feed=person/country=FRA") if r.endswith(".parquet"))
        )
        victim, raw = bronze["record_id"][0].as_py(), bronze["raw"][0].as_py()
        key = f"FRA/person/{victim}"
        assert key in _warehouse_keys(url) and _holds(lake, "silver", victim)

        # The source deletes it; the run applies the deletion and erases every lake copy.
        private = load_private_key(private_key_path("FRA", s.keys.private_dir))
        with FeedPublisher(own.bootstrap, "FRA", private) as pub:
            pub.delete("person", victim, 10**6)
        erased = _pipeline(s)
        assert erased["retention"]["purged"]["tombstone_files"]
        assert ("FRA", "person", victim) in read_tombstones(lake)
        for zone in ("bronze", "quarantine", "silver", "gold"):
            assert _holds(lake, zone, victim) == [], zone

        # The original bytes replayed, into a warehouse rebuilt from the lake.
        producer = KafkaProducer(bootstrap_servers=own.bootstrap)
        producer.send("feeds.person.FRA", value=raw)
        producer.flush()
        producer.close()
        Path(url.removeprefix("duckdb:///")).unlink()
        again = _pipeline(s)
        assert again["ingest"]["per_reason"] == {"record.erased": 1}
        for zone in ("bronze", "quarantine", "silver", "gold"):
            assert _holds(lake, zone, victim) == [], zone
        assert key not in _warehouse_keys(url) and _warehouse_keys(url)
