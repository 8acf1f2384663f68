"""The gold tables: each table `transforms/` writes under `<lake>/gold/<table>/`, with its typed
columns, declared once.

Gold is the handoff between the Spark transforms and the warehouse. The transforms check every
gold DataFrame against this declaration before writing it (`transforms.gold_schema.check_gold`), and
the warehouse catalog (`infra/warehouse/catalog.py`) refers to these columns when it says where
each warehouse column comes from; a test fails when either side drifts from this file. A mismatch
is an error naming the table and the columns, never a column that silently loads as NULL.

Types are logical, independent of the engine: `text`, `int` (32-bit), `bigint`, `double`, `bool`,
`date`, `timestamptz`; `T[]` is a list of T, `struct<name:T,…>` a record, `map<K,V>` a map.
Every column may be null (Parquet written by Spark is nullable throughout).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts.errors import ContractError


class GoldSchemaMismatch(ContractError):
    """A gold table's columns differ from their declaration in `contracts/gold.py`."""

    error_class = "gold.schema"

    def __init__(self, table: str, problems: list[str]) -> None:
        self.table = table
        self.problems = list(problems)
        super().__init__(
            f"gold/{table} does not match contracts/gold.py: {'; '.join(self.problems)}",
            hint="change contracts/gold.py, the transform that writes the table and the "
            "warehouse catalog (infra/warehouse/catalog.py) together",
        )


@dataclass(frozen=True)
class GoldTable:
    """One gold table: its name (the folder under `gold/`), what a row is, and its columns."""

    name: str
    description: str
    columns: tuple[tuple[str, str], ...]
    """(column name, logical type), in the order the transform writes them."""

    @classmethod
    def of(cls, name: str, description: str, /, **columns: str) -> GoldTable:
        # Positional-only: person_entities has a column called `description`.
        return cls(name, description, tuple(columns.items()))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def types(self) -> dict[str, str]:
        return dict(self.columns)

    def check(self, actual: Mapping[str, str]) -> None:
        """`GoldSchemaMismatch` unless `actual` (column -> logical type) is exactly this table."""
        declared = self.types
        missing = [c for c in declared if c not in actual]
        unexpected = [c for c in actual if c not in declared]
        mistyped = [
            f"{c} ({actual[c]}, declared {t})"
            for c, t in declared.items()
            if c in actual and actual[c] != t
        ]
        problems = [
            f"{label} {', '.join(names)}"
            for label, names in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("mistyped", mistyped),
            )
            if names
        ]
        if problems:
            raise GoldSchemaMismatch(self.name, problems)


_NAME = (
    "struct<original:text,script:text,latin:text,tokens:text[],canonical:text[],"
    "skeleton:text[],skeleton_v:text[],bare:text[],bare_skeleton:text[],family_tokens:text[]>"
)
_DOCUMENT = (
    "struct<doc_type:text,number_as_sent:text,number:text,issuing_country:text,doc_key:text>"
)

PERSON_ENTITIES = GoldTable.of(
    "person_entities",
    "One row per current person record (silver, standardized) with its entity and provenance.",
    source_country="text",
    record_id="text",
    entity_id="text",
    feed="text",
    message_id="text",
    topic="text",
    partition="int",
    offset="bigint",
    ingest_time="timestamptz",
    record_version="bigint",
    produced_at="timestamptz",
    reported_at="timestamptz",
    source_agency="text",
    operation_code="text",
    dissemination="text[]",
    handling_code="text",
    handling_note="text",
    source_reliability="text",
    information_assessment="text",
    review_by="date",
    payload_hash="text",
    names=f"{_NAME}[]",
    primary_name_original="text",
    primary_name_latin="text",
    name_keys="text[]",
    canon_keys="text[]",
    skel_keys="text[]",
    name_tokens="text[]",
    birth_date="text",
    birth_year="int",
    birth_month="int",
    birth_day="int",
    birth_precision="text",
    sex="text",
    nationalities="text[]",
    documents=f"{_DOCUMENT}[]",
    doc_keys="text[]",
    role="text",
    birth_country="text",
    birth_place="text",
    forensic_keys="text[]",
    phones="text[]",
    emails="text[]",
    address_countries="text[]",
    address_tokens="text[]",
    case_refs="text[]",
    description="text",
    guard="text",
    entity_records="bigint",
    entity_countries="bigint",
)

