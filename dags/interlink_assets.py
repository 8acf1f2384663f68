"""The pipeline as asset-driven DAGs for continuous operation under `airflow standalone`.

feeds_ingest (woken by a feed message, `interlink.feed_watch`; a slow cron as a safety net) →
contracts_validate → entities_resolve → warehouse_load → quality_report, each triggered by the asset
its predecessor updates; a step that found nothing new ends skipped and wakes nobody;
retention_review runs daily. Each task calls one idempotent function of `interlink.pipeline` on
whatever is new, so a retry or a second trigger changes nothing. The DAGs' common shape is
`interlink.dag_factory.asset_dag`; docs/operations.md says what the safety net is for.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

from interlink import pipeline
from interlink.dag_factory import BRONZE, FEED_MESSAGES, GOLD, VALIDATED, WAREHOUSE, asset_dag
from interlink.settings import load_settings

SAFETY_NET = CronTriggerTimetable(load_settings().airflow.ingest_safety_net_cron, timezone="UTC")

feeds_ingest = asset_dag(
    "feeds_ingest",
    schedule=AssetOrTimeSchedule(timetable=SAFETY_NET, assets=[FEED_MESSAGES]),
    task_id="ingest_until_idle",
    step=pipeline.ingest_step,
    outlets=[BRONZE],
    timeout=timedelta(minutes=20),
)
contracts_validate = asset_dag(
    "contracts_validate",
    schedule=[BRONZE],
    task_id="validate_new_batches",
    step=pipeline.validate_step,
    outlets=[VALIDATED],
    timeout=timedelta(minutes=30),
)
entities_resolve = asset_dag(
    "entities_resolve",
    schedule=[VALIDATED],
    task_id="resolve_incremental",
    step=pipeline.resolve_step,
    outlets=[GOLD],
    timeout=timedelta(hours=2),
)
warehouse_load = asset_dag(
    "warehouse_load",
    schedule=[GOLD],
    task_id="load_gold",
    step=pipeline.load_step,
    outlets=[WAREHOUSE],
    timeout=timedelta(minutes=30),
)
quality_report = asset_dag(
    "quality_report",
    schedule=[WAREHOUSE],
    task_id="write_report",
    step=pipeline.report_step,
    timeout=timedelta(minutes=10),
    multiple_outputs=False,
)
retention_review = asset_dag(
    "retention_review",
    schedule="@daily",
    task_id="purge_and_notify",
    step=pipeline.retention_step,
    timeout=timedelta(minutes=30),
    tags=["interlink", "governance"],
)
