"""`interlink`: the operator's and the publisher's command line.

Errors a user can meet (no Java, a port in use, no broker, an unreachable warehouse, a bad file)
print one line naming the cause and the fix and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from interlink.cli_errors import USER_ERRORS, guard, user_message
from interlink.settings import load_settings

app = typer.Typer(
    name="interlink",
    help="Police-cooperation intelligence: feeds → lake → contracts → entities → warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
broker_app = typer.Typer(help="The embedded Kafka-protocol broker (Tansu).", no_args_is_help=True)
app.add_typer(broker_app, name="broker")


def _mount(module: str, *, name: str | None = None, flatten: bool = False) -> None:
    """Attach a sub-app of this repository; a sub-command that does not import fails the CLI
    loudly (a broken command must not silently disappear from `interlink --help`)."""
    sub = importlib.import_module(module).app
    if flatten:
        for command in sub.registered_commands:
            app.registered_commands.append(command)
        for group in sub.registered_groups:
            app.registered_groups.append(group)
    else:
        app.add_typer(sub, name=name)


# -- broker ---------------------------------------------------------------------------------
@broker_app.command("start")
def broker_start(
    port: Annotated[int | None, typer.Option(help="Port (default: a free loopback port).")] = None,
    storage: Annotated[
        str | None, typer.Option(help="memory://tansu/ or s3://bucket/ (needs AWS_* env).")
    ] = None,
) -> None:
    """Start the embedded broker in the background and print its bootstrap address."""
    from infra.broker import EmbeddedBroker, running_broker

    s = load_settings()
    existing = running_broker(s.state_dir)
    if existing is not None:
        typer.echo(f"broker already running on {existing.url} (pid {existing.pid})")
        return
    broker = EmbeddedBroker(
        state_dir=s.state_dir,
        port=port or s.broker.embedded_port,
        storage=storage or s.broker.embedded_storage,
    )
    bootstrap = broker.start()
    # Detach: the broker outlives this command until `interlink broker stop`.
    broker.process = None
    typer.echo(
        f"broker running on {bootstrap} (storage {broker.storage}); "
        "stop with `interlink broker stop`"
    )


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the embedded broker started by `interlink broker start`."""
    from infra.broker import stop_running_broker

    if stop_running_broker(load_settings().state_dir):
        typer.echo("broker stopped")
    else:
        typer.echo("no embedded broker was running")


@broker_app.command("status")
def broker_status() -> None:
    """Say whether a broker answers, and where (exit 1 when none does)."""
    from infra.broker import metadata_answers, running_broker

    s = load_settings()
    if s.broker.bootstrap_servers:
        ok = metadata_answers(s.broker.bootstrap_servers, client_options=s.broker.client_options())
        typer.echo(
            f"cluster {s.broker.bootstrap_servers}: {'answering' if ok else 'NOT answering'}"
        )
        raise typer.Exit(0 if ok else 1)
    state = running_broker(s.state_dir)
    if state is None:
        typer.echo("no embedded broker running (start one with `interlink broker start`)")
        raise typer.Exit(1)
    ok = metadata_answers(state.url)
    typer.echo(
        f"embedded broker pid {state.pid} on {state.url} ({state.extra.get('storage')}): "
        f"{'answering' if ok else 'NOT answering'}"
    )
    raise typer.Exit(0 if ok else 1)


@app.command("preflight")
def preflight_command() -> None:
    """Check the broker, lake, warehouse and Spark (Java) as a run would; one line each, exit 1
    if any fails. `interlink run` and `interlink demo` run the same checks first."""
    from infra.errors import redact
    from interlink.preflight import run_checks

    results = run_checks(load_settings())
    for r in results:
        # Whatever a check said, a URL in it keeps its password out of the output.
        line = f"ok    {r.name}: {r.detail}" if r.ok else f"FAIL  {r.name}: {r.error}"
        typer.echo(redact(line))
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


app.command("doctor", hidden=True, help="The former name of `interlink preflight`.")(
    preflight_command
)


# -- pipeline -------------------------------------------------------------------------------
@app.command("run")
def run(
    full: Annotated[
        bool, typer.Option(help="Rebuild entities and reload the warehouse fully.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the step results as JSON.")
    ] = False,
) -> None:
    """Run the whole pipeline once (the interlink_pipeline DAG, in-process with dag.test()),
    after a preflight of the broker, lake, warehouse and Spark; progress goes to stderr."""
    from interlink.airflow_runner import run_dag
    from interlink.pipeline import warm_up
    from interlink.preflight import preflight, summary_line

    s = load_settings()
    typer.echo(summary_line(preflight(s)), err=True)
    # Every run of this DAG resolves, so the Spark session warmed up during ingest is used.
    results = run_dag(
        "interlink_pipeline",
        airflow_home=s.airflow.home,
        conf={"full": full},
        warm_up=functools.partial(warm_up, s),
    )
    if as_json:
        typer.echo(json.dumps(results, indent=2, default=str))
    else:
        from interlink.demo import print_summary

        print_summary(s, results)


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated sample.")] = 7,
    persons: Annotated[int, typer.Option(help="True persons in the generated world.")] = 120,
) -> None:
    """Set up a demo world and run the pipeline on the embedded broker, lake and DuckDB."""
    from interlink.demo import run_demo

    run_demo(seed=seed, persons=persons)


_mount("interlink.cli_contracts", name="contracts")
_mount("interlink.cli_streams", flatten=True)
_mount("interlink.cli_transforms", flatten=True)
_mount("interlink.cli_simulate", flatten=True)
_mount("interlink.cli_warehouse", name="warehouse")
_mount("interlink.cli_quality", name="quality")
_mount("interlink.cli_airflow", name="airflow")


guard(app)


def main() -> None:
    """Console entry point: typed user errors become one line on stderr and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except USER_ERRORS as exc:  # raised outside a command (settings, mounting): same one line
        typer.echo(user_message(exc), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interlink: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

__all__ = ["Path", "app", "main"]
