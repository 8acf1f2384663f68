"""`interlink contracts …`: check schema compatibility, validate a publisher's file, export.

Mounted by `interlink.cli` as the `contracts` group. User errors print one line and exit
non-zero; no tracebacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts import FEEDS, check_feed
from contracts.compat import check_all
from contracts.errors import short_repr
from contracts.export import ASYNCAPI_PATH, EXPORT_COMMAND, SCHEMAS_DIR, drift, export
from contracts.files import FORMATS, validate_file
from interlink.cli_errors import guard

app = typer.Typer(
    help="Feed contracts: JSON Schemas, compatibility, offline validation of publisher files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command("check")
def check(
    schemas_dir: Annotated[
        Path, typer.Option(help="Directory of <feed>/v<N>.json schema files.")
    ] = SCHEMAS_DIR,
) -> None:
    """Check schema compatibility across versions and that the files match the models.

    Every version is compared with all earlier ones of its feed (full transitive compatibility:
    only adding or dropping optional fields). Exit 1 on any problem.
    """
    problems = []
    if schemas_dir.resolve() == SCHEMAS_DIR:
        problems += [f"{p}: run `{EXPORT_COMMAND}` and commit the result" for p in drift()]
    problems += check_all(schemas_dir)
    if problems:
        for problem in problems:
            typer.echo(f"incompatible: {problem}", err=True)
        typer.echo(
            f"{len(problems)} contract problem(s): a new schema version may only add or drop "
            "optional fields; anything else needs a new feed or an agreed migration.",
            err=True,
        )
        raise typer.Exit(1)
    versions = sum(1 for _ in schemas_dir.glob("*/v*.json"))
    typer.echo(f"ok: {versions} schema files in {schemas_dir} are compatible and up to date")


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="JSON Lines, JSON array or CSV file.")],
    feed: Annotated[str, typer.Option(help=f"Feed of the records: {', '.join(FEEDS)}.")],
    version: Annotated[
        int | None, typer.Option(help="Payload schema version (default: the latest).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"{', '.join(FORMATS)} (default: from the extension)."),
    ] = None,
) -> None:
    """Validate a publisher's file offline, record by record, against the feed's contract.

    Records are bare payloads or whole envelopes. CSV columns are dotted payload paths
    (`primary_name.family`, `aliases.0.full`); list cells are `;`-separated or JSON.
    Prints each failure as FILE:LINE: field: value: reason (rule); exit 1 on any failure.
    """
    check_feed(feed)
    if fmt is not None and fmt not in FORMATS:
        typer.echo(f"error: unknown format {fmt!r}: choose one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    report = validate_file(file, feed, version=version, fmt=fmt)
    for record in report.failed:
        for failure in record.failures:
            where = failure.path or "<record>"
            value = "" if failure.value is None else f" {short_repr(failure.value)}:"
            reason = failure.message or failure.rule
            typer.echo(f"{file}:{record.line}: {where}:{value} {reason} ({failure.rule})")
    total, failed = len(report.records), len(report.failed)
    if total == 0:
        typer.echo(f"{file}: no records found ({report.format})", err=True)
        raise typer.Exit(1)
    if failed:
        typer.echo(f"{failed} of {total} {feed} records failed the contract", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {total} {feed} records valid ({report.format})")


@app.command("export")
def export_cmd(
    schemas_dir: Annotated[Path, typer.Option(help="Where to write the schemas.")] = SCHEMAS_DIR,
    asyncapi: Annotated[Path, typer.Option(help="Where to write AsyncAPI.")] = ASYNCAPI_PATH,
) -> None:
    """Regenerate the JSON Schemas and the AsyncAPI document from the pydantic models.

    Writes contracts/schemas/<feed>/v<N>.json, contracts/schemas/envelope/v1.json and
    contracts/asyncapi.yaml; commit them (a test fails while they are stale).
    """
    for path in export(schemas_dir, asyncapi):
        typer.echo(f"wrote {path}")


guard(app)
