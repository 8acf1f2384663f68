"""Reusable field types: country codes, bounded text, phones, e-mails, partial dates, timestamps.

Each type normalises what publishers commonly send (alpha-2 countries, spaced phone numbers,
decomposed Unicode, stray whitespace) and refuses the rest with a named rule, so one failure
message tells the publisher exactly what to fix.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any

import phonenumbers
import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, StrictInt
from pydantic_core import PydanticCustomError

from contracts.bounds import (
    DATE_MAX,
    DATE_MIN,
    INT64_MAX,
    TIMESTAMP_MAX,
    TIMESTAMP_MIN,
    control_character_at,
)

# ICAO Doc 9303 codes that are not ISO 3166-1 countries but do appear as nationalities and
# issuing states: stateless person, refugees (1951 convention / other), unspecified nationality.
ICAO_EXTRAS: frozenset[str] = frozenset({"XXA", "XXB", "XXC", "XXX"})
# ICAO writes Germany as a single "D" in MRZs; we normalise it to ISO so matching sees one code.
# EU institutions write Greece and the United Kingdom as EL and UK (ISO "exceptionally reserved").
_ALIASES: dict[str, str] = {"D": "DEU", "EL": "GRC", "UK": "GBR"}
# The ICAO specimen state "Utopia": valid only inside MRZ lines (test documents).
ICAO_TEST_STATE = "UTO"

_ALPHA3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)
_ALPHA2_TO_3: dict[str, str] = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
_SCRIPTS: frozenset[str] = frozenset(s.alpha_4 for s in pycountry.scripts)


def _require_str(value: Any, rule: str) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            rule, "must be a string, got {kind}", {"kind": type(value).__name__}
        )
    reject_control_characters(value)
    return value


def reject_control_characters(text: str, *, lines: bool = False) -> None:
    # Checked on the text as sent, before any trimming: the payload lands in bronze as sent.
    at = control_character_at(text, lines=lines)
    if at is not None:
        allowed = "" if lines else "; only free text (descriptions, notes) may hold line breaks"
        raise PydanticCustomError(
            "text.control_character",
            "control character U+{code} at position {at}: send printable text{allowed}",
            {"code": f"{ord(text[at]):04X}", "at": at, "allowed": allowed},
        )


@functools.lru_cache(maxsize=4096)
def normalise_country(value: str, *, icao_extras: bool) -> str | None:
    """ISO 3166-1 alpha-3 of an alpha-2/alpha-3 code (or an allowed ICAO extra), else None."""
    code = value.strip().upper()
    code = _ALIASES.get(code, code)
    if len(code) == 2:
        return _ALPHA2_TO_3.get(code)
    if code in _ALPHA3:
        return code
    if icao_extras and code in ICAO_EXTRAS:
        return code
    return None


def _country(value: Any, *, icao_extras: bool) -> str:
    raw = _require_str(value, "country.type")
    code = normalise_country(raw, icao_extras=icao_extras)
    if code is None:
        extra = " or an ICAO code (XXA, XXB, XXC, XXX, D)" if icao_extras else ""
        raise PydanticCustomError(
            "country.unknown",
            "not an ISO 3166-1 country code: send alpha-3 (FRA) or alpha-2 (FR){extra}",
            {"extra": extra},
        )
    return code


def _member_country(value: Any) -> str:
    return _country(value, icao_extras=False)


def _any_country(value: Any) -> str:
    return _country(value, icao_extras=True)


_COUNTRY_SCHEMA = {"type": "string", "pattern": "^[A-Za-z]{1,3}$"}

MemberCountry = Annotated[
    str,
    BeforeValidator(_member_country),
    Field(
        json_schema_extra=_COUNTRY_SCHEMA,
        description="ISO 3166-1 alpha-3 country (alpha-2 accepted and normalised).",
    ),
]
"""A real country (a source or a location): ISO 3166-1, normalised to alpha-3."""

Country = Annotated[
    str,
    BeforeValidator(_any_country),
    Field(
        json_schema_extra=_COUNTRY_SCHEMA,
        description=(
            "ISO 3166-1 alpha-3 country (alpha-2 accepted and normalised) or an ICAO Doc 9303 "
            "code: XXA stateless, XXB/XXC refugee, XXX unspecified, D (= DEU)."
        ),
    ),
]
"""A nationality or document-issuing country: ISO 3166-1 plus the ICAO extras."""


def clean_text(value: Any) -> Any:
    """Trim and NFC-normalise strings so equal text compares equal, whatever the keyboard."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


def _line(value: Any) -> Any:
    if isinstance(value, str):
        reject_control_characters(value)
    return clean_text(value)


