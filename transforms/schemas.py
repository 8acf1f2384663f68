"""Spark schemas of the version-1 payloads (docs/wire-format.md), for `from_json` on bronze.

They mirror the field names of the pydantic contracts but are written out here on purpose: Spark
parses the JSON string column with them, and a field the contract adds later is simply ignored
until a transform needs it (compatible evolution, see DESIGN §3).
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from contracts.registry import FEEDS

S = StringType()


def _struct(*names: str, **typed: object) -> StructType:
    fields = [StructField(n, S) for n in names]
    fields += [StructField(n, t) for n, t in typed.items()]  # type: ignore[arg-type]
    return StructType(fields)


NAME = _struct("family", "given", "full", "script")
DOCUMENT = _struct("doc_type", "number", "issuing_country")
FORENSIC = _struct("kind", "reference", "database", "country")
ADDRESS = _struct("country", "locality", "line")
PLACE = _struct("country", "place")

PERSON = StructType(
    [
        StructField("role", S),
        StructField("primary_name", NAME),
        StructField("aliases", ArrayType(NAME)),
        StructField("sex", S),
        StructField("birth_date", S),
        StructField("birth_place", PLACE),
        StructField("nationalities", ArrayType(S)),
        StructField("documents", ArrayType(DOCUMENT)),
        StructField("forensic_refs", ArrayType(FORENSIC)),
        StructField("phones", ArrayType(S)),
        StructField("emails", ArrayType(S)),
        StructField("addresses", ArrayType(ADDRESS)),
        StructField("description", S),
        StructField("case_refs", ArrayType(S)),
    ]
)

TRAVEL_DOCUMENT = StructType(
    [
        StructField("doc_type", S),
        StructField("number", S),
        StructField("issuing_country", S),
        StructField("status", S),
        StructField("status_date", S),
        StructField(
            "holder",
            StructType(
                [
                    StructField("person_ref", S),
                    StructField("name", NAME),
                    StructField("birth_date", S),
                ]
            ),
        ),
        StructField("mrz", ArrayType(S)),
    ]
)

CASE = StructType(
    [
        StructField("offence_type", S),
        StructField("start_date", S),
        StructField("end_date", S),
        StructField("location", _struct("country", "place", lat=DoubleType(), lon=DoubleType())),
        StructField(
            "route",
            StructType(
                [
                    StructField("origin", ArrayType(S)),
                    StructField("transit", ArrayType(S)),
                    StructField("destination", ArrayType(S)),
                ]
            ),
        ),
        StructField("persons", ArrayType(_struct("record_id", "role"))),
        StructField("phones", ArrayType(S)),
        StructField("vehicles", ArrayType(_struct("plate", "country"))),
        StructField("documents", ArrayType(DOCUMENT)),
        StructField("victims_count", IntegerType()),
        StructField("modus_operandi", S),
    ]
)

NOTICE = StructType(
    [
        StructField("notice_type", S),
        StructField("notice_id", S),
        StructField("issuing_country", S),
        StructField("status", S),
        StructField(
            "subject",
            StructType(
                [
                    StructField("primary_name", NAME),
                    StructField("aliases", ArrayType(NAME)),
                    StructField("birth_date", S),
                    StructField("sex", S),
                    StructField("nationalities", ArrayType(S)),
                    StructField("documents", ArrayType(DOCUMENT)),
                ]
            ),
        ),
    ]
)

PAYLOADS: dict[str, StructType] = {
    "person": PERSON,
    "travel_document": TRAVEL_DOCUMENT,
    "case": CASE,
    "notice": NOTICE,
}
assert set(PAYLOADS) == set(FEEDS), "a feed of contracts.registry.FEEDS has no Spark payload schema"
