"""`person` feed, version 1: a person of interest (suspect, victim, witness, facilitator…)."""

from __future__ import annotations

from pydantic import Field

from contracts.common import (
    MAX_LIST,
    Address,
    ContractModel,
    ForensicRef,
    IdentityDocument,
    Name,
    PersonRole,
    Place,
    Sex,
)
from contracts.fields import Country, Email, Identifier, LongText, PartialDate, Phone


class PersonV1(ContractModel):
    """A person record; names are kept as sent (script included), never transliterated here."""

    role: PersonRole
    primary_name: Name
    aliases: list[Name] = Field(default_factory=list, max_length=MAX_LIST)
    sex: Sex | None = None
    birth_date: PartialDate | None = None
    birth_place: Place | None = None
    nationalities: list[Country] = Field(default_factory=list, max_length=10)
    documents: list[IdentityDocument] = Field(default_factory=list, max_length=MAX_LIST)
    forensic_refs: list[ForensicRef] = Field(default_factory=list, max_length=MAX_LIST)
    phones: list[Phone] = Field(default_factory=list, max_length=MAX_LIST)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_LIST)
    addresses: list[Address] = Field(default_factory=list, max_length=MAX_LIST)
    description: LongText | None = None
    case_refs: list[Identifier] = Field(
        default_factory=list, max_length=MAX_LIST, description="record_ids of related cases."
    )
