"""`case` feed, version 1: an investigation, with trafficking kept apart from smuggling."""

from __future__ import annotations

from typing import Literal, Self, get_args

from pydantic import Field, StrictFloat, model_validator
from pydantic_core import PydanticCustomError

from contracts.common import MAX_LIST, ContractModel, IdentityDocument, PersonRole
from contracts.fields import (
    Country,
    Identifier,
    LongText,
    MemberCountry,
    NonNegativeInt,
    PastDate,
    Phone,
    ShortText,
)

# Trafficking in human beings (THB: exploitation of a person) and smuggling of migrants (SOM:
# facilitated irregular crossing) are different crimes with different victims and laws; the
# taxonomy never lets one be filed as the other.
OffenceType = Literal[
    "thb_sexual_exploitation",
    "thb_forced_labour",
    "thb_forced_criminality",
    "thb_forced_begging",
    "thb_forced_marriage",
    "thb_organ_removal",
    "thb_child_trafficking",
    "som_land",
    "som_sea",
    "som_air",
    "document_fraud",
]
OFFENCE_TYPES: tuple[str, ...] = get_args(OffenceType)


class Location(ContractModel):
    """Where the case happened; coordinates (WGS 84) come as a pair or not at all."""

    country: MemberCountry
    place: ShortText | None = None
    lat: StrictFloat | None = Field(default=None, ge=-90, le=90)
    lon: StrictFloat | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _coordinates_pair(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise PydanticCustomError("location.coordinates", "send both lat and lon, or neither")
        return self


class Route(ContractModel):
    """Countries of origin, transit and destination of the victims or migrants."""

    origin: list[Country] = Field(default_factory=list, max_length=20)
    transit: list[Country] = Field(default_factory=list, max_length=20)
    destination: list[Country] = Field(default_factory=list, max_length=20)


class CasePerson(ContractModel):
    """A person record of the same source involved in the case, with its role there."""

    record_id: Identifier
    role: PersonRole


class Vehicle(ContractModel):
    """A vehicle by plate and registration country."""

    plate: ShortText = Field(max_length=20)
    country: Country


class CaseV1(ContractModel):
    """A case record."""

    offence_type: OffenceType
    start_date: PastDate | None = None
    end_date: PastDate | None = None
    location: Location | None = None
    route: Route | None = None
    persons: list[CasePerson] = Field(default_factory=list, max_length=500)
    phones: list[Phone] = Field(default_factory=list, max_length=500)
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=MAX_LIST)
    documents: list[IdentityDocument] = Field(default_factory=list, max_length=500)
    victims_count: NonNegativeInt | None = None
    modus_operandi: LongText | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise PydanticCustomError(
                "case.dates",
                "end_date {end} is before start_date {start}",
                {"end": str(self.end_date), "start": str(self.start_date)},
            )
        return self
