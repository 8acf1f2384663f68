"""Building blocks shared by the feeds: names, documents, forensic references, places, enums.

Every model forbids unknown fields, so a publisher's typo (`familly`) fails at once instead of
silently dropping data.
"""

from __future__ import annotations

from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.fields import Country, DocumentNumber, Identifier, MemberCountry, Script, ShortText

PersonRole = Literal["suspect", "victim", "witness", "facilitator", "missing"]
Sex = Literal["M", "F", "X", "U"]
DocType = Literal["passport", "id_card", "visa", "residence_permit", "other"]
ForensicKind = Literal["fingerprint", "dna"]

PERSON_ROLES: tuple[str, ...] = get_args(PersonRole)
SEXES: tuple[str, ...] = get_args(Sex)
DOC_TYPES: tuple[str, ...] = get_args(DocType)
FORENSIC_KINDS: tuple[str, ...] = get_args(ForensicKind)

MAX_LIST = 50
"""Upper bound of repeated fields (aliases, phones, …): generous for real records, and it keeps
one malformed message from carrying an unbounded list."""


class ContractModel(BaseModel):
    """Base of every contract model: unknown fields rejected, assignment validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Name(ContractModel):
    """A name as the source wrote it: family and/or given parts, or one full string."""

    family: ShortText | None = None
    given: ShortText | None = None
    full: ShortText | None = None
    script: Script | None = Field(
        default=None, description="ISO 15924 script of the spelling (Latn, Cyrl, Arab, …)."
    )

    @model_validator(mode="after")
    def _has_a_name(self) -> Self:
        if self.family is None and self.given is None and self.full is None:
            raise PydanticCustomError("name.empty", "a name needs family and/or given, or full")
        return self


class IdentityDocument(ContractModel):
    """An identity or travel document held or used by a person."""

    doc_type: DocType
    number: DocumentNumber
    issuing_country: Country


class ForensicRef(ContractModel):
    """Where a fingerprint or DNA record is held; never the biometric data itself."""

    kind: ForensicKind
    reference: Identifier = Field(description="The record id in the holding database.")
    database: ShortText = Field(description="The database holding it (AFIS, CODIS, …).")
    country: MemberCountry = Field(description="The country whose database holds it.")


class Address(ContractModel):
    """A postal or last-known address."""

    country: Country
    locality: ShortText | None = None
    line: ShortText | None = None


class Place(ContractModel):
    """A place by country and optional place name (birth place)."""

    country: Country | None = None
    place: ShortText | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.country is None and self.place is None:
            raise PydanticCustomError("place.empty", "a place needs a country and/or a place name")
        return self
