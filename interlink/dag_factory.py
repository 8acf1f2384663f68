"""The asset-driven DAGs' one constructor, and the assets that connect them.

Every asset DAG is the same shape: one idempotent task calling one step of `interlink.pipeline`,
scheduled on a cron or on the asset its predecessor updates, never two runs at once, retried.
Declaring that shape once keeps the DAG files to what differs (id, schedule, step, outlets,
timeout). Only Airflow's SDK is imported here, so parsing a DAG file stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

BRONZE = Asset("interlink://lake/bronze")
"""Updated by ingest: new bronze files landed."""
VALIDATED = Asset("interlink://lake/bronze/validated")
"""Updated by validation: landed batches checked (failures quarantined)."""
GOLD = Asset("interlink://lake/gold")
"""Updated by resolution: silver and gold rewritten."""
WAREHOUSE = Asset("interlink://warehouse")
"""Updated by the load: the curated tables refreshed."""

START = pendulum.datetime(2026, 1, 1, tz="UTC")
"""Start date of every Interlink DAG (catchup is off: only the next run matters)."""
ASSET_DAG_DEFAULTS: dict[str, Any] = {"retries": 2, "retry_delay": timedelta(seconds=30)}
"""Task defaults of the asset DAGs: a step is idempotent, so a retry is always safe."""


def asset_dag(
    dag_id: str,
    *,
    schedule: str | Sequence[Asset],
    task_id: str,
    step: Callable[[], Any],
    timeout: timedelta,
    outlets: Sequence[Asset] = (),
    tags: Sequence[str] = ("interlink",),
    multiple_outputs: bool = True,
    doc: str | None = None,
) -> Any:
    """A DAG of one task `task_id` that calls `step()` and updates `outlets`.

    `multiple_outputs` mirrors Airflow's inference for a task annotated `-> dict` (a step
    returning its summary dict); pass False for a step returning a string.
    """

    @dag(
        dag_id=dag_id,
        schedule=list(schedule) if not isinstance(schedule, str) else schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=ASSET_DAG_DEFAULTS,
        tags=list(tags),
        doc_md=doc,
    )
    def build() -> None:
        def run() -> Any:
            return step()

        task(
            task_id=task_id,
            outlets=list(outlets),
            execution_timeout=timeout,
            multiple_outputs=multiple_outputs,
        )(run)()

    return build()
