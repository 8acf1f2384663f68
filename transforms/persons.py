"""Person entity resolution: blocking → comparison vectors → EM → weights → clusters.

`resolve_persons` is the full run: a pure function of the current person records that trains
the model (u from a deterministic sample, m by EM on the training pairs, λ, term frequencies) and
scores every candidate pair with it. Incremental runs (`transforms.persons_delta`) keep that
model and score only the pairs touching what changed; both share the clustering below, which
works on any set of whole connected components, so the delta re-clusters only the components it
touches and gets the labels a full clustering would give them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import clustering as C
from transforms import fellegi_sunter as FS
from transforms.comparisons import Comparison, default_comparisons
from transforms.config import ResolutionConfig
from transforms.driver_frames import on_driver

RECORD_COLUMNS = (
    "name_keys",
    "canon_keys",
    "skel_keys",
    "name_tokens",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "nationalities",
    "birth_country",
    "doc_keys",
    "forensic_keys",
    "phones",
    "emails",
    "address_tokens",
)
_ARRAYS = {
    "name_keys",
    "canon_keys",
    "skel_keys",
    "name_tokens",
    "nationalities",
    "doc_keys",
    "forensic_keys",
    "phones",
    "emails",
    "address_tokens",
}
_TYPES = {"birth_year": "int", "birth_month": "int", "birth_day": "int"}
UNKNOWN_NATIONALITIES = ("XXA", "XXB", "XXC", "XXX")
"""ICAO 9303 codes for stateless, refugee and unspecified: a status, not a nationality, so they
say nothing about identity (one report writes SYR, the next XXA)."""


@dataclass(frozen=True)
class StateWrite:
    """One state table as a run leaves it (`contracts.lake.StateTable`): all its rows, and,
    when the run changed only some, the rows it added and the keys it removed, so that only
    those are written (`transforms.state_io`)."""

    rows: DataFrame
    """Every row after the run (lazy: read only when the table is written whole)."""
    added: DataFrame | None = None
    """The rows the run added or replaced; None: the run has no delta, write `rows` whole."""
    removed: frozenset[str] = frozenset()
    """The keys the run dropped (replaced rows included), matched against the table's key."""


@dataclass
class Resolution:
    records: DataFrame
    """The matching view with evidence identifiers (ids_*)."""
    stats: DataFrame
    flagged: DataFrame
    """Keys with a status: generic, oversized or shared (blocking.FLAGGED_COLUMNS)."""
    vectors: DataFrame
    """Comparison vectors of the pairs compared this run (a full run: candidates and training
    pairs)."""
    scored: DataFrame
    """Candidate pairs compared this run, with weights, probability and explanation."""
    pairs: DataFrame
    """Every current candidate pair, slim (`PAIR_COLUMNS`): what clustering reads."""
    over: DataFrame
    """Every current candidate pair at or above the threshold, with its field weights: the
    pairs an entity can be held together by (`accepted` is drawn from them)."""
    accepted: DataFrame
    """Accepted pairs whose records ended in one cluster: what holds each entity together."""
    clusters: DataFrame
    """rk, component, guard, cc (the record's connected component before the guard and
    cannot-link split: what an incremental run re-clusters as a whole)."""
    tf: DataFrame
    model: FS.Model
    record_state: DataFrame
    """rk, payload_hash, keys, signature of every current record: what the next incremental
    run diffs the records against and whose keys it re-counts (`record_state`)."""
    dirty: int | None
    """Records whose pairs were scored again (None on a full run)."""
    new_vectors: int
    summary: dict[str, Any] = field(default_factory=dict)
    flipped: DataFrame | None = None
    matching: DataFrame | None = None
    """The matching view without evidence identifiers, materialised (`records` is lazy in an
    incremental run): what an incremental notice matching reads for the few records it needs."""
    """Keys whose status (generic, oversized, shared) changed in this incremental run (None on
    a full run): their holders' notice hits are scored again (`transforms.links_delta`)."""
    redone: frozenset[str] | None = None
    """Records whose clusters an incremental run computed again (None on a full run): every
    other record sits in a stored cluster, unchanged (`entity_ids.id_changes`)."""
    reached: frozenset[str] | None = None
    """The stored records of the components an incremental run clustered again, deleted ones
    included (None on a full run)."""
    changes: dict[str, StateWrite] | None = None
    """An incremental run's state tables (records, keys, pairs, over, clusters) with their
    delta; None on a full run (every table is written whole)."""

    @property
    def unusable(self) -> DataFrame:
        """Generic or oversized keys (neither block nor count as evidence)."""
        return self.flagged.where(F.col("generic") | F.col("oversized"))


