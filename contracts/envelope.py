"""The envelope around every message: who sent which version of which record, and how it may be
handled. The payload inside is validated against its feed's model for the stated version."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from contracts.common import ContractModel
from contracts.fields import (
    Date,
    Identifier,
    MemberCountry,
    Note,
    PositiveInt,
    ShortText,
    Timestamp,
    normalise_country,
    reject_control_characters,
)
from contracts.registry import FEEDS, LATEST_VERSION, PAYLOAD_MODELS

Feed = Literal["person", "travel_document", "case", "notice"]
Operation = Literal["upsert", "delete"]
HandlingCode = Literal["H0", "H1", "H2", "H3"]
SourceReliability = Literal["A", "B", "C", "X"]
InformationAssessment = Literal["1", "2", "3", "4"]

OPERATIONS: tuple[str, ...] = get_args(Operation)
HANDLING_CODES: tuple[str, ...] = get_args(HandlingCode)
SOURCE_RELIABILITIES: tuple[str, ...] = get_args(SourceReliability)
INFORMATION_ASSESSMENTS: tuple[str, ...] = get_args(InformationAssessment)
assert set(get_args(Feed)) == set(FEEDS), "Feed literal and registry.FEEDS must agree"

REVIEW_YEARS = 5
"""Default retention before review: reported_at + 5 years (a later version may extend it)."""

_NETWORK_RE = re.compile(r"^[A-Z][A-Z0-9_-]{3,31}$")


def _recipient(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("dissemination.type", "recipients are strings")
    reject_control_characters(value)
    text = value.strip().upper()
    if len(text) <= 3:
        code = normalise_country(text, icao_extras=False)
        if code is None:
            raise PydanticCustomError(
                "dissemination.unknown",
                "2-3 letter recipients must be ISO 3166-1 countries; network names have 4-32 "
                "characters (HTEG, ISON)",
            )
        return code
    if not _NETWORK_RE.fullmatch(text):
        raise PydanticCustomError(
            "dissemination.network",
            "network names are 4-32 characters: A-Z, 0-9, _ and -, starting with a letter",
        )
    return text


Recipient = Annotated[
    str,
    BeforeValidator(_recipient),
    Field(
        json_schema_extra={"pattern": "^([A-Za-z]{2,3}|[A-Za-z][A-Za-z0-9_-]{3,31})$"},
        description="An ISO 3166-1 country (alpha-3; alpha-2 normalised) or a network name.",
    ),
]


def add_years(day: date, years: int) -> date:
    """`day` plus whole years; 29 February falls back to 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _fail_at(loc: tuple[str | int, ...], rule: str, message: str, value: Any) -> ValidationError:
    """A validation error located at a nested path (pydantic prefixes the outer field's path)."""
    details: list[InitErrorDetails] = [
        {"type": PydanticCustomError(rule, message), "loc": loc, "input": value}
    ]
    return ValidationError.from_exception_data("Envelope", details)


class Handling(ContractModel):
    """The source's handling conditions, travelling with the record wherever it goes."""

    dissemination: list[Recipient] = Field(
        default_factory=list,
        max_length=300,
        description="Countries (ISO3) and/or named networks allowed to see it; [] = all members.",
    )
    handling_code: HandlingCode = Field(
        description=(
            "H0 police use only; H1 not for court without the source's permission; H2 no onward "
            "sharing without permission; H3 other restrictions (handling_note required)."
        )
    )
    handling_note: Note | None = Field(default=None, validate_default=True)
    source_reliability: SourceReliability = Field(
        description="A no doubt, B mostly reliable, C not reliable, X cannot be assessed."
    )
    information_assessment: InformationAssessment = Field(
        description="1 known true, 2 known to the source, 3 not known but corroborated, 4 cannot "
        "be assessed."
    )
    review_by: Date | None = Field(
        default=None, description="Review (or purge) date; default reported_at + 5 years."
    )

    @field_validator("dissemination", mode="after")
    @classmethod
    def _dedupe(cls, recipients: list[str]) -> list[str]:
        return list(dict.fromkeys(recipients))

    @field_validator("handling_note", mode="after")
    @classmethod
    def _note_for_h3(cls, note: str | None, info: ValidationInfo) -> str | None:
        if note is None and info.data.get("handling_code") == "H3":
            raise PydanticCustomError(
                "handling.note_required",
                "handling code H3 needs a handling_note saying what the restriction is",
            )
        return note


