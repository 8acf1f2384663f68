"""Gold notice hits: persons matching an active notice's subject, scored with the person model.

Pure: silver notices and persons, the person resolution and its assignment in; gold out. A hit
is a (notice record, person record) pair, found in two steps (`notice_pairs`, `scored_hits`) so
that an incremental run finds the candidate pairs of a changed notice or person only, scores
them only when there are any, and keeps the previous run's other hits
(`transforms.links_notices_delta`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.comparisons import Comparison, default_comparisons
from transforms.config import ResolutionConfig
from transforms.driver_frames import among, on_driver
from transforms.persons import Resolution, record_key, to_records

NOTICE_PREFIX = "N|"
"""Notice subjects are matched as records keyed `N|country|record_id`, apart from persons."""


def notice_records(notices: DataFrame, res: Resolution, only: DataFrame | None = None) -> DataFrame:
    """The active notices' subjects as matching records with evidence identifiers; with `only`
    (column rk, few), just those notices'."""
    active = notices.where(F.col("status") == "active")
    rec = to_records(active, prefix=NOTICE_PREFIX)
    if only is not None:
        rec = rec.join(F.broadcast(only.select("rk")), "rk")
    return B.with_evidence_ids(rec, res.flagged)


def notice_keys(notices: DataFrame) -> DataFrame:
    """(rk, key): the active notices' blocking keys. They depend on the notices alone (a key's
    status is applied where they are used), so an incremental run in which no notice changed
    reads the previous run's (`transforms.links_notices_delta`) instead of deriving them again."""
    active = notices.where(F.col("status") == "active")
    return B.record_keys(to_records(active, prefix=NOTICE_PREFIX)).select("rk", "key")


def notice_hits(
    notices: DataFrame,
    persons: DataFrame | None,
    res: Resolution,
    assignment: DataFrame,
    config: ResolutionConfig | None = None,
) -> DataFrame:
    """Persons matching an active notice's subject at or above the person threshold."""
    pairs = notice_pairs(notices, res, B.record_keys(res.records))
    return scored_hits(pairs, notices, persons, res, assignment, config)


def notice_pairs(
    notices: DataFrame,
    res: Resolution,
    person_keys: DataFrame,
    only: tuple[DataFrame, DataFrame] | None = None,
    keys: DataFrame | None = None,
) -> DataFrame:
    """(l_rk notice, r_rk person, rules): the candidate pairs, sharing a usable blocking key.

    `person_keys`: the persons' blocking keys (rk, key). `only` = (notice rks, person rks),
    column rk: just the pairs with a notice or a person among them (an incremental run); then
    `person_keys` need only hold every person's keys when a notice is among them. `keys`: the
    notices' blocking keys (`notice_keys`) when the caller holds them.
    """
    unusable = res.unusable.select("key")
    keys = notice_keys(notices) if keys is None else keys
    nkeys = keys.join(unusable, "key", "left_anti")
    pkeys = person_keys.join(unusable, "key", "left_anti")
    left = nkeys.select(F.col("rk").alias("l_rk"), "key")
    right = pkeys.select(F.col("rk").alias("r_rk"), "key")
    if only is None:
        shared = left.join(right, "key")
    else:
        dirty_n, dirty_p = (F.broadcast(d.select("rk")) for d in only)
        shared = (
            left.join(dirty_n.withColumnRenamed("rk", "l_rk"), "l_rk")
            .join(right, "key")
            .unionByName(
                left.join(right.join(dirty_p.withColumnRenamed("rk", "r_rk"), "r_rk"), "key")
            )
        )
    return shared.groupBy("l_rk", "r_rk").agg(
        F.array_sort(F.collect_set(F.split("key", ":", 2)[0])).alias("rules")
    )


