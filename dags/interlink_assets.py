"""The pipeline as asset-driven DAGs for continuous operation under `airflow standalone`.

feeds_ingest (every 5 minutes) → contracts_validate → entities_resolve → warehouse_load →
quality_report, each triggered by the asset its predecessor updates; retention_review runs daily.
Each task calls one idempotent function of `interlink.pipeline` on whatever is new, so a retry or a
second trigger changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

from interlink import pipeline

BRONZE = Asset("interlink://lake/bronze")
VALIDATED = Asset("interlink://lake/bronze/validated")
GOLD = Asset("interlink://lake/gold")
WAREHOUSE = Asset("interlink://warehouse")

START = pendulum.datetime(2026, 1, 1, tz="UTC")
DEFAULTS = {"retries": 2, "retry_delay": timedelta(seconds=30)}


@dag(
    dag_id="feeds_ingest",
    schedule="*/5 * * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink"],
)
def feeds_ingest() -> None:
    @task(outlets=[BRONZE], execution_timeout=timedelta(minutes=20))
    def ingest_until_idle() -> dict:
        return pipeline.ingest_step()

    ingest_until_idle()


@dag(
    dag_id="contracts_validate",
    schedule=[BRONZE],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink"],
)
def contracts_validate() -> None:
    @task(outlets=[VALIDATED], execution_timeout=timedelta(minutes=30))
    def validate_new_batches() -> dict:
        return pipeline.validate_step()

    validate_new_batches()


@dag(
    dag_id="entities_resolve",
    schedule=[VALIDATED],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink"],
)
def entities_resolve() -> None:
    @task(outlets=[GOLD], execution_timeout=timedelta(hours=2))
    def resolve_incremental() -> dict:
        return pipeline.resolve_step()

    resolve_incremental()


@dag(
    dag_id="warehouse_load",
    schedule=[GOLD],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink"],
)
def warehouse_load() -> None:
    @task(outlets=[WAREHOUSE], execution_timeout=timedelta(minutes=30))
    def load_gold() -> dict:
        return pipeline.load_step()

    load_gold()


@dag(
    dag_id="quality_report",
    schedule=[WAREHOUSE],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink"],
)
def quality_report() -> None:
    @task(execution_timeout=timedelta(minutes=10))
    def write_report() -> str:
        return pipeline.report_step()

    write_report()


@dag(
    dag_id="retention_review",
    schedule="@daily",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["interlink", "governance"],
)
def retention_review() -> None:
    @task(execution_timeout=timedelta(minutes=30))
    def purge_and_notify() -> dict:
        return pipeline.retention_step()

    purge_and_notify()


feeds_ingest()
contracts_validate()
entities_resolve()
warehouse_load()
quality_report()
retention_review()
