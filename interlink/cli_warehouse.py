"""`interlink warehouse …`: migrate, load, purge expired records, retention notices, recipients.

Mounted by `interlink.cli` as the `warehouse` group. The warehouse URL and the lake come from the
settings (`INTERLINK_WAREHOUSE__URL`, `INTERLINK_LAKE__ROOT`) unless given. User errors print one
line on stderr and exit 2; no tracebacks.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from interlink.cli_errors import guard

app = typer.Typer(
    help="The curated warehouse (DuckDB or PostgreSQL): migrations, loads, retention, recipients.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Warehouse URL (default: INTERLINK_WAREHOUSE__URL)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _settings_url(url: str | None) -> str:
    if url:
        return url
    from interlink.settings import load_settings

    return load_settings().warehouse.url


def _lake() -> Any:
    from interlink.pipeline import lake_of
    from interlink.settings import load_settings

    return lake_of(load_settings())


def _day(value: str | None) -> date:
    if value is None:
        from datetime import UTC, datetime

        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(
            f"interlink warehouse: --today {value!r} is not a date: use YYYY-MM-DD", err=True
        )
        raise typer.Exit(2) from None


@app.command("migrate")
def migrate_cmd(url: UrlOption = None) -> None:
    """Apply the numbered migrations not applied yet (safe to repeat)."""
    from infra.warehouse import migrate

    target = _settings_url(url)
    applied = migrate(target)
    typer.echo(f"applied: {', '.join(applied)}" if applied else "up to date")


@app.command("load")
def load_cmd(
    full: Annotated[
        bool, typer.Option("--full", help="Reload every row, not only changes.")
    ] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load silver and gold from the lake in one transaction (migrating first)."""
    from infra.warehouse import load, migrate

    target = _settings_url(url)
    lake = _lake()
    migrate(target)
    report = load(target, lake, full=full)
    d = report.as_dict()
    if as_json:
        typer.echo(json.dumps(d, indent=2, default=str))
        return
    if "*" in d["skipped"]:
        typer.echo(f"nothing to load: {d['skipped']['*']}")
        return
    typer.echo(f"load {d['load_id']} ({'full' if full else 'incremental'}) in {d['seconds']}s")
    for name, rows in d["tables"].items():
        m = d["moved"].get(name)
        moved = f"+{m['inserted']} ~{m['updated']} -{m['deleted']}" if m else "skipped"
        if d["rejected"].get(name):
            moved += f" !{d['rejected'][name]} rejected"
        typer.echo(f"  {name:<20} {rows:>8} rows  {moved}")
    if d["rejected"]:
        typer.echo(
            f"rows the warehouse cannot store, set aside in interlink.rejected_rows: "
            f"{sum(d['rejected'].values())} (the rest loaded; their sources must resend them)"
        )
    if d["source_deletes"]:
        typer.echo(f"source deletions applied and audited: {d['source_deletes']}")
    for name, notes in d["notes"].items():
        for note in notes:
            typer.echo(f"note: {name}: {note}")


@app.command("purge-expired")
def purge_cmd(
    today: Annotated[str | None, typer.Option(help="Date to purge as of (YYYY-MM-DD).")] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove records past review-by from every table and the lake; audit each."""
    from infra.warehouse import purge_expired

    target = _settings_url(url)
    day = _day(today)
    lake = _lake()
    report = purge_expired(target, lake, today=day)
    d = report.as_dict()
    if as_json:
        typer.echo(json.dumps(d, indent=2, default=str))
        return
    typer.echo(f"purged {d['purged_records']} records as of {d['today']}")
    for p in d["purged"]:
        typer.echo(f"  {p['record_key']} (review_by {p['review_by']})")
    typer.echo(
        f"lake: {len(d['lake_files_rewritten'])} files rewritten, "
        f"{len(d['lake_files_deleted'])} deleted, {d['lake_rows_removed']} rows removed"
    )


@app.command("retention-report")
def retention_cmd(
    today: Annotated[str | None, typer.Option(help="Date of the report (YYYY-MM-DD).")] = None,
    months: Annotated[int, typer.Option(help="Months ahead to look.")] = 6,
    write_notices: Annotated[
        bool, typer.Option(help="Write one JSON notice per country to the lake.")
    ] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Records reaching their review-by date within the next months, per source country."""
    from infra.warehouse import retention_report

    target = _settings_url(url)
    day = _day(today)
    lake = _lake() if write_notices else None
    report = retention_report(target, today=day, months_ahead=months, lake=lake)
    d = report.as_dict()
    if as_json:
        typer.echo(json.dumps(d, indent=2, default=str))
        return
    typer.echo(f"{d['records']} records reach review-by between {d['today']} and {d['until']}")
    for country, n in d["per_country"].items():
        typer.echo(f"  {country}: {n}")
    for path in d["notices"]:
        typer.echo(f"notice: {path}")


@app.command("grant-recipient")
def grant_cmd(
    role: Annotated[str, typer.Argument(help="Role name: a country (DEU) or a network (HTEG).")],
    scope: Annotated[
        str | None, typer.Option(help="Country or network it reads as (default: ROLE).")
    ] = None,
    network: Annotated[
        list[str] | None,
        typer.Option("--network", help="A network the country belongs to (repeatable)."),
    ] = None,
    victim_access: Annotated[
        bool, typer.Option("--victim-access", help="May see victims' identities.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Create or update a recipient role under row-level security (PostgreSQL only)."""
    from infra.warehouse import grant_recipient

    target = _settings_url(url)
    result = grant_recipient(
        target, role, scope=scope, networks=network, victim_access=victim_access
    )
    nets = ", ".join(result["networks"]) or "none"  # type: ignore[arg-type]
    typer.echo(
        f"recipient {result['role']} reads as {result['scope']} (networks: {nets}; "
        f"victim access: {'yes' if victim_access else 'no'})"
    )


guard(app)
