"""Scenario generator: a deterministic world of trafficking and smuggling networks, reported by
member countries the way real feeds report, with the ground truth kept beside it.

    write_feeds(out_dir, seed, persons, countries)  -> <out>/<feed>/<ISO3>.jsonl + <out>/truth/
    iter_messages(seed, persons, countries)         -> (feed, ISO3, record) for direct publishing
    resolve_input(out_dir)                          -> <out>/persons_resolve.jsonl

Same seed, same bytes; memory stays flat from a few hundred to millions of persons.
"""

from streams.simulate.errors import (
    FeedsNotFound,
    InvalidSize,
    OutputNotEmpty,
    SimulationError,
    UnknownCountry,
)
from streams.simulate.output import (
    CASE_LINK_COLUMNS,
    FEEDS,
    PERSON_TRUTH_COLUMNS,
    SimulationSummary,
    iter_events,
    iter_messages,
    normalise_countries,
    resolve_input,
    write_feeds,
)
from streams.simulate.places import AGENCIES
from streams.simulate.reports import VARIATIONS

__all__ = [
    "AGENCIES",
    "CASE_LINK_COLUMNS",
    "FEEDS",
    "PERSON_TRUTH_COLUMNS",
    "VARIATIONS",
    "FeedsNotFound",
    "InvalidSize",
    "OutputNotEmpty",
    "SimulationError",
    "SimulationSummary",
    "UnknownCountry",
    "iter_events",
    "iter_messages",
    "normalise_countries",
    "resolve_input",
    "write_feeds",
]
