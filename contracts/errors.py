"""Typed errors a message or a publisher's file can meet, each with a stable short code, and
`InterlinkError`, the root of every error a user of Interlink can meet.

`error_class` is written into dead-letter headers and receipts, so consumers can count and route
failures without parsing prose; `str()` is one readable line for logs and command-line output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MAX_VALUE_REPR = 80


def short_repr(value: Any, limit: int = _MAX_VALUE_REPR) -> str:
    """A bounded repr: enough to recognise the offending value, never a whole message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Failure:
    """One broken rule: where (dotted field path), what was sent, which rule, and why."""

    path: str
    value: Any
    rule: str
    message: str = ""

    def __str__(self) -> str:
        where = self.path or "<message>"
        reason = self.message or self.rule
        if self.rule == "missing":
            return f"{where}: {reason} ({self.rule})"
        return f"{where}: {short_repr(self.value)}: {reason} ({self.rule})"


class InterlinkError(Exception):
    """Root of the errors a user can meet: the message names the offending value, `hint` says
    what to do when the message does not already.

    Each package's error root subclasses it (keeping its historical built-in base, so existing
    `except ValueError` / `except RuntimeError` handlers still match); the command line catches
    it once and prints `user_message()` without a traceback. Bugs stay other exceptions.
    """

    hint: str = ""

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        """One line for the operator: the message, then the hint when there is one."""
        text = str(self)
        return f"{text}: {self.hint}" if self.hint else text


class ContractError(InterlinkError, ValueError):
    """A message or record that breaks the feed contract; `error_class` is a stable short code."""

    error_class: str = "contract"

    def __init__(
        self, message: str, *, error_class: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        if error_class is not None:
            self.error_class = error_class


class DecodeError(ContractError):
    """Not a JSON object we may read: not bytes, bad UTF-8 or JSON, too deep or too large."""

    error_class = "decode"


class FileFormatError(ContractError):
    """The file cannot be read as JSON Lines, JSON or CSV at all (not a per-record problem)."""

    error_class = "file.format"


class UnknownFeed(FileFormatError):
    """A feed name that `contracts.registry.FEEDS` does not hold (`check_feed` raises it).

    A `FileFormatError` (hence a `ContractError` and a `ValueError`) because validating or
    publishing a file reported an unknown feed as one before there was a single check.
    """

    error_class = "feed.unknown"

    def __init__(self, feed: object, feeds: tuple[str, ...]) -> None:
        self.feed = feed
        super().__init__(f"unknown feed {feed!r}: choose one of {', '.join(feeds)}")


class ValidationFailure(ContractError):
    """The JSON decoded but breaks field rules; `failures` lists every broken rule with its path."""

    error_class = "validation"

    def __init__(self, failures: list[Failure], *, context: str = "") -> None:
        self.failures = list(failures)
        head = f"{context}: " if context else ""
        count = len(self.failures)
        shown = "; ".join(str(f) for f in self.failures[:5])
        more = f"; … {count - 5} more" if count > 5 else ""
        plural = "s" if count != 1 else ""
        super().__init__(f"{head}{count} contract failure{plural}: {shown}{more}")


class CountryMismatch(ContractError):
    """The envelope claims a source country other than the topic's: treated as spoofing."""

    error_class = "country.spoofed"

    def __init__(self, envelope_country: str, topic_country: str) -> None:
        self.envelope_country = envelope_country
        self.topic_country = topic_country
        super().__init__(
            f"source_country {envelope_country!r} does not match the topic's country "
            f"{topic_country!r}: a country may only publish its own records on feeds.<feed>."
            f"{topic_country}"
        )
