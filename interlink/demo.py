"""`make demo`: a small multi-country world, published, ingested, resolved and loaded, end to end.

Everything runs on the embedded defaults: the Tansu broker (memory storage), a local lake and a
DuckDB warehouse, all under `var/demo/`. The demo starts from a clean world each time, and the
sample is generated from a fixed seed, so two runs leave the same warehouse contents.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import typer

from infra.errors import redact
from interlink.settings import Settings

DEMO_HOME = Path("var/demo")
DEMO_COUNTRIES = ("FRA", "DEU", "ITA", "GRC", "ESP")


def demo_settings(home: Path = DEMO_HOME) -> Settings:
    """Settings of the demo world; environment variables may still override them."""
    home = home.resolve()
    os.environ.setdefault("INTERLINK_HOME", str(home))
    os.environ.setdefault("INTERLINK_LAKE__ROOT", str(home / "lake"))
    os.environ.setdefault("INTERLINK_WAREHOUSE__URL", f"duckdb:///{home / 'warehouse.duckdb'}")
    os.environ.setdefault("INTERLINK_AIRFLOW__HOME", str(home / "airflow"))
    os.environ.setdefault("INTERLINK_KEYS__PRIVATE_DIR", str(home / "keys"))
    # All is published and flushed before the run: once caught up, a second of quiet is enough.
    os.environ.setdefault("INTERLINK_INGEST__UNTIL_IDLE_SECONDS", "1")
    return Settings()


def reset_world(s: Settings) -> None:
    """Remove the previous demo's lake, warehouse and keys (never anything outside var/demo)."""
    home = Path(s.home).resolve()
    for sub in ("lake", "keys", "feeds", "spark-checkpoints"):
        shutil.rmtree(home / sub, ignore_errors=True)
    from infra.warehouse.connection import discard_database

    discard_database(s.warehouse.url)


def publish_world(s: Settings, bootstrap: str, feeds_dir: Path) -> dict[str, Any]:
    """Create each country's keys, register the public halves, and publish its feed files."""
    from interlink.pipeline import lake_of
    from streams.keys import KeyRegistry, create_keypair, load_private_key
    from streams.publisher import FeedPublisher, publish_file

    lake = lake_of(s)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    sent: dict[str, int] = {}
    invalid: dict[str, int] = {}
    countries = sorted({p.stem for p in feeds_dir.glob("*/*.jsonl")})
    for country in countries:
        private_path, public_path = create_keypair(country, Path(s.keys.private_dir))
        registry.add_public_key_file(country, public_path)
        key = load_private_key(private_path)
        with FeedPublisher(
            bootstrap,
            country,
            key,
            client_options=s.broker.client_options(),
            broker=s.broker.traits(),
            partitions=s.broker.partitions,
        ) as pub:
            for feed_file in sorted(feeds_dir.glob(f"*/{country}.jsonl")):
                summary = publish_file(pub, feed_file.parent.name, feed_file)
                sent[country] = sent.get(country, 0) + summary.sent
                invalid[country] = invalid.get(country, 0) + summary.invalid
    registry.save_to_lake(lake, s.keys.registry)
    return {"sent": sent, "invalid": invalid}


def publish_bad_messages(bootstrap: str) -> int:
    """Two messages a careless or hostile sender might produce: the DLQ must catch both."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    bad = [
        ("feeds.person.FRA", b"{not json"),
        (
            "feeds.person.FRA",
            json.dumps(
                {
                    "message_id": "00000000-0000-4000-8000-000000000000",
                    "feed": "person",
                    "source_country": "DEU",
                    "record_id": "spoof-1",
                }
            ).encode(),
        ),
    ]
    for topic, value in bad:
        producer.send(topic, key=b"bad", value=value)
    producer.flush()
    producer.close()
    return len(bad)


def run_demo(*, seed: int = 7, persons: int = 120) -> dict[str, Any]:
    from infra.broker import EmbeddedBroker
    from interlink.airflow_runner import run_dag
    from interlink.pipeline import warm_up
    from interlink.preflight import preflight, summary_line
    from streams.simulate import write_feeds

    t0 = time.perf_counter()
    s = demo_settings()
    reset_world(s)
    home = Path(s.home)
    typer.echo(f"demo world: {home}")
    feeds_dir = home / "feeds"
    write_feeds(feeds_dir, seed=seed, persons=persons, countries=list(DEMO_COUNTRIES))
    broker = EmbeddedBroker(state_dir=s.state_dir, storage="memory://tansu/")
    bootstrap = broker.start()
    os.environ["INTERLINK_BROKER__BOOTSTRAP_SERVERS"] = bootstrap
    os.environ["INTERLINK_BROKER__KIND"] = "tansu"  # the embedded one, whatever the shell says
    s = Settings()
    try:
        typer.echo(f"embedded broker on {bootstrap}")
        published = publish_world(s, bootstrap, feeds_dir)
        publish_bad_messages(bootstrap)
        typer.echo(f"published {sum(published['sent'].values())} messages (+2 malformed ones)")
        typer.echo(summary_line(preflight(s)))
        results = run_dag(
            "interlink_pipeline",
            airflow_home=s.airflow.home,
            conf={"full": False},
            warm_up=functools.partial(warm_up, s),
        )
    finally:
        broker.stop()
    print_summary(s, results, published=published, seconds=time.perf_counter() - t0)
    return results


def print_summary(
    s: Settings,
    results: dict[str, Any],
    *,
    published: dict[str, Any] | None = None,
    seconds: float | None = None,
) -> None:
    ingest = results.get("ingest") or {}
    validate = results.get("validate") or {}
    resolve = results.get("resolve") or {}
    gold = resolve.get("gold") or {}
    load = results.get("load") or {}
    typer.echo("")
    typer.echo("== Interlink run summary ==")
    per_country = ingest.get("per_country") or {}
    if per_country:
        typer.echo("records landed per country:")
        for country, n in sorted(per_country.items()):
            typer.echo(f"  {country}: {n}")
    typer.echo(
        f"accepted: {ingest.get('accepted', 0)}  "
        f"rejected (dead-letter): {ingest.get('rejected', 0)}"
    )
    for reason, n in sorted((ingest.get("per_reason") or {}).items()):
        typer.echo(f"  rejected {n} × {reason}")
    typer.echo(
        f"batches validated: {validate.get('validated', 0)}, "
        f"quarantined: {len(validate.get('quarantined') or [])}"
    )
    for key in (
        "records",
        "entities",
        "cross_country_entities",
        "pairs",
        "networks",
        "document_alerts",
        "notice_hits",
        "case_links",
    ):
        if key in gold:
            typer.echo(f"{key.replace('_', ' ')}: {gold[key]}")
    typer.echo(f"warehouse: {redact(s.warehouse.url)}")
    if load:
        tables = load.get("tables") or {}
        if tables:
            typer.echo(
                "warehouse tables: " + ", ".join(f"{k}={v}" for k, v in sorted(tables.items()))
            )
    if results.get("report"):
        typer.echo(f"run report: {results['report']}")
    if validate.get("data_docs"):
        typer.echo(f"GX Data Docs: {validate['data_docs']}")
    stages = [
        f"{name} {results[name]['seconds']:.0f}s"
        for name in ("ingest", "validate", "resolve", "load")
        if isinstance(results.get(name), dict) and "seconds" in results[name]
    ]
    if stages:
        typer.echo("stage wall times: " + ", ".join(stages))
    if seconds is not None:
        typer.echo(f"done in {seconds:.0f}s")
