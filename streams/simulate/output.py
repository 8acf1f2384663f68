"""Streams of generated messages, feed files for `interlink publish`, and the ground truth.

Memory stays flat: the world is drawn chunk by chunk, lines are written as they come, and the
only state carried between chunks is a small queue of later versions waiting for their time
(an update is released a few chunks after its first version, as in real reporting).
"""

from __future__ import annotations

import csv
import heapq
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from contracts.registry import FEEDS
from streams.simulate.errors import FeedsNotFound, InvalidSize, OutputNotEmpty, UnknownCountry
from streams.simulate.reports import Message, Reporter
from streams.simulate.world import World

PERSON_TRUTH_COLUMNS = ("source_country", "record_id", "true_person_id", "role", "variations")
"""Columns of `truth/persons.csv`: one row per person record (its first version)."""
CASE_LINK_COLUMNS = ("source_country_a", "record_id_a", "source_country_b", "record_id_b", "link")
"""Columns of `truth/case_links.csv`: case records that truly belong together (`same_case`:
one case seen by two countries; `same_network`: two cases of one criminal network)."""
DEFAULT_UPDATE_RATE = 0.05
DEFAULT_DELETE_RATE = 0.02


def normalise_countries(countries: str | Iterable[str]) -> list[str]:
    """ISO3 codes, in the given order without repeats, from a list or a comma-separated string."""
    import pycountry

    items = countries.split(",") if isinstance(countries, str) else list(countries)
    out: list[str] = []
    for raw in items:
        code = raw.strip().upper()
        if not code:
            continue
        found = None
        if len(code) == 3:
            found = pycountry.countries.get(alpha_3=code)
        elif len(code) == 2:
            found = pycountry.countries.get(alpha_2=code)
        if found is None:
            raise UnknownCountry(raw)
        if found.alpha_3 not in out:
            out.append(found.alpha_3)
    if not out:
        raise UnknownCountry(",".join(items) if items else "")
    return out


def _check_size(persons: Any) -> int:
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise InvalidSize(persons)
    return persons


@dataclass(slots=True)
class Event:
    """One item of the generated stream: a message, a person-truth row or a case-link row."""

    kind: str  # message | truth | link
    message: Message | None = None
    row: tuple[str, ...] | None = None


def iter_events(
    seed: int,
    persons: int,
    countries: str | Iterable[str],
    *,
    cross_script: bool = True,
    update_rate: float = DEFAULT_UPDATE_RATE,
    delete_rate: float = DEFAULT_DELETE_RATE,
) -> Iterator[Event]:
    """Messages and ground truth in one deterministic stream (the base of everything else)."""
    members = normalise_countries(countries)
    world = World(seed, _check_size(persons), members)
    reporter = Reporter(
        world, cross_script=cross_script, update_rate=update_rate, delete_rate=delete_rate
    )
    pending: list[tuple[int, int, Message]] = []
    sequence = 0
    for index, chunk in enumerate(world.chunks()):
        rendered = reporter.render(chunk)
        for message in rendered.messages:
            yield Event("message", message)
        for row in rendered.truth:
            yield Event("truth", row=row)
        for row in rendered.links:
            yield Event("link", row=row)
        for delay, message in rendered.later:
            sequence += 1
            heapq.heappush(pending, (index + delay, sequence, message))
        while pending and pending[0][0] <= index:
            yield Event("message", heapq.heappop(pending)[2])
    while pending:
        yield Event("message", heapq.heappop(pending)[2])


def iter_messages(
    seed: int,
    persons: int,
    countries: str | Iterable[str],
    *,
    cross_script: bool = True,
    update_rate: float = DEFAULT_UPDATE_RATE,
    delete_rate: float = DEFAULT_DELETE_RATE,
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(feed, ISO3 country, record) in a deterministic order, for publishing directly.

    A record is the feed-file line: `record_id`, `record_version`, `operation`, `reported_at`,
    optional `operation_code` and `handling`, and `payload` (None for deletes). Later versions
    of a record always come after earlier ones.
    """
    for event in iter_events(
        seed,
        persons,
        countries,
        cross_script=cross_script,
        update_rate=update_rate,
        delete_rate=delete_rate,
    ):
        if event.message is not None:
            yield event.message.feed, event.message.country, event.message.record


def dumps(record: dict[str, Any]) -> str:
    """One feed-file line (compact JSON, UTF-8 text kept as is)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@dataclass
class SimulationSummary:
    """What a `write_feeds` run produced."""

    out_dir: str
    seed: int
    persons: int
    countries: list[str]
    cross_script: bool
    messages: dict[str, dict[str, int]] = field(default_factory=dict)  # feed -> country -> lines
    person_records: int = 0
    case_links: int = 0
    seconds: float = 0.0

    @property
    def total_messages(self) -> int:
        return sum(n for per in self.messages.values() for n in per.values())

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "persons": self.persons, "countries": self.countries,
            "cross_script": self.cross_script, "messages": self.messages,
            "total_messages": self.total_messages, "person_records": self.person_records,
            "case_links": self.case_links,
        }  # fmt: skip


