"""Gold beyond persons: documents and alerts, notice hits, case links, networks, trends.

All functions are pure: silver DataFrames (and the person resolution) in, a gold DataFrame out.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.clustering import connected_components
from transforms.comparisons import default_comparisons
from transforms.persons import Resolution, ResolutionConfig, record_key, to_records

ALERT_STATUSES = (
    "stolen_blank",
    "stolen_issued",
    "lost",
    "revoked",
    "counterfeit",
    "fraudulently_obtained",
)
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


def _union(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b), frames)


# -- documents ------------------------------------------------------------------------------------
def _sightings(persons, cases, notices) -> DataFrame | None:  # type: ignore[no-untyped-def]
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
    return _union(frames) if frames else None


def _register(docs: DataFrame) -> DataFrame:
    """Latest status per document from the travel_document feed (several countries may report)."""
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


def documents_table(docs, persons, cases, notices) -> DataFrame:  # type: ignore[no-untyped-def]
    """One row per (normalised number, issuing country): status, sightings, first/last seen."""
    sight = _sightings(persons, cases, notices)
    frames = []
    if sight is not None:
        frames.append(
            sight.select(
                "doc_key", "number", "issuing_country", "doc_type", "seen_in_feed", "seen_at"
            )
        )
    if docs is not None:
        frames.append(
            docs.select(
                "doc_key",
                "number",
                "issuing_country",
                "doc_type",
                F.lit("travel_document").alias("seen_in_feed"),
                F.col("reported_at").alias("seen_at"),
            )
        )
    allrows = _union(frames)
    out = allrows.groupBy("doc_key").agg(
        F.first("number", ignorenulls=True).alias("number"),
        F.first("issuing_country", ignorenulls=True).alias("issuing_country"),
        F.array_sort(F.collect_set("doc_type")).alias("doc_types"),
        F.count("*").alias("mentions"),
        F.array_sort(F.collect_set("seen_in_feed")).alias("feeds"),
        F.min("seen_at").alias("first_seen"),
        F.max("seen_at").alias("last_seen"),
    )
    if docs is not None:
        latest = (
            _register(docs)
            .groupBy("doc_key")
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


def document_alerts(docs, persons, cases, notices) -> DataFrame:  # type: ignore[no-untyped-def]
    """A document seen in a person/case/notice record that a register reports stolen, lost, …"""
    sight = _sightings(persons, cases, notices)
    reg = _register(docs).where(F.col("status").isin(*ALERT_STATUSES))
    if sight is None:
        return reg.limit(0)
    return (
        sight.join(reg.drop("number", "issuing_country", "doc_type"), "doc_key")
        .select(
            "doc_key",
            "number",
            "issuing_country",
            "doc_type",
            "status",
            "status_date",
            "register_source_country",
            "register_record_id",
            "seen_in_feed",
            "seen_in_source_country",
            "seen_in_record_id",
            "seen_at",
            "seen_place",
        )
        .orderBy("doc_key", "seen_in_feed", "seen_in_source_country", "seen_in_record_id")
    )


# -- notice hits ----------------------------------------------------------------------------------
def notice_hits(
    notices: DataFrame,
    persons: DataFrame | None,
    res: Resolution,
    assignment: DataFrame,
    config: ResolutionConfig | None = None,
) -> DataFrame:
    """Persons matching an active notice's subject, scored with the person model."""
    config = config or ResolutionConfig()
    comparisons = default_comparisons()
    active = notices.where(F.col("status") == "active")
    nrec = B.with_evidence_ids(to_records(active, prefix="N|"), res.flagged)
    unusable = res.unusable.select("key")
    nkeys = B.record_keys(nrec).join(unusable, "key", "left_anti")
    pkeys = B.record_keys(res.records).join(unusable, "key", "left_anti")
    pairs = (
        nkeys.select(F.col("rk").alias("l_rk"), "key")
        .join(pkeys.select(F.col("rk").alias("r_rk"), "key"), "key")
        .groupBy("l_rk", "r_rk")
        .agg(F.array_sort(F.collect_set(F.split("key", ":", 2)[0])).alias("rules"))
    )
    both = res.records.unionByName(nrec.select(*res.records.columns))
    vectors = FS.comparison_vectors(pairs, both, comparisons)
    # Term frequencies are those of the person records: how common a name is among persons.
    scored = FS.score(vectors, res.tf, comparisons, res.model)
    hits = scored.where(F.col("match_probability") >= F.lit(config.threshold))
    notice_cols = active.select(
        record_key(F.concat(F.lit("N|"), F.col("source_country")), F.col("record_id")).alias(
            "l_rk"
        ),
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


# -- case links and networks ----------------------------------------------------------------------
def _case_rk() -> F.Column:
    return record_key(F.col("source_country"), F.col("record_id"))


def case_persons(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """(case_rk, person_rk, role, entity_id): persons named by a case, or naming it."""
    named = cases.select(
        _case_rk().alias("case_rk"), F.col("source_country"), F.explode("persons").alias("p")
    ).select(
        "case_rk",
        record_key(F.col("source_country"), F.col("p.record_id")).alias("person_rk"),
        F.col("p.role").alias("role"),
    )
    frames = [named]
    if persons is not None:
        refs = (
            persons.select(
                _case_rk().alias("person_rk"),
                "role",
                F.explode("case_refs").alias("case_record_id"),
            )
            .join(
                cases.select(
                    _case_rk().alias("case_rk"), F.col("record_id").alias("case_record_id")
                ),
                "case_record_id",
            )
            .select("case_rk", "person_rk", "role")
        )
        frames.append(refs)
    out = _union(frames).groupBy("case_rk", "person_rk").agg(F.first("role").alias("role"))
    if assignment is not None:
        out = out.join(
            assignment.select(F.col("rk").alias("person_rk"), "entity_id"), "person_rk", "left"
        )
    else:
        out = out.withColumn("entity_id", F.lit(None).cast("string"))
    return out


def case_evidence(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """(case_rk, kind, value): what a case can share with another case."""
    cp = case_persons(cases, persons, assignment)
    c = cases.select(_case_rk().alias("case_rk"), "phones", "doc_keys", "vehicle_keys")
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
            persons.select(_case_rk().alias("person_rk"), F.explode("forensic_keys").alias("value"))
            .join(cp.select("case_rk", "person_rk"), "person_rk")
            .select("case_rk", F.lit("forensic_ref").alias("kind"), "value")
        )
        frames.append(forensic)
    return _union(frames).distinct()


def case_links(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """Pairs of cases sharing a resolved person, phone, document, forensic ref or vehicle."""
    ev = case_evidence(cases, persons, assignment)
    per_value = ev.groupBy("kind", "value").agg(F.count("*").alias("n"))
    ev = ev.join(per_value.where(F.col("n") <= MAX_CASES_PER_VALUE), ["kind", "value"]).drop("n")
    a = ev.withColumnRenamed("case_rk", "a")
    b = ev.withColumnRenamed("case_rk", "b")
    strength = F.create_map(*[F.lit(x) for kv in EVIDENCE_STRENGTH.items() for x in kv])
    shared = a.join(b, ["kind", "value"]).where(F.col("a") < F.col("b"))
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


def networks(
    cases: DataFrame, links: DataFrame, persons: DataFrame | None, assignment
) -> tuple[DataFrame, DataFrame]:  # type: ignore[no-untyped-def]
    """Connected groups of cases and person entities: (networks, network_members)."""
    cp = case_persons(cases, persons, assignment)
    case_node = F.concat(F.lit("C:"), F.col("case_rk"))
    ent_node = F.concat(F.lit("E:"), F.coalesce(F.col("entity_id"), F.col("person_rk")))
    membership = cp.select(case_node.alias("l_rk"), ent_node.alias("r_rk"))
    case_case = links.select(
        F.concat(F.lit("C:"), F.concat_ws("|", "case_a_source_country", "case_a_record_id")).alias(
            "l_rk"
        ),
        F.concat(F.lit("C:"), F.concat_ws("|", "case_b_source_country", "case_b_record_id")).alias(
            "r_rk"
        ),
    )
    edges = membership.unionByName(case_case)
    nodes = (
        cases.select(F.concat(F.lit("C:"), _case_rk()).alias("rk"))
        .unionByName(membership.select(F.col("r_rk").alias("rk")))
        .distinct()
    )
    comp = connected_components(nodes, edges)
    comp = comp.withColumn(
        "network_id",
        F.concat(F.lit("N-"), F.upper(F.substring(F.sha2("component", 256), 1, 12))),
    )
    members = comp.select(
        "network_id",
        F.when(F.col("rk").startswith("C:"), "case").otherwise("entity").alias("member_type"),
        F.substring("rk", 3, 10_000).alias("member_id"),
    )
    case_info = cases.select(
        F.concat(F.lit("C:"), _case_rk()).alias("rk"),
        "source_country",
        "offence_type",
        F.coalesce("start_date", F.to_date("reported_at")).alias("first"),
        F.coalesce("end_date", "start_date", F.to_date("reported_at")).alias("last"),
    )
    ent_countries = cp.select(ent_node.alias("rk"), F.split("person_rk", r"\|", 2)[0].alias("c"))
    per_case = (
        comp.join(case_info, "rk")
        .groupBy("network_id")
        .agg(
            F.count("*").alias("cases"),
            F.array_sort(F.collect_set("offence_type")).alias("offence_types"),
            F.array_sort(F.collect_set("source_country")).alias("case_countries"),
            F.min("first").alias("first_seen"),
            F.max("last").alias("last_seen"),
        )
    )
    per_ent = (
        comp.join(ent_countries, "rk")
        .groupBy("network_id")
        .agg(
            F.countDistinct("rk").alias("entities"),
            F.array_sort(F.collect_set("c")).alias("person_countries"),
        )
    )
    nets = (
        per_case.join(per_ent, "network_id", "left")
        .withColumn("entities", F.coalesce("entities", F.lit(0)))
        .withColumn(
            "countries",
            F.array_sort(
                F.array_union(
                    "case_countries",
                    F.coalesce("person_countries", F.array().cast("array<string>")),
                )
            ),
        )
        .withColumn("size", F.col("cases") + F.col("entities"))
        .select(
            "network_id",
            "size",
            "cases",
            "entities",
            "countries",
            "offence_types",
            "first_seen",
            "last_seen",
        )
        .orderBy(F.col("size").desc(), "network_id")
    )
    return nets, members.orderBy("network_id", "member_type", "member_id")


# -- trends ---------------------------------------------------------------------------------------
def trends(cases: DataFrame, persons: DataFrame | None, assignment) -> DataFrame:  # type: ignore[no-untyped-def]
    """Per month, offence type, route, reporting country and operation: counts for analysts.

    Cases are grouped by their handling too (sorted dissemination list, handling code and note),
    so a row aggregates only cases under one set of conditions: the warehouse shows each row to
    the recipients of that list, and no recipient sees a count made partly of cases it may not."""
    cp = case_persons(cases, persons, assignment)
    per_case = cp.groupBy("case_rk").agg(
        F.sum(F.when(F.col("role") == "victim", 1).otherwise(0)).alias("victims_listed"),
        F.sum(F.when(F.col("role") == "suspect", 1).otherwise(0)).alias("suspects"),
        F.collect_set("entity_id").alias("entities"),
    )
    c = cases.select(
        _case_rk().alias("case_rk"),
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
    keys = [
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
    ]
    return (
        c.groupBy(*keys)
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
        .orderBy(*keys)
    )
