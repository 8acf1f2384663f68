"""Great Expectations suites for landed bronze batches, built from the same definitions as the
pydantic models (enums, required fields), so per-record and per-batch rules cannot drift apart.

A suite runs on the bronze DataFrame of one (feed, country) batch, or of many batches of one feed
at once (`batched`: the rows carry `BATCH_COLUMN` and `BATCH_COUNTRY_COLUMN`) (columns in
docs/wire-format.md, "Bronze columns") plus helper columns that the runner derives from the
payload JSON: `PAYLOAD_COLUMNS` (plain fields, null for deletes) and `DERIVED_COLUMNS`
(booleans computed from several fields). Their names and meaning are defined here; how they are
computed belongs to the engine (`transforms.quality` for Spark).

Importing this module imports Great Expectations (slow); `import contracts` does not.
"""

from __future__ import annotations

from typing import Any

import great_expectations as gx
from great_expectations.expectations.row_conditions import Column

from contracts.bounds import INT64_MAX
from contracts.case import OFFENCE_TYPES
from contracts.common import DOC_TYPES, PERSON_ROLES, SEXES
from contracts.envelope import (
    HANDLING_CODES,
    INFORMATION_ASSESSMENTS,
    OPERATIONS,
    SOURCE_RELIABILITIES,
)
from contracts.notice import NOTICE_STATUSES, NOTICE_TYPES
from contracts.registry import PAYLOAD_MODELS, check_feed
from contracts.travel_document import DOCUMENT_STATUSES

MAX_BATCH_ROWS = 5_000_000
"""Row-count sanity ceiling of one bronze batch; far above any real offset range we land."""
MIN_MRZ_VALID_RATE = 0.99
"""Share of MRZs (where sent) whose check digits hold; ingest already refuses bad ones, so a
lower rate means records bypassed the contract."""

PARTIAL_DATE_REGEX = r"^\d{4}(-\d{2}(-\d{2})?)?$"

PAYLOAD_COLUMNS: dict[str, dict[str, str]] = {
    "person": {
        "role": "$.role",
        "primary_name": "$.primary_name",
        "sex": "$.sex",
        "birth_date": "$.birth_date",
        "nationality": "$.nationalities[0]",
    },
    "travel_document": {
        "doc_type": "$.doc_type",
        "number": "$.number",
        "issuing_country": "$.issuing_country",
        "status": "$.status",
        "status_date": "$.status_date",
        "mrz": "$.mrz",
    },
    "case": {
        "offence_type": "$.offence_type",
        "start_date": "$.start_date",
        "location_country": "$.location.country",
        "victims_count": "$.victims_count",
    },
    "notice": {
        "notice_type": "$.notice_type",
        "notice_id": "$.notice_id",
        "issuing_country": "$.issuing_country",
        "status": "$.status",
        "subject_birth_date": "$.subject.birth_date",
    },
}
"""Helper columns per feed: name -> JSON path into the payload (strings; null for deletes)."""

DERIVED_COLUMNS: dict[str, str] = {
    "envelope_complete": "every column of ENVELOPE_REQUIRED is present",
    "payload_consistent": "payload present for upserts and null for deletes",
    "handling_note_ok": "handling_code H3 carries a handling_note",
    "review_after_report": "review_by is on or after the reported_at date",
    "text_printable": "no control character (contracts.bounds) in the payload's text or the "
    "envelope's, besides tabs and line breaks in the payload (its JSON does not tell free text "
    "from names; ingest refuses them per field) and the handling note",
}
"""Boolean helper columns every feed gets (false = the rule is broken)."""
MRZ_VALID_COLUMN = "mrz_valid"
"""travel_document only: true/false when an MRZ was sent (check digits hold), else null."""

NULL_CEILINGS: dict[str, dict[str, float]] = {
    "person": {"role": 0.0, "primary_name": 0.0, "birth_date": 0.8, "nationality": 0.9},
    "travel_document": {
        "doc_type": 0.0, "number": 0.0, "issuing_country": 0.0, "status": 0.0,
        "status_date": 0.0,
    },
    "case": {"offence_type": 0.0, "location_country": 0.9, "start_date": 0.9},
    "notice": {"notice_type": 0.0, "notice_id": 0.0, "issuing_country": 0.0, "status": 0.0},
}  # fmt: skip
"""Largest share of upserts in a batch that may lack a field. Required fields: 0; optional
fields: how incomplete a source's records may be before we call the batch broken."""

VALUE_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {"role": PERSON_ROLES, "sex": SEXES},
    "travel_document": {"doc_type": DOC_TYPES, "status": DOCUMENT_STATUSES},
    "case": {"offence_type": OFFENCE_TYPES},
    "notice": {"notice_type": NOTICE_TYPES, "status": NOTICE_STATUSES},
}
"""Closed enums of the payload helper columns, straight from the models' Literals."""

ENVELOPE_REQUIRED = (
    "message_id", "feed", "schema_version", "source_country", "source_agency", "record_id",
    "record_version", "operation", "produced_at", "reported_at", "handling_code",
    "source_reliability", "information_assessment", "review_by",
)  # fmt: skip

UPSERTS_ONLY = Column("operation") == "upsert"
"""The row condition of the null ceilings: deletes carry no payload by contract."""

