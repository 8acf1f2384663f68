"""`travel_document` feed, version 1: a stolen, lost, revoked or fraudulent document."""

from __future__ import annotations

from typing import Literal, Self, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from contracts.common import ContractModel, DocType, Name
from contracts.fields import (
    ICAO_TEST_STATE,
    Country,
    DocumentNumber,
    Identifier,
    PartialDate,
    PastDate,
    Printable,
    normalise_country,
)
from contracts.mrz import parse_mrz

DocumentStatus = Literal[
    "stolen_blank", "stolen_issued", "lost", "revoked", "counterfeit", "fraudulently_obtained"
]
DOCUMENT_STATUSES: tuple[str, ...] = get_args(DocumentStatus)


class Holder(ContractModel):
    """Who the document was issued to: a person record and/or a name (with birth date)."""

    person_ref: Identifier | None = Field(
        default=None, description="record_id of the holder in this source's person feed."
    )
    name: Name | None = None
    birth_date: PartialDate | None = None

    @model_validator(mode="after")
    def _identifies_someone(self) -> Self:
        if self.person_ref is None and self.name is None:
            raise PydanticCustomError("holder.empty", "a holder needs person_ref and/or name")
        return self


def _compact(number: str) -> str:
    return "".join(ch for ch in number if ch.isalnum())


class TravelDocumentV1(ContractModel):
    """A document alert. When the MRZ is sent, its check digits must hold and it must describe
    the same document (number and issuing state) as the structured fields."""

    doc_type: DocType
    number: DocumentNumber
    issuing_country: Country
    status: DocumentStatus
    status_date: PastDate
    holder: Holder | None = None
    mrz: list[Printable] | None = Field(
        default=None,
        min_length=2,
        max_length=3,
        description="Machine-readable zone: 2 lines of 44 (TD3) or 3 lines of 30 (TD1).",
    )

    @field_validator("mrz", mode="after")
    @classmethod
    def _mrz_holds(cls, lines: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if lines is None:
            return None
        lines = [line.strip() for line in lines]
        data, problems = parse_mrz(lines)
        if problems:
            raise PydanticCustomError(
                problems[0].rule, "{detail}", {"detail": "; ".join(p.message for p in problems)}
            )
        assert data is not None
        number = info.data.get("number")
        if number is not None and _compact(number) != data.document_number:
            raise PydanticCustomError(
                "mrz.number_mismatch",
                "MRZ document number {mrz} differs from number {number}",
                {"mrz": data.document_number, "number": number},
            )
        issuing = info.data.get("issuing_country")
        mrz_state = normalise_country(data.issuing_state, icao_extras=True)
        if (
            issuing is not None
            and data.issuing_state != ICAO_TEST_STATE
            and mrz_state is not None
            and mrz_state != issuing
        ):
            raise PydanticCustomError(
                "mrz.state_mismatch",
                "MRZ issuing state {mrz} differs from issuing_country {issuing}",
                {"mrz": data.issuing_state, "issuing": issuing},
            )
        return lines