log = logging.getLogger("interlink.transforms.persons")


Progress = Callable[[str, float | None], None]
"""Called with (phase, None) when a phase starts and (phase, seconds) when it ends: what
`interlink resolve` prints so a user sees where a long run is."""


class Phases:
    """Wall seconds per resolution phase, logged, reported to `progress` and kept in the summary
    for operators. Phases: standardise, block, compare, train, score, cluster, write."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        if self.progress is not None:
            self.progress(name, None)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - t0
            self.seconds[name] = round(self.seconds.get(name, 0.0) + took, 3)
            log.info("person resolution: %s took %.1fs", name, took)
            if self.progress is not None:
                self.progress(name, took)


def checkpoint_counted(df: DataFrame) -> tuple[DataFrame, int]:
    """`df` checkpointed (eagerly, locally) and its number of rows, counted by the checkpoint's
    own query (an observation): a `count()` after it would be a query of its own, two Spark
    jobs."""
    seen = Observation()
    out = df.observe(seen, F.count(F.lit(1)).alias("rows")).localCheckpoint(eager=True)
    return out, int(seen.get["rows"])


def shuffle_partitions(spark: SparkSession) -> int:
    """The session's shuffle partitions: how many files a table laid out by hash is cut into."""
    return int(spark.conf.get("spark.sql.shuffle.partitions") or "4")


def record_key(country: F.Column, record_id: F.Column) -> F.Column:
    return F.concat_ws("|", country, record_id)


def record_country(rk: F.Column) -> F.Column:
    """The country a record key (`record_key`) starts with: read from the key, no join with the
    records needed."""
    return F.substring_index(rk, "|", 1)


def to_records(persons: DataFrame, prefix: str = "") -> DataFrame:
    """The matching view of silver persons (or notice subjects): rk + comparison columns.

    Columns a source does not have (a notice subject has no phones) become empty, so every
    record type is compared by the same rules. Two readings differ from silver on purpose: a
    birth date of 1 January is read as a year (registrations record an unknown day and month
    that way, so "1990-01-01" and "1990-06-14" may be one person), and the ICAO codes for
    stateless or unspecified (`UNKNOWN_NATIONALITIES`) are not nationalities.
    """
    cols = []
    for c in RECORD_COLUMNS:
        if c in persons.columns:
            cols.append(F.col(c))
        elif c in _ARRAYS:
            cols.append(F.array().cast("array<string>").alias(c))
        else:
            cols.append(F.lit(None).cast(_TYPES.get(c, "string")).alias(c))
    hash_col = F.col("payload_hash") if "payload_hash" in persons.columns else F.lit(None)
    out = persons.select(
        F.concat(F.lit(prefix), record_key(F.col("source_country"), F.col("record_id"))).alias(
            "rk"
        ),
        "source_country",
        "record_id",
        hash_col.cast("string").alias("payload_hash"),
        *cols,
    )
    jan_first = (F.col("birth_month") == 1) & (F.col("birth_day") == 1)
    replaced = {
        "birth_date": F.when(jan_first, F.col("birth_year").cast("string")).otherwise(
            F.col("birth_date")
        ),
        "birth_month": F.when(jan_first, F.lit(None)).otherwise(F.col("birth_month")),
        "birth_day": F.when(jan_first, F.lit(None)).otherwise(F.col("birth_day")),
        "nationalities": F.filter("nationalities", lambda c: ~c.isin(*UNKNOWN_NATIONALITIES)),
    }
    # One projection: each replacement reads the columns as they were.
    return out.select(*[replaced[c].alias(c) if c in replaced else F.col(c) for c in out.columns])