def _lines(value: Any) -> Any:
    if isinstance(value, str):
        reject_control_characters(value, lines=True)
    return clean_text(value)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        reject_control_characters(value)
    return value


# The exported schemas say it too, so a publisher's own JSON Schema validation agrees.
_NO_CONTROLS = {"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}
_NO_CONTROLS_BUT_LINES = {
    "pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
}

ShortText = Annotated[
    str,
    BeforeValidator(_line),
    Field(min_length=1, max_length=200, json_schema_extra=_NO_CONTROLS),
]
"""A name part, place, agency: trimmed, NFC, 1–200 characters, no control characters."""
LongText = Annotated[
    str,
    BeforeValidator(_lines),
    Field(min_length=1, max_length=10_000, json_schema_extra=_NO_CONTROLS_BUT_LINES),
]
"""Free text (description, modus operandi): trimmed, NFC, 1–10 000 characters; tabs and line
breaks are its only control characters."""
Note = Annotated[
    str,
    BeforeValidator(_lines),
    Field(min_length=1, max_length=1_000, json_schema_extra=_NO_CONTROLS_BUT_LINES),
]
"""A handling note: trimmed, NFC, 1–1 000 characters; tabs and line breaks allowed."""
Printable = Annotated[str, BeforeValidator(_printable), Field(json_schema_extra=_NO_CONTROLS)]
"""Text kept as sent (an MRZ line), without control characters."""

_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


def _identifier(value: Any) -> str:
    text = clean_text(_require_str(value, "identifier.type"))
    if not _IDENTIFIER_RE.fullmatch(text):
        raise PydanticCustomError(
            "identifier.format",
            "identifiers are 1-128 characters: letters, digits and . _ : / - "
            "(no spaces), starting with a letter or digit",
        )
    return text


Identifier = Annotated[
    str,
    BeforeValidator(_identifier),
    Field(
        json_schema_extra={"pattern": _IDENTIFIER_RE.pattern, "maxLength": 128},
        description="A source's own identifier: letters, digits and . _ : / - (max 128).",
    ),
]
"""A record, case or notice id as the source assigns it; stable across versions."""

_DOC_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9 /-]{0,39}$")


def _document_number(value: Any) -> str:
    text = clean_text(_require_str(value, "document_number.type")).upper()
    if not _DOC_NUMBER_RE.fullmatch(text):
        raise PydanticCustomError(
            "document_number.format",
            "document numbers are 1-40 characters: letters A-Z, digits, spaces, / and -",
        )
    return text


DocumentNumber = Annotated[
    str,
    BeforeValidator(_document_number),
    Field(
        json_schema_extra={"pattern": "^[A-Za-z0-9][A-Za-z0-9 /-]{0,39}$"},
        description="Document number as printed (upper-cased; letters, digits, space, / and -).",
    ),
]
"""A document number, upper-cased (MRZ and most registers are upper-case only)."""


def _script(value: Any) -> str:
    text = _require_str(value, "script.type").strip()
    if text not in _SCRIPTS:
        raise PydanticCustomError(
            "script.unknown", "not an ISO 15924 script code (Latn, Cyrl, Arab, Grek, …)"
        )
    return text


Script = Annotated[
    str,
    BeforeValidator(_script),
    Field(
        json_schema_extra={"pattern": "^[A-Z][a-z]{3}$"},
        description="ISO 15924 code of the script the name was written in (Latn, Cyrl, Arab…).",
    ),
]