_PAIR_SCORE = {
    "match_weight": "double",
    "match_probability": "double",
    "contributions": "map<text,double>",
    "levels": "map<text,text>",
}

PERSON_PAIRS = GoldTable.of(
    "person_pairs",
    "One row per accepted pair of person records that holds an entity together, with its "
    "Fellegi-Sunter weight and per-field contributions.",
    l_source_country="text",
    l_record_id="text",
    r_source_country="text",
    r_record_id="text",
    **_PAIR_SCORE,
    rules="text[]",
    l_entity_id="text",
    r_entity_id="text",
)

GENERIC_VALUES = GoldTable.of(
    "generic_values",
    "Identifiers shared by too many persons to count as evidence (hotlines, placeholders).",
    kind="text",
    value="text",
    distinct_persons="bigint",
    records="bigint",
    reason="text",
)

ENTITY_EVENTS = GoldTable.of(
    "entity_events",
    "The history of entity IDs across runs: created, merged, split, retired.",
    run_seq="bigint",
    event="text",
    entity_id="text",
    related_entity_ids="text[]",
    records="bigint",
)

DOCUMENTS = GoldTable.of(
    "documents",
    "Every document seen in any feed, with its reported status when a source reported it.",
    doc_key="text",
    number="text",
    issuing_country="text",
    doc_types="text[]",
    mentions="bigint",
    feeds="text[]",
    first_seen="timestamptz",
    last_seen="timestamptz",
    status="text",
    status_date="date",
)

DOCUMENT_ALERTS = GoldTable.of(
    "document_alerts",
    "A reported (stolen, lost, revoked…) document seen in another record.",
    doc_key="text",
    number="text",
    issuing_country="text",
    doc_type="text",
    status="text",
    status_date="date",
    register_source_country="text",
    register_record_id="text",
    seen_in_feed="text",
    seen_in_source_country="text",
    seen_in_record_id="text",
    seen_at="timestamptz",
    seen_place="text",
)

NOTICE_HITS = GoldTable.of(
    "notice_hits",
    "An active notice's subject matched to a person record by the person model.",
    notice_id="text",
    notice_type="text",
    notice_source_country="text",
    notice_record_id="text",
    subject_name="text",
    person_source_country="text",
    person_record_id="text",
    person_name="text",
    role="text",
    entity_id="text",
    **_PAIR_SCORE,
    possible_victim="bool",
)

CASE_LINKS = GoldTable.of(
    "case_links",
    "Two cases linked by shared evidence, possibly across countries.",
    case_a_source_country="text",
    case_a_record_id="text",
    case_b_source_country="text",
    case_b_record_id="text",
    evidence="struct<kind:text,value:text>[]",
    strength="double",
    cross_country="bool",
)

NETWORKS = GoldTable.of(
    "networks",
    "Connected groups of cases and person entities.",
    network_id="text",
    size="bigint",
    cases="bigint",
    entities="bigint",
    countries="text[]",
    offence_types="text[]",
    first_seen="date",
    last_seen="date",
)

NETWORK_MEMBERS = GoldTable.of(
    "network_members",
    "Members (cases and person entities) of each network.",
    network_id="text",
    member_type="text",
    member_id="text",
)

TRENDS = GoldTable.of(
    "trends",
    "Case counts per month, offence, route, reporting country and operation.",
    month="text",
    offence_type="text",
    route_origin="text",
    route_transit="text",
    route_destination="text",
    reporting_country="text",
    operation_code="text",
    cases="bigint",
    victims="bigint",
    suspects="bigint",
    distinct_persons_identified="int",
    dissemination="text[]",
    handling_code="text",
    handling_note="text",
)

TABLES: dict[str, GoldTable] = {
    t.name: t
    for t in (
        PERSON_ENTITIES,
        PERSON_PAIRS,
        GENERIC_VALUES,
        ENTITY_EVENTS,
        DOCUMENTS,
        DOCUMENT_ALERTS,
        NOTICE_HITS,
        CASE_LINKS,
        NETWORKS,
        NETWORK_MEMBERS,
        TRENDS,
    )
}
"""Every gold table by name (the folder under `gold/`)."""


def gold_table(name: str) -> GoldTable:
    """The declaration of gold table `name`, or `GoldSchemaMismatch` naming the choices."""
    table = TABLES.get(name)
    if table is None:
        raise GoldSchemaMismatch(name, [f"not declared: choose one of {', '.join(TABLES)}"])
    return table
