"""The person gold tables as a pure computation: DataFrames in, DataFrames out.

`person_gold` takes the silver persons and what the previous run left (its state tables, already
read) and returns every table the run produces: the gold tables for analysts and the state the next
run starts from. It reads and writes nothing; `transforms.jobs` does the I/O around it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.lake import PERSON_MODEL_FORMAT
from transforms.config import ResolutionConfig
from transforms.driver_frames import among
from transforms.entity_ids import IdChanges, assign_ids, id_changes
from transforms.persons import (
    Phases,
    Progress,
    Resolution,
    StateWrite,
    checkpoint_counted,
    generic_values_output,
    pairs_output,
    record_country,
    record_key,
    resolve_persons,
    shuffle_partitions,
    to_records,
)
from transforms.persons_delta import StoredResolution, record_changes, resolve_delta
from transforms.retrain import retrain_reason

log = logging.getLogger("interlink.transforms")

EVENTS_ORDER = ("run_seq", "event", "entity_id")
"""gold/entity_events' row order: a whole write sorts the table by it, an appended file is
sorted within itself (files a rerun on the same input writes the same way)."""
BROADCAST_RECORDS = 400_000
"""Up to this many current records, person_entities' narrow entity columns are broadcast into the
silver rows (about 40 MiB at 186k records, 1.8 CPU s less at 100k persons); past it, the broadcast
would grow with the world (at 1M persons beyond what a 4 GiB driver should hold), so both sides
are shuffled by record key."""
ENTITIES_BY = ("entity_id",)
ENTITIES_ORDER = ("entity_id", "source_country", "record_id")
"""gold/person_entities' files: each entity's rows in one (`in_files`), in this order."""
PAIRS_BY = ("l_source_country", "l_record_id")
PAIRS_ORDER = ("l_source_country", "l_record_id", "r_source_country", "r_record_id")
"""gold/person_pairs' files: a left record's pairs in one (`in_files`), in this order."""


@dataclass(frozen=True)
class PersonGold:
    """Everything one person-resolution run produces (DataFrames, none written yet)."""

    run_seq: int
    retrained: str | None
    """Why the model was trained again (every pair scored), or None: the run scored the delta
    with the stored model (`transforms.retrain`)."""
    model_meta: dict[str, Any]
    """`model.json` as the next run reads it: format, trained_at, trained_records,
    changed_since_training, and the model's parameters. A retrained model's trained_records is
    None here: its write fills in the ID map's rows (`transforms.jobs.persist_person_gold`)."""
    resolution: Resolution
    assignment: DataFrame
    """rk -> entity_id of every current record."""
    entity_countries: DataFrame
    """entity_id -> entity_records, entity_countries: one row per entity of the assignment."""
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
    state: dict[str, StateWrite]
    """The state tables the next run starts from (records, keys, pairs, over, clusters, id_map,
    registry, events), by name under `contracts.lake.PERSON_STATE`, each with its delta when
    the run has one (an incremental run)."""
    erased: bool = False
    """The run deleted records: the state tables holding their values are written whole."""
    history_read: bool = False
    """`all_events` is the stored history plus `events`: the gold history may be appended to
    (`transforms.person_gold_io`)."""

    def summary(self, config: ResolutionConfig, *, pairs: int, guarded: int) -> dict[str, Any]:
        """JSON-able counts of the run (the row counts of written tables are added by the
        step that writes them). `pairs` (the rows of `state["pairs"]`) and `guarded` (the
        records of `state["clusters"]` with a guard) are counted by the state's writes, not by
        a query each."""
        res = self.resolution
        ev = {r["event"]: r["count"] for r in self.events.groupBy("event").count().collect()}
        # Entities and the cross-border ones in one query (a count per figure cost a query of a
        # few jobs each): one row per entity of the assignment, with its countries.
        entities, cross = self.entity_countries.agg(
            F.count(F.lit(1)), F.count(F.when(F.col("entity_countries") > 1, 1))
        ).collect()[0]  # a global aggregation: always one row
        return {
            "run_seq": self.run_seq,
            "mode": "full" if self.retrained else "incremental",
            "retrain_reason": self.retrained,
            "model_trained_at": self.model_meta["trained_at"],
            "entities": int(entities),
            "cross_country_entities": int(cross),
            "candidate_pairs": pairs,
            "pairs_compared_this_run": res.new_vectors,
            "dirty_records": res.dirty,
            "guarded_records": guarded,
            "events": ev,
            "threshold_probability": config.threshold,
            "model": res.model.as_dict(),
        }