def default_handling() -> Handling:
    """Handling for records with no stated conditions: all members, police use only (H0), and
    grading X/4 ("cannot be assessed"), so nobody reads unstated confidence into them."""
    return Handling(handling_code="H0", source_reliability="X", information_assessment="4")


class Envelope(ContractModel):
    """A message on `feeds.<feed>.<ISO3>`; `payload` becomes the feed's model after validation."""

    message_id: uuid.UUID = Field(description="Unique per message (UUID).")
    feed: Feed
    schema_version: PositiveInt = Field(description="Version of the payload schema of the feed.")
    source_country: MemberCountry = Field(
        description="The publishing country (must match the topic's); alpha-2 normalised."
    )
    source_agency: ShortText
    record_id: Identifier = Field(description="The source's own id, stable across versions.")
    record_version: PositiveInt = Field(description="Strictly increasing per record.")
    operation: Operation
    produced_at: Timestamp
    reported_at: Timestamp
    operation_code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9][A-Z0-9_-]{1,63}$",
        description="A named transnational operation (e.g. LIBERTERRA-2026).",
    )
    handling: Handling
    payload: Annotated[
        Any,
        WithJsonSchema(
            {
                "anyOf": [{"type": "object"}, {"type": "null"}],
                "description": "The feed's payload, valid against "
                "contracts/schemas/<feed>/v<schema_version>.json; null for deletes.",
            }
        ),
    ] = Field(default=None, validate_default=True)
    signature: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9+/=_-]{1,512}$",
        description="Base64 Ed25519 signature over the canonical bytes (see wire-format.md).",
    )

    @field_validator("schema_version", mode="after")
    @classmethod
    def _known_version(cls, version: int, info: ValidationInfo) -> int:
        feed = info.data.get("feed")
        if feed is not None and (feed, version) not in PAYLOAD_MODELS:
            known = sorted(v for f, v in PAYLOAD_MODELS if f == feed)
            raise PydanticCustomError(
                "schema_version.unknown",
                "feed {feed} has no schema version {version} (known: {known})",
                {"feed": feed, "version": version, "known": ", ".join(map(str, known))},
            )
        return version

    @field_validator("reported_at", mode="after")
    @classmethod
    def _reported_before_produced(cls, reported: datetime, info: ValidationInfo) -> datetime:
        produced = info.data.get("produced_at")
        if produced is not None and reported > produced:
            raise PydanticCustomError(
                "timestamp.order",
                "reported_at is after produced_at ({produced})",
                {"produced": produced.isoformat()},
            )
        return reported

    @field_validator("handling", mode="after")
    @classmethod
    def _review_date(cls, handling: Handling, info: ValidationInfo) -> Handling:
        reported = info.data.get("reported_at")
        if reported is None:
            return handling
        if handling.review_by is None:
            return handling.model_copy(
                update={"review_by": add_years(reported.date(), REVIEW_YEARS)}
            )
        if handling.review_by < reported.date():
            raise _fail_at(
                ("review_by",),
                "handling.review_by",
                f"review_by is before reported_at ({reported.date().isoformat()})",
                handling.review_by.isoformat(),
            )
        return handling

    @field_validator("payload", mode="after")
    @classmethod
    def _payload_for_feed(cls, payload: Any, info: ValidationInfo) -> Any:
        operation = info.data.get("operation")
        if operation == "delete":
            if payload is not None:
                raise PydanticCustomError(
                    "payload.delete", 'a delete carries no payload: send "payload": null'
                )
            return None
        if payload is None:
            if operation == "upsert":
                raise PydanticCustomError("payload.missing", "an upsert needs a payload")
            return None
        model = PAYLOAD_MODELS.get((info.data.get("feed", ""), info.data.get("schema_version", 0)))
        if model is None:
            return payload  # feed or version already failed; its error says why
        if isinstance(payload, BaseModel) and not isinstance(payload, model):
            raise PydanticCustomError(
                "payload.model",
                "payload is a {got}, feed {feed} v{version} needs a {need}",
                {
                    "got": type(payload).__name__,
                    "need": model.__name__,
                    "feed": info.data.get("feed"),
                    "version": info.data.get("schema_version"),
                },
            )
        return model.model_validate(payload)

    @property
    def topic(self) -> str:
        """The topic this message belongs on: `feeds.<feed>.<source_country>`."""
        return f"feeds.{self.feed}.{self.source_country}"

    @property
    def key(self) -> bytes:
        """The Kafka key: the record id, so all versions of a record share a partition."""
        return self.record_id.encode("utf-8")

    def to_wire_dict(self) -> dict[str, Any]:
        """The envelope as JSON-ready data (UUIDs, dates and timestamps as strings)."""
        return self.model_dump(mode="json")

    def canonical_bytes(self) -> bytes:
        """The bytes a signature covers (see `canonical_bytes`)."""
        return canonical_bytes(self.to_wire_dict())

    def to_bytes(self) -> bytes:
        """The message value to send: the canonical bytes, with the signature (if there is one)
        appended as their last member (see `signed_value`)."""
        data = self.to_wire_dict()
        signature = data.pop("signature", None)
        canonical = _dumps(data)
        return canonical if signature is None else signed_value(canonical, signature)


