"""From message bytes to a validated envelope, or a typed error that says what broke and where."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from pydantic import BaseModel, ValidationError

from contracts.envelope import SIGNATURE_MEMBER, Envelope
from contracts.errors import ContractError, CountryMismatch, DecodeError, Failure, ValidationFailure
from contracts.fields import normalise_country
from contracts.registry import LATEST_VERSION, PAYLOAD_MODELS, check_feed

MAX_MESSAGE_BYTES = 1_048_576
"""Largest message accepted (1 MiB): a record is a few kilobytes; more is a bug or an attack."""
MAX_DEPTH = 16
"""Deepest JSON nesting accepted; the contract's own structures need 5 levels."""

# pydantic's error types that publishers meet most, renamed to stable, readable rule codes.
_RULES = {
    "extra_forbidden": "unknown_field",
    "literal_error": "enum",
    "string_too_long": "length.max",
    "string_too_short": "length.min",
    "too_long": "length.max",
    "too_short": "length.min",
    "string_pattern_mismatch": "pattern",
    "int_type": "type.integer",
    "float_type": "type.number",
    "string_type": "type.string",
    "list_type": "type.array",
    "model_type": "type.object",
    "dict_type": "type.object",
    "uuid_parsing": "uuid",
    "uuid_type": "uuid",
}
_MESSAGES = {
    "extra_forbidden": "unknown field: check its spelling against the contract",
    "missing": "required field is missing",
}


def format_path(loc: tuple[int | str, ...]) -> str:
    """`('payload', 'aliases', 0, 'family')` -> `payload.aliases[0].family`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def failures_from(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> list[Failure]:
    """Our `Failure`s (path, value, rule, message) from a pydantic ValidationError."""
    failures = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        value = None if kind == "missing" else item.get("input")
        failures.append(
            Failure(
                path=format_path(prefix + tuple(item["loc"])),
                value=value,
                rule=_RULES.get(kind, kind),
                message=_MESSAGES.get(kind, item["msg"]),
            )
        )
    return failures


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key would let the signer and the reader see different messages.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DecodeError(
                f"duplicate JSON key {key!r}: send each field once",
                error_class="decode.duplicate_key",
            )
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise DecodeError(
        f"{name} is not JSON: send numbers as finite decimals", error_class="decode.json"
    )


def one_line_of(exc: Exception, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _too_deep(node: Any, level: int = 1) -> bool:
    # Recursion stops at MAX_DEPTH + 1 so it cannot overflow the stack, and only containers are
    # visited (leaves cannot add depth); exact type checks suffice because json.loads makes only
    # plain dicts and lists. Cheaper than an explicit stack of (node, level) pairs.
    if level > MAX_DEPTH:
        return True
    for child in node.values() if type(node) is dict else node:
        if type(child) in _CONTAINERS and _too_deep(child, level + 1):
            return True
    return False


_CONTAINERS = (dict, list)


def decode(value: Any) -> dict[str, Any]:
    """The JSON object in a message value; `DecodeError` (with a `decode.*` class) otherwise."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise DecodeError(
            f"message value must be bytes, got {type(value).__name__}",
            error_class="decode.bytes",
        )
    raw = bytes(value)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise DecodeError(
            f"message is {len(raw)} bytes, the limit is {MAX_MESSAGE_BYTES}",
            error_class="decode.too_large",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"message is not UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})",
            error_class="decode.utf8",
        ) from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except RecursionError:
        raise DecodeError(
            f"JSON nested deeper than {MAX_DEPTH} levels", error_class="decode.too_deep"
        ) from None
    except json.JSONDecodeError as exc:
        raise DecodeError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            error_class="decode.json",
        ) from None
    except DecodeError:
        raise  # from the hooks: a duplicate key or a constant
    except ValueError as exc:
        # Python refuses to convert integers of more than 4,300 digits (a CPU attack otherwise).
        raise DecodeError(
            f"a number is too long to read ({one_line_of(exc)}): integers are 64-bit",
            error_class="decode.number",
        ) from None
    if not isinstance(data, dict):
        raise DecodeError(
            f"message must be a JSON object, got {type(data).__name__}",
            error_class="decode.not_object",
        )
    if _too_deep(data):
        raise DecodeError(
            f"JSON nested deeper than {MAX_DEPTH} levels", error_class="decode.too_deep"
        )
    return data


