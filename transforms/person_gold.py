"""The person gold tables as a pure computation: DataFrames in, DataFrames out.

`person_gold` takes the silver persons and what the previous run left (its state tables, already
read) and returns every table the run produces: the gold tables for analysts and the state the next
run starts from. It reads and writes nothing; `transforms.jobs` does the I/O around it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.comparisons import default_comparisons
from transforms.config import ResolutionConfig
from transforms.entity_ids import assign_ids
from transforms.fellegi_sunter import vector_columns
from transforms.persons import (
    Phases,
    PreviousState,
    Progress,
    Resolution,
    generic_values_output,
    pairs_output,
    resolve_persons,
    to_records,
)

log = logging.getLogger("interlink.transforms")


@dataclass(frozen=True)
class PersonGold:
    """Everything one person-resolution run produces (DataFrames, none written yet)."""

    run_seq: int
    incremental: bool
    """Whether the stored comparison vectors were reused (else every pair was compared)."""
    resolution: Resolution
    assignment: DataFrame
    """rk -> entity_id of every current record."""
    entity_countries: DataFrame
    """entity_id -> entity_countries."""
    events: DataFrame
    """This run's entity events."""
    entities: DataFrame
    """gold/person_entities."""
    pairs: DataFrame
    """gold/person_pairs."""
    generic_values: DataFrame
    """gold/generic_values."""
    all_events: DataFrame
    """gold/entity_events: the history plus this run's events."""
    state: dict[str, DataFrame]
    """The state tables the next run starts from (records, vectors, keys, id_map, registry,
    events), by name under `state/persons/`."""

    def summary(self, config: ResolutionConfig) -> dict[str, Any]:
        """JSON-able counts of the run (the row counts of written tables are added by the
        step that writes them)."""
        res = self.resolution
        ev = {r["event"]: r["count"] for r in self.events.groupBy("event").count().collect()}
        return {
            "run_seq": self.run_seq,
            "mode": "incremental" if self.incremental else "full",
            "entities": self.assignment.select("entity_id").distinct().count(),
            "cross_country_entities": self.entity_countries.where(
                F.col("entity_countries") > 1
            ).count(),
            "candidate_pairs": res.model.candidate_pairs,
            "pairs_compared_this_run": res.new_vectors,
            "dirty_records": res.dirty,
            "guarded_records": res.clusters.where(F.col("guard").isNotNull()).count(),
            "events": ev,
            "threshold_probability": config.threshold,
            "model": res.model.as_dict(),
        }


def usable_previous(previous: PreviousState | None) -> PreviousState | None:
    """The previous state, unless its vectors come from a model with other comparisons (an
    upgrade): those cannot be reused pair by pair."""
    if previous is not None and sorted(previous.vectors.columns) != sorted(
        vector_columns(default_comparisons())
    ):
        log.warning("stored comparison vectors are from another model: rebuilding all pairs")
        return None
    return previous


def person_gold(
    persons: DataFrame,
    *,
    previous: PreviousState | None,
    id_map: DataFrame,
    registry: DataFrame,
    history: DataFrame | None,
    run_seq: int,
    config: ResolutionConfig,
    progress: Progress | None = None,
) -> PersonGold:
    """Resolve silver persons into entities with stable IDs; return the gold and state tables.

    `previous` is None for a full run; `id_map`, `registry` and `history` are the previous run's
    record -> entity map, ID registry and event history (empty or None on a first run).
    `progress` hears each resolution phase start and end (a run's progress lines).
    """
    previous = usable_previous(previous)
    records = to_records(persons)
    res = resolve_persons(records, config=config, previous=previous, phases=Phases(progress))

    assignment, events, new_registry = assign_ids(res.clusters, id_map, registry, run_seq)
    assignment = assignment.localCheckpoint(eager=True)
    events = events.localCheckpoint(eager=True)
    new_registry = new_registry.localCheckpoint(eager=True)
    all_events = events if history is None else history.unionByName(events)
    all_events = all_events.localCheckpoint(eager=True)

    # One row per current record with its entity and provenance.
    sizes = assignment.groupBy("entity_id").agg(
        F.count("*").alias("entity_records"),
    )
    countries = (
        assignment.join(records.select("rk", "source_country"), "rk")
        .groupBy("entity_id")
        .agg(F.countDistinct("source_country").alias("entity_countries"))
    )
    entities = (
        persons.withColumn("rk", F.concat_ws("|", "source_country", "record_id"))
        .join(assignment, "rk")
        .join(res.clusters.select("rk", "guard"), "rk")
        .join(sizes, "entity_id")
        .join(countries, "entity_id")
        .drop("rk")
    )
    first = ["source_country", "record_id", "entity_id"]
    entities = entities.select(*first, *[c for c in entities.columns if c not in first])
    return PersonGold(
        run_seq=run_seq,
        incremental=previous is not None,
        resolution=res,
        assignment=assignment,
        entity_countries=countries,
        events=events,
        entities=entities.orderBy("entity_id", "source_country", "record_id"),
        pairs=pairs_output(res.accepted, assignment).orderBy(
            "l_source_country", "l_record_id", "r_source_country", "r_record_id"
        ),
        generic_values=generic_values_output(res.flagged).orderBy("kind", "value"),
        all_events=all_events.orderBy("run_seq", "event", "entity_id"),
        state={
            "records": records.select("rk", "payload_hash"),
            "vectors": res.vectors.select(*vector_columns(default_comparisons())),
            "keys": res.flagged,
            "id_map": assignment,
            "registry": new_registry,
            "events": all_events,
        },
    )