BATCH_COLUMN = "batch"
"""In a batched validation: the id of a row's batch; per-batch rules are scoped to it."""
BATCH_COUNTRY_COLUMN = "country"
"""In a batched validation: the country of the row's batch (its topic's), which `source_country`
must equal."""


def suite_name(feed: str, *, country: str | None = None, batched: bool = False) -> str:
    """Name of a feed's suite (per country when pinned to one) in a GX context."""
    return (
        f"interlink.{feed}" + (f".{country}" if country else "") + (".batches" if batched else "")
    )


def _null_ceiling(column: str, ceiling: float) -> Any:
    # Measured on upserts only: deletes carry no payload by contract.
    if ceiling <= 0:
        return gx.expectations.ExpectColumnValuesToNotBeNull(
            column=column, row_condition=UPSERTS_ONLY
        )
    return gx.expectations.ExpectColumnValuesToNotBeNull(
        column=column, mostly=round(1.0 - ceiling, 6), row_condition=UPSERTS_ONLY
    )


def expectations_for(feed: str, *, country: str | None = None, batched: bool = False) -> list[Any]:
    """The expectations of a feed's suite (a fresh list of GX Expectation objects).

    `batched`: for many batches at once; uniqueness holds per batch and each row's
    `source_country` must be its batch's country. A batched run that passes means every batch
    passes, except for the `mostly` expectations, which a share over all batches can hide: the
    runner judges those per batch (`transforms.quality_batches`)."""
    check_feed(feed)
    exp = gx.expectations
    versions = sorted(v for f, v in PAYLOAD_MODELS if f == feed)
    scope = [BATCH_COLUMN] if batched else []
    out: list[Any] = [
        exp.ExpectTableRowCountToBeBetween(min_value=1, max_value=MAX_BATCH_ROWS),
        exp.ExpectCompoundColumnsToBeUnique(column_list=[*scope, "record_id", "record_version"]),
        exp.ExpectCompoundColumnsToBeUnique(column_list=[*scope, "message_id"])
        if batched
        else exp.ExpectColumnValuesToBeUnique(column="message_id"),
        # One derived column instead of 14 not-null expectations: ingest already enforces
        # them per message, and each expectation costs Spark jobs on every batch.
        exp.ExpectColumnValuesToBeInSet(column="feed", value_set=[feed]),
        exp.ExpectColumnValuesToBeInSet(column="schema_version", value_set=versions),
        exp.ExpectColumnValuesToBeInSet(column="operation", value_set=list(OPERATIONS)),
        exp.ExpectColumnValuesToBeInSet(column="handling_code", value_set=list(HANDLING_CODES)),
        exp.ExpectColumnValuesToBeInSet(
            column="source_reliability", value_set=list(SOURCE_RELIABILITIES)
        ),
        exp.ExpectColumnValuesToBeInSet(
            column="information_assessment", value_set=list(INFORMATION_ASSESSMENTS)
        ),
        exp.ExpectColumnValuesToBeBetween(
            column="record_version", min_value=1, max_value=INT64_MAX
        ),
        *(exp.ExpectColumnValuesToBeInSet(column=c, value_set=[True]) for c in DERIVED_COLUMNS),
    ]
    if country is not None:
        out.append(exp.ExpectColumnValuesToBeInSet(column="source_country", value_set=[country]))
    if batched:
        out.append(
            exp.ExpectColumnPairValuesToBeEqual(
                column_A="source_country", column_B=BATCH_COUNTRY_COLUMN
            )
        )
    for column, values in VALUE_SETS[feed].items():
        out.append(exp.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    for column, ceiling in NULL_CEILINGS[feed].items():
        out.append(_null_ceiling(column, ceiling))
    if feed == "person":
        out.append(
            exp.ExpectColumnValuesToMatchRegex(column="birth_date", regex=PARTIAL_DATE_REGEX)
        )
    if feed == "travel_document":
        out.append(
            exp.ExpectColumnValuesToBeInSet(
                column=MRZ_VALID_COLUMN, value_set=[True], mostly=MIN_MRZ_VALID_RATE
            )
        )
    if feed == "case":
        out.append(exp.ExpectColumnValuesToBeBetween(column="victims_count", min_value=0))
    if feed == "notice":
        out.append(
            exp.ExpectColumnValuesToMatchRegex(
                column="subject_birth_date", regex=PARTIAL_DATE_REGEX
            )
        )
    return out


def suite_for(
    feed: str, *, country: str | None = None, batched: bool = False
) -> gx.ExpectationSuite:
    """The Expectation Suite of a feed's bronze batches (optionally pinned to one country, or
    for many batches at once)."""
    # Built detached from any Data Context; the runner adds it to its own context.
    return gx.ExpectationSuite(
        name=suite_name(feed, country=country, batched=batched),
        expectations=expectations_for(feed, country=country, batched=batched),
    )


def helper_columns(feed: str) -> list[str]:
    """Every helper column the suite of `feed` reads besides the bronze columns."""
    extra = [MRZ_VALID_COLUMN] if feed == "travel_document" else []
    return [*PAYLOAD_COLUMNS[feed], *DERIVED_COLUMNS, *extra]
