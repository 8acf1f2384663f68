"""Gold case links and trends: cases tied by shared evidence, and counts per month and route.

Pure functions. Both tables are built in two steps, per-case facts (`case_persons`,
`case_evidence`, `trend_cases`) that cost one pass over silver, then the expensive part (the
self-join on shared values, the aggregation per trend group) that `transforms.links_delta` runs
only for the cases and groups whose facts changed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.links_common import case_rk, union_all
from transforms.persons import record_key

# Strength of one piece of case-link evidence (probability that it really ties the two cases).
# Combined as 1 - Π(1 - w): two weak links together are stronger than either.
EVIDENCE_STRENGTH = {
    "person": 0.9,
    "forensic_ref": 0.95,
    "document": 0.8,
    "phone": 0.6,
    "vehicle": 0.5,
}
MAX_CASES_PER_VALUE = 50
"""A value shared by more cases than this (a taxi rank phone) links nothing: it would make every
pair of those cases a link."""
TREND_KEYS = (
    "month",
    "offence_type",
    "route_origin",
    "route_transit",
    "route_destination",
    "reporting_country",
    "operation_code",
    "dissemination",
    "handling_code",
    "handling_note",
)


def case_persons(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """(case_rk, person_rk, role, entity_id): persons named by a case, or naming it."""
    named = cases.select(
        case_rk().alias("case_rk"), F.col("source_country"), F.explode("persons").alias("p")
    ).select(
        "case_rk",
        record_key(F.col("source_country"), F.col("p.record_id")).alias("person_rk"),
        F.col("p.role").alias("role"),
    )
    frames = [named]
    if persons is not None:
        refs = (
            persons.select(
                case_rk().alias("person_rk"),
                "role",
                F.explode("case_refs").alias("case_record_id"),
            )
            .join(
                cases.select(
                    case_rk().alias("case_rk"), F.col("record_id").alias("case_record_id")
                ),
                "case_record_id",
            )
            .select("case_rk", "person_rk", "role")
        )
        frames.append(refs)
    # min, not first: the same role whichever rows come first, run after run.
    out = union_all(frames).groupBy("case_rk", "person_rk").agg(F.min("role").alias("role"))
    if assignment is not None:
        out = out.join(
            assignment.select(F.col("rk").alias("person_rk"), "entity_id"), "person_rk", "left"
        )
    else:
        out = out.withColumn("entity_id", F.lit(None).cast("string"))
    return out


def case_evidence(cases: DataFrame, persons: DataFrame | None, cp: DataFrame) -> DataFrame:
    """(case_rk, kind, value): what a case can share with another case (cp: `case_persons`)."""
    c = cases.select(case_rk().alias("case_rk"), "phones", "doc_keys", "vehicle_keys")
    frames = [
        cp.where(F.col("entity_id").isNotNull()).select(
            "case_rk", F.lit("person").alias("kind"), F.col("entity_id").alias("value")
        ),
        c.select("case_rk", F.lit("phone").alias("kind"), F.explode("phones").alias("value")),
        c.select("case_rk", F.lit("document").alias("kind"), F.explode("doc_keys").alias("value")),
        c.select(
            "case_rk", F.lit("vehicle").alias("kind"), F.explode("vehicle_keys").alias("value")
        ),
    ]
    if persons is not None:
        forensic = (
            persons.select(case_rk().alias("person_rk"), F.explode("forensic_keys").alias("value"))
            .join(cp.select("case_rk", "person_rk"), "person_rk")
            .select("case_rk", F.lit("forensic_ref").alias("kind"), "value")
        )
        frames.append(forensic)
    return union_all(frames).distinct()


def links_from(ev: DataFrame, only: DataFrame | None = None) -> DataFrame:
    """Pairs of cases sharing evidence (ev: `case_evidence`); with `only` (column case_rk), just
    the pairs with a case among them."""
    per_value = ev.groupBy("kind", "value").agg(F.count("*").alias("n"))
    ev = ev.join(per_value.where(F.col("n") <= MAX_CASES_PER_VALUE), ["kind", "value"]).drop("n")
    if only is None:
        a = ev.withColumnRenamed("case_rk", "a")
        b = ev.withColumnRenamed("case_rk", "b")
        shared = a.join(b, ["kind", "value"]).where(F.col("a") < F.col("b"))
    else:
        mine = ev.join(F.broadcast(only.select("case_rk")), "case_rk").withColumnRenamed(
            "case_rk", "x"
        )
        other = ev.withColumnRenamed("case_rk", "y")
        # A pair of two changed cases is found from both ends: distinct keeps one (a, b, value).
        shared = (
            mine.join(other, ["kind", "value"])
            .where(F.col("x") != F.col("y"))
            .select(F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b"), "kind", "value")
            .distinct()
        )
    strength = F.create_map(*[F.lit(x) for kv in EVIDENCE_STRENGTH.items() for x in kv])
    links = shared.groupBy("a", "b").agg(
        F.array_sort(F.collect_set(F.struct("kind", "value"))).alias("evidence"),
        F.sum(F.log1p(-F.element_at(strength, F.col("kind")))).alias("_log_miss"),
    )
    pa = F.split("a", r"\|", 2)
    pb = F.split("b", r"\|", 2)
    return links.select(
        pa[0].alias("case_a_source_country"),
        pa[1].alias("case_a_record_id"),
        pb[0].alias("case_b_source_country"),
        pb[1].alias("case_b_record_id"),
        "evidence",
        F.round(1 - F.exp("_log_miss"), 4).alias("strength"),
        (pa[0] != pb[0]).alias("cross_country"),
    ).orderBy(
        "case_a_source_country", "case_a_record_id", "case_b_source_country", "case_b_record_id"
    )


def case_links(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """gold/case_links from all of silver."""
    return links_from(case_evidence(cases, persons, case_persons(cases, persons, assignment)))


def trend_group() -> F.Column:
    """One string per trend group (its keys, nulls included), to find a group's rows again."""
    return F.sha2(F.to_json(F.struct(*TREND_KEYS)), 256)