def _tf_of_shared(vectors: DataFrame, tf: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """The term-frequency rows of the values the (few) pairs of `vectors` share: every row the
    scoring's lookup (on comparison, level and value) can find, held by the driver. A value
    the table lacks stays without a row: no adjustment, as in the lookup of the whole table."""
    cols = [f"tf_{c.name}" for c in comparisons if c.tf_level()]
    if not cols:
        return tf
    rows = vectors.select(F.explode(F.flatten(F.array(*cols))).alias("v")).distinct().collect()
    values = sorted({r[0] for r in rows if r[0] is not None})
    found = tf.where(among("value", values)).collect() if values else []
    return on_driver(vectors.sparkSession, found, tf.schema)


def scored_hits(
    pairs: DataFrame,
    notices: DataFrame,
    persons: DataFrame | None,
    res: Resolution,
    assignment: DataFrame,
    config: ResolutionConfig | None = None,
    *,
    paired: DataFrame | None = None,
    paired_notices: DataFrame | None = None,
) -> DataFrame:
    """The candidate `pairs` scored, at or above the threshold, as gold notice_hits rows.

    `paired` (column rk): the persons among the pairs, when they are few (an incremental run):
    evidence identifiers are then added to those records only, not to every record;
    `paired_notices` (column rk) likewise for the notices.
    """
    config = config or ResolutionConfig()
    comparisons = default_comparisons()
    active = notices.where(F.col("status") == "active")
    nrec = notice_records(notices, res, only=paired_notices)
    if paired is None:
        both = res.records.unionByName(nrec.select(*res.records.columns))
    else:
        plain = res.matching if res.matching is not None else res.records
        mine = B.with_evidence_ids(
            plain.drop(*B.EVIDENCE_COLUMNS).join(F.broadcast(paired), "rk"), res.flagged
        )
        both = mine.select(*res.records.columns).unionByName(nrec.select(*res.records.columns))
    vectors = FS.comparison_vectors(pairs, both, comparisons)
    # Term frequencies are those of the person records: how common a name is among persons.
    tf = res.tf
    if paired is not None:
        # A few pairs: their records and vectors materialised once, and the term frequencies
        # of the values they share alone, on the driver. Left lazy, the scoring's plan read
        # the vectors twice (the weights and the term-frequency lookup), each time through
        # the records' joins and the comparison UDF: some forty Spark jobs for a few rows.
        both = both.localCheckpoint(eager=True)
        vectors = FS.comparison_vectors(pairs, both, comparisons, broadcast=True)
        vectors = vectors.localCheckpoint(eager=True)
        tf = _tf_of_shared(vectors, tf, comparisons)
    weighted = FS.add_weight(FS.field_weights(vectors, tf, comparisons, res.model), res.model)
    hits = weighted.where(F.col("match_probability") >= F.lit(config.threshold))
    if paired is not None:
        # A few rows, held by the driver: the joins below then broadcast them at once, where
        # a lazy frame's unknown size made each a shuffle that adaptive execution undid. Held
        # before the explanation maps are built: a map's entries keep their order only in Spark.
        hits = on_driver(hits.sparkSession, hits.collect(), hits.schema)
    hits = FS.explanation(hits, comparisons, res.model)
    notice_cols = active.select(
        record_key(
            F.concat(F.lit(NOTICE_PREFIX), F.col("source_country")), F.col("record_id")
        ).alias("l_rk"),
        "notice_id",
        "notice_type",
        F.col("source_country").alias("notice_source_country"),
        F.col("record_id").alias("notice_record_id"),
        F.col("primary_name_original").alias("subject_name"),
    )
    person_cols = assignment.select(F.col("rk").alias("r_rk"), "entity_id")
    mine_only = None if paired is None else F.broadcast(paired.select(F.col("rk").alias("r_rk")))
    if mine_only is not None:
        # A few persons: picked out of each side first, so the join is no shuffle of all.
        person_cols = person_cols.join(mine_only, "r_rk")
    if persons is not None:
        person_rows = persons.select(
            record_key(F.col("source_country"), F.col("record_id")).alias("r_rk"),
            F.col("source_country").alias("person_source_country"),
            F.col("record_id").alias("person_record_id"),
            "role",
            F.col("primary_name_original").alias("person_name"),
        )
        if mine_only is not None:
            person_rows = person_rows.join(mine_only, "r_rk")
        person_cols = person_cols.join(person_rows, "r_rk")
    return (
        hits.join(notice_cols, "l_rk")
        .join(person_cols, "r_rk")
        .select(
            "notice_id",
            "notice_type",
            "notice_source_country",
            "notice_record_id",
            "subject_name",
            "person_source_country",
            "person_record_id",
            "person_name",
            "role",
            "entity_id",
            "match_weight",
            "match_probability",
            "contributions",
            "levels",
            (F.col("notice_type") == "yellow").alias("possible_victim"),
        )
        .orderBy(
            "notice_id", F.col("match_weight").desc(), "person_source_country", "person_record_id"
        )
    )