def resolve_persons(
    records: DataFrame,
    *,
    config: ResolutionConfig | None = None,
    comparisons: list[Comparison] | None = None,
    phases: Phases | None = None,
    n_records: int | None = None,
) -> Resolution:
    """Train the model on the person records, score every candidate pair and cluster them.
    `phases` (optional) times each phase and reports it to its progress callback. A caller
    that has already checkpointed and counted the records (`checkpoint_counted`) passes
    `n_records`; otherwise they are checkpointed and counted here."""
    config = config or ResolutionConfig()
    comparisons = comparisons or default_comparisons()
    phase = phases or Phases()
    with phase("block"):
        if n_records is None:
            records, n_records = checkpoint_counted(records)
        keys = B.record_keys(records).localCheckpoint(eager=True)
        stats = B.key_stats(keys, config.blocking)
        flagged = B.flagged_keys(stats).localCheckpoint(eager=True)
        rec = B.with_evidence_ids(records, flagged).localCheckpoint(eager=True)
    with phase("block"):
        pairs = B.pair_set(
            B.candidate_pairs(keys, flagged), B.training_pairs(records, keys, config.blocking)
        ).localCheckpoint(eager=True)
    with phase("compare"):
        broadcast = n_records <= FS.PAIR_BROADCAST_RECORDS
        vectors = FS.comparison_vectors(pairs, rec, comparisons, broadcast=broadcast)
        # Partitioned by pair: the term-frequency lookup groups and joins back on the pair, so
        # with this layout neither moves the (many) pairs again.
        parts = shuffle_partitions(records.sparkSession)
        vectors = vectors.repartition(parts, "l_rk", "r_rk").localCheckpoint(eager=True)
    with phase("train"):
        sample = FS.sample_patterns(rec, comparisons, config.u_sample_pairs, n_records)
    with phase("train"):
        total_pairs = n_records * (n_records - 1) // 2
        patterns, new_count = FS.training_patterns(vectors, comparisons)
        model = FS.fit(sample, patterns, comparisons, total_pairs)
    with phase("score"):
        tf, tf_rows = checkpoint_counted(FS.tf_tables(rec, comparisons))
        candidates = vectors.where(F.size("rules") > 0)
        weighted = FS.field_weights(candidates, tf, comparisons, model, tf_rows=tf_rows)
        weighted = weighted.localCheckpoint(eager=True)
        # The final prior with term frequencies in the weights (fit's λ had none).
        model.lam, lam_iterations = FS.estimate_lambda(FS.weight_histogram(weighted), total_pairs)
        model.iterations += lam_iterations
        numeric = FS.add_weight(weighted, model)
    with phase("cluster"):
        slim = slim_pairs(numeric, comparisons, config).localCheckpoint(eager=True)
        over = numeric.drop("sessions").where(F.col("match_probability") >= F.lit(config.threshold))
        over = over.localCheckpoint(eager=True)
        clusters = cluster(records.select("rk"), slim, over, config).localCheckpoint(eager=True)
        accepted = accepted_pairs(over, clusters, comparisons, model).localCheckpoint(eager=True)
    return Resolution(
        records=rec,
        stats=stats,
        flagged=flagged,
        vectors=vectors.select(*FS.vector_columns(comparisons), "rules", "sessions"),
        scored=FS.explanation(numeric, comparisons, model),
        pairs=slim,
        over=over,
        accepted=accepted,
        clusters=clusters,
        tf=tf,
        model=model,
        record_state=record_state(records, keys),
        dirty=None,
        new_vectors=new_count,
        summary={"phase_seconds": phase.seconds},
    )