_SIGNATURE_RE = re.compile(rb"[A-Za-z0-9+/=_-]{1,512}")
_json_decoder = msgspec.json.Decoder()
_canonical_encoder = msgspec.json.Encoder(order="sorted")


def split_signed(value: Any) -> tuple[dict[str, Any], bytes, str] | None:
    """(decoded envelope, the bytes its signature covers, the signature) of a message value laid
    out by `contracts.envelope.signed_value`; None for any other value.

    The signed bytes are sliced from the value, not re-serialised, and accepted only when they
    are exactly the canonical form of what they decode to: then they hold no duplicate key and
    mean what the signer signed. Everything else (other layouts, non-canonical JSON, anything
    malformed) returns None, and the caller takes the general path (`decode` and
    `canonical_bytes`), which gives the same verdict and names the error.
    """
    if type(value) is not bytes or len(value) > MAX_MESSAGE_BYTES or not value.endswith(b'"}'):
        return None
    at = value.rfind(SIGNATURE_MEMBER)
    if at < 0:
        return None
    signature = value[at + len(SIGNATURE_MEMBER) : -2]
    # Base64 only: no quote or backslash, so the member is exactly `"signature":"…"` and it is
    # the top-level object's last one (the value ends with it and the object's closing brace).
    if not _SIGNATURE_RE.fullmatch(signature):
        return None
    signed = value[:at] + b"}"
    try:
        data = _json_decoder.decode(signed)
    except (msgspec.DecodeError, ValueError):
        return None
    if type(data) is not dict or not data or "signature" in data:
        return None
    if _canonical_encoder.encode(data) != signed or _too_deep(data):
        return None
    data["signature"] = signature.decode("ascii")
    return data, signed, data["signature"]


def validate_envelope(data: Mapping[str, Any]) -> Envelope:
    """An Envelope (payload validated for its feed and version) or `ValidationFailure`."""
    try:
        return Envelope.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailure(failures_from(exc), context=_context(data)) from None


def validate_payload(
    feed: str, data: Mapping[str, Any], *, version: int | None = None
) -> BaseModel:
    """A payload model of `feed` (latest version by default) or `ValidationFailure`."""
    check_feed(feed)
    version = LATEST_VERSION[feed] if version is None else version
    model = PAYLOAD_MODELS.get((feed, version))
    if model is None:
        known = ", ".join(str(v) for f, v in sorted(PAYLOAD_MODELS) if f == feed)
        raise ContractError(
            f"feed {feed} has no schema version {version}",
            error_class="schema_version.unknown",
            hint=f"use one of {known} (or omit the version for the latest)",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailure(failures_from(exc), context=f"{feed} v{version}") from None


def _context(data: Mapping[str, Any]) -> str:
    record_id, feed = data.get("record_id"), data.get("feed")
    if isinstance(record_id, str) and isinstance(feed, str):
        return f"{feed} record {record_id[:64]}"
    return ""


def parse_message(value: bytes, *, topic_country: str | None = None) -> Envelope:
    """Decode and validate one message value.

    Raises `DecodeError` (bytes, UTF-8, JSON, not an object, too deep or large),
    `CountryMismatch` when `topic_country` is given and the envelope claims another country
    (spoofing), or `ValidationFailure` listing every broken rule of envelope and payload.
    """
    data = decode(value)
    expected: str | None = None
    if topic_country is not None:
        expected = normalise_country(topic_country, icao_extras=False)
        if expected is None:
            raise ValueError(f"topic country {topic_country!r} is not an ISO 3166-1 code")
        claimed = data.get("source_country")
        claimed_code = (
            normalise_country(claimed, icao_extras=False) if isinstance(claimed, str) else None
        )
        if claimed_code is not None and claimed_code != expected:
            raise CountryMismatch(claimed_code, expected)
    envelope = validate_envelope(data)
    if expected is not None and envelope.source_country != expected:
        raise CountryMismatch(envelope.source_country, expected)
    return envelope
