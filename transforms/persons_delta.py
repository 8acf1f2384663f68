"""Incremental person resolution: the delta scored with the stored model.

A full run (`transforms.persons.resolve_persons`) trains the model and scores every candidate
pair; it costs the whole data. An incremental run keeps that model (u, m, λ and the term-frequency
table it was trained with) and does only what the changed records make necessary:

- *touched* records: new or corrected ones, and the holders of a key whose status (generic,
  oversized, shared) flipped because of the changes; key statuses are re-counted only for the
  keys whose holders changed (the keys of new, corrected and deleted records, old and new);
- the candidate pairs touching a touched record are compared and scored with the stored model;
  every other stored pair is still what a full scoring with the same model would give, since its
  two records, their keys' statuses and the model did not change;
- only the connected components that held a touched or deleted record, or that a new accepted
  pair reaches, are clustered again; clustering works per component and labels by smallest key
  (`transforms.persons.cluster`), so the others keep their stored clusters unchanged.

With the same model, the result is therefore the full scoring's exactly. What it can differ from
a *retrained* full run in is the model itself: u, m, λ and term frequencies frozen at training,
so a value that has become common since still weighs as it did then. `transforms.retrain` bounds
that drift (age, share of records changed); docs/entity-resolution.md says what it means.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.comparisons import Comparison, default_comparisons
from transforms.config import ResolutionConfig
from transforms.persons import (
    Phases,
    Resolution,
    accepted_pairs,
    cluster,
    record_state,
    slim_pairs,
)

UNSEEN_HOLDERS = 2
"""Holders assumed for a shared value the stored term-frequency table lacks: the table keeps
values held by two records or more at training, so a value a pair shares now and the table lacks
was held by at most one then, and by the pair's two records now, which a retrained table would
count."""


@dataclass(frozen=True)
class StoredResolution:
    """What the previous run left, as an incremental run reads it."""

    model: FS.Model
    tf: DataFrame
    """The term-frequency table the model was trained with."""
    records: DataFrame
    """rk, payload_hash, keys, signature (`transforms.persons.record_state`)."""
    flagged: DataFrame
    """Key statuses (`blocking.FLAGGED_COLUMNS`)."""
    pairs: DataFrame
    """Every candidate pair, `persons.PAIR_COLUMNS`."""
    over: DataFrame
    """Candidate pairs at or above the threshold, with field weights."""
    clusters: DataFrame
    """rk, component, guard, cc."""


def record_changes(records: DataFrame, stored: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(changed, deleted) record keys (column rk): new or corrected records (payload hash
    differs), and stored records no longer present."""
    old = stored.select("rk", F.col("payload_hash").alias("_old"), F.lit(True).alias("_known"))
    changed = (
        records.select("rk", "payload_hash")
        .join(old, "rk", "left")
        .where(F.col("_known").isNull() | ~F.col("payload_hash").eqNullSafe(F.col("_old")))
        .select("rk")
    )
    deleted = stored.select("rk").join(records.select("rk"), "rk", "left_anti")
    return changed, deleted


def count_changes(records: DataFrame, stored: DataFrame) -> int:
    """How many records were added, corrected or deleted since the stored state."""
    changed, deleted = record_changes(records, stored)
    return changed.count() + deleted.count()


def _status(flagged: DataFrame) -> DataFrame:
    return flagged.select("key", "generic", "oversized", "shared")


def _touching(df: DataFrame, rks: DataFrame) -> DataFrame:
    """Rows of a pair table with either record in `rks` removed."""
    small = F.broadcast(rks.select("rk"))
    return df.join(small.withColumnRenamed("rk", "l_rk"), "l_rk", "left_anti").join(
        small.withColumnRenamed("rk", "r_rk"), "r_rk", "left_anti"
    )