def record_state(records: DataFrame, keys: DataFrame) -> DataFrame:
    """(rk, payload_hash, keys, signature) per record: its hash says whether it changed, its
    keys which key statuses its change or deletion can move."""
    per = keys.groupBy("rk").agg(
        F.array_sort(F.collect_list("key")).alias("keys"), F.first("signature").alias("signature")
    )
    return (
        records.select("rk", "payload_hash")
        .join(per, "rk", "left")
        .withColumn("keys", F.coalesce("keys", F.array().cast("array<string>")))
    )


PAIR_COLUMNS = ("l_rk", "r_rk", "match_weight", "link_weight", "match_probability")
"""A candidate pair as clustering reads it: its weight and probability, and `link_weight`, the
weight the cannot-link rule reads (`lift_unsure_cannot_links`)."""


def slim_pairs(
    numeric: DataFrame, comparisons: list[Comparison], config: ResolutionConfig
) -> DataFrame:
    """Scored pairs reduced to `PAIR_COLUMNS`."""
    lifted = lift_unsure_cannot_links(
        numeric.withColumn("_w", F.col("match_weight")), comparisons, config.cannot_link_weight
    )
    return lifted.select(
        "l_rk",
        "r_rk",
        F.col("_w").alias("match_weight"),
        F.col("match_weight").alias("link_weight"),
        "match_probability",
    )


def cluster(
    nodes: DataFrame,
    pairs: DataFrame,
    over: DataFrame,
    config: ResolutionConfig,
    *,
    local_pairs: int = C.LOCAL_PAIRS,
) -> DataFrame:
    """(rk, component, guard, cc) of `nodes` (column rk) from their scored pairs (`pairs`,
    PAIR_COLUMNS) and those at or above the threshold (`over`, with match_weight).

    Every step works per connected component and labels a group by its smallest record key, so
    clustering any union of whole components gives the labels clustering everything gives.
    Up to `local_pairs` pairs at or above the threshold, and as many scored pairs inside their
    components, it runs on the driver (`clustering.cluster_local`).
    """
    tiers = tuple(config.threshold_weight + s for s in config.guard_steps)
    edges = over.select("l_rk", "r_rk", "match_weight").limit(local_pairs + 1).collect()
    scored = _scored_within(pairs, edges, local_pairs) if len(edges) <= local_pairs else None
    if scored is not None:
        found = C.cluster_local(
            [(r[0], r[1], r[2]) for r in edges],
            scored,
            max_size=config.max_cluster_size,
            tiers=tiers,
            accept=config.threshold_weight,
            cannot_link=config.cannot_link_weight,
        )
        spark = nodes.sparkSession
        linked = on_driver(spark, found, f"{C.CLUSTER_SCHEMA}, cc string")
        alone = nodes.select("rk").distinct().join(linked.select("rk"), "rk", "left_anti")
        return linked.unionByName(
            alone.select(
                "rk",
                F.col("rk").alias("component"),
                F.lit(None).cast("string").alias("guard"),
                F.col("rk").alias("cc"),
            )
        )
    cc = C.connected_components(nodes, over)
    guarded = C.guarded_components(
        nodes, over, max_size=config.max_cluster_size, tiers=tiers, components=cc
    )
    clusters = C.refine(
        guarded,
        pairs.select("l_rk", "r_rk", F.col("link_weight").alias("match_weight")),
        accept=config.threshold_weight,
        cannot_link=config.cannot_link_weight,
    )
    return clusters.join(cc.select("rk", F.col("component").alias("cc")), "rk")


def _scored_within(
    pairs: DataFrame, edges: list[Any], limit: int
) -> list[tuple[str, str, float]] | None:
    """The scored pairs whose two records share a component of the graph of `edges` (the pairs
    at or above the threshold), or None past `limit` of them. They are all `cluster_local`
    reads: a cannot-link split only looks inside a component. At 100k persons 5.8M pairs are
    scored and 141,441 fall inside a component: the driver clusters them instead of Spark
    running the guard and the cannot-link steps over all of them (the components themselves
    were already found on the driver, `clustering.LOCAL_EDGES`)."""
    comp = C.union_find([(r[0], r[1]) for r in edges if r[0] != r[1]])
    if not comp:
        return []
    of = F.broadcast(on_driver(pairs.sparkSession, sorted(comp.items()), "rk string, c string"))
    inside = (
        pairs.join(of.toDF("l_rk", "l_c"), "l_rk")
        .join(of.toDF("r_rk", "r_c"), "r_rk")
        .where(F.col("l_c") == F.col("r_c"))
    )
    rows = inside.select("l_rk", "r_rk", "link_weight").limit(limit + 1).collect()
    return None if len(rows) > limit else [(r[0], r[1], r[2]) for r in rows]


