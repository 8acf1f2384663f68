"""The asset-driven DAGs' one constructor, and the assets that connect them.

Every asset DAG is the same shape: one idempotent task calling one step of `interlink.pipeline`,
scheduled on a cron or on the asset its predecessor updates, never two runs at once, retried,
unpaused from the start (a deployment that runs nothing until someone clicks is not event-driven).
A step whose summary says `nothing_new` ends its task skipped, so its outlets get no asset event and
nothing downstream runs on nothing. Declaring that shape once keeps the DAG files to what differs
(id, schedule, step, outlets, timeout). Only Airflow's SDK and the message-queue trigger are
imported here (no Kafka client, no Spark), so parsing a DAG file stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import Asset, AssetWatcher, dag, task
from airflow.sdk.bases.timetable import BaseTimetable
from airflow.sdk.exceptions import AirflowSkipException

from interlink.feed_watch import KAFKA_CONN_ID
from streams.topics import FEED_TOPIC_PATTERN


def feed_watch_trigger(topics: tuple[str, ...] = (FEED_TOPIC_PATTERN,)) -> MessageQueueTrigger:
    """The triggerer's watch on the feed topics (the tests watch a topic of their own)."""
    return MessageQueueTrigger(
        scheme="kafka",
        topics=list(topics),
        kafka_config_id=KAFKA_CONN_ID,
        apply_function="interlink.feed_watch.unlanded_message",
        # Sleep after a message already landed: short, so a backlog is skipped quickly.
        poll_interval=0.05,
    )


FEED_MESSAGES = Asset(
    "interlink://broker/feeds",
    watchers=[AssetWatcher(name="feed_messages", trigger=feed_watch_trigger())],
)
"""Updated by the triggerer: a feed message not landed yet (`interlink.feed_watch`)."""

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
    schedule: str | Sequence[Asset] | BaseTimetable,
    task_id: str,
    step: Callable[[], Any],
    timeout: timedelta,
    outlets: Sequence[Asset] = (),
    tags: Sequence[str] = ("interlink",),
    multiple_outputs: bool = True,
    doc: str | None = None,
    start_date: pendulum.DateTime | None = START,
) -> Any:
    """A DAG of one task `task_id` that calls `step()` and updates `outlets`.

    `multiple_outputs` mirrors Airflow's inference for a task annotated `-> dict` (a step
    returning its summary dict); pass False for a step returning a string. `start_date=None` with
    a `CronTriggerTimetable` makes the first run wait for the next slot instead of running the
    latest past one at deployment (catchup is off either way).
    """

    @dag(
        dag_id=dag_id,
        schedule=schedule if isinstance(schedule, str | BaseTimetable) else list(schedule),
        start_date=start_date,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        default_args=ASSET_DAG_DEFAULTS,
        tags=list(tags),
        doc_md=doc,
    )
    def build() -> None:
        def run() -> Any:
            out = step()
            if isinstance(out, dict) and out.get("nothing_new"):
                # Skipped, not succeeded: the outlets get no event, downstream stays asleep.
                raise AirflowSkipException(f"{dag_id}: nothing new ({out})")
            return out

        task(
            task_id=task_id,
            outlets=list(outlets),
            execution_timeout=timeout,
            multiple_outputs=multiple_outputs,
        )(run)()

    return build()
