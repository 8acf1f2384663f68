"""`notice` feed, version 1: a colour-coded international notice and its subject."""

from __future__ import annotations

from typing import Literal, Self, get_args

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.common import MAX_LIST, ContractModel, IdentityDocument, Name, Sex
from contracts.fields import Country, Identifier, PartialDate

NoticeType = Literal["red", "yellow", "blue", "green", "black", "orange", "purple"]
NoticeStatus = Literal["active", "cancelled"]
NOTICE_TYPES: tuple[str, ...] = get_args(NoticeType)
NOTICE_STATUSES: tuple[str, ...] = get_args(NoticeStatus)


class NoticeSubject(ContractModel):
    """Who the notice is about, described as in the person feed."""

    primary_name: Name | None = Field(
        default=None, description="Required, except on black notices (unidentified bodies)."
    )
    aliases: list[Name] = Field(default_factory=list, max_length=MAX_LIST)
    birth_date: PartialDate | None = None
    sex: Sex | None = None
    nationalities: list[Country] = Field(default_factory=list, max_length=10)
    documents: list[IdentityDocument] = Field(default_factory=list, max_length=MAX_LIST)


class NoticeV1(ContractModel):
    """A notice record."""

    notice_type: NoticeType
    notice_id: Identifier
    issuing_country: Country
    status: NoticeStatus
    subject: NoticeSubject

    @model_validator(mode="after")
    def _named_unless_unidentified(self) -> Self:
        if self.subject.primary_name is None and self.notice_type != "black":
            raise PydanticCustomError(
                "notice.subject_name",
                "subject.primary_name is required on {kind} notices (only black notices, "
                "for unidentified bodies, may omit it)",
                {"kind": self.notice_type},
            )
        return self
