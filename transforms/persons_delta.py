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

What the delta bounds (changed, deleted and touched records, their keys and key statuses, the
reached components, the values the new pairs share) is held on the driver and applied as IN-list
filters (`driver_frames.among`) or small Arrow-built frames: each such set costs at most one Spark
job to collect, instead of an eager checkpoint plus a broadcast per use. The blocking keys of
every record are read once: one filtered pass collects the current holders of the affected keys,
and their counts, the flipped keys' holders and the candidate pairs are all derived from those
rows (a second and third pass only when a flip reaches records that did not change). The state
tables are not copied: the run returns, beside each table as a whole (lazy), the rows it added
and the keys it removed, and only those are written (`Resolution.changes`, `transforms.state_io`).
What still passes over every record: the diff of the record hashes, that one pass over the keys,
the clustering's filter of the pairs inside the reached components, and the accepted pairs,
joined over every `over` pair (docs/entity-resolution.md, "Speed of an incremental run").

With the same model, the result is therefore the full scoring's exactly. What it can differ from
a *retrained* full run in is the model itself: u, m, λ and term frequencies frozen at training,
so a value that has become common since still weighs as it did then. `transforms.retrain` bounds
that drift (age, share of records changed); docs/entity-resolution.md says what it means.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructField, StructType

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.comparisons import Comparison, default_comparisons
from transforms.config import ResolutionConfig
from transforms.driver_frames import among, key_column, on_driver
from transforms.persons import (
    Phases,
    Resolution,
    StateWrite,
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


@dataclass(frozen=True)
class Delta:
    """What changed since the stored state, held on the driver: a few rows per changed record,
    and at most the retrain share of the records (`transforms.retrain`) in a run that does not
    retrain."""

    changed: frozenset[str]
    """New or corrected records (payload hash differs)."""
    deleted: frozenset[str]
    """Stored records no longer present."""
    old_keys: frozenset[str]
    """The stored blocking keys of the changed and deleted records."""

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.deleted)


def record_changes(records: DataFrame, stored: DataFrame) -> Delta:
    """The records added, corrected or deleted since the stored state (one Spark query: both
    sides grouped by record key; only the differing rows reach the driver)."""
    side = F.col("_new")
    both = records.select(
        "rk",
        "payload_hash",
        F.lit(True).alias("_new"),
        F.lit(None).cast("array<string>").alias("keys"),
    ).unionByName(stored.select("rk", "payload_hash", F.lit(False).alias("_new"), "keys"))
    # A struct keeps a null hash apart from a missing side.
    per = both.groupBy("rk").agg(
        F.max(F.when(side, F.struct(F.col("payload_hash").alias("h")))).alias("now"),
        F.max(F.when(~side, F.struct(F.col("payload_hash").alias("h"), "keys"))).alias("was"),
    )
    differ = per.where(
        F.col("was").isNull() | F.col("now").isNull() | ~F.col("now.h").eqNullSafe(F.col("was.h"))
    ).select("rk", F.col("now").isNotNull().alias("present"), F.col("was.keys").alias("keys"))
    changed: set[str] = set()
    deleted: set[str] = set()
    old_keys: set[str] = set()
    for rk, present, keys in differ.collect():
        (changed if present else deleted).add(rk)
        old_keys.update(keys or ())
    return Delta(frozenset(changed), frozenset(deleted), frozenset(old_keys))


def _status(rows: list[Row]) -> dict[str, tuple[bool, bool, bool]]:
    return {r["key"]: (r["generic"], r["oversized"], r["shared"]) for r in rows}


def _touching(df: DataFrame, rks: Collection[str]) -> DataFrame:
    """Rows of a pair table with either record in `rks` removed."""
    return df.where(~among("l_rk", rks) & ~among("r_rk", rks))


def _holders_of(keys: DataFrame, wanted: Collection[str]) -> list[Row]:
    """(rk, key, signature) of every current record holding one of `wanted` (one collect)."""
    return keys.where(among("key", wanted)).collect() if wanted else []


PAIR_SCHEMA = StructType(
    [
        StructField("l_rk", StringType()),
        StructField("r_rk", StringType()),
        StructField("rules", ArrayType(StringType())),
    ]
)