def _candidates_of(keys: DataFrame, flagged: DataFrame, touched: DataFrame) -> DataFrame:
    """(l_rk, r_rk, rules): the candidate pairs with at least one touched record, with every
    rule family the pair shares a usable key through (as `blocking.candidate_pairs`)."""
    unusable = flagged.where(F.col("generic") | F.col("oversized")).select("key")
    usable = keys.join(F.broadcast(unusable), "key", "left_anti").select("rk", "key")
    mine = usable.join(F.broadcast(touched), "rk").select(F.col("rk").alias("a"), "key")
    other = usable.select(F.col("rk").alias("b"), "key")
    return (
        other.join(F.broadcast(mine), "key")
        .where(F.col("a") != F.col("b"))
        .select(
            F.least("a", "b").alias("l_rk"),
            F.greatest("a", "b").alias("r_rk"),
            F.split(F.col("key"), ":", 2)[0].alias("rule"),
        )
        .groupBy("l_rk", "r_rk")
        .agg(F.array_sort(F.collect_set("rule")).alias("rules"))
    )


def _tf_for(vectors: DataFrame, tf: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """The stored term-frequency table plus the values these pairs share that it lacks, at
    `UNSEEN_HOLDERS` holders among the level's records."""
    tf_comps = [c for c in comparisons if c.tf_level()]
    if not tf_comps:
        return tf
    shared = (
        vectors.select(
            F.explode(
                F.array(
                    *[
                        F.struct(
                            F.lit(c.name).alias("comparison"),
                            F.col(f"g_{c.name}").alias("gamma"),
                            F.col(f"tf_{c.name}").alias("values"),
                        )
                        for c in tf_comps
                    ]
                )
            ).alias("x")
        )
        .select("x.comparison", "x.gamma", F.explode("x.values").alias("value"))
        .distinct()
    )
    level_n = tf.groupBy("comparison", "gamma").agg(F.max("n").alias("n"))
    unseen = (
        shared.join(tf, ["comparison", "gamma", "value"], "left_anti")
        .join(level_n, ["comparison", "gamma"])
        .select(
            "comparison", "gamma", "value", F.lit(UNSEEN_HOLDERS).cast("long").alias("holders"), "n"
        )
    )
    return tf.unionByName(unseen)


def resolve_delta(
    records: DataFrame,
    stored: StoredResolution,
    *,
    config: ResolutionConfig | None = None,
    comparisons: list[Comparison] | None = None,
    phases: Phases | None = None,
) -> Resolution:
    """Score and cluster what changed since `stored` with its model (see the module docstring)."""
    config = config or ResolutionConfig()
    comparisons = comparisons or default_comparisons()
    phase = phases or Phases()
    model = stored.model
    with phase("block"):
        records = records.localCheckpoint(eager=True)
        changed, deleted = record_changes(records, stored.records)
        changed = changed.localCheckpoint(eager=True)
        deleted = deleted.localCheckpoint(eager=True)
        keys = B.record_keys(records)
        gone_or_changed = changed.unionByName(deleted)
        old_keys = stored.records.join(F.broadcast(gone_or_changed), "rk").select(
            F.explode("keys").alias("key")
        )
        new_keys = keys.join(F.broadcast(changed), "rk").select("key")
        affected = old_keys.unionByName(new_keys).distinct().localCheckpoint(eager=True)
        stats = B.key_stats(keys.join(F.broadcast(affected), "key"), config.blocking)
        new_flags = B.flagged_keys(stats).localCheckpoint(eager=True)
        flagged = (
            stored.flagged.join(F.broadcast(affected), "key", "left_anti")
            .unionByName(new_flags)
            .localCheckpoint(eager=True)
        )
        before = _status(stored.flagged.join(F.broadcast(affected), "key"))
        after = _status(new_flags)
        flipped = (
            before.exceptAll(after)
            .unionByName(after.exceptAll(before))
            .select("key")
            .distinct()
            .localCheckpoint(eager=True)
        )
        holders = keys.join(F.broadcast(flipped), "key").select("rk")
        touched = changed.unionByName(holders).distinct().localCheckpoint(eager=True)
        pairs = _candidates_of(keys, flagged, touched).localCheckpoint(eager=True)
    with phase("compare"):
        needed = pairs.select(F.col("l_rk").alias("rk")).unionByName(
            pairs.select(F.col("r_rk").alias("rk"))
        )
        rec = B.with_evidence_ids(records.join(needed.distinct(), "rk"), flagged)
        vectors = FS.comparison_vectors(pairs, rec, comparisons).localCheckpoint(eager=True)
        new_count = vectors.count()
    with phase("score"):
        tf = _tf_for(vectors, stored.tf, comparisons).localCheckpoint(eager=True)
        numeric = FS.add_weight(FS.field_weights(vectors, tf, comparisons, model), model)
        numeric = numeric.localCheckpoint(eager=True)
        fresh_over = numeric.where(F.col("match_probability") >= F.lit(config.threshold))
        gone = touched.unionByName(deleted)
        all_pairs = _touching(stored.pairs, gone).unionByName(
            slim_pairs(numeric, comparisons, config)
        )
        all_pairs = all_pairs.localCheckpoint(eager=True)
        over = _touching(stored.over, gone).unionByName(fresh_over.select(*stored.over.columns))
        over = over.localCheckpoint(eager=True)
    with phase("cluster"):
        clusters = _recluster(
            records, stored.clusters, gone, touched, fresh_over, all_pairs, over, config
        )
        accepted = accepted_pairs(over, clusters, comparisons, model).localCheckpoint(eager=True)
    return Resolution(
        # Every record with its evidence identifiers, lazily: only notice matching reads them.
        records=B.with_evidence_ids(records, flagged),
        stats=stats,
        flagged=flagged,
        vectors=vectors,
        scored=FS.explanation(numeric, comparisons, model),
        pairs=all_pairs,
        over=over,
        accepted=accepted,
        clusters=clusters,
        tf=stored.tf,
        model=model,
        record_state=_record_state(records, keys, stored.records, changed),
        dirty=touched.count(),
        new_vectors=new_count,
        summary={"phase_seconds": phase.seconds},
        flipped=flipped,
        matching=records,
    )


def _recluster(
    records: DataFrame,
    old: DataFrame,
    gone: DataFrame,
    touched: DataFrame,
    fresh_over: DataFrame,
    pairs: DataFrame,
    over: DataFrame,
    config: ResolutionConfig,
) -> DataFrame:
    """The stored clusters, with the components the delta reaches clustered again.

    Reached: the stored components (before guard and split, `cc`) holding a touched or deleted
    record or an end of a new pair at or above the threshold. Every accepted edge of the current
    graph lies inside one reached component or inside an untouched stored one, so the reached
    records plus the new ones are a union of whole components of the current graph.
    """
    ends = fresh_over.select(F.col("l_rk").alias("rk")).unionByName(
        fresh_over.select(F.col("r_rk").alias("rk"))
    )
    hit = (
        old.join(F.broadcast(gone.unionByName(ends).distinct()), "rk")
        .select("cc")
        .distinct()
        .localCheckpoint(eager=True)
    )
    kept = old.join(F.broadcast(hit), "cc", "left_anti")
    again = (
        old.join(F.broadcast(hit), "cc")
        .select("rk")
        .unionByName(touched)
        .distinct()
        .join(records.select("rk"), "rk")
        .localCheckpoint(eager=True)
    )
    inside = F.broadcast(again)
    sub_pairs = pairs.join(inside.withColumnRenamed("rk", "l_rk"), "l_rk").join(
        inside.withColumnRenamed("rk", "r_rk"), "r_rk"
    )
    sub_over = over.join(inside.withColumnRenamed("rk", "l_rk"), "l_rk").join(
        inside.withColumnRenamed("rk", "r_rk"), "r_rk"
    )
    redone = cluster(again, sub_pairs, sub_over, config)
    return kept.select(*redone.columns).unionByName(redone).localCheckpoint(eager=True)


def _record_state(
    records: DataFrame, keys: DataFrame, stored: DataFrame, changed: DataFrame
) -> DataFrame:
    """The stored record state with the changed records' rows replaced and deleted ones gone."""
    fresh = record_state(
        records.join(F.broadcast(changed), "rk"), keys.join(F.broadcast(changed), "rk")
    )
    same = stored.join(records.select("rk"), "rk").join(F.broadcast(changed), "rk", "left_anti")
    return same.select(*fresh.columns).unionByName(fresh)