def accepted_pairs(
    over: DataFrame, clusters: DataFrame, comparisons: list[Comparison], model: FS.Model
) -> DataFrame:
    """The pairs at or above the threshold whose two records ended in one cluster, explained."""
    comp = clusters.select("rk", "component")
    kept = (
        over.join(comp.withColumnRenamed("rk", "l_rk"), "l_rk")
        .join(comp.withColumnRenamed("rk", "r_rk").withColumnRenamed("component", "_c"), "r_rk")
        .where(F.col("component") == F.col("_c"))
        .drop("component", "_c")
    )
    return FS.explanation(kept, comparisons, model)


def lift_unsure_cannot_links(
    scored: DataFrame, comparisons: list[Comparison], cannot_link: float
) -> DataFrame:
    """`scored` with pairs that agree on the name (exact, variant or skeleton) and on the full
    birth date lifted to the cannot-link weight: such a pair may stay out of a cluster, but it
    is no proof of two people. A record corrupted on one field (an identity number mistyped
    twice, a new address) must not split a cluster whose records agree on who the person is."""
    by_name = {c.name: c for c in comparisons}
    name, dob = by_name.get("name"), by_name.get("birth_date")
    if name is None or dob is None:
        return scored
    same_name = F.col("g_name") >= name.labels().index("skeleton")
    same_dob = F.col("g_birth_date") == dob.labels().index("exact")
    return scored.withColumn(
        "match_weight",
        F.when(same_name & same_dob, F.greatest("match_weight", F.lit(cannot_link))).otherwise(
            F.col("match_weight")
        ),
    )


def pairs_output(accepted: DataFrame, assignment: DataFrame | None = None) -> DataFrame:
    """Accepted pairs with both record keys split back into (source_country, record_id)."""
    l_parts = F.split("l_rk", r"\|", 2)
    r_parts = F.split("r_rk", r"\|", 2)
    out = accepted.select(
        l_parts[0].alias("l_source_country"),
        l_parts[1].alias("l_record_id"),
        r_parts[0].alias("r_source_country"),
        r_parts[1].alias("r_record_id"),
        "match_weight",
        "match_probability",
        "contributions",
        "levels",
        "rules",
        "l_rk",
        "r_rk",
    )
    if assignment is not None:
        # An accepted pair's records ended in one cluster, so they hold one entity: a single
        # join gives both sides' (the accepted pairs crossed the shuffle once, not twice).
        out = out.join(
            assignment.select(F.col("rk").alias("l_rk"), F.col("entity_id").alias("l_entity_id")),
            "l_rk",
            "left",
        ).withColumn("r_entity_id", F.col("l_entity_id"))
    return out.drop("l_rk", "r_rk")


def generic_values_output(flagged: DataFrame) -> DataFrame:
    """The generic identifiers, in analyst terms: kind, value, how many persons share it, and
    why (`implausible`: a number no authority issues, whatever its count)."""
    parts = F.split("key", ":", 2)
    kinds = F.create_map(
        *[
            F.lit(x)
            for x in ("doc", "document", "for", "forensic_ref", "tel", "phone", "eml", "email")
        ]
    )
    return flagged.where("generic").select(
        F.element_at(kinds, parts[0]).alias("kind"),
        parts[1].alias("value"),
        F.col("persons").alias("distinct_persons"),
        "records",
        F.when(F.col("implausible"), "implausible")
        .otherwise("shared by many persons")
        .alias("reason"),
    )
