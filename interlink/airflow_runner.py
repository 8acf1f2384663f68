"""Run our DAGs in-process with `dag.test()` (demo, `interlink run`, tests).

Airflow reads AIRFLOW_HOME and its config at import time, so this module sets the environment
before the first `import airflow` and keeps the metadata database (SQLite) under the configured
Airflow home. An operator who wants the UI runs the same DAG folder under `airflow standalone`
(`make airflow`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contracts.errors import InterlinkError

_PACKAGED_DAGS = Path(__file__).resolve().parent / "dags"
"""Where the wheel puts the DAG folder (pyproject: force-include dags -> interlink/dags)."""
DAGS_FOLDER = (
    _PACKAGED_DAGS if _PACKAGED_DAGS.is_dir() else Path(__file__).resolve().parent.parent / "dags"
)
"""The DAG folder: inside the installed package, else the checkout's top-level dags/."""


class DagRunFailed(InterlinkError, RuntimeError):
    """A DAG run ended in a state other than success."""


class AirflowHomeConflict(InterlinkError, RuntimeError):
    """Airflow was imported in this process under another home than the run's."""


def airflow_env(
    airflow_home: str | Path, base: Mapping[str, str], *, quiet: bool = True
) -> dict[str, str]:
    """`base` with Airflow pointed at our DAG folder and a private home (SQLite metadata unless
    the environment names another database)."""
    home = Path(airflow_home).resolve()
    env = dict(base)
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    env.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    if quiet:
        env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    return env


def configure_airflow_env(airflow_home: str | Path, *, quiet: bool = True) -> Path:
    """Point Airflow at our DAG folder and a private home; must run before importing airflow."""
    home = Path(airflow_home).resolve()
    bound = _bound_home()
    if bound is not None and bound != home:
        # Airflow fixes its home and metadata database when first imported; a run now would
        # write another home's database and sync another DAG folder ("dag is not serialized").
        raise AirflowHomeConflict(
            f"Airflow was already imported in this process with home {bound}, not {home}",
            hint="import Airflow only after configure_airflow_env (or run in a fresh process)",
        )
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_env(home, os.environ, quiet=quiet))
    return home


def _bound_home() -> Path | None:
    """The home Airflow took when first imported in this process, or None if not imported yet."""
    configuration = sys.modules.get("airflow.configuration")
    home = getattr(configuration, "AIRFLOW_HOME", None)
    return Path(home).resolve() if home else None


def ensure_metadata_db() -> None:
    """Create the SQLite metadata tables once (a no-op when they exist)."""
    from airflow.utils import db

    marker = Path(os.environ["AIRFLOW_HOME"]) / ".interlink-db-ready"
    if marker.exists():
        return
    with _quiet():
        db.initdb()
    marker.touch()


def load_dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        first = next(iter(bag.import_errors.items()))
        raise DagRunFailed(f"DAG folder has import errors: {first[0]}: {first[1]}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise DagRunFailed(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return dag


def run_dag(
    dag_id: str,
    *,
    airflow_home: str | Path,
    conf: dict[str, Any] | None = None,
    log_file: Path | None = None,
    warm_up: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Run one DAG with dag.test(); return {task_id: xcom return value}; raise when it fails.

    Airflow's task logs go to log_file; the terminal (stderr) gets a progress line as each task
    starts and ends (`interlink.progress`). A failed run names the task that failed and its
    error line, and the log file. `warm_up` runs in a background thread while the first tasks
    do (`interlink.pipeline.warm_up`: what later tasks of this process will need); its output
    goes to the log file too, and a failure there is only logged: the task that needs what it
    prepared meets the error again, as its own.
    """
    configure_airflow_env(airflow_home)
    ensure_metadata_db()
    from interlink.progress import ProgressPrinter
    from interlink.task_listener import listening  # imports airflow: after the env

    dag = load_dag(dag_id)
    log_file = log_file or Path(os.environ["AIRFLOW_HOME"]) / "logs" / f"{dag_id}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # The terminal as it is before the redirect below sends fds 1 and 2 to the log file.
    sys.stderr.flush()
    with (
        open(log_file, "a") as sink,
        os.fdopen(os.dup(2), "w", buffering=1) as terminal,
        listening(ProgressPrinter(terminal)) as listener,
        _redirect(sink),
    ):
        warming = _start(warm_up)
        dag_run = dag.test(run_conf=conf or None)
        if warming is not None:
            warming.join()
    state = str(getattr(dag_run, "state", "unknown"))
    if not state.endswith("success"):
        raise run_failure(dag_id, dag_run, listener.errors, log_file)
    return _xcoms(dag_run)


def _start(warm_up: Callable[[], object] | None) -> threading.Thread | None:
    if warm_up is None:
        return None

    def run() -> None:
        try:
            warm_up()
        except Exception:
            logging.getLogger(__name__).warning("warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def run_failure(dag_id: str, dag_run: Any, errors: dict[str, str], log_file: Path) -> DagRunFailed:
    """The error of a failed run: each task that failed with its error line; the tasks Airflow
    did not run because of it (`upstream_failed`) only in the hint, as consequences."""
    states = {ti.task_id: ti.state for ti in sorted(dag_run.get_task_instances(), key=_id)}
    failed = [t for t, st in states.items() if st == "failed"]
    not_run = [t for t, st in states.items() if st == "upstream_failed"]
    what = "; ".join(f"task {t} failed: {errors.get(t, 'no error recorded')}" for t in failed)
    hint = f"task logs: {log_file}"
    if not_run:
        hint = f"not run because of it: {', '.join(not_run)}; {hint}"
    return DagRunFailed(f"DAG {dag_id}: {what or 'no task failed, yet the run did'}", hint=hint)


def _id(ti: Any) -> str:
    return str(ti.task_id)


def _xcoms(dag_run: Any) -> dict[str, Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    out: dict[str, Any] = {}
    with create_session() as session:
        rows = (
            session.query(XComModel)
            .filter(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id)
            .filter(XComModel.key == "return_value")
            .all()
        )
        for row in rows:
            out[row.task_id] = XComModel.deserialize_value(row)
    return out


@contextlib.contextmanager
def _redirect(sink: io.TextIOBase):  # type: ignore[no-untyped-def]
    """Send stdout/stderr (Python's and the file descriptors the Spark JVM writes to) and the
    root logger to sink for the duration."""
    root = logging.getLogger()
    old_handlers = root.handlers[:]
    handler = logging.StreamHandler(sink)
    root.handlers = [handler]
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        root.handlers = old_handlers


@contextlib.contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    with open(os.devnull, "w") as devnull, _redirect(devnull):  # type: ignore[arg-type]
        yield
