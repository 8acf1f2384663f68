"""The DAG folder imports cleanly, stays light to parse, and wires the steps in order."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow


def test_dag_folder_has_no_import_errors_and_expected_dags(airflow_home: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from interlink.airflow_runner import DAGS_FOLDER

    bag = DagBag(str(DAGS_FOLDER))
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


def test_parsing_the_dag_files_imports_no_spark_gx_or_kafka(airflow_home: Path) -> None:
    """Nothing heavy at import time: the scheduler parses DAG files often; tasks import the rest."""
    from interlink.airflow_runner import DAGS_FOLDER

    script = (
        "import runpy, sys\n"
        f"for f in ['interlink_pipeline.py', 'interlink_assets.py']:\n"
        f"    runpy.run_path({str(DAGS_FOLDER)!r} + '/' + f)\n"
        "heavy = [m for m in ('pyspark', 'great_expectations', 'kafka', 'duckdb') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", out.stdout


def test_feeds_ingest_is_woken_by_feed_messages_with_a_cron_only_as_safety_net(
    airflow_home: Path,
) -> None:
    """The ingest waits on the feed watcher's asset (the triggerer's Kafka trigger on every feed
    topic) or the safety-net cron; every asset DAG starts unpaused."""
    from airflow.dag_processing.dagbag import DagBag

    from interlink.airflow_runner import DAGS_FOLDER
    from interlink.settings import Settings
    from streams.topics import FEED_TOPIC_PATTERN

    bag = DagBag(str(DAGS_FOLDER))
    timetable = bag.dags["feeds_ingest"].timetable
    (asset,) = timetable.asset_condition.objects
    assert asset.uri == "interlink://broker/feeds"
    (watcher,) = asset.watchers
    trigger = watcher.trigger.trigger  # MessageQueueTrigger -> the Kafka provider's trigger
    assert trigger.topics == [FEED_TOPIC_PATTERN]
    assert trigger.apply_function == "interlink.feed_watch.unlanded_message"
    assert trigger.kafka_config_id == "interlink_kafka"
    assert timetable.timetable.expression == Settings().airflow.ingest_safety_net_cron
    for dag_id in ["feeds_ingest", "contracts_validate", "entities_resolve", "warehouse_load"]:
        assert bag.dags[dag_id].is_paused_upon_creation is False, dag_id


@pytest.mark.parametrize(
    "now", ["2026-12-06T03:31:00", "2026-12-06T05:50:00", "2026-12-06T23:00:00"]
)
def test_the_daily_retrain_never_runs_at_deployment(
    airflow_home: Path, monkeypatch: pytest.MonkeyPatch, now: str
) -> None:
    """Deployed at any time, even minutes after its 03:30 slot, the retrain waits for the next
    one: it must not rebuild a world just resolved while the event-driven chain runs."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.timetables import trigger

    from interlink.airflow_runner import DAGS_FOLDER

    monkeypatch.setattr(trigger, "utcnow", lambda: pendulum.parse(now))
    from airflow.serialization.encoders import coerce_to_core_timetable

    # What the scheduler holds: the DAG's timetable as the core class it is serialized to.
    timetable = coerce_to_core_timetable(
        DagBag(str(DAGS_FOLDER)).dags["entities_retrain"].timetable
    )
    first = timetable._calc_first_run()
    assert first > pendulum.parse(now), first
    assert (first.hour, first.minute) == (3, 30)
