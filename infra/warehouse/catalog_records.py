"""Curated tables kept per source record: records, person records and identities, travel documents,
document alerts and cases (declared here, assembled in `catalog.py`).
"""

from __future__ import annotations

from infra.warehouse.catalog_model import (
    SILVER,
    Column,
    Table,
    handling,
    one_record,
    provenance,
    record_key,
    technical,
)

RECORD_TABLES: tuple[Table, ...] = (
    Table(
        name="records",
        description="Every source record (latest version, all feeds) with its provenance down to "
        "the Kafka offset and the source's handling; the anchor of governance, deletion and "
        "retention.",
        sources=SILVER,
        key=("source_country", "feed", "record_id"),
        record_keys="[c.record_key]",
        columns=(
            *technical(),
            Column(
                "record_key",
                "text",
                "`<source_country>/<feed>/<record_id>`.",
                (
                    (
                        ("source_country", "feed", "record_id"),
                        record_key("g.source_country", "g.feed", "g.record_id"),
                    ),
                ),
            ),
            Column("source_country", "text", "ISO3 of the country that sent the record (owns it)."),
            Column("feed", "text", "person | travel_document | case | notice."),
            Column("record_id", "text", "The source's own id, stable across versions."),
            Column("record_version", "bigint", "Version of the record held (the latest sent)."),
            provenance(
                "operation",
                "text",
                "upsert (silver keeps no deleted record).",
                (("operation",), "g.operation"),
                ((), "'upsert'"),
            ),
            Column("source_agency", "text", "Agency of the source country that sent it."),
            Column("message_id", "text", "Envelope message id of the version held."),
            Column("topic", "text", "Kafka topic the version was read from."),
            provenance(
                "kafka_partition",
                "int",
                "Kafka partition it was read from.",
                (("partition",), "g.partition"),
            ),
            provenance(
                "kafka_offset",
                "bigint",
                "Kafka offset it was read from.",
                (("offset",), "g.offset"),
            ),
            Column("ingest_time", "timestamptz", "When Interlink landed it in bronze (UTC)."),
            Column("produced_at", "timestamptz", "When the source produced the message (UTC)."),
            Column("reported_at", "timestamptz", "When the source reported the facts (UTC)."),
            Column("operation_code", "text", "The source's operation name, if any."),
            *handling(),
            Column("source_reliability", "text", "Source grading A | B | C | X."),
            Column("information_assessment", "text", "Information grading 1 | 2 | 3 | 4."),
            Column(
                "review_by",
                "date",
                "Date by which the source must review the record; past it "
                "without extension the record is purged.",
            ),
        ),
    ),
    Table(
        name="person_records",
        description="Person records (one per source record) with their entity and the attributes "
        "that do not identify the person; identifying attributes are in person_identities.",
        sources=("gold/person_entities",),
        key=("source_country", "record_id"),
        record_keys=one_record("person"),
        governance="identity",
        columns=(
            *technical(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("record_version", "bigint", "Version of the record held."),
            # No count of the entity's records here: it would count records hidden from the
            # reader (a victim's), so that a recipient learned a hidden record joined the
            # entity and from where. The `entities` view counts what the reader sees.
            Column("entity_id", "text", "Stable id of the resolved person entity."),
            Column(
                "guard",
                "text",
                "Set when the giant-component guard split or isolated the "
                "record's cluster (split@<weight>).",
            ),
            Column(
                "role",
                "text",
                "suspect | victim | witness | facilitator | missing; "
                "victims' identities are masked for recipients without victim access.",
            ),
            Column("sex", "text", "M | F (other values as unknown)."),
            Column("birth_date", "text", "YYYY, YYYY-MM or YYYY-MM-DD as sent (validated)."),
            provenance(
                "birth_year",
                "int",
                "Year of birth, for analysis.",
                (("birth_year",), "g.birth_year"),
                (("birth_date",), "TRY_CAST(substr(g.birth_date, 1, 4) AS INTEGER)"),
            ),
            Column("nationalities", "text[]", "ISO3 nationalities."),
            Column("case_refs", "text[]", "record_ids of related cases of the same source."),
            *handling(),
        ),
    ),
    Table(
        name="person_identities",
        description="Identifying attributes of person records (names, documents, phones, e-mails, "
        "places). Row-level security hides victims' rows from recipients without victim "
        "access, so the persons view shows them masked.",
        sources=("gold/person_entities",),
        key=("source_country", "record_id"),
        record_keys=one_record("person"),
        governance="identity",
        columns=(
            *technical(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("role", "text", "The person's role (decides masking)."),
            provenance(
                "primary_name",
                "text",
                "Primary name exactly as sent (its script kept).",
                (("primary_name_original",), "g.primary_name_original"),
            ),
            Column("primary_name_latin", "text", "Primary name transliterated to Latin."),
            provenance(
                "name_script",
                "text",
                "ISO 15924 script of the primary name as sent.",
                (("names",), "g.names[1].script"),
            ),
            provenance(
                "names",
                "json",
                "Every name (primary and aliases): original, script, latin.",
                (
                    ("names",),
                    "list_transform(g.names, lambda n: {'original': n.original, "
                    "'script': n.script, 'latin': n.latin})",
                ),
            ),
            Column(
                "documents",
                "json",
                "Identity documents (doc_type, number as sent, "
                "normalised number, issuing_country).",
            ),
            Column("phones", "text[]", "Phone numbers (E.164)."),
            Column("emails", "text[]", "E-mail addresses (lower case)."),
            Column("address_countries", "text[]", "Countries of the addresses."),
            Column("birth_country", "text", "ISO3 country of birth."),
            Column("birth_place", "text", "Place of birth as sent."),
            Column("description", "text", "Free-text description."),
            *handling(),
        ),
    ),
    Table(
        name="travel_documents",
        description="Travel-document records (stolen, lost, revoked, counterfeit…) as reported.",
        sources=("silver/travel_document",),
        key=("source_country", "record_id"),
        record_keys=one_record("travel_document"),
        columns=(
            *technical(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("record_version", "bigint", "Version of the record held."),
            Column("doc_type", "text", "passport | id_card | visa | residence_permit | other."),
            Column("number", "text", "Document number, normalised (upper case, no separators)."),
            Column("number_as_sent", "text", "Document number as sent."),
            Column("issuing_country", "text", "ISO3 of the issuer."),
            Column(
                "status",
                "text",
                "stolen_blank | stolen_issued | lost | revoked | "
                "counterfeit | fraudulently_obtained.",
            ),
            Column("status_date", "date", "Date of the status."),
            Column("holder_person_ref", "text", "record_id of the holder's person record."),
            provenance(
                "holder_name",
                "text",
                "Holder's name as sent.",
                (("primary_name_original",), "g.primary_name_original"),
            ),
            *handling(),
            Column(
                "holder_role",
                "text",
                "Role of the holder's person record (same source country), copied from "
                "person_records at load; `unknown` when that record is not held (never sent, "
                "erased). A victim's document (its number and her name), or an unknown "
                "holder's, is hidden from recipients without victim access.",
                technical=True,
            ),
        ),
        holder_ref=("source_country", "holder_person_ref"),
        governance="holder",
    ),
    Table(
        name="document_alerts",
        description="A reported (stolen, lost, revoked…) document seen in another record: a "
        "person's document, a case, a notice subject; who used it, where and when.",
        sources=("gold/document_alerts",),
        key=(
            "doc_source_country",
            "doc_record_id",
            "seen_in_feed",
            "seen_in_country",
            "seen_record_id",
        ),
        record_keys="["
        + record_key("c.doc_source_country", "'travel_document'", "c.doc_record_id")
        + ", "
        + record_key("c.seen_in_country", "c.seen_in_feed", "c.seen_record_id")
        + "]",
        governance="derived",
        columns=(
            *technical(),
            Column("doc_key", "text", "`<issuing ISO3>:<normalised number>`."),
            Column("number", "text", "Normalised document number."),
            Column("issuing_country", "text", "ISO3 of the issuer."),
            Column("doc_type", "text", "Document type."),
            Column("status", "text", "Status reported by the document's source."),
            Column("status_date", "date", "Date of that status."),
            provenance(
                "doc_source_country",
                "text",
                "Country that reported the document.",
                (("register_source_country",), "g.register_source_country"),
            ),
            provenance(
                "doc_record_id",
                "text",
                "record_id of the travel_document record.",
                (("register_record_id",), "g.register_record_id"),
            ),
            Column("seen_in_feed", "text", "Feed of the record where the document was seen."),
            provenance(
                "seen_in_country",
                "text",
                "Source country of that record.",
                (("seen_in_source_country",), "g.seen_in_source_country"),
            ),
            provenance(
                "seen_record_id",
                "text",
                "record_id of that record.",
                (("seen_in_record_id",), "g.seen_in_record_id"),
            ),
            Column("seen_at", "timestamptz", "When that record was reported."),
            Column("seen_place", "text", "Where (when the record says)."),
            *handling(derived=True),
        ),
    ),
    Table(
        name="cases",
        description="Case records: offence, dates, place, route and modus operandi.",
        sources=("silver/case",),
        key=("source_country", "record_id"),
        record_keys=one_record("case"),
        columns=(
            *technical(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("record_version", "bigint", "Version of the record held."),
            Column(
                "offence_type",
                "text",
                "Offence (thb_* trafficking, som_* smuggling, document_fraud).",
            ),
            Column("start_date", "date", "Start of the facts."),
            Column("end_date", "date", "End of the facts."),
            Column("location_country", "text", "ISO3 of the place of the facts."),
            Column("location_place", "text", "Place of the facts."),
            Column("lat", "double", "Latitude of the place."),
            Column("lon", "double", "Longitude of the place."),
            Column("route_origin", "text[]", "Origin countries of the route."),
            Column("route_transit", "text[]", "Transit countries of the route."),
            Column("route_destination", "text[]", "Destination countries of the route."),
            Column("victims_count", "int", "Number of victims reported."),
            Column("modus_operandi", "text", "Free-text modus operandi."),
            Column("operation_code", "text", "The source's operation name, if any."),
            *handling(),
        ),
    ),
)
