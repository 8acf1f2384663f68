"""The whole pipeline once: ingest → validate → resolve → load → report.

`interlink run` and `make demo` execute this DAG in-process with `dag.test()`; under
`airflow standalone` an operator triggers it by hand or lets the asset-driven DAGs in
`interlink_assets.py` run the same steps continuously. Business logic lives in
`interlink.pipeline`; this file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from interlink import pipeline
from interlink.dag_factory import BRONZE, GOLD, START, WAREHOUSE

DEFAULTS = {"retries": 2, "retry_delay": timedelta(seconds=20)}


@dag(
    dag_id="interlink_pipeline",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args=DEFAULTS,
    tags=["interlink"],
    params={"full": False},
)
def interlink_pipeline() -> None:
    @task(outlets=[BRONZE], execution_timeout=timedelta(minutes=30))
    def ingest() -> dict:
        return pipeline.ingest_step()

    @task(execution_timeout=timedelta(minutes=30))
    def validate(_: dict) -> dict:
        return pipeline.validate_step()

    @task(outlets=[GOLD], execution_timeout=timedelta(hours=2))
    def resolve(_: dict, params: dict | None = None) -> dict:
        return pipeline.resolve_step(full=bool((params or {}).get("full")))

    @task(outlets=[WAREHOUSE], execution_timeout=timedelta(minutes=30))
    def load(_: dict, params: dict | None = None) -> dict:
        return pipeline.load_step(full=bool((params or {}).get("full")))

    @task(execution_timeout=timedelta(minutes=10))
    def report(ingested: dict, validated: dict, resolved: dict, loaded: dict) -> str:
        return pipeline.report_step(
            results={"ingest": ingested, "validate": validated, "resolve": resolved, "load": loaded}
        )

    ingested = ingest()
    validated = validate(ingested)
    resolved = resolve(validated)
    loaded = load(resolved)
    report(ingested, validated, resolved, loaded)


interlink_pipeline()
