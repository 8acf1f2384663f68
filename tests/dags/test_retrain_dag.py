"""The daily retrain DAG: parsed from the DAG folder, daily, and its resolution feeds the load."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow


def test_daily_retrain_dag_retrains_and_updates_gold(airflow_home: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from interlink import pipeline
    from interlink.airflow_runner import DAGS_FOLDER
    from interlink.dag_factory import GOLD

    bag = DagBag(str(DAGS_FOLDER))
    assert bag.import_errors == {}
    dag = bag.dags["entities_retrain"]
    assert dag.schedule == "30 3 * * *"
    (task,) = dag.tasks
    assert {a.uri for a in task.outlets} == {GOLD.uri}
    assert task.retries >= 1 and task.execution_timeout is not None
    # The task's step is the resolution with the model retrained (`interlink run --full`).
    run = task.python_callable
    cells = dict(zip(run.__code__.co_freevars, run.__closure__ or (), strict=True))
    step = cells["step"].cell_contents
    assert step.func is pipeline.resolve_step and step.keywords == {"full": True}
    # The load follows a retrain as it follows any resolution.
    load = bag.dags["warehouse_load"].timetable.asset_condition
    assert GOLD.uri in {a.uri for a in load.objects}
