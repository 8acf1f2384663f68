"""`interlink simulate`: generate a deterministic multi-country world of feeds with its truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interlink.cli_errors import guard
from streams.simulate import resolve_input, write_feeds

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.command("simulate")
def simulate(
    out: Annotated[Path, typer.Option(help="Output directory (feeds, truth, resolve input).")],
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes the same bytes.")] = 7,
    persons: Annotated[int, typer.Option(help="Number of true persons in the world.")] = 500,
    countries: Annotated[
        str, typer.Option(help="Reporting member countries, ISO3, comma-separated.")
    ] = "FRA,DEU,ITA,ESP,GRC",
    cross_script: Annotated[
        bool,
        typer.Option(
            "--cross-script/--no-cross-script",
            help="Let some countries write names in Cyrillic, Arabic or Greek script.",
        ),
    ] = True,
    update_rate: Annotated[
        float, typer.Option(help="Share of records updated later (higher record_version).")
    ] = 0.05,
    delete_rate: Annotated[
        float, typer.Option(help="Share of records withdrawn later (operation delete).")
    ] = 0.02,
    overwrite: Annotated[
        bool, typer.Option(help="Replace feeds and truth already in the output directory.")
    ] = False,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve-input/--no-resolve-input",
            help="Also write persons_resolve.jsonl (latest person versions, no deletes).",
        ),
    ] = True,
) -> None:
    """Write <out>/<feed>/<ISO3>.jsonl for `interlink publish` and the truth under <out>/truth/."""
    for name, rate in (("update-rate", update_rate), ("delete-rate", delete_rate)):
        if not 0.0 <= rate <= 1.0:
            typer.echo(f"error: --{name} must be between 0 and 1, got {rate}", err=True)
            raise typer.Exit(code=2)
    summary = write_feeds(
        out, seed, persons, countries, cross_script=cross_script,
        update_rate=update_rate, delete_rate=delete_rate, overwrite=overwrite,
    )  # fmt: skip
    resolve_path = resolve_input(out) if resolve else None
    typer.echo(
        f"{summary.persons} true persons, {summary.person_records} person records, "
        f"{summary.total_messages} messages from {', '.join(summary.countries)} "
        f"in {summary.seconds:.1f} s ({summary.persons_per_second:,.0f} persons/s)"
    )
    for feed, per_country in summary.messages.items():
        counts = " ".join(f"{c}={n}" for c, n in per_country.items())
        typer.echo(f"  {feed:<16} {counts}")
    typer.echo(f"truth: {out / 'truth'}")
    if resolve_path is not None:
        typer.echo(f"resolve input: {resolve_path}")


guard(app)