def _existing_outputs(out: Path) -> list[Path]:
    found = [p for feed in FEEDS for p in (out / feed).glob("*.jsonl")]
    found += [p for p in (out / "truth").glob("*") if p.is_file()]
    if (out / "persons_resolve.jsonl").exists():
        found.append(out / "persons_resolve.jsonl")
    return found


def write_feeds(
    out_dir: str | Path,
    seed: int,
    persons: int,
    countries: str | Iterable[str],
    *,
    cross_script: bool = True,
    update_rate: float = DEFAULT_UPDATE_RATE,
    delete_rate: float = DEFAULT_DELETE_RATE,
    overwrite: bool = False,
) -> SimulationSummary:
    """Write `out_dir/<feed>/<ISO3>.jsonl` (ready for `interlink publish`) and the ground truth
    `out_dir/truth/persons.csv`, `out_dir/truth/case_links.csv` and `out_dir/truth/summary.json`.

    Same arguments, same bytes. Raises `OutputNotEmpty` rather than mixing two worlds in one
    directory (pass `overwrite=True` to replace the previous files).
    """
    members = normalise_countries(countries)
    _check_size(persons)
    out = Path(out_dir)
    existing = _existing_outputs(out) if out.exists() else []
    if existing:
        if not overwrite:
            raise OutputNotEmpty(str(out))
        for path in existing:
            path.unlink()
    (out / "truth").mkdir(parents=True, exist_ok=True)
    summary = SimulationSummary(str(out), seed, persons, members, cross_script)
    handles: dict[tuple[str, str], IO[str]] = {}
    started = time.perf_counter()
    try:
        for feed in FEEDS:
            (out / feed).mkdir(exist_ok=True)
            summary.messages[feed] = {}
            for country in members:
                handles[(feed, country)] = open(  # noqa: SIM115 - closed in finally
                    out / feed / f"{country}.jsonl", "w", encoding="utf-8", newline="\n"
                )
                summary.messages[feed][country] = 0
        with (
            open(out / "truth" / "persons.csv", "w", encoding="utf-8", newline="") as truth_file,
            open(out / "truth" / "case_links.csv", "w", encoding="utf-8", newline="") as links_file,
        ):
            truth = csv.writer(truth_file, lineterminator="\n")
            links = csv.writer(links_file, lineterminator="\n")
            truth.writerow(PERSON_TRUTH_COLUMNS)
            links.writerow(CASE_LINK_COLUMNS)
            for event in iter_events(
                seed,
                persons,
                members,
                cross_script=cross_script,
                update_rate=update_rate,
                delete_rate=delete_rate,
            ):
                if event.message is not None:
                    m = event.message
                    handles[(m.feed, m.country)].write(dumps(m.record) + "\n")
                    summary.messages[m.feed][m.country] += 1
                elif event.kind == "truth" and event.row is not None:
                    truth.writerow(event.row)
                    summary.person_records += 1
                elif event.row is not None:
                    links.writerow(event.row)
                    summary.case_links += 1
    finally:
        for handle in handles.values():
            handle.close()
    summary.seconds = time.perf_counter() - started
    (out / "truth" / "summary.json").write_text(
        json.dumps(summary.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return summary


def resolve_input(out_dir: str | Path, *, output: str | Path | None = None) -> Path:
    """Write `out_dir/persons_resolve.jsonl`: the latest version of every person record that is
    not deleted, as the person payload plus `source_country` and `record_id` (the input of
    `interlink resolve` and of the entity-resolution benchmarks). Returns its path.

    Only records that ever changed are remembered between the two passes, so memory grows with
    the few percent of updated records, not with the feed.
    """
    out = Path(out_dir)
    files = sorted((out / "person").glob("*.jsonl"))
    if not files:
        raise FeedsNotFound(str(out))
    latest: dict[tuple[str, str], tuple[int, bool]] = {}
    for path in files:
        country = path.stem
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["record_version"] > 1 or record["operation"] == "delete":
                    key = (country, record["record_id"])
                    version = record["record_version"]
                    if version >= latest.get(key, (0, False))[0]:
                        latest[key] = (version, record["operation"] == "delete")
    target = Path(output) if output is not None else out / "persons_resolve.jsonl"
    with target.open("w", encoding="utf-8", newline="\n") as sink:
        for path in files:
            country = path.stem
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    changed = latest.get((country, record["record_id"]))
                    if changed is not None and (
                        changed[1] or record["record_version"] != changed[0]
                    ):
                        continue
                    if record["operation"] == "delete":
                        continue
                    row = {
                        "source_country": country,
                        "record_id": record["record_id"],
                        **record["payload"],
                    }
                    sink.write(dumps(row) + "\n")
    return target
