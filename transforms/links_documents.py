"""Gold documents and document alerts: what the registers say about each document seen.

Pure functions: silver frames in, gold frames out. Both tables are built per document key from two
inputs, the sightings (a person, case or notice record mentioning a document) and the register
(the travel_document feed's statuses), so an incremental run recomputes them for the document
keys whose sightings or register rows changed and keeps every other row (`transforms.links_delta`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.gold import DOCUMENT_ALERTS
from transforms.links_common import union_all

ALERT_STATUSES = (
    "stolen_blank",
    "stolen_issued",
    "lost",
    "revoked",
    "counterfeit",
    "fraudulently_obtained",
)


def sightings(persons, cases, notices) -> DataFrame | None:  # type: ignore[no-untyped-def]
    """Every (document, record) where a person, case or notice record mentions a document."""
    frames = []
    for feed, df in (("person", persons), ("case", cases), ("notice", notices)):
        if df is None:
            continue
        place = F.col("location_place") if "location_place" in df.columns else F.lit(None)
        frames.append(
            df.select(
                F.lit(feed).alias("seen_in_feed"),
                F.col("source_country").alias("seen_in_source_country"),
                F.col("record_id").alias("seen_in_record_id"),
                F.col("reported_at").alias("seen_at"),
                place.cast("string").alias("seen_place"),
                F.explode("documents").alias("d"),
            )
            .select(
                "*",
                F.col("d.doc_key").alias("doc_key"),
                F.col("d.number").alias("number"),
                F.col("d.issuing_country").alias("issuing_country"),
                F.col("d.doc_type").alias("doc_type"),
            )
            .drop("d")
        )
    return union_all(frames) if frames else None


def register(docs: DataFrame | None) -> DataFrame | None:
    """Every status report of the travel_document feed (several countries may report)."""
    if docs is None:
        return None
    return docs.select(
        "doc_key",
        "number",
        "issuing_country",
        "doc_type",
        "status",
        "status_date",
        F.col("source_country").alias("register_source_country"),
        F.col("record_id").alias("register_record_id"),
        F.col("reported_at").alias("register_reported_at"),
    )


def documents_from(sight: DataFrame | None, reg: DataFrame | None) -> DataFrame:
    """One row per (normalised number, issuing country): status, sightings, first/last seen."""
    frames = []
    if sight is not None:
        frames.append(
            sight.select(
                "doc_key", "number", "issuing_country", "doc_type", "seen_in_feed", "seen_at"
            )
        )
    if reg is not None:
        frames.append(
            reg.select(
                "doc_key",
                "number",
                "issuing_country",
                "doc_type",
                F.lit("travel_document").alias("seen_in_feed"),
                F.col("register_reported_at").alias("seen_at"),
            )
        )
    out = (
        union_all(frames)
        .groupBy("doc_key")
        .agg(
            # min, not first: the same spelling whichever rows a run groups, so an incremental
            # run's row for a document is the full run's.
            F.min("number").alias("number"),
            F.min("issuing_country").alias("issuing_country"),
            F.array_sort(F.collect_set("doc_type")).alias("doc_types"),
            F.count("*").alias("mentions"),
            F.array_sort(F.collect_set("seen_in_feed")).alias("feeds"),
            F.min("seen_at").alias("first_seen"),
            F.max("seen_at").alias("last_seen"),
        )
    )
    if reg is not None:
        latest = (
            reg.groupBy("doc_key")
            .agg(F.max_by(F.struct("status", "status_date"), F.col("status_date")).alias("s"))
            .select(
                "doc_key",
                F.col("s.status").alias("status"),
                F.col("s.status_date").alias("status_date"),
            )
        )
        out = out.join(latest, "doc_key", "left")
    else:
        out = out.withColumn("status", F.lit(None).cast("string")).withColumn(
            "status_date", F.lit(None).cast("date")
        )
    return out.orderBy("doc_key")


def alerts_from(sight: DataFrame | None, reg: DataFrame) -> DataFrame:
    """A document seen in a person/case/notice record that a register reports stolen, lost, …"""
    alerting = reg.where(F.col("status").isin(*ALERT_STATUSES))
    if sight is None:
        return alerting.limit(0)
    return (
        sight.join(alerting.drop("number", "issuing_country", "doc_type"), "doc_key")
        .select(*DOCUMENT_ALERTS.column_names)  # the declared gold columns, in order
        .orderBy("doc_key", "seen_in_feed", "seen_in_source_country", "seen_in_record_id")
    )


def documents_table(docs, persons, cases, notices) -> DataFrame:  # type: ignore[no-untyped-def]
    """gold/documents from all of silver."""
    return documents_from(sightings(persons, cases, notices), register(docs))


def document_alerts(docs: DataFrame, persons, cases, notices) -> DataFrame:  # type: ignore[no-untyped-def]
    """gold/document_alerts from all of silver."""
    reg = register(docs)
    assert reg is not None
    return alerts_from(sightings(persons, cases, notices), reg)