def _dumps(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def canonical_bytes(envelope: Mapping[str, Any] | Envelope) -> bytes:
    """Sorted-key compact UTF-8 JSON of the envelope without `signature`: what Ed25519 signs.

    Pass the dict decoded from the received bytes (not a re-serialised model) so the receiver
    verifies exactly what the publisher signed.
    """
    data = envelope.to_wire_dict() if isinstance(envelope, Envelope) else envelope
    return _dumps({k: v for k, v in data.items() if k != "signature"})


SIGNATURE_MEMBER = b',"signature":"'
"""What precedes the signature's base64 in a message value laid out by `signed_value`."""


def signed_value(canonical: bytes, signature: str) -> bytes:
    """The message value: the canonical bytes with `"signature"` appended as their last member.

    The value is still one JSON object (the envelope with its signature), and the bytes the
    signature covers are the value minus that last member: the receiver slices them off instead
    of re-serialising the JSON (`contracts.parsing.split_signed`).
    """
    if not canonical.endswith(b"}") or canonical == b"{}":
        raise ValueError("canonical bytes must be a non-empty JSON object")
    return canonical[:-1] + SIGNATURE_MEMBER + signature.encode("ascii") + b'"}'


def envelope_for(
    feed: str,
    country: str,
    record_id: str,
    record_version: int,
    payload: BaseModel | Mapping[str, Any] | None,
    *,
    operation: str = "upsert",
    handling: Handling | Mapping[str, Any] | None = None,
    source_agency: str = "NCB",
    schema_version: int | None = None,
    produced_at: datetime | None = None,
    reported_at: datetime | None = None,
    operation_code: str | None = None,
    message_id: uuid.UUID | None = None,
) -> Envelope:
    """Build and validate an envelope the way publishers should: a fresh message id, UTC
    timestamps (reported_at defaults to produced_at), the feed's latest schema version, and the
    default handling (all members, H0, X/4) with review_by = reported_at + 5 years.

    Raises `contracts.ValidationFailure` (not a pydantic error) when anything breaks a rule.
    """
    from contracts.parsing import validate_envelope  # late import: parsing imports this module

    produced = produced_at or datetime.now(UTC)
    if isinstance(handling, Handling):
        handling_data: Any = handling.model_dump(mode="json")
    elif handling is None:
        handling_data = default_handling().model_dump(mode="json")
    else:
        handling_data = dict(handling)
    data: dict[str, Any] = {
        "message_id": message_id or uuid.uuid4(),
        "feed": feed,
        "schema_version": schema_version
        if schema_version is not None
        else LATEST_VERSION.get(feed, 1),
        "source_country": country,
        "source_agency": source_agency,
        "record_id": record_id,
        "record_version": record_version,
        "operation": operation,
        "produced_at": produced,
        "reported_at": reported_at or produced,
        "operation_code": operation_code,
        "handling": handling_data,
        "payload": payload,
    }
    return validate_envelope(data)
