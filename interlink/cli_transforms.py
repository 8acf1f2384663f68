"""`interlink resolve` and `interlink explain`: entity resolution from the command line.

Mounted flat by `interlink.cli`. User errors (missing file, bad line, unknown entity) print one
line and exit 2; tracebacks are for bugs only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from interlink.cli_errors import guard

app = typer.Typer(
    help="Entity resolution: resolve a person file, explain an entity.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _spark():  # type: ignore[no-untyped-def]
    from interlink.settings import load_settings
    from interlink.spark import session_for

    return session_for(load_settings(), "interlink-resolve")


@app.command("resolve")
def resolve(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            help="JSON Lines: one person payload per line plus source_country and record_id.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", help="Directory for entities.parquet and pairs.parquet.")
    ],
    threshold: Annotated[
        float, typer.Option(help="Match probability a pair needs to be accepted.")
    ] = 0.95,
) -> None:
    """Resolve the persons of a file into entities, with the reasons behind each pair."""
    from transforms.persons import ResolutionConfig
    from transforms.resolve import resolve_file

    if not input.is_file():
        typer.echo(f"error: input file {input} does not exist", err=True)
        raise typer.Exit(2)
    if not 0.5 <= threshold < 1:
        typer.echo(f"error: --threshold {threshold} must be in [0.5, 1)", err=True)
        raise typer.Exit(2)

    def progress(phase: str, seconds: float | None) -> None:
        # On stderr, so stdout stays the one JSON summary a script reads.
        if seconds is None:
            typer.echo(f"resolve: {phase} …", err=True)
        else:
            typer.echo(f"resolve: {phase} done in {seconds:.1f} s", err=True)

    summary = resolve_file(
        _spark(),
        str(input),
        str(output),
        config=ResolutionConfig(threshold=threshold),
        progress=progress,
    )
    typer.echo(json.dumps(summary))


@app.command("explain")
def explain(
    entity_id: Annotated[str, typer.Argument(help="An entity id from gold/person_entities.")],
    lake: Annotated[
        str | None,
        typer.Option("--lake", help="Lake root (default: the configured lake)."),
    ] = None,
) -> None:
    """Explain why the records of an entity are one person: pairs, field contributions, history."""
    from infra.lake import Lake
    from interlink.settings import load_settings
    from interlink.spark import session_for
    from transforms.explain import explain_entity

    s = load_settings()
    if lake:
        s = s.model_copy(update={"lake": s.lake.model_copy(update={"root": lake})})
    # Spark reads gold where it is (s3a:// for an s3:// lake): nothing is copied first.
    where = Lake(lake or s.lake.root, s3_endpoint_url=s.lake.s3_endpoint_url)
    if not where.is_s3 and not Path(where.root).exists():
        typer.echo(
            f"error: lake root {where.root} does not exist: pass --lake or run the pipeline",
            err=True,
        )
        raise typer.Exit(2)
    text = explain_entity(session_for(s, "interlink-explain"), where, entity_id)
    typer.echo(text)


guard(app)
