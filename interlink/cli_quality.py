"""`interlink quality list|release`: the quarantined batches, and releasing one an operator judged
sound back to the validated path (audited in the lake's `audit/`).

Mounted as `interlink quality`. The procedure is docs/operations.md's ("Releasing a quarantined
batch").
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from interlink.cli_errors import guard
from interlink.settings import load_settings

app = typer.Typer(
    help="Great Expectations' quarantine: list and release batches.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _lake():  # type: ignore[no-untyped-def]
    from infra.lake import Lake

    s = load_settings()
    return Lake(s.lake.root, s3_endpoint_url=s.lake.s3_endpoint_url)


@app.command("list")
def quality_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The quarantined batches: id, feed, country, files and the expectations that failed."""
    from transforms.quarantine import quarantined_batches

    batches = quarantined_batches(_lake())
    for b in batches:
        if as_json:
            typer.echo(json.dumps(b, ensure_ascii=False))
        else:
            failed = "; ".join(b["failed"]) or "(no result kept)"
            typer.echo(f"{b['batch']} {b['feed']} {b['country']} {len(b['files'])} files: {failed}")
    if not as_json:
        typer.echo(f"{len(batches)} quarantined batches")


@app.command("release")
def quality_release(
    batch: Annotated[str, typer.Argument(help="The batch id `interlink quality list` shows.")],
    reason: Annotated[str, typer.Option(help="Why it may be released (kept in the audit row).")],
) -> None:
    """Move a quarantined batch back to bronze; the next run takes it into silver and gold."""
    from transforms.quarantine import release_batch

    done = release_batch(_lake(), batch, reason)
    typer.echo(
        f"released {done['batch']}: {len(done['files'])} files back in bronze "
        f"(audit {done['audit_id']}); the next `interlink run` takes them into silver and gold"
    )


guard(app)
