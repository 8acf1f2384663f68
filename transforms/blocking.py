"""Blocking and generic values: which record pairs are worth comparing at all.

Every record emits *keys*, one family per blocking rule (a union of rules):

| prefix | rule | also evidence? |
| --- | --- | --- |
| `doc:` | document number + issuing country | yes (identifier) |
| `for:` | forensic reference (kind, database, reference) | yes |
| `tel:` / `eml:` | phone (E.164) / e-mail | yes |
| `nty:` | a canonical name token + birth year | no |
| `sky:` | consonant skeleton of a whole name + birth year | no |
| `nk:` | the whole name, tokens sorted (records without birth date still meet) | no |

Two records are a candidate pair when they share a usable key. A key is unusable when it is
*generic* (an identifier held by more than `generic_min_persons` distinct persons: a hotline, a
placeholder passport) or *oversized* (a block of more than `max_block_size` records, e.g. a very
common name in one year: those pairs still meet through rarer keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

IDENTIFIER_PREFIXES = ("doc", "for", "tel", "eml")


@dataclass(frozen=True)
class BlockingConfig:
    """Bounds that keep blocking linear-ish and generic values out of the evidence."""

    generic_min_persons: int = 5
    """An identifier shared by more than this many distinct persons (name skeleton + birth year)
    is generic: listed in gold/generic_values and ignored as evidence and as a blocking key."""
    max_block_size: int = 200
    """Name-based blocks with more records than this are skipped (pairs within them are
    quadratic); identifiers are bounded by the generic rule instead."""


def _prefixed(prefix: str, arr: Column) -> Column:
    return F.transform(F.coalesce(arr, F.array()), lambda v: F.concat(F.lit(prefix + ":"), v))


def record_keys(records: DataFrame) -> DataFrame:
    """(rk, key, signature) for every blocking key of every record.

    `signature` (first name skeleton + birth year) approximates "a distinct person" for the
    generic-value rule without needing the resolution that generic values feed into.
    """
    year = F.coalesce(F.col("birth_year").cast("string"), F.lit(""))
    has_year = F.col("birth_year").isNotNull()
    name_year = F.when(
        has_year,
        F.transform(
            F.filter(F.col("name_tokens"), lambda t: F.length(t) >= 2),
            lambda t: F.concat(F.lit("nty:"), t, F.lit("|"), year),
        ),
    ).otherwise(F.array())
    skel_year = F.when(
        has_year,
        F.transform(F.col("skel_keys"), lambda s: F.concat(F.lit("sky:"), s, F.lit("|"), year)),
    ).otherwise(F.array())
    keys = F.flatten(
        F.array(
            _prefixed("doc", F.col("doc_keys")),
            _prefixed("for", F.col("forensic_keys")),
            _prefixed("tel", F.col("phones")),
            _prefixed("eml", F.col("emails")),
            name_year,
            skel_year,
            _prefixed("nk", F.col("name_keys")),
        )
    )
    signature = F.concat_ws("|", F.coalesce(F.get(F.col("skel_keys"), 0), F.lit("")), year)
    return records.select(
        "rk", F.explode(F.array_distinct(keys)).alias("key"), signature.alias("signature")
    )


def key_stats(keys: DataFrame, config: BlockingConfig) -> DataFrame:
    """Per key: records, distinct persons, and whether it is generic or oversized."""
    prefix = F.split(F.col("key"), ":", 2)[0]
    stats = keys.groupBy("key").agg(
        F.countDistinct("rk").alias("records"), F.countDistinct("signature").alias("persons")
    )
    is_identifier = prefix.isin(*IDENTIFIER_PREFIXES)
    return (
        stats.withColumn("kind", prefix)
        .withColumn(
            "generic", is_identifier & (F.col("persons") > F.lit(config.generic_min_persons))
        )
        .withColumn("oversized", ~is_identifier & (F.col("records") > F.lit(config.max_block_size)))
    )


def unusable_keys(stats: DataFrame) -> DataFrame:
    """Keys that neither block nor count as evidence, with the reason."""
    return stats.where(F.col("generic") | F.col("oversized")).select(
        "key", "kind", "records", "persons", "generic", "oversized"
    )


def candidate_pairs(keys: DataFrame, unusable: DataFrame, dirty: DataFrame | None) -> DataFrame:
    """(l_rk, r_rk, rules) with l_rk < r_rk sharing a usable key.

    With `dirty` (a frame of rk) only pairs touching a dirty record are produced: that is the
    incremental mode, where pairs between unchanged records are kept from the previous run.
    """
    usable = keys.join(unusable.select("key"), "key", "left_anti").select("rk", "key")
    left = usable if dirty is None else usable.join(dirty.select("rk"), "rk")
    a = left.withColumnRenamed("rk", "a")
    b = usable.withColumnRenamed("rk", "b")
    pairs = a.join(b, "key").where(F.col("a") != F.col("b"))
    return (
        pairs.select(
            F.least("a", "b").alias("l_rk"),
            F.greatest("a", "b").alias("r_rk"),
            F.split(F.col("key"), ":", 2)[0].alias("rule"),
        )
        .groupBy("l_rk", "r_rk")
        .agg(F.array_sort(F.collect_set("rule")).alias("rules"))
    )


def with_evidence_ids(records: DataFrame, generic: DataFrame) -> DataFrame:
    """Add ids_doc / ids_forensic / ids_contact: the record's identifiers minus generic ones."""
    ids = records.select(
        "rk",
        F.explode(
            F.flatten(
                F.array(
                    _prefixed("doc", F.col("doc_keys")),
                    _prefixed("for", F.col("forensic_keys")),
                    _prefixed("tel", F.col("phones")),
                    _prefixed("eml", F.col("emails")),
                )
            )
        ).alias("key"),
    ).join(generic.select("key"), "key", "left_anti")
    kind = F.split(F.col("key"), ":", 2)[0]
    grouped = ids.groupBy("rk").agg(
        F.array_sort(F.collect_set(F.when(kind == "doc", F.col("key")))).alias("ids_doc"),
        F.array_sort(F.collect_set(F.when(kind == "for", F.col("key")))).alias("ids_forensic"),
        F.array_sort(F.collect_set(F.when(kind.isin("tel", "eml"), F.col("key")))).alias(
            "ids_contact"
        ),
    )
    empty = F.array().cast("array<string>")
    return (
        records.drop("ids_doc", "ids_forensic", "ids_contact")
        .join(grouped, "rk", "left")
        .withColumn("ids_doc", F.coalesce("ids_doc", empty))
        .withColumn("ids_forensic", F.coalesce("ids_forensic", empty))
        .withColumn("ids_contact", F.coalesce("ids_contact", empty))
    )
