"""Worker for the freshness benchmark: `python -m bench.freshness_worker --feeds DIR --home DIR`.

Builds the world first (publish, ingest, validate, resolve, load into DuckDB and a fresh
PostgreSQL database), then times the delta a country publishes next, stage by stage, until the
new entity and the document alert can be read from each warehouse; then the full rebuild of the
same data (`--full`: resolve retraining and linking everything, loads moving every row).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

IDLE = 3.0
"""Ingest stops after this long without a message; subtracted from its time (it is the wait
that ends the stage, not work)."""


def make_delta(feeds: Path, out: Path, changes: int) -> dict[str, Any]:
    """Feed files of one country's next publication: `changes` person records, half new (a
    second report of an existing person under a new record id), half corrected (an existing
    record's next version with a phone added), and a travel_document record reporting stolen a
    document an existing person carries. Returns what to look for in the warehouse."""
    from bench.data import COUNTRIES

    country = COUNTRIES[0]
    lines = [
        json.loads(x) for x in (feeds / "person" / f"{country}.jsonl").read_text().splitlines()
    ]
    versions: dict[str, list[dict[str, Any]]] = {}
    for m in lines:
        versions.setdefault(m["record_id"], []).append(m)
    single = [v[0] for v in versions.values() if len(v) == 1 and v[0]["operation"] == "upsert"]
    carrier = next(m for m in single if m["payload"].get("documents"))
    rest = [m for m in single if m is not carrier]
    new = [
        {**m, "record_id": f"{country}-P-FRESH{i:05d}", "record_version": 1}
        for i, m in enumerate(rest[: changes // 2])
    ]
    fixed = [
        {
            **m,
            "record_version": 2,
            "payload": {
                **m["payload"],
                "phones": [*m["payload"].get("phones", []), f"+3361{i:07d}"],
            },
        }
        for i, m in enumerate(rest[changes // 2 : changes])
    ]
    doc = carrier["payload"]["documents"][0]
    stolen = {
        "record_id": f"{country}-D-FRESH00001",
        "record_version": 1,
        "operation": "upsert",
        "reported_at": "2026-12-01T08:00:00Z",
        "payload": {**doc, "status": "stolen_issued", "status_date": "2026-12-01"},
    }
    for feed, rows in (("person", new + fixed), ("travel_document", [stolen])):
        (out / feed).mkdir(parents=True, exist_ok=True)
        (out / feed / f"{country}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {
        "country": country,
        "person": new[0]["record_id"],
        "document": stolen["record_id"],
        "carrier": carrier["record_id"],
        "records": len(new) + len(fixed) + 1,
    }


def publish_delta(s: Any, bootstrap: str, feeds: Path, country: str) -> int:
    """Publish a country's feed files with the key it already has (registered at set-up)."""
    from streams.keys import load_private_key, private_key_path
    from streams.publisher import FeedPublisher, publish_file

    key = load_private_key(private_key_path(country, Path(s.keys.private_dir)))
    sent = 0
    with FeedPublisher(
        bootstrap,
        country,
        key,
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        partitions=s.broker.partitions,
    ) as pub:
        for path in sorted(feeds.glob(f"*/{country}.jsonl")):
            sent += publish_file(pub, path.parent.name, path).sent
    return sent


def queryable(url: str, want: dict[str, Any]) -> dict[str, bool]:
    """Whether the new record's entity and the stolen document's alert are in the warehouse."""
    entity = (
        "SELECT count(*) FROM interlink.person_records "
        "WHERE source_country = %s AND record_id = %s AND entity_id IS NOT NULL"
    )
    alert = (
        "SELECT count(*) FROM interlink.document_alerts "
        "WHERE doc_record_id = %s AND seen_record_id = %s"
    )
    args_e = (want["country"], want["person"])
    args_a = (want["document"], want["carrier"])
    if url.startswith("duckdb:///"):
        import duckdb

        with duckdb.connect(url.removeprefix("duckdb:///"), read_only=True) as con:
            e = con.execute(entity.replace("%s", "?"), args_e).fetchone()
            a = con.execute(alert.replace("%s", "?"), args_a).fetchone()
    else:
        import psycopg

        with psycopg.connect(url) as con:
            e = con.execute(entity, args_e).fetchone()
            a = con.execute(alert, args_a).fetchone()
    return {"entity": bool(e and e[0]), "alert": bool(a and a[0])}


class PhaseLog(logging.Handler):
    """The resolve step's phase lines (`interlink.progress`: `resolve › block 2.1 s`), summed
    per phase, so that the table can say where the resolve's seconds went."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        from interlink.progress import parse_phase_end

        end = parse_phase_end(record.getMessage())
        if end is None or end[0] != "resolve":
            return  # a phase's start line, or another stage's
        _, phase, secs = end
        self.seconds[phase] = self.seconds.get(phase, 0.0) + secs

    def take(self) -> dict[str, float]:
        out, self.seconds = self.seconds, {}
        return out


def _timed(stages: dict[str, float], name: str, fn: Any, *args: Any, **kw: Any) -> Any:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    stages[name] = time.perf_counter() - t0
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness_worker")
    parser.add_argument("--feeds", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--pg-url", required=True, help="an empty PostgreSQL database")
    args = parser.parse_args(argv)

    home = args.home.resolve()
    os.environ.setdefault("INTERLINK_SPARK__MASTER", "local[2]")
    from infra.broker import EmbeddedBroker
    from infra.warehouse import load, migrate
    from interlink.demo import demo_settings, publish_world, reset_world
    from interlink.pipeline import (
        ingest_step,
        lake_of,
        load_step,
        resolve_step,
        validate_step,
    )
    from interlink.settings import Settings

    s = demo_settings(home)
    reset_world(s)
    duck = s.warehouse.url
    broker = EmbeddedBroker(state_dir=s.state_dir, storage="memory://tansu/")
    os.environ["INTERLINK_BROKER__BOOTSTRAP_SERVERS"] = bootstrap = broker.start()
    s = Settings()
    lake = lake_of(s)
    setup: dict[str, float] = {}
    delta: dict[str, float] = {}
    full: dict[str, float] = {}
    summaries: dict[str, Any] = {}
    phases = PhaseLog()
    progress_log = logging.getLogger("interlink.progress")
    progress_log.addHandler(phases)
    progress_log.setLevel(logging.INFO)
    try:
        # The world as it stands before the country publishes: built once, not measured here.
        _timed(setup, "publish", publish_world, s, bootstrap, args.feeds)
        _timed(setup, "ingest", ingest_step, s, until_idle=IDLE)
        _timed(setup, "validate", validate_step, s)
        _timed(setup, "resolve", resolve_step, s)
        _timed(setup, "load DuckDB", load_step, s)
        migrate(args.pg_url)
        _timed(setup, "load PostgreSQL", load, args.pg_url, lake)

        want = make_delta(args.feeds, home / "delta", args.changes)
        summaries["delta"] = want
        _timed(delta, "publish", publish_delta, s, bootstrap, home / "delta", want["country"])
        summaries["ingest"] = _timed(delta, "ingest", ingest_step, s, until_idle=IDLE)
        delta["ingest"] = max(0.0, delta["ingest"] - IDLE)
        summaries["validate"] = _timed(delta, "validate", validate_step, s)
        phases.take()
        summaries["resolve"] = _timed(delta, "resolve", resolve_step, s)
        summaries["resolve_phases"] = phases.take()
        loads = {
            "DuckDB": _timed(delta, "load DuckDB", load_step, s),
            "PostgreSQL": _timed(delta, "load PostgreSQL", load, args.pg_url, lake).as_dict(),
        }
        # Where each load's seconds went (stage / diff / write): the load's own profile.
        summaries["load_phases"] = {w: r["phases"] for w, r in loads.items()}
        summaries["queryable"] = {
            "DuckDB": queryable(duck, want),
            "PostgreSQL": queryable(args.pg_url, want),
        }

        summaries["full_resolve"] = _timed(full, "resolve", resolve_step, s, full=True)
        summaries["full_resolve_phases"] = phases.take()
        full_loads = {
            "DuckDB": _timed(full, "load DuckDB", load_step, s, full=True),
            "PostgreSQL": _timed(
                full, "load PostgreSQL", load, args.pg_url, lake, full=True
            ).as_dict(),
        }
        summaries["full_load_phases"] = {w: r["phases"] for w, r in full_loads.items()}
    finally:
        broker.stop()
    args.result.write_text(
        json.dumps(
            {"setup": setup, "delta": delta, "full": full, "summaries": summaries},
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
