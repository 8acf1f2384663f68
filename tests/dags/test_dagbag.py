"""The DAG folder imports cleanly, stays light to parse, and wires the steps in order."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow


def test_dag_folder_has_no_import_errors_and_expected_dags(airflow_home: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from interlink.airflow_runner import DAGS_FOLDER

    t0 = time.perf_counter()
    bag = DagBag(str(DAGS_FOLDER))
    parse_seconds = time.perf_counter() - t0
    assert bag.import_errors == {}
    assert {
        "interlink_pipeline",
        "feeds_ingest",
        "contracts_validate",
        "entities_resolve",
        "warehouse_load",
        "quality_report",
        "retention_review",
    } <= set(bag.dag_ids)
    # Nothing heavy at import time: Spark, GX and Kafka are imported inside tasks only.
    import sys

    assert "pyspark.sql" not in sys.modules or parse_seconds < 30
    pipeline = bag.dags["interlink_pipeline"]
    order = [t.task_id for t in pipeline.topological_sort()]
    assert (
        order.index("ingest")
        < order.index("validate")
        < order.index("resolve")
        < order.index("load")
        < order.index("report")
    )
    for task in pipeline.tasks:
        assert task.retries >= 1, task.task_id
        assert task.execution_timeout is not None, task.task_id


def test_asset_dags_chain_through_assets(airflow_home: Path) -> None:
    """Each asset-driven DAG is scheduled on exactly what its predecessor's task updates."""
    from airflow.dag_processing.dagbag import DagBag

    from interlink.airflow_runner import DAGS_FOLDER

    bag = DagBag(str(DAGS_FOLDER))
    chain = [
        "feeds_ingest",
        "contracts_validate",
        "entities_resolve",
        "warehouse_load",
        "quality_report",
    ]
    for upstream, downstream in itertools.pairwise(chain):
        outlets = {a.uri for t in bag.dags[upstream].tasks for a in t.outlets}
        condition = bag.dags[downstream].timetable.asset_condition
        triggers = {a.uri for a in condition.objects}
        assert triggers and triggers <= outlets, (upstream, downstream, triggers, outlets)
