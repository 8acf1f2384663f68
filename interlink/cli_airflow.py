"""`interlink airflow start|stop|status`: `airflow standalone` on our DAG folder, in the background.

Mounted as `interlink airflow`; `make airflow` and `make airflow-stop` call it. The lifecycle, the
loopback UI and the sizing live in `interlink.airflow_standalone`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from interlink.cli_errors import guard
from interlink.settings import load_settings

app = typer.Typer(
    help="Airflow's scheduler and UI (`airflow standalone`) on the Interlink DAGs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command("start")
def start() -> None:
    """Start `airflow standalone` in the background; return once the UI answers."""
    from interlink.airflow_standalone import PASSWORD_FILE
    from interlink.airflow_standalone import start as start_standalone

    state = start_standalone(load_settings())
    typer.echo(
        f"Airflow UI on {state.url} (pid {state.pid}, log {state.log}); user admin, password in "
        f"{Path(state.extra['home']) / PASSWORD_FILE}; stop with `interlink airflow stop`"
    )


@app.command("stop")
def stop() -> None:
    """Stop every process `interlink airflow start` started."""
    from interlink.airflow_standalone import stop as stop_standalone

    ended = stop_standalone(load_settings())
    typer.echo(f"Airflow stopped ({len(ended)} processes)" if ended else "Airflow was not running")


@app.command("status")
def status() -> None:
    """Say whether the started Airflow runs and its UI answers (exit 1 when not)."""
    from infra.process import port_answers
    from interlink.airflow_standalone import running, started_processes

    state = running(load_settings())
    if state is None:
        typer.echo("Airflow is not running (start it with `interlink airflow start`)")
        raise typer.Exit(1)
    ok = port_answers(state.port, state.host, timeout=1.0)
    typer.echo(
        f"Airflow pid {state.pid}, {len(started_processes(state))} processes, UI {state.url}: "
        f"{'answering' if ok else 'NOT answering'}"
    )
    raise typer.Exit(0 if ok else 1)


guard(app)
