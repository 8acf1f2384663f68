"""Which payload model reads which (feed, schema version): the one table every stage consults."""

from __future__ import annotations

from pydantic import BaseModel

from contracts.case import CaseV1
from contracts.errors import UnknownFeed
from contracts.notice import NoticeV1
from contracts.person import PersonV1
from contracts.travel_document import TravelDocumentV1

FEEDS: tuple[str, ...] = ("person", "travel_document", "case", "notice")
"""The feed names, as they appear in topics (`feeds.<feed>.<ISO3>`) and in the envelope."""

PAYLOAD_MODELS: dict[tuple[str, int], type[BaseModel]] = {
    ("person", 1): PersonV1,
    ("travel_document", 1): TravelDocumentV1,
    ("case", 1): CaseV1,
    ("notice", 1): NoticeV1,
}
"""(feed, schema_version) -> payload model. A new version is a new model and a new entry."""

LATEST_VERSION: dict[str, int] = {
    feed: max(v for f, v in PAYLOAD_MODELS if f == feed) for feed in FEEDS
}
"""The version publishers should send today, per feed."""

ENVELOPE_VERSION = 1
"""Version of the envelope schema itself (exported as contracts/schemas/envelope/v1.json)."""


def check_feed(feed: str) -> str:
    """`feed` itself when it is one of FEEDS, else `UnknownFeed` naming it and the choices.

    The one place the question is asked: every stage that takes a feed name from a user or a file
    calls this, so the error and its wording are the same everywhere.
    """
    if feed not in FEEDS:
        raise UnknownFeed(feed, FEEDS)
    return feed