def _candidates_of(
    records: DataFrame,
    keys: DataFrame,
    flagged: DataFrame,
    near: list[Row],
    now: dict[str, tuple[bool, bool, bool]],
    fresh: list[Row],
    reached: Collection[str],
) -> DataFrame:
    """(l_rk, r_rk, rules): the candidate pairs with at least one touched record, with every
    rule family the pair shares a usable key through (as `blocking.candidate_pairs`).

    Built on the driver from key rows already collected: the touched records are the changed
    ones (their keys are `fresh`, all among the affected keys whose holders are `near`) and
    `reached`, the unchanged holders of a key whose status flipped. Only those need their own
    keys and those keys' holders read (two more passes over the records' keys, rare: a flip
    needs a key crossing a status threshold). So the candidate search costs no pass over every
    record's keys of its own, nor a shuffle of the pairs.
    """
    mine = [(r[0], r[1]) for r in fresh]
    holders: dict[str, set[str]] = {}
    for rk, key, _ in near:
        holders.setdefault(key, set()).add(rk)
    status = dict(now)
    if reached:
        theirs = B.record_keys(records.where(among("rk", reached))).select("rk", "key").collect()
        mine += [(r[0], r[1]) for r in theirs]
        unknown = {k for _, k in mine} - holders.keys()
        for rk, key, _ in _holders_of(keys, unknown):
            holders.setdefault(key, set()).add(rk)
        # Keys no changed record holds kept their stored status (flagged holds it).
        status.update(_status(flagged.where(among("key", unknown)).collect()))
    rules: dict[tuple[str, str], set[str]] = {}
    for a, key in mine:
        generic, oversized, _ = status.get(key, (False, False, False))
        if generic or oversized:
            continue
        rule = key.split(":", 1)[0]
        for b in holders.get(key, ()):
            if a != b:
                rules.setdefault((min(a, b), max(a, b)), set()).add(rule)
    rows = [(lo, hi, sorted(rs)) for (lo, hi), rs in sorted(rules.items())]
    return on_driver(records.sparkSession, rows, PAIR_SCHEMA)


