"""Errors a publisher or an operator can meet in streams, each naming the bad value and the fix."""

from __future__ import annotations

from contracts.errors import InterlinkError


class StreamsError(InterlinkError, RuntimeError):
    """Base of the user-facing errors of `streams` (the CLI prints them as one line)."""


class KeyFileError(StreamsError):
    """A key file is missing, unreadable, or not an Ed25519 key."""


class KeyExists(KeyFileError):
    """`keys create` would overwrite an existing private key (a country's identity)."""


class UnknownTopic(StreamsError):
    """A topic name that is not `feeds.<feed>.<ISO3>`."""


class UnknownBrokerKind(StreamsError):
    """A broker kind that `streams.brokers` does not describe."""


class PublishFailed(StreamsError):
    """The broker did not acknowledge some messages (they may not have been written)."""


class KeyConflict(StreamsError):
    """A public key that may not be registered: bound to another country, or revoked."""


class UnknownKeyId(StreamsError):
    """`keys revoke` names a key id that is not the country's registered key."""
