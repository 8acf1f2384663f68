"""Curated tables built across records: case links, networks and their members, notice hits, match
explanations, trends, and the operational tables (declared here, assembled in `catalog.py`).
"""

from __future__ import annotations

from infra.warehouse.catalog_model import (
    Column,
    Table,
    handling,
    provenance,
    record_key,
    split_record_key,
    technical,
)

DERIVED_TABLES: tuple[Table, ...] = (
    Table(
        name="case_links",
        description="Two cases linked by shared evidence (a resolved person, phone, document, "
        "forensic reference, vehicle), possibly across countries.",
        sources=("gold/case_links",),
        key=("case_a_country", "case_a_id", "case_b_country", "case_b_id"),
        record_keys="["
        + record_key("c.case_a_country", "'case'", "c.case_a_id")
        + ", "
        + record_key("c.case_b_country", "'case'", "c.case_b_id")
        + "]",
        entity_refs="list_transform(list_filter(g.evidence, lambda e: e.kind = 'person'), "
        "lambda e: e.value)",
        governance="derived",
        columns=(
            *technical(),
            provenance(
                "case_a_country",
                "text",
                "Source country of the first case.",
                (("case_a_source_country",), "g.case_a_source_country"),
            ),
            provenance(
                "case_a_id",
                "text",
                "record_id of the first case.",
                (("case_a_record_id",), "g.case_a_record_id"),
            ),
            provenance(
                "case_b_country",
                "text",
                "Source country of the second case.",
                (("case_b_source_country",), "g.case_b_source_country"),
            ),
            provenance(
                "case_b_id",
                "text",
                "record_id of the second case.",
                (("case_b_record_id",), "g.case_b_record_id"),
            ),
            Column("evidence", "json", "The shared values linking them (kind, value)."),
            provenance(
                "evidence_kinds",
                "text[]",
                "Kinds of evidence (person, phone, document, forensic_ref, vehicle).",
                (
                    ("evidence",),
                    "list_sort(list_distinct(list_transform(g.evidence, lambda e: e.kind)))",
                ),
            ),
            provenance(
                "strength",
                "double",
                "Strength of the link (1 - product of misses).",
                (("strength",), "g.strength"),
            ),
            Column("cross_country", "bool", "Whether the two cases come from two countries."),
            *handling(derived=True),
        ),
    ),
    Table(
        name="networks",
        description="Networks: connected groups of cases and person entities, often cross-border.",
        sources=("gold/networks",),
        key=("network_id",),
        record_keys="[]",
        record_keys_from="network_members",
        governance="derived",
        columns=(
            *technical(),
            Column("network_id", "text", "Stable id of the network."),
            Column("size", "int", "Number of members (cases and entities)."),
            provenance("n_cases", "int", "Number of cases.", (("cases",), "g.cases")),
            provenance(
                "n_entities", "int", "Number of person entities.", (("entities",), "g.entities")
            ),
            provenance(
                "n_countries",
                "int",
                "Number of countries involved.",
                (("countries",), "len(g.countries)"),
            ),
            Column("countries", "text[]", "ISO3 countries involved."),
            Column("offence_types", "text[]", "Offences of its cases."),
            Column("first_seen", "date", "Earliest case start."),
            Column("last_seen", "date", "Latest case end."),
            *handling(derived=True),
        ),
    ),
    Table(
        name="network_members",
        description="Members (cases and person entities) of each network.",
        sources=("gold/network_members",),
        key=("network_id", "member_type", "member_id"),
        record_keys="CASE WHEN c.member_type = 'case' THEN ["
        + record_key("c.country", "'case'", "c.record_id")
        + "] WHEN c.record_id IS NOT NULL THEN ["
        + record_key("c.country", "'person'", "c.record_id")
        + "] ELSE [] END",
        entity_refs="CASE WHEN g.member_type = 'entity' AND NOT contains(g.member_id, '|') "
        "THEN [g.member_id] ELSE [] END",
        governance="derived",
        columns=(
            *technical(),
            Column("network_id", "text", "The network."),
            Column("member_type", "text", "case | entity."),
            Column(
                "member_id",
                "text",
                "`<country>|<record_id>` of a case, an entity_id, or "
                "`<country>|<record_id>` of a person record without entity.",
            ),
            provenance(
                "country",
                "text",
                "Source country of a case or person record member.",
                (
                    ("member_id",),
                    "CASE WHEN contains(g.member_id, '|') THEN "
                    + split_record_key("member_id", 1)
                    + " END",
                ),
            ),
            provenance(
                "record_id",
                "text",
                "record_id of a case or person record member.",
                (
                    ("member_id",),
                    "CASE WHEN contains(g.member_id, '|') THEN "
                    + split_record_key("member_id", 2)
                    + " END",
                ),
            ),
            *handling(derived=True),
        ),
    ),
    Table(
        name="notice_hits",
        description="An active notice's subject matched to a person record, scored with the "
        "person model (names are in persons, masked there for victims).",
        sources=("gold/notice_hits",),
        key=("notice_country", "notice_record_id", "hit_country", "hit_record_id"),
        record_keys="["
        + record_key("c.notice_country", "'notice'", "c.notice_record_id")
        + ", "
        + record_key("c.hit_country", "'person'", "c.hit_record_id")
        + "]",
        governance="derived",
        columns=(
            *technical(),
            provenance(
                "notice_country",
                "text",
                "Source country of the notice record.",
                (("notice_source_country",), "g.notice_source_country"),
            ),
            Column("notice_record_id", "text", "record_id of the notice record."),
            Column("notice_type", "text", "red | yellow | blue | green | black | orange | purple."),
            Column("notice_id", "text", "The notice's own id."),
            provenance(
                "hit_country",
                "text",
                "Source country of the matched person record.",
                (("person_source_country",), "g.person_source_country"),
            ),
            provenance(
                "hit_record_id",
                "text",
                "record_id of the matched person record.",
                (("person_record_id",), "g.person_record_id"),
            ),
            Column("role", "text", "Role of the matched person."),
            Column("entity_id", "text", "Entity of the matched record."),
            Column("match_weight", "double", "Total log2 Bayes factor."),
            Column("match_probability", "double", "Posterior match probability."),
            Column("contributions", "json", "Per comparison: its weight."),
            Column("possible_victim", "bool", "Yellow notice (missing person): a possible victim."),
            *handling(derived=True),
        ),
    ),
    Table(
        name="match_explanations",
        description="Why two person records were merged: Fellegi-Sunter weight and the "
        "per-field contributions of each accepted pair.",
        sources=("gold/person_pairs",),
        key=("a_country", "a_record_id", "b_country", "b_record_id"),
        record_keys="["
        + record_key("c.a_country", "'person'", "c.a_record_id")
        + ", "
        + record_key("c.b_country", "'person'", "c.b_record_id")
        + "]",
        governance="derived",
        columns=(
            *technical(),
            provenance(
                "a_country",
                "text",
                "Source country of the first record.",
                (("l_source_country",), "g.l_source_country"),
            ),
            provenance(
                "a_record_id",
                "text",
                "record_id of the first record.",
                (("l_record_id",), "g.l_record_id"),
            ),
            provenance(
                "b_country",
                "text",
                "Source country of the second record.",
                (("r_source_country",), "g.r_source_country"),
            ),
            provenance(
                "b_record_id",
                "text",
                "record_id of the second record.",
                (("r_record_id",), "g.r_record_id"),
            ),
            provenance(
                "entity_id",
                "text",
                "Entity both records belong to.",
                (("l_entity_id",), "g.l_entity_id"),
            ),
            Column("match_weight", "double", "Total log2 Bayes factor."),
            Column("match_probability", "double", "Posterior match probability."),
            Column("contributions", "json", "Per comparison: the weight it added."),
            Column("levels", "json", "Per comparison: the level reached."),
            Column("rules", "text[]", "Blocking rules that proposed the pair."),
            *handling(derived=True),
        ),
    ),
    Table(
        name="trends",
        description="Counts per month, offence, route, reporting country and operation. Each row "
        "must aggregate records sharing one dissemination list (so a recipient sees only "
        "aggregates of data it may see); rows without one are visible to no recipient.",
        sources=("gold/trends",),
        key=(
            "period",
            "offence_type",
            "route_origin",
            "route_transit",
            "route_destination",
            "country",
            "operation_code",
            "dissemination_key",
        ),
        record_keys="[]",
        columns=(
            *technical(),
            provenance("period", "text", "Month `YYYY-MM`.", (("month",), "g.month")),
            Column("offence_type", "text", "Offence."),
            Column("route_origin", "text", "Origin countries, comma-separated."),
            Column("route_transit", "text", "Transit countries, comma-separated."),
            Column("route_destination", "text", "Destination countries, comma-separated."),
            provenance(
                "country",
                "text",
                "Reporting country.",
                (("reporting_country",), "g.reporting_country"),
            ),
            Column("operation_code", "text", "Operation name."),
            Column("cases", "bigint", "Cases."),
            Column("victims", "bigint", "Victims (reported count or listed, the larger)."),
            Column("suspects", "bigint", "Suspects listed."),
            Column("distinct_persons_identified", "bigint", "Distinct person entities involved."),
            Column(
                "dissemination_key",
                "text",
                "Sorted dissemination list joined by commas (part of the key).",
                technical=True,
            ),
            *handling(),
        ),
    ),
    Table(
        name="feed_quality",
        description="Great Expectations result per landed batch (one bronze file).",
        sources=("reports/quality/results",),
        key=("batch_id",),
        record_keys="[]",
        default_dissemination="[g.country]",
        columns=(
            *technical(),
            Column("batch_id", "text", "The batch (bronze file stem)."),
            Column("feed", "text", "Feed of the batch."),
            Column("country", "text", "Source country of the batch."),
            Column("suite", "text", "Expectation suite run."),
            Column("success", "bool", "Whether every expectation passed (else quarantined)."),
            Column("evaluated", "int", "Expectations evaluated."),
            Column("failed_expectations", "text[]", "Failed expectations and anomalies."),
            Column("warnings", "text[]", "Warnings that did not fail the batch."),
            Column("validated_at", "timestamptz", "When it was validated."),
            *handling(),
        ),
    ),
    Table(
        name="ingestion_log",
        description="One row per landed bronze file: where it was read (topic, partition, offset "
        "range), how many messages, when.",
        sources=("bronze",),
        key=("file",),
        record_keys="[]",
        default_dissemination="[g.country]",
        columns=(
            *technical(),
            Column("file", "text", "Bronze file, relative to the lake root."),
            Column("topic", "text", "Kafka topic."),
            provenance(
                "kafka_partition", "int", "Kafka partition.", (("partition",), "g.partition")
            ),
            Column("first_offset", "bigint", "First offset in the file."),
            Column("last_offset", "bigint", "Last offset in the file."),
            Column("feed", "text", "Feed."),
            Column("country", "text", "Source country."),
            Column("messages", "bigint", "Messages landed."),
            Column("ingest_time", "timestamptz", "When the file was landed."),
            *handling(),
        ),
    ),
)