def _tf_for(vectors: DataFrame, tf: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """The rows of the stored term-frequency table for the values these pairs share (all the
    weighting looks up), plus those it lacks at `UNSEEN_HOLDERS` holders among the level's
    records. Built on the driver: a few rows per compared pair."""
    tf_comps = [c for c in comparisons if c.tf_level()]
    if not tf_comps:
        return tf
    shared = {
        (r[0], r[1], r[2])
        for r in vectors.select(
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
        .collect()
        # A null value never matches a row of the table (nor did it in a join).
        if r[2] is not None
    }
    cols = ["comparison", "gamma", "value", "holders", "n"]
    known = [
        r
        for r in tf.where(among("value", {v for _, _, v in shared})).select(*cols).collect()
        if (r[0], r[1], r[2]) in shared
    ]
    missing = shared - {(r[0], r[1], r[2]) for r in known}
    level_n = {(r[0], r[1]): r[4] for r in known}
    wanted = {(c, g) for c, g, _ in missing} - level_n.keys()
    if wanted:
        level = F.struct("comparison", "gamma")
        found = (
            tf.where(level.isin([F.struct(F.lit(c), F.lit(g)) for c, g in sorted(wanted)]))
            .groupBy("comparison", "gamma")
            .agg(F.max("n"))
            .collect()
        )
        level_n.update({(r[0], r[1]): r[2] for r in found})
    # A level the stored table has no value for has no n: its values get no adjustment, as
    # the join with the table's levels gave before.
    unseen = [
        (c, g, v, UNSEEN_HOLDERS, level_n[(c, g)])
        for c, g, v in sorted(missing)
        if (c, g) in level_n
    ]
    rows = [tuple(r) for r in known] + unseen
    return on_driver(vectors.sparkSession, rows, tf.select(*cols).schema)


def resolve_delta(
    records: DataFrame,
    stored: StoredResolution,
    *,
    config: ResolutionConfig | None = None,
    comparisons: list[Comparison] | None = None,
    phases: Phases | None = None,
    delta: Delta | None = None,
) -> Resolution:
    """Score and cluster what changed since `stored` with its model (see the module docstring).
    `records`: the current records, materialised (checkpointed or cached: several passes read
    them; `person_gold` checkpoints them once for the diff and this run). `delta`:
    `record_changes(records, stored.records)` when the caller has it already (the retrain rule
    counts it first), so the records are diffed once."""
    config = config or ResolutionConfig()
    comparisons = comparisons or default_comparisons()
    phase = phases or Phases()
    model = stored.model
    spark = records.sparkSession
    with phase("block"):
        delta = delta or record_changes(records, stored.records)
        changed, deleted = delta.changed, delta.deleted
        keys = B.record_keys(records)
        fresh = B.record_keys(records.where(among("rk", changed))).collect()
        affected = delta.old_keys | {r["key"] for r in fresh}
        # The one pass over every record's keys: the current holders of the affected keys, on
        # the driver. Their counts, the flipped keys' holders and (unless a flip reached records
        # that did not change) the candidate pairs all come from these rows.
        near = _holders_of(keys, affected)
        stats = B.key_stats(on_driver(spark, near, keys.schema), config.blocking)
        new_flags = B.flagged_keys(stats)
        after = new_flags.collect()
        before = _status(stored.flagged.where(among("key", affected)).collect())
        now = _status(after)
        flipped = {k for k in before.keys() | now.keys() if before.get(k) != now.get(k)}
        flagged = (
            stored.flagged.where(~among("key", affected))
            .unionByName(on_driver(spark, after, new_flags.schema))
            .localCheckpoint(eager=True)
        )
        holders = {r[0] for r in near if r[1] in flipped}
        touched = frozenset(changed | holders)
        pairs = _candidates_of(records, keys, flagged, near, now, fresh, touched - changed)
    with phase("compare"):
        ends = pairs.select("l_rk", "r_rk").collect()
        needed = {rk for row in ends for rk in row}
        # The delta's records (a few per changed one) are broadcast: the pairs keep their place.
        rec = B.with_evidence_ids(records.where(among("rk", needed)), flagged)
        rec = rec.localCheckpoint(eager=True)
        vectors = FS.comparison_vectors(pairs, rec, comparisons, broadcast=True)
        vectors = vectors.localCheckpoint(eager=True)
        # One vector per pair: both records of a pair are current records.
        new_count = len(ends)
    with phase("score"):
        tf = _tf_for(vectors, stored.tf, comparisons)
        numeric = FS.add_weight(FS.field_weights(vectors, tf, comparisons, model), model)
        numeric = numeric.localCheckpoint(eager=True)
        fresh_over = numeric.where(F.col("match_probability") >= F.lit(config.threshold))
        gone = touched | deleted
        # Lazy, not copied: the state keeps the stored rows where they are and writes only the
        # new pairs and the records whose pairs went (`transforms.state_io`); the clustering
        # below reads the few pairs inside the reached components.
        new_pairs = slim_pairs(numeric, comparisons, config)
        all_pairs = _touching(stored.pairs, gone).unionByName(new_pairs)
        new_over = fresh_over.select(*stored.over.columns)
        over = _touching(stored.over, gone).unionByName(new_over)
    with phase("cluster"):
        clusters, redone, reached = _recluster(
            stored.clusters, delta, touched, fresh_over, all_pairs, over, config
        )
        accepted = accepted_pairs(over, clusters, comparisons, model).localCheckpoint(eager=True)
    state, fresh_state = _record_state(
        records, on_driver(spark, fresh, keys.schema), stored.records, delta
    )
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
        record_state=state,
        dirty=len(touched),
        new_vectors=new_count,
        summary={"phase_seconds": phase.seconds},
        flipped=key_column(spark, flipped),
        matching=records,
        redone=redone,
        reached=reached,
        changes={
            "records": StateWrite(state, fresh_state, delta.changed | delta.deleted),
            "keys": StateWrite(flagged, on_driver(spark, after, new_flags.schema), affected),
            "pairs": StateWrite(all_pairs, new_pairs, gone),
            "over": StateWrite(over, new_over, gone),
            # The reached components' stored rows go, their new clusters come (`_recluster`).
            "clusters": StateWrite(clusters, clusters.where(among("rk", redone)), reached),
        },
    )


def _recluster(
    old: DataFrame,
    delta: Delta,
    touched: frozenset[str],
    fresh_over: DataFrame,
    pairs: DataFrame,
    over: DataFrame,
    config: ResolutionConfig,
) -> tuple[DataFrame, frozenset[str], frozenset[str]]:
    """The stored clusters, with the components the delta reaches clustered again; the records
    clustered again and the stored records of the reached components.

    Reached: the stored components (before guard and split, `cc`) holding a touched or deleted
    record or an end of a new pair at or above the threshold. Every accepted edge of the current
    graph lies inside one reached component or inside an untouched stored one, so the reached
    records plus the new ones are a union of whole components of the current graph. The
    reached records and their new clusters are few (the delta's components): they are held on
    the driver, so that only the final union of kept and redone clusters costs a pass over all.
    """
    ends = {rk for row in fresh_over.select("l_rk", "r_rk").collect() for rk in row}
    reached = touched | delta.deleted | ends
    hit = {r["cc"] for r in old.where(among("rk", reached)).select("cc").collect()}
    members = {r["rk"] for r in old.where(among("cc", hit)).select("rk").collect()}
    # Members of a reached component that were not deleted are current records, and so are
    # the touched ones (changed, or holders of a key among the current records' keys).
    again = (members | touched) - delta.deleted
    spark = old.sparkSession
    nodes = key_column(spark, again, "rk")
    inside = among("l_rk", again) & among("r_rk", again)
    redone = cluster(nodes, pairs.where(inside), over.where(inside), config)
    local = on_driver(spark, redone.collect(), redone.schema)
    kept = old.where(~among("cc", hit)).select(*redone.columns)
    return (
        kept.unionByName(local).localCheckpoint(eager=True),
        frozenset(again),
        frozenset(members),
    )


def _record_state(
    records: DataFrame, keys: DataFrame, stored: DataFrame, delta: Delta
) -> tuple[DataFrame, DataFrame]:
    """The stored record state with the changed records' rows replaced and deleted ones gone,
    and the changed records' rows alone (`keys`: the changed records' keys)."""
    fresh = record_state(records.where(among("rk", delta.changed)), keys)
    same = stored.where(~among("rk", delta.changed | delta.deleted))
    return same.select(*fresh.columns).unionByName(fresh), fresh
