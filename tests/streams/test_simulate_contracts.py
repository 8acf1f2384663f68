"""Every generated record passes the feed contracts, as a publisher would send it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import contracts
from streams import keys, publisher
from streams.simulate import iter_messages, resolve_input, write_feeds

PRODUCED = datetime(2026, 11, 1, tzinfo=UTC)


def _envelope(feed: str, country: str, record: dict) -> object:
    return contracts.envelope_for(
        feed,
        country,
        record["record_id"],
        record["record_version"],
        record["payload"],
        operation=record["operation"],
        handling=record.get("handling"),
        reported_at=datetime.fromisoformat(record["reported_at"]),
        produced_at=PRODUCED,
        operation_code=record.get("operation_code"),
    )


@pytest.mark.parametrize(
    ("countries", "cross_script"),
    [("FRA,DEU,ITA,ESP,GRC", True), ("GBR,POL,NLD,AUT,SWE,MLT", False)],
)
def test_every_generated_message_validates_against_the_contracts(
    countries: str, cross_script: bool
) -> None:
    seen = set()
    for feed, country, record in iter_messages(3, 700, countries, cross_script=cross_script):
        envelope = _envelope(feed, country, record)
        assert envelope.source_country == country
        seen.add((feed, record["operation"]))
    assert {f for f, _ in seen} == set(contracts.FEEDS)
    assert ("person", "delete") in seen


def test_resolve_input_rows_are_person_payloads(tmp_path: Path) -> None:
    write_feeds(tmp_path, seed=4, persons=300, countries="FRA,DEU,ITA")
    path = resolve_input(tmp_path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows
    for row in rows:
        assert row.pop("source_country") in {"FRA", "DEU", "ITA"}
        assert row.pop("record_id").split("-")[1] == "P"
        contracts.PersonV1.model_validate(row)


def test_feed_files_pass_the_publishers_dry_run(tmp_path: Path) -> None:
    """`interlink publish` would send every line: nothing is rejected as invalid."""
    write_feeds(tmp_path / "w", seed=5, persons=250, countries="FRA,DEU,GRC")
    for country in ("FRA", "DEU", "GRC"):
        private, _ = keys.create_keypair(country, tmp_path / "keys")
        # No broker: a dry run validates and builds envelopes without connecting.
        pub = publisher.FeedPublisher("127.0.0.1:1", country, keys.load_private_key(private))
        for feed in contracts.FEEDS:
            path = tmp_path / "w" / feed / f"{country}.jsonl"
            lines = len(path.read_text(encoding="utf-8").splitlines())
            summary = publisher.publish_file(pub, feed, path, dry_run=True)
            assert summary.invalid == 0, (feed, country, summary.failures[:3])
            # Every line was read and would be sent: a run that read nothing fails here.
            assert lines > 0 and summary.sent == lines, (feed, country, lines, summary.sent)
