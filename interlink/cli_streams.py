"""Streams commands: `publish`, `ingest`, `keys create|register|list|revoke`, `receipts`,
`dlq list|replay`.

Mounted at the top level of `interlink`. Settings give the broker, the lake and the key locations;
options override them per call. Errors a user can meet print one line and exit 2; `publish` exits
1 when any record was invalid.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from interlink.cli_errors import guard
from interlink.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
keys_app = typer.Typer(help="Ed25519 keys that sign each country's feeds.", no_args_is_help=True)
dlq_app = typer.Typer(help="The dead-letter topic feeds.dlq.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(dlq_app, name="dlq")

F = TypeVar("F", bound=Callable[..., Any])


def _kafka_errors(func: F) -> F:
    """A broker that does not answer is a user's problem too: one line and exit code 2.

    (Interlink's own typed errors are handled for every command by `guard(app)` below.)
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

        try:
            return func(*args, **kwargs)
        except (KafkaConnectionError, KafkaTimeoutError):
            typer.echo(
                "interlink: the broker does not answer: start it with `interlink broker start` "
                "or check INTERLINK_BROKER__BOOTSTRAP_SERVERS",
                err=True,
            )
            raise typer.Exit(2) from None
        except KafkaError as exc:
            typer.echo(f"interlink: Kafka error {exc!r}: check the broker and retry", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _bootstrap(s: Settings, override: str | None) -> str:
    from infra.broker import resolve_bootstrap

    return override or resolve_bootstrap(s.broker.bootstrap_servers, s.state_dir)


def _lake(s: Settings) -> Any:
    from infra.lake import Lake

    return Lake(s.lake.root, s3_endpoint_url=s.lake.s3_endpoint_url)


def _iso3(country: str) -> str:
    from contracts import normalise_country
    from streams.errors import StreamsError

    code = normalise_country(country, icao_extras=False)
    if code is None:
        raise StreamsError(f"{country!r} is not an ISO 3166-1 country code (e.g. FRA or FR)")
    return code


# -- publish ------------------------------------------------------------------------------------
def _parse_delete(item: str) -> tuple[str, int]:
    """`RECORD_ID` or `RECORD_ID@VERSION` (identifiers cannot contain @)."""
    from streams.errors import StreamsError

    record_id, _, version = item.partition("@")
    if not version:
        # Above any counter a source keeps, so the delete supersedes every earlier version.
        return record_id, int(time.time())
    if not version.isdigit() or int(version) < 1:
        raise StreamsError(f"--delete {item!r}: the version after @ must be a positive integer")
    return record_id, int(version)


@app.command("publish")
@_kafka_errors
def publish(
    country: Annotated[str, typer.Option(help="Your country (ISO3 or alpha-2).")],
    feed: Annotated[str, typer.Option(help="person | travel_document | case | notice.")],
    file: Annotated[
        Path | None, typer.Argument(help="JSON Lines, JSON array or CSV file of records.")
    ] = None,
    delete: Annotated[
        list[str] | None,
        typer.Option(help="Delete RECORD_ID[@VERSION] (repeatable; version defaults to now)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate only; send nothing.")] = False,
    key: Annotated[
        Path | None, typer.Option(help="Private key (default: <keys dir>/<ISO3>.key).")
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="jsonl | json | csv (default: detect).")
    ] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Validate, sign and send a country's records to feeds.<feed>.<ISO3>."""
    from streams.errors import StreamsError
    from streams.keys import load_private_key, private_key_path
    from streams.publisher import FeedPublisher, PublishSummary, publish_deletes, publish_file

    s = load_settings()
    code = _iso3(country)
    if file is None and not delete:
        raise StreamsError("give a FILE to publish and/or --delete RECORD_ID")
    private = load_private_key(key or private_key_path(code, s.keys.private_dir))
    server = "dry-run" if dry_run else _bootstrap(s, bootstrap)
    publisher = FeedPublisher(
        server,
        code,
        private,
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        partitions=s.broker.partitions,
    )
    summaries: list[PublishSummary] = []
    with publisher:
        if file is not None:
            summaries.append(
                publish_file(
                    publisher, feed, file, dry_run=dry_run, progress=not as_json, fmt=file_format
                )
            )
        if delete:
            # Parsed as they are sent, so a malformed item stops the command where it stands.
            items = (_parse_delete(item) for item in delete)
            summaries.append(publish_deletes(publisher, feed, items, dry_run=dry_run))
    invalid = sum(x.invalid for x in summaries)
    if as_json:
        typer.echo(json.dumps([x.as_dict() for x in summaries], indent=2))
    else:
        for x in summaries:
            verb = "valid (dry run, nothing sent)" if x.dry_run else "sent"
            typer.echo(
                f"{x.path}: {x.sent} {verb}, {x.invalid} invalid, {x.seconds:.1f}s, "
                f"{x.records_per_s:.0f} records/s"
            )
            for failure in x.failures[:50]:
                where = f"line {failure.line}" if failure.line else failure.record_id
                typer.echo(f"  {where}: {failure.reason}", err=True)
            if len(x.failures) > 50:
                typer.echo(f"  … {len(x.failures) - 50} more invalid records", err=True)
    if invalid:
        raise typer.Exit(1)


# -- ingest -------------------------------------------------------------------------------------
@app.command("ingest")
@_kafka_errors
def ingest_command(
    until_idle: Annotated[
        float | None, typer.Option(help="Stop after this many seconds without a message.")
    ] = None,
    max_messages: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    group_id: Annotated[str | None, typer.Option(help="Consumer group.")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    topics: Annotated[
        str | None,
        typer.Option(help="Topic regex (default: every feed topic of every country)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No per-batch JSON log lines.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Check processes (default: settings, else one per core; 0: none)."),
    ] = None,
) -> None:
    """Land the feed topics into the lake's bronze layer (or the DLQ) until idle or SIGTERM."""
    from streams.ingest import ingest
    from streams.keys import KeyRegistry
    from streams.topics import FEED_TOPIC_PATTERN

    s = load_settings()
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("streams.ingest")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    lake = _lake(s)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    if not len(registry):
        typer.echo(
            f"interlink: warning: no public keys in {lake.uri(s.keys.registry)}: every message "
            "will be dead-lettered (register keys with `interlink keys register`)",
            err=True,
        )
    report = ingest(
        _bootstrap(s, bootstrap),
        lake,
        key_registry=registry,
        group_id=group_id or s.ingest.group_id,
        until_idle=until_idle,
        max_messages=max_messages,
        batch_max_messages=s.ingest.batch_max_messages,
        batch_max_bytes=s.ingest.batch_max_bytes,
        batch_max_seconds=s.ingest.batch_max_seconds,
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        topic_pattern=topics or FEED_TOPIC_PATTERN,
        workers=workers if workers is not None else s.ingest.workers,
    )
    typer.echo(json.dumps(report.as_dict(), indent=2))


# -- keys ---------------------------------------------------------------------------------------
@keys_app.command("create")
@_kafka_errors
def keys_create(
    country: Annotated[str, typer.Option(help="Country (ISO3 or alpha-2).")],
    keys_dir: Annotated[
        Path | None, typer.Option("--dir", help="Where to write (default: settings).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing key pair.")] = False,
    register: Annotated[
        bool, typer.Option(help="Also register the public key in the lake's registry.")
    ] = False,
) -> None:
    """Create a country's Ed25519 key pair (<ISO3>.key private, <ISO3>.pub public)."""
    from streams.keys import KeyRegistry, create_keypair

    s = load_settings()
    code = _iso3(country)
    private, public = create_keypair(code, keys_dir or Path(s.keys.private_dir), overwrite=force)
    typer.echo(f"private key: {private} (keep it secret)")
    typer.echo(f"public key:  {public} (send it to the Interlink operator)")
    if register:
        lake = _lake(s)
        registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
        registry.add_public_key_file(code, public)
        typer.echo(f"registered in {registry.save_to_lake(lake, s.keys.registry)}")


@keys_app.command("register")
@_kafka_errors
def keys_register(
    public_key: Annotated[Path, typer.Argument(help="The country's .pub file (base64 or PEM).")],
    country: Annotated[str, typer.Option(help="Country (ISO3 or alpha-2).")],
) -> None:
    """Trust a country's public key for ingest (replaces its previous key: rotation)."""
    from streams.keys import KeyRegistry

    s = load_settings()
    lake = _lake(s)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    kid = registry.add_public_key_file(_iso3(country), public_key)
    where = registry.save_to_lake(lake, s.keys.registry)
    typer.echo(f"registered {_iso3(country)} key {kid} in {where}")


@keys_app.command("list")
@_kafka_errors
def keys_list() -> None:
    """Countries whose public keys the ingest trusts, with each key's id (and revoked keys)."""
    from streams.keys import KeyRegistry

    s = load_settings()
    lake = _lake(s)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    for code in registry.countries:
        typer.echo(f"{code} {registry.key_id(code)}")
    for code in registry.revoked_countries:
        for entry in registry.revoked(code):
            typer.echo(
                f"{code} {entry['key_id']} revoked {entry['revoked_at']}: {entry.get('reason', '')}"
            )


@keys_app.command("revoke")
@_kafka_errors
def keys_revoke(
    country: Annotated[str, typer.Argument(help="Country (ISO3 or alpha-2).")],
    key_id: Annotated[str, typer.Argument(help="The key id `interlink keys list` shows.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit row).")],
) -> None:
    """Stop trusting a country's key: its messages go to the DLQ as signature.revoked_key."""
    from infra.audit import write_audit
    from streams.errors import StreamsError
    from streams.keys import KeyRegistry

    if not reason.strip():
        raise StreamsError("--reason is empty: say why the key is revoked (it is audited)")
    s = load_settings()
    lake = _lake(s)
    code = _iso3(country)
    registry = KeyRegistry.load_from_lake(lake, s.keys.registry)
    entry = registry.revoke(code, key_id, reason)
    registry.save_to_lake(lake, s.keys.registry)
    write_audit(
        lake,
        "key_revoke",
        reason,
        source_country=code,
        details={"key_id": entry["key_id"], "key": entry["key"], "registry": s.keys.registry},
    )
    typer.echo(
        f"revoked {code} key {entry['key_id']}: nothing {code} signs lands until it registers "
        "a new key (`interlink keys register`)"
    )


# -- receipts -----------------------------------------------------------------------------------
@app.command("receipts")
@_kafka_errors
def receipts(
    country: Annotated[str, typer.Option(help="Your country (ISO3 or alpha-2).")],
    status: Annotated[str | None, typer.Option(help="accepted | rejected | duplicate.")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """What happened to each message a country sent (accepted, or rejected with the reason)."""
    from streams.dlq import read_receipts

    s = load_settings()
    found = read_receipts(
        _bootstrap(s, bootstrap),
        _iso3(country),
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        status=status,
    )
    counts: dict[str, int] = {}
    for r in found:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
        elif r.get("status") == "rejected":
            typer.echo(
                f"rejected {r.get('message_id') or '-'} {r.get('topic')}+{r.get('partition')}+"
                f"{r.get('offset')}: {r.get('error_class')}: {r.get('reason')}"
            )
    if not as_json:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no receipts"
        typer.echo(f"{_iso3(country)}: {summary}")


# -- dlq ----------------------------------------------------------------------------------------
@dlq_app.command("list")
@_kafka_errors
def dlq_list(
    country: Annotated[str | None, typer.Option(help="Only this source country.")] = None,
    reason: Annotated[
        str | None, typer.Option(help="Only this error class (prefix, e.g. signature).")
    ] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Dead letters with their source, error class and reason, oldest first; those of a record
    the lake erased are flagged (they are never replayed)."""
    from streams.dlq import list_dlq
    from streams.ingest.erased import ErasedIndex

    s = load_settings()
    letters = list_dlq(
        _bootstrap(s, bootstrap),
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        country=_iso3(country) if country else None,
        error_class=reason,
        erased=ErasedIndex(_lake(s)),
    )
    counts: dict[str, int] = {}
    for x in letters:
        counts[x.error_class or "?"] = counts.get(x.error_class or "?", 0) + 1
        if as_json:
            typer.echo(json.dumps(x.as_dict(), ensure_ascii=False))
        else:
            mark = " (replayed)" if x.replayed else ""
            if x.erased:
                mark += f" (ERASED: {x.record_id} erased up to v{x.erased_upto}; never replayed)"
            typer.echo(
                f"{x.dlq_partition}+{x.dlq_offset} {x.topic}+{x.partition}+{x.offset} "
                f"{x.error_class}: {x.reason}{mark}"
            )
    if not as_json:
        erased = sum(1 for x in letters if x.erased)
        typer.echo(
            f"{len(letters)} dead letters"
            + (": " + ", ".join(f"{n} × {k}" for k, n in sorted(counts.items())) if counts else "")
            + (
                f"; {erased} of erased records (kept until the DLQ's retention deletes them)"
                if erased
                else ""
            )
        )


@dlq_app.command("replay")
@_kafka_errors
def dlq_replay(
    country: Annotated[str | None, typer.Option(help="Only this source country.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this error class (prefix).")] = None,
    at: Annotated[
        list[str] | None,
        typer.Option("--at", help="Only this DLQ entry, PARTITION+OFFSET (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replay entries replayed before too.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Show what would be replayed.")] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
) -> None:
    """Republish dead letters to their source topics after the cause was fixed. A dead letter
    of a record the lake erased is refused, even with --force (audited in the lake)."""
    from infra.audit import write_audit
    from streams.dlq import replay_dlq
    from streams.errors import StreamsError
    from streams.ingest.erased import ErasedIndex

    s = load_settings()
    lake = _lake(s)
    offsets = None
    if at:
        offsets = set()
        for item in at:
            part, _, off = item.partition("+")
            if not (part.isdigit() and off.isdigit()):
                raise StreamsError(f"--at {item!r}: use PARTITION+OFFSET as `dlq list` shows")
            offsets.add((int(part), int(off)))
    result = replay_dlq(
        _bootstrap(s, bootstrap),
        client_options=s.broker.client_options(),
        broker=s.broker.traits(),
        country=_iso3(country) if country else None,
        error_class=reason,
        dlq_offsets=offsets,
        force=force,
        dry_run=dry_run,
        erased=ErasedIndex(lake),
    )
    verb = "would replay" if dry_run else "replayed"
    for x in result.replayed:
        typer.echo(f"{verb} {x.dlq_partition}+{x.dlq_offset} -> {x.topic} ({x.error_class})")
    for x in result.refused_erased:
        typer.echo(
            f"refused {x.dlq_partition}+{x.dlq_offset} -> {x.topic}: {x.feed} record "
            f"{x.record_id} v{x.record_version} was erased (up to v{x.erased_upto}); a dead "
            "letter never brings an erased record back",
            err=True,
        )
    if result.refused_erased and not dry_run:
        write_audit(
            lake,
            "dlq_replay_refused",
            "dead letters of erased records refused by dlq replay",
            details={
                "dead_letters": [
                    {
                        "dlq": f"{x.dlq_partition}+{x.dlq_offset}",
                        "topic": x.topic,
                        "record_id": x.record_id,
                        "record_version": x.record_version,
                        "erased_upto": x.erased_upto,
                    }
                    for x in result.refused_erased
                ],
                "forced": force,
            },
        )
    typer.echo(
        f"{verb} {len(result.replayed)}; skipped {result.skipped_already_replayed} already "
        f"replayed (use --force), {result.skipped_no_source} without a source topic, "
        f"{result.skipped_truncated} truncated; refused {len(result.refused_erased)} of erased "
        "records"
    )


guard(app)
