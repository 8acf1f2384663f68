"""The curated tables: every table and column with its meaning, in one place.

This module is the single source of the warehouse's descriptions. The migrations create the tables
(numbered SQL files), `migrate()` writes these descriptions as `COMMENT ON` in both dialects,
`docs/data-dictionary.md` is generated from them (`render_data_dictionary`), and a test fails when
the database, this catalog or the page drift apart.

Each column also says where its value comes from in the gold Parquet that `transforms/` writes
(`<lake>/gold/<gold>/`): by default the gold column of the same name; `alts` lists DuckDB
expressions over the gold row `g`, tried in order, each with the gold columns it needs. The gold
columns are declared once, in `contracts/gold.py`; `gold_sources.check_gold_sources` (run when
`infra.warehouse` is imported) fails unless every gold column named here is declared there and
every warehouse column finds its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.gold import GoldTable, gold_table
from contracts.registry import FEEDS

# Europol SIENA-style handling codes: the text that must travel with the data.
CAVEATS: dict[str, str] = {
    "H0": "",
    "H1": "H1: not to be used as evidence in judicial proceedings without the permission of "
    "the provider.",
    "H2": "H2: not to be disseminated without the permission of the provider.",
    "H3": "H3: other restrictions apply (see the handling note).",
}


@dataclass(frozen=True)
class Column:
    """A warehouse column: name, logical type, meaning, and how it is read from gold."""

    name: str
    type: str
    """text | int | bigint | double | bool | date | timestamptz | text[] | json"""
    description: str
    alts: tuple[tuple[tuple[str, ...], str], ...] = ()
    """(needed gold columns, DuckDB expression over `g`), tried in order before the default."""
    technical: bool = False
    """Filled by the loader (keys, hashes, caveat, derived handling), never read from gold."""


@dataclass(frozen=True)
class Table:
    """A curated table: its lake source, key, columns, and how its rows are governed."""

    name: str
    description: str
    sources: tuple[str, ...]
    """Lake prefixes read together (union by column name): `gold/<table>`, `silver/<feed>`, or
    `bronze` / `reports/quality/results` for the operational tables."""
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    record_keys: str
    """DuckDB expression over the mapped row `c` listing the source records it is built from."""
    entity_refs: str | None = None
    """DuckDB expression over the source row `g` listing entity ids the row depends on: each
    stands for all the person records resolved into it (added to record_keys)."""
    record_keys_from: str | None = None
    """Another table whose rows (joined on this table's single key column) supply record_keys."""
    governance: str = "own"
    """own: RLS on the row's own dissemination; derived: visible only when every source record in
    record_keys is visible, and none is a victim's person record unless the reader has victim
    access (its handling is the strictest of theirs); identity: own + a victim's
    row hidden from recipients without victim access (person_records, person_identities)."""
    default_dissemination: str | None = None
    """DuckDB expression used when the source carries no dissemination (operational tables);
    None means the row is visible to no recipient until the source carries one (fail closed)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def gold(self) -> str:
        """The sources, as the load report names them."""
        return ", ".join(self.sources)

    @property
    def gold_tables(self) -> tuple[GoldTable, ...]:
        """The declarations (contracts/gold.py) of the gold tables this table reads."""
        return tuple(gold_table(s.removeprefix("gold/")) for s in self.sources if _is_gold(s))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _is_gold(source: str) -> bool:
    return source.startswith("gold/")


def _rk(country: str, feed: str, record_id: str) -> str:
    return f"{country} || '/' || {feed} || '/' || {record_id}"


ROW_KEY = Column(
    "row_key", "text", "Stable key of the row (hash of the table's key columns).", technical=True
)
ROW_HASH = Column(
    "row_hash",
    "text",
    "Hash of the row's content: a reload moves only rows whose hash changed.",
    technical=True,
)
RECORD_KEYS = Column(
    "record_keys",
    "text[]",
    "Source records the row is built from, as "
    "`<source_country>/<feed>/<record_id>`: deletion and retention remove every "
    "row that names a removed record.",
    technical=True,
)
LOAD_ID = Column(
    "load_id", "bigint", "The load (load_log.load_id) that last wrote the row.", technical=True
)


def _handling(derived: bool = False) -> tuple[Column, ...]:
    if derived:
        return (
            Column(
                "dissemination",
                "text[]",
                "Union of the restricted dissemination lists of the "
                "source records (informative; visibility requires every source record to be "
                "visible). Empty: all members.",
                technical=True,
            ),
            Column(
                "handling_code",
                "text",
                "Strictest handling code (H0-H3) of the source records.",
                technical=True,
            ),
            Column(
                "caveat",
                "text",
                "Caveats of the source records' handling codes (H1/H2/H3), "
                "carried into every export; NULL for H0.",
                technical=True,
            ),
        )
    return (
        Column(
            "dissemination",
            "text[]",
            "The source's dissemination list: ISO3 countries and/or "
            "network names allowed to see the row; empty = all members.",
        ),
        Column("handling_code", "text", "The source's handling code H0-H3."),
        Column("handling_note", "text", "The source's handling note (required with H3)."),
        Column(
            "caveat",
            "text",
            "Caveat text of the handling code (H1/H2/H3), carried into every export; NULL for H0.",
            technical=True,
        ),
    )


def _tech() -> tuple[Column, ...]:
    return (ROW_KEY, ROW_HASH, RECORD_KEYS, LOAD_ID)


def _prov(name: str, type_: str, description: str, *alts: tuple[tuple[str, ...], str]) -> Column:
    return Column(name, type_, description, tuple(alts))


def _one(feed: str) -> str:
    return "[" + _rk("c.source_country", f"'{feed}'", "c.record_id") + "]"


def _split_rk(col: str, part: int) -> str:
    """Part 1 (country) or 2 (record id) of a transforms record key `<country>|<record_id>`."""
    return f"split_part(g.{col}, '|', {part})"


SILVER = tuple(f"silver/{feed}" for feed in FEEDS)

TABLES: tuple[Table, ...] = (
    Table(
        name="records",
        description="Every source record (latest version, all feeds) with its provenance down to "
        "the Kafka offset and the source's handling; the anchor of governance, deletion and "
        "retention.",
        sources=SILVER,
        key=("source_country", "feed", "record_id"),
        record_keys="[c.record_key]",
        columns=(
            *_tech(),
            Column(
                "record_key",
                "text",
                "`<source_country>/<feed>/<record_id>`.",
                (
                    (
                        ("source_country", "feed", "record_id"),
                        _rk("g.source_country", "g.feed", "g.record_id"),
                    ),
                ),
            ),
            Column("source_country", "text", "ISO3 of the country that sent the record (owns it)."),
            Column("feed", "text", "person | travel_document | case | notice."),
            Column("record_id", "text", "The source's own id, stable across versions."),
            Column("record_version", "bigint", "Version of the record held (the latest sent)."),
            _prov(
                "operation",
                "text",
                "upsert (silver keeps no deleted record).",
                (("operation",), "g.operation"),
                ((), "'upsert'"),
            ),
            Column("source_agency", "text", "Agency of the source country that sent it."),
            Column("message_id", "text", "Envelope message id of the version held."),
            Column("topic", "text", "Kafka topic the version was read from."),
            _prov(
                "kafka_partition",
                "int",
                "Kafka partition it was read from.",
                (("partition",), "g.partition"),
            ),
            _prov(
                "kafka_offset",
                "bigint",
                "Kafka offset it was read from.",
                (("offset",), "g.offset"),
            ),
            Column("ingest_time", "timestamptz", "When Interlink landed it in bronze (UTC)."),
            Column("produced_at", "timestamptz", "When the source produced the message (UTC)."),
            Column("reported_at", "timestamptz", "When the source reported the facts (UTC)."),
            Column("operation_code", "text", "The source's operation name, if any."),
            *_handling(),
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
        record_keys=_one("person"),
        governance="identity",
        columns=(
            *_tech(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("record_version", "bigint", "Version of the record held."),
            Column("entity_id", "text", "Stable id of the resolved person entity."),
            Column("entity_records", "int", "Records resolved into the entity (all sources)."),
            Column("entity_countries", "int", "Countries whose records form the entity."),
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
            _prov(
                "birth_year",
                "int",
                "Year of birth, for analysis.",
                (("birth_year",), "g.birth_year"),
                (("birth_date",), "TRY_CAST(substr(g.birth_date, 1, 4) AS INTEGER)"),
            ),
            Column("nationalities", "text[]", "ISO3 nationalities."),
            Column("case_refs", "text[]", "record_ids of related cases of the same source."),
            *_handling(),
        ),
    ),
    Table(
        name="person_identities",
        description="Identifying attributes of person records (names, documents, phones, e-mails, "
        "places). Row-level security hides victims' rows from recipients without victim "
        "access, so the persons view shows them masked.",
        sources=("gold/person_entities",),
        key=("source_country", "record_id"),
        record_keys=_one("person"),
        governance="identity",
        columns=(
            *_tech(),
            Column("source_country", "text", "ISO3 of the source country."),
            Column("record_id", "text", "The source's record id."),
            Column("role", "text", "The person's role (decides masking)."),
            _prov(
                "primary_name",
                "text",
                "Primary name exactly as sent (its script kept).",
                (("primary_name_original",), "g.primary_name_original"),
            ),
            Column("primary_name_latin", "text", "Primary name transliterated to Latin."),
            _prov(
                "name_script",
                "text",
                "ISO 15924 script of the primary name as sent.",
                (("names",), "g.names[1].script"),
            ),
            _prov(
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
            *_handling(),
        ),
    ),
    Table(
        name="travel_documents",
        description="Travel-document records (stolen, lost, revoked, counterfeit…) as reported.",
        sources=("silver/travel_document",),
        key=("source_country", "record_id"),
        record_keys=_one("travel_document"),
        columns=(
            *_tech(),
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
            _prov(
                "holder_name",
                "text",
                "Holder's name as sent.",
                (("primary_name_original",), "g.primary_name_original"),
            ),
            *_handling(),
        ),
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
        + _rk("c.doc_source_country", "'travel_document'", "c.doc_record_id")
        + ", "
        + _rk("c.seen_in_country", "c.seen_in_feed", "c.seen_record_id")
        + "]",
        governance="derived",
        columns=(
            *_tech(),
            Column("doc_key", "text", "`<issuing ISO3>:<normalised number>`."),
            Column("number", "text", "Normalised document number."),
            Column("issuing_country", "text", "ISO3 of the issuer."),
            Column("doc_type", "text", "Document type."),
            Column("status", "text", "Status reported by the document's source."),
            Column("status_date", "date", "Date of that status."),
            _prov(
                "doc_source_country",
                "text",
                "Country that reported the document.",
                (("register_source_country",), "g.register_source_country"),
            ),
            _prov(
                "doc_record_id",
                "text",
                "record_id of the travel_document record.",
                (("register_record_id",), "g.register_record_id"),
            ),
            Column("seen_in_feed", "text", "Feed of the record where the document was seen."),
            _prov(
                "seen_in_country",
                "text",
                "Source country of that record.",
                (("seen_in_source_country",), "g.seen_in_source_country"),
            ),
            _prov(
                "seen_record_id",
                "text",
                "record_id of that record.",
                (("seen_in_record_id",), "g.seen_in_record_id"),
            ),
            Column("seen_at", "timestamptz", "When that record was reported."),
            Column("seen_place", "text", "Where (when the record says)."),
            *_handling(derived=True),
        ),
    ),
    Table(
        name="cases",
        description="Case records: offence, dates, place, route and modus operandi.",
        sources=("silver/case",),
        key=("source_country", "record_id"),
        record_keys=_one("case"),
        columns=(
            *_tech(),
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
            *_handling(),
        ),
    ),
    Table(
        name="case_links",
        description="Two cases linked by shared evidence (a resolved person, phone, document, "
        "forensic reference, vehicle), possibly across countries.",
        sources=("gold/case_links",),
        key=("case_a_country", "case_a_id", "case_b_country", "case_b_id"),
        record_keys="["
        + _rk("c.case_a_country", "'case'", "c.case_a_id")
        + ", "
        + _rk("c.case_b_country", "'case'", "c.case_b_id")
        + "]",
        entity_refs="list_transform(list_filter(g.evidence, lambda e: e.kind = 'person'), "
        "lambda e: e.value)",
        governance="derived",
        columns=(
            *_tech(),
            _prov(
                "case_a_country",
                "text",
                "Source country of the first case.",
                (("case_a_source_country",), "g.case_a_source_country"),
            ),
            _prov(
                "case_a_id",
                "text",
                "record_id of the first case.",
                (("case_a_record_id",), "g.case_a_record_id"),
            ),
            _prov(
                "case_b_country",
                "text",
                "Source country of the second case.",
                (("case_b_source_country",), "g.case_b_source_country"),
            ),
            _prov(
                "case_b_id",
                "text",
                "record_id of the second case.",
                (("case_b_record_id",), "g.case_b_record_id"),
            ),
            Column("evidence", "json", "The shared values linking them (kind, value)."),
            _prov(
                "evidence_kinds",
                "text[]",
                "Kinds of evidence (person, phone, document, forensic_ref, vehicle).",
                (
                    ("evidence",),
                    "list_sort(list_distinct(list_transform(g.evidence, lambda e: e.kind)))",
                ),
            ),
            _prov(
                "strength",
                "double",
                "Strength of the link (1 - product of misses).",
                (("strength",), "g.strength"),
            ),
            Column("cross_country", "bool", "Whether the two cases come from two countries."),
            *_handling(derived=True),
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
            *_tech(),
            Column("network_id", "text", "Stable id of the network."),
            Column("size", "int", "Number of members (cases and entities)."),
            _prov("n_cases", "int", "Number of cases.", (("cases",), "g.cases")),
            _prov("n_entities", "int", "Number of person entities.", (("entities",), "g.entities")),
            _prov(
                "n_countries",
                "int",
                "Number of countries involved.",
                (("countries",), "len(g.countries)"),
            ),
            Column("countries", "text[]", "ISO3 countries involved."),
            Column("offence_types", "text[]", "Offences of its cases."),
            Column("first_seen", "date", "Earliest case start."),
            Column("last_seen", "date", "Latest case end."),
            *_handling(derived=True),
        ),
    ),
    Table(
        name="network_members",
        description="Members (cases and person entities) of each network.",
        sources=("gold/network_members",),
        key=("network_id", "member_type", "member_id"),
        record_keys="CASE WHEN c.member_type = 'case' THEN ["
        + _rk("c.country", "'case'", "c.record_id")
        + "] WHEN c.record_id IS NOT NULL THEN ["
        + _rk("c.country", "'person'", "c.record_id")
        + "] ELSE [] END",
        entity_refs="CASE WHEN g.member_type = 'entity' AND NOT contains(g.member_id, '|') "
        "THEN [g.member_id] ELSE [] END",
        governance="derived",
        columns=(
            *_tech(),
            Column("network_id", "text", "The network."),
            Column("member_type", "text", "case | entity."),
            Column(
                "member_id",
                "text",
                "`<country>|<record_id>` of a case, an entity_id, or "
                "`<country>|<record_id>` of a person record without entity.",
            ),
            _prov(
                "country",
                "text",
                "Source country of a case or person record member.",
                (
                    ("member_id",),
                    "CASE WHEN contains(g.member_id, '|') THEN "
                    + _split_rk("member_id", 1)
                    + " END",
                ),
            ),
            _prov(
                "record_id",
                "text",
                "record_id of a case or person record member.",
                (
                    ("member_id",),
                    "CASE WHEN contains(g.member_id, '|') THEN "
                    + _split_rk("member_id", 2)
                    + " END",
                ),
            ),
            *_handling(derived=True),
        ),
    ),
    Table(
        name="notice_hits",
        description="An active notice's subject matched to a person record, scored with the "
        "person model (names are in persons, masked there for victims).",
        sources=("gold/notice_hits",),
        key=("notice_country", "notice_record_id", "hit_country", "hit_record_id"),
        record_keys="["
        + _rk("c.notice_country", "'notice'", "c.notice_record_id")
        + ", "
        + _rk("c.hit_country", "'person'", "c.hit_record_id")
        + "]",
        governance="derived",
        columns=(
            *_tech(),
            _prov(
                "notice_country",
                "text",
                "Source country of the notice record.",
                (("notice_source_country",), "g.notice_source_country"),
            ),
            Column("notice_record_id", "text", "record_id of the notice record."),
            Column("notice_type", "text", "red | yellow | blue | green | black | orange | purple."),
            Column("notice_id", "text", "The notice's own id."),
            _prov(
                "hit_country",
                "text",
                "Source country of the matched person record.",
                (("person_source_country",), "g.person_source_country"),
            ),
            _prov(
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
            *_handling(derived=True),
        ),
    ),
    Table(
        name="match_explanations",
        description="Why two person records were merged: Fellegi-Sunter weight and the "
        "per-field contributions of each accepted pair.",
        sources=("gold/person_pairs",),
        key=("a_country", "a_record_id", "b_country", "b_record_id"),
        record_keys="["
        + _rk("c.a_country", "'person'", "c.a_record_id")
        + ", "
        + _rk("c.b_country", "'person'", "c.b_record_id")
        + "]",
        governance="derived",
        columns=(
            *_tech(),
            _prov(
                "a_country",
                "text",
                "Source country of the first record.",
                (("l_source_country",), "g.l_source_country"),
            ),
            _prov(
                "a_record_id",
                "text",
                "record_id of the first record.",
                (("l_record_id",), "g.l_record_id"),
            ),
            _prov(
                "b_country",
                "text",
                "Source country of the second record.",
                (("r_source_country",), "g.r_source_country"),
            ),
            _prov(
                "b_record_id",
                "text",
                "record_id of the second record.",
                (("r_record_id",), "g.r_record_id"),
            ),
            _prov(
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
            *_handling(derived=True),
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
            *_tech(),
            _prov("period", "text", "Month `YYYY-MM`.", (("month",), "g.month")),
            Column("offence_type", "text", "Offence."),
            Column("route_origin", "text", "Origin countries, comma-separated."),
            Column("route_transit", "text", "Transit countries, comma-separated."),
            Column("route_destination", "text", "Destination countries, comma-separated."),
            _prov(
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
            *_handling(),
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
            *_tech(),
            Column("batch_id", "text", "The batch (bronze file stem)."),
            Column("feed", "text", "Feed of the batch."),
            Column("country", "text", "Source country of the batch."),
            Column("suite", "text", "Expectation suite run."),
            Column("success", "bool", "Whether every expectation passed (else quarantined)."),
            Column("evaluated", "int", "Expectations evaluated."),
            Column("failed_expectations", "text[]", "Failed expectations and anomalies."),
            Column("warnings", "text[]", "Warnings that did not fail the batch."),
            Column("validated_at", "timestamptz", "When it was validated."),
            *_handling(),
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
            *_tech(),
            Column("file", "text", "Bronze file, relative to the lake root."),
            Column("topic", "text", "Kafka topic."),
            _prov("kafka_partition", "int", "Kafka partition.", (("partition",), "g.partition")),
            Column("first_offset", "bigint", "First offset in the file."),
            Column("last_offset", "bigint", "Last offset in the file."),
            Column("feed", "text", "Feed."),
            Column("country", "text", "Source country."),
            Column("messages", "bigint", "Messages landed."),
            Column("ingest_time", "timestamptz", "When the file was landed."),
            *_handling(),
        ),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}

# Tables the loader and migrations manage besides the curated ones, with their descriptions.
META_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "schema_migrations": (
        "Migrations applied to this warehouse.",
        {
            "version": "Migration number.",
            "name": "Migration file stem.",
            "checksum": "SHA-256 of the SQL applied.",
            "applied_at": "When it was applied.",
        },
    ),
    "load_log": (
        "One row per load: when, full or incremental, rows moved per table.",
        {
            "load_id": "Load number.",
            "started_at": "When the load started.",
            "finished_at": "When it committed.",
            "full_reload": "Whether every row was reloaded.",
            "summary": "JSON: per table rows inserted, updated, deleted and notes.",
        },
    ),
    "load_state": (
        "Fingerprint of the sources the last load read: an unchanged lake loads nothing.",
        {
            "name": "What the fingerprint covers (`sources`).",
            "fingerprint": "SHA-256 of the source files (name, size, modification time), the "
            "tombstones and the catalog.",
            "load_id": "The load that read them.",
            "updated_at": "When.",
        },
    ),
    "audit_log": (
        "Deletions and purges: what, whose, when, why. Never purged.",
        {
            "audit_id": "Audit entry number.",
            "logged_at": "When it happened (UTC).",
            "action": "source_delete | retention_purge | lake_erasure.",
            "record_key": "The record (`<source_country>/<feed>/<record_id>`).",
            "source_country": "Whose record it was (the source country).",
            "feed": "Feed of the record.",
            "record_id": "The source's record id.",
            "record_version": "Version removed.",
            "reason": "Why (source delete, review_by passed without extension, …).",
            "actor": "Database user or process that did it.",
            "details": "JSON: tables and lake files touched, row counts.",
        },
    ),
    "purged_records": (
        "Records removed for retention or deletion: a load never brings a version "
        "at or below this back.",
        {
            "record_key": "The record.",
            "record_version": "Highest version removed; a later version (an extension) may load.",
            "action": "retention_purge | source_delete.",
            "purged_at": "When.",
        },
    ),
    "rejected_rows": (
        "Rows the latest load of a table could not store (a U+0000 in text, an unknown handling "
        "code): set aside so that the rest loads. Only the row's key and the reason are kept; "
        "the warehouse keeps the row's previous version, if any. A row leaves this table when a "
        "load stores it.",
        {
            "load_id": "The load that set the row aside.",
            "table_name": "Curated table the row was for.",
            "row_key": "The row's row_key in that table.",
            "row_identity": "The row's key columns as JSON (NUL shown as \\u0000).",
            "reason": "Why the warehouse cannot store it; the source must resend the record.",
            "rejected_at": "When.",
        },
    ),
    "recipients": (
        "Recipient roles: a database role reading as a country or a network. A recipient "
        "reads its own row only.",
        {
            "role_name": "PostgreSQL role.",
            "scope": "The country (ISO3) or network (HTEG, ISON, …) it reads as.",
            "victim_access": "Whether it may see victims' identities.",
            "granted_at": "When it was granted.",
        },
    ),
    "recipient_networks": (
        "Which networks each member country belongs to. A recipient reads its own country's "
        "rows only.",
        {
            "country": "ISO3 member country.",
            "network": "Network name (HTEG, ISON, …).",
        },
    ),
}

VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "persons": (
        "Person records with provenance and identity; to recipients without victim access a "
        "victim's record shows its provenance only: identity `[masked]`, its person attributes "
        "and entity empty (so that resolution links it to nothing they see).",
        {
            "identity_masked": "True when the identity is hidden from the reader.",
        },
    ),
    "entities": (
        "Each entity as the reader may see it: only the records (and attributes) "
        "visible to the reader contribute; a victim's record only with victim access.",
        {},
    ),
}