# Parsing a number against its country's numbering plan is the costliest field rule (about a
# fifth of a message's validation) and the same few numbers recur across a feed's records, so
# the results are cached by the exact raw string. Failures raise and are not cached; the cache is
# bounded so a stream of distinct numbers cannot grow memory.
@functools.lru_cache(maxsize=65_536)
def normalise_phone(value: str) -> str:
    """E.164 form of an international phone number, or raise with the rule `phone.e164`."""
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        raise PydanticCustomError(
            "phone.e164",
            "phone numbers must be international: start with + and the country calling code",
        )
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise PydanticCustomError(
            "phone.e164", "not a phone number: {why}", {"why": str(exc)}
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise PydanticCustomError(
            "phone.e164", "not a valid number in its country's numbering plan (check digits/length)"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _phone(value: Any) -> str:
    return normalise_phone(_require_str(value, "phone.type"))


Phone = Annotated[
    str,
    BeforeValidator(_phone),
    Field(
        json_schema_extra={"pattern": r"^(\+|00)[0-9 ()./-]{4,30}$"},
        description="International phone number; normalised to E.164 (+380501234567).",
    ),
]

# Deliberately simple: one @, a dotted domain, no spaces. Deliverability is not our question.
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _email(value: Any) -> str:
    text = clean_text(_require_str(value, "email.type"))
    if len(text) > 254 or not _EMAIL_RE.fullmatch(text):
        raise PydanticCustomError("email.format", "not an e-mail address (local@domain.tld)")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


Email = Annotated[
    str,
    BeforeValidator(_email),
    Field(
        json_schema_extra={"pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "maxLength": 254},
        description="E-mail address (domain lower-cased).",
    ),
]

_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MAX_AGE_YEARS = 120


def today_utc() -> date:
    """Today in UTC: the reference for "not in the future" rules, whatever the host's zone."""
    return datetime.now(UTC).date()


def partial_date_bounds(value: str) -> tuple[date, date]:
    """Earliest and latest calendar day a partial date (YYYY, YYYY-MM, YYYY-MM-DD) can mean."""
    match = _PARTIAL_DATE_RE.fullmatch(value)
    if not match:
        raise ValueError(value)
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    exact = date(year, month, day)
    return exact, exact


def _birth_date(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    text = _require_str(value, "birth_date.type").strip()
    _check_birth_date(text, today_utc())
    return text


# Birth dates recur across a feed's records (and partial ones far more), and the verdict depends
# only on the text and today's date: cached like phones, bounded, failures not cached.
@functools.lru_cache(maxsize=65_536)
def _check_birth_date(text: str, today: date) -> None:
    if not _PARTIAL_DATE_RE.fullmatch(text):
        raise PydanticCustomError(
            "birth_date.format", "birth dates are YYYY, YYYY-MM or YYYY-MM-DD"
        )
    try:
        earliest, latest = partial_date_bounds(text)
    except ValueError:
        raise PydanticCustomError("birth_date.invalid", "no such calendar date") from None
    if earliest > today:
        raise PydanticCustomError("birth_date.future", "birth date is in the future")
    # The latest day the partial date allows must give an age under MAX_AGE_YEARS today.
    try:
        limit = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if latest <= limit:
        raise PydanticCustomError(
            "birth_date.age", "implies an age of {age} years or more", {"age": MAX_AGE_YEARS}
        )


PartialDate = Annotated[
    str,
    BeforeValidator(_birth_date),
    Field(
        json_schema_extra={"pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
        description="Birth date, full or partial: YYYY, YYYY-MM or YYYY-MM-DD; age under 120.",
    ),
]


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _strict_date(value: Any) -> Any:
    # A bare number or a datetime string is a publisher bug, not a date: refuse rather than guess.
    if isinstance(value, datetime):
        raise PydanticCustomError("date.format", "send a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, date):
        return value
    text = _require_str(value, "date.format").strip()
    if not _DATE_RE.fullmatch(text):
        raise PydanticCustomError("date.format", "dates are YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date.invalid", "no such calendar date") from None


def _date_in_range(value: date) -> date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise PydanticCustomError(
            "date.range",
            "dates lie between {low} and {high}",
            {"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()},
        )
    return value


Date = Annotated[date, BeforeValidator(_strict_date), AfterValidator(_date_in_range)]
"""A full calendar date sent as YYYY-MM-DD."""


def _past_date(value: date) -> date:
    if value > today_utc():
        raise PydanticCustomError("date.future", "date is in the future")
    return value


PastDate = Annotated[
    date, BeforeValidator(_strict_date), AfterValidator(_date_in_range), AfterValidator(_past_date)
]
"""A YYYY-MM-DD date that is not after today (UTC)."""


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError(
                "timestamp.timezone", "timestamps must carry a time zone (end with Z for UTC)"
            )
        return _timestamp_in_range(value)
    text = _require_str(value, "timestamp.format").strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "timestamp.format", "timestamps are ISO 8601, e.g. 2026-11-28T10:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise PydanticCustomError(
            "timestamp.timezone", "timestamps must carry a time zone (end with Z for UTC)"
        )
    return _timestamp_in_range(parsed)


def _timestamp_in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC
        utc = None
    if utc is None or not TIMESTAMP_MIN <= utc < TIMESTAMP_MAX:
        raise PydanticCustomError(
            "timestamp.range",
            "timestamps lie between {low} and {high} (UTC)",
            {"low": TIMESTAMP_MIN.isoformat(), "high": TIMESTAMP_MAX.isoformat()},
        )
    return utc


Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp),
    Field(description="ISO 8601 timestamp with a time zone; stored as UTC."),
]

PositiveInt = Annotated[StrictInt, Field(ge=1, le=INT64_MAX)]
"""1 .. 2**63 - 1: every integer lands in a 64-bit column."""
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
"""0 .. 2**63 - 1."""