def person_gold(
    persons: DataFrame,
    *,
    stored: StoredResolution | None,
    model_meta: dict[str, Any] | None,
    id_map: DataFrame,
    registry: DataFrame,
    history: DataFrame | None,
    run_seq: int,
    config: ResolutionConfig,
    now: datetime,
    full: bool = False,
    progress: Progress | None = None,
) -> PersonGold:
    """Resolve silver persons into entities with stable IDs; return the gold and state tables.

    `stored` and `model_meta` are the previous run's resolution state and model metadata (None
    on a first run); the run scores only the delta with the stored model unless
    `transforms.retrain.retrain_reason` (`full` included) says to retrain. `id_map`, `registry`
    and `history` are the previous run's record -> entity map, ID registry and event history.
    `progress` hears each resolution phase start and end (a run's progress lines).
    """
    # Checkpointed once: the diff below and every phase of the resolution read them.
    records = to_records(persons).localCheckpoint(eager=True)
    delta = None if stored is None else record_changes(records, stored.records)
    changed = 0 if delta is None else delta.count
    deleted = 0 if delta is None else len(delta.deleted)
    reason = retrain_reason(
        model_meta if stored is not None else None,
        now=now,
        changed=changed,
        full=full,
        config=config,
    )
    res: Resolution
    if reason is not None or stored is None:
        log.info("person resolution: training the model (%s)", reason)
        res = resolve_persons(records, config=config, phases=Phases(progress))
    else:
        res = resolve_delta(records, stored, config=config, phases=Phases(progress), delta=delta)

    ids: IdChanges | None = None
    with Phases(progress)("ids"):
        if res.redone is None or res.reached is None:
            assignment, events, new_registry = assign_ids(res.clusters, id_map, registry, run_seq)
        else:
            # Only the re-clustered components can change IDs: the rest keep theirs, without
            # the shuffles of every record and ID that `assign_ids` costs.
            ids = id_changes(
                res.clusters, id_map, registry, run_seq, redone=res.redone, reached=res.reached
            )
            assignment, events, new_registry = ids.assignment, ids.events, ids.registry
        # Counted by its own checkpoint: the count decides the entity columns' broadcast below.
        assignment, n_assigned = checkpoint_counted(assignment)
        events = events.localCheckpoint(eager=True)
        if ids is None:
            new_registry = new_registry.localCheckpoint(eager=True)
            registry_added = None
        else:
            # The registry's delta, materialised once; the whole registry stays where it is
            # (read only if the state write compacts it).
            registry_added = ids.registry_added.localCheckpoint(eager=True)
        # The history is copied only once it is the gold table's whole content: the state
        # appends this run's events alone.
        all_events = events if history is None else history.unionByName(events)

    # One row per current record with its entity and provenance.
    # Each entity's records and countries in one aggregation (one shuffle of the assignment).
    per_entity = assignment.groupBy("entity_id").agg(
        F.count("*").alias("entity_records"),
        F.countDistinct(record_country(F.col("rk"))).alias("entity_countries"),
    )
    # The entity columns are joined on narrow rows first (a record key and four columns), so the
    # wide silver rows (46 columns, nested names) meet them in one join instead of two.
    of_record = assignment.join(res.clusters.select("rk", "guard"), "rk").join(
        per_entity, "entity_id"
    )
    if n_assigned <= BROADCAST_RECORDS:
        # Sent whole to the silver rows' tasks, which then shuffle once (by entity, into their
        # files) instead of twice: a join by record key first moved the wide rows too.
        of_record = F.broadcast(of_record)
    entities = (
        persons.withColumn("rk", record_key(F.col("source_country"), F.col("record_id")))
        .join(of_record, "rk")
        .drop("rk")
    )
    first = ["source_country", "record_id", "entity_id"]
    entities = entities.select(*first, *[c for c in entities.columns if c not in first])
    if reason is not None:
        meta = {
            "format": PERSON_MODEL_FORMAT,
            "trained_at": now.isoformat(),
            # The records the model was trained on: the rows of the ID map, counted by its
            # write (`transforms.jobs.persist_person_gold` fills it in; a count cost a query).
            "trained_records": None,
            "changed_since_training": 0,
        }
    else:
        assert model_meta is not None
        since = int(model_meta.get("changed_since_training", 0)) + changed
        meta = {k: v for k, v in model_meta.items() if k != "model"}
        meta["changed_since_training"] = since
    return PersonGold(
        run_seq=run_seq,
        retrained=reason,
        model_meta={**meta, "model": res.model.to_state()},
        resolution=res,
        assignment=assignment,
        entity_countries=per_entity,
        events=events,
        # An entity's rows sit together, in one file.
        entities=in_files(entities, ENTITIES_BY, ENTITIES_ORDER),
        pairs=in_files(pairs_output(res.accepted, assignment), PAIRS_BY, PAIRS_ORDER),
        generic_values=generic_values_output(res.flagged).orderBy("kind", "value"),
        all_events=all_events.orderBy(*EVENTS_ORDER),
        state=_state(res, assignment, new_registry, all_events, ids, registry_added, events),
        erased=bool(res.changes) and deleted > 0,
        history_read=history is not None,
    )


def in_files(df: DataFrame, by: tuple[str, ...], order: tuple[str, ...]) -> DataFrame:
    """A gold table's layout: rows hashed by `by` into the session's shuffle partitions (one
    file each), sorted by `order` within each. The same files on a rerun of the same input, like
    a global `orderBy`, without the pass a range partitioning makes over the rows to sample its
    bounds before it shuffles them (at 100k persons, over 186k rows of 46 columns)."""
    return df.repartition(shuffle_partitions(df.sparkSession), *by).sortWithinPartitions(*order)


def _state(
    res: Resolution,
    assignment: DataFrame,
    registry: DataFrame,
    all_events: DataFrame,
    ids: IdChanges | None,
    registry_added: DataFrame | None,
    events: DataFrame,
) -> dict[str, StateWrite]:
    """The state tables the next run starts from; an incremental run's with their delta."""
    if res.changes is None or ids is None or registry_added is None:
        whole = {
            "records": res.record_state,
            "keys": res.flagged,
            "pairs": res.pairs,
            "over": res.over,
            "clusters": res.clusters,
            "id_map": assignment,
            "registry": registry,
            "events": all_events,
        }
        return {name: StateWrite(df) for name, df in whole.items()}
    return {
        **res.changes,
        "id_map": StateWrite(
            assignment,
            assignment.where(among("rk", res.redone or ())),
            ids.map_removed,
        ),
        "registry": StateWrite(registry, registry_added, ids.registry_removed),
        "events": StateWrite(all_events, events),
    }
