"""Gold notice hits: persons matching an active notice's subject, scored with the person model.

Pure: silver notices and persons, the person resolution and its assignment in; gold out. A hit
is a (notice record, person record) pair, so an incremental run scores only the pairs with a
changed notice or a changed person (`only`) and keeps the previous run's other hits.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.comparisons import default_comparisons
from transforms.config import ResolutionConfig
from transforms.persons import Resolution, record_key, to_records

NOTICE_PREFIX = "N|"
"""Notice subjects are matched as records keyed `N|country|record_id`, apart from persons."""


def notice_records(notices: DataFrame, res: Resolution) -> DataFrame:
    """The active notices' subjects as matching records with evidence identifiers."""
    active = notices.where(F.col("status") == "active")
    return B.with_evidence_ids(to_records(active, prefix=NOTICE_PREFIX), res.flagged)


def notice_hits(
    notices: DataFrame,
    persons: DataFrame | None,
    res: Resolution,
    assignment: DataFrame,
    config: ResolutionConfig | None = None,
    *,
    only: tuple[DataFrame, DataFrame] | None = None,
    person_keys: DataFrame | None = None,
) -> DataFrame:
    """Persons matching an active notice's subject at or above the person threshold.

    `only` = (notice rks, person rks), column rk: score only the pairs with a notice or a
    person among them (an incremental run); None scores every candidate pair. `person_keys`:
    the persons' blocking keys (rk, key) when the caller has them already.
    """
    config = config or ResolutionConfig()
    comparisons = default_comparisons()
    active = notices.where(F.col("status") == "active")
    nrec = notice_records(notices, res)
    unusable = res.unusable.select("key")
    nkeys = B.record_keys(nrec).join(unusable, "key", "left_anti")
    if person_keys is None:
        person_keys = B.record_keys(res.records)
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
    pairs = shared.groupBy("l_rk", "r_rk").agg(
        F.array_sort(F.collect_set(F.split("key", ":", 2)[0])).alias("rules")
    )
    if only is not None:
        pairs = pairs.localCheckpoint(eager=True)
    if only is None:
        both = res.records.unionByName(nrec.select(*res.records.columns))
    else:
        ends = F.broadcast(
            pairs.select(F.col("r_rk").alias("rk")).distinct().localCheckpoint(eager=True)
        )
        # Evidence identifiers for the few persons paired, not for every record.
        plain = res.matching if res.matching is not None else res.records
        mine = B.with_evidence_ids(plain.drop(*B.EVIDENCE_COLUMNS).join(ends, "rk"), res.flagged)
        both = mine.select(*res.records.columns).unionByName(nrec.select(*res.records.columns))
    vectors = FS.comparison_vectors(pairs, both, comparisons)
    # Term frequencies are those of the person records: how common a name is among persons.
    scored = FS.score(vectors, res.tf, comparisons, res.model)
    hits = scored.where(F.col("match_probability") >= F.lit(config.threshold))
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
    if persons is not None:
        person_cols = person_cols.join(
            persons.select(
                record_key(F.col("source_country"), F.col("record_id")).alias("r_rk"),
                F.col("source_country").alias("person_source_country"),
                F.col("record_id").alias("person_record_id"),
                "role",
                F.col("primary_name_original").alias("person_name"),
            ),
            "r_rk",
        )
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