def trend_cases(cases: DataFrame, cp: DataFrame) -> DataFrame:
    """One row per case with its trend keys and what it adds to its group's counts."""
    per_case = cp.groupBy("case_rk").agg(
        F.sum(F.when(F.col("role") == "victim", 1).otherwise(0)).alias("victims_listed"),
        F.sum(F.when(F.col("role") == "suspect", 1).otherwise(0)).alias("suspects"),
        F.array_sort(F.collect_set("entity_id")).alias("entities"),
    )
    c = cases.select(
        case_rk().alias("case_rk"),
        F.date_format(F.coalesce("start_date", F.to_date("reported_at")), "yyyy-MM").alias("month"),
        "offence_type",
        F.array_join("route_origin", ",").alias("route_origin"),
        F.array_join("route_transit", ",").alias("route_transit"),
        F.array_join("route_destination", ",").alias("route_destination"),
        F.col("source_country").alias("reporting_country"),
        "operation_code",
        F.array_sort(F.coalesce("dissemination", F.array().cast("array<string>"))).alias(
            "dissemination"
        ),
        "handling_code",
        "handling_note",
        "victims_count",
    ).join(per_case, "case_rk", "left")
    return c.withColumn("trend_group", trend_group())


def trends_from(c: DataFrame) -> DataFrame:
    """Per month, offence type, route, reporting country and operation: counts for analysts.

    Cases are grouped by their handling too (sorted dissemination list, handling code and note),
    so a row aggregates only cases under one set of conditions: the warehouse shows each row to
    the recipients of that list, and no recipient sees a count made partly of cases it may not."""
    return (
        c.groupBy(*TREND_KEYS)
        .agg(
            F.count("*").alias("cases"),
            F.sum(
                F.greatest(
                    F.coalesce("victims_count", F.lit(0)), F.coalesce("victims_listed", F.lit(0))
                )
            ).alias("victims"),
            F.sum(F.coalesce("suspects", F.lit(0))).alias("suspects"),
            F.size(
                F.array_distinct(
                    F.flatten(
                        F.collect_list(F.coalesce("entities", F.array().cast("array<string>")))
                    )
                )
            ).alias("distinct_persons_identified"),
        )
        .orderBy(*TREND_KEYS)
    )


def trends(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """gold/trends from all of silver."""
    return trends_from(trend_cases(cases, case_persons(cases, persons, assignment)))
