"""No DLQ path brings an erased record back (issue 16): Kafka cannot delete one message from
`feeds.dlq`, so a dead letter may outlive the erasure of its record; `dlq list` flags it and
`dlq replay` refuses it, forced or not, with a message and an audit row in the lake."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from contracts.lake import TOMBSTONE_SCHEMA, tombstone_name
from infra.audit import read_audit
from infra.lake import Lake
from interlink.cli_streams import app
from streams.brokers import BrokerTraits
from streams.publisher import FeedPublisher
from tests.streams.conftest import bronze_table, group, person, run_ingest

pytestmark = pytest.mark.kafka

runner = CliRunner()
ERASED = "ROU-P-000001"


def _erase(lake: Lake, record_id: str, version: int) -> None:
    """The tombstone an erasure writes to the lake before it removes any copy."""
    stone = pa.Table.from_pylist(
        [
            {
                "source_country": "ROU",
                "feed": "person",
                "record_id": record_id,
                "record_version": version,
                "action": "retention_purge",
                "erased_at": datetime.now(UTC),
            }
        ],
        schema=TOMBSTONE_SCHEMA,
    )
    lake.write_parquet(tombstone_name("ROU", "20261205T000000Z"), stone)


def test_a_dead_letter_of_an_erased_record_is_flagged_and_never_replayed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    broker: str,
    broker_traits: BrokerTraits,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    for name, value in (
        ("INTERLINK_HOME", str(tmp_path / "home")),
        ("INTERLINK_LAKE__ROOT", str(tmp_path / "lake")),
        ("INTERLINK_BROKER__BOOTSTRAP_SERVERS", broker),
        ("INTERLINK_BROKER__KIND", broker_traits.kind),
    ):
        monkeypatch.setenv(name, value)
    # ROU publishes before its key is registered: both records go to the DLQ.
    with publisher("ROU", partitions=1) as pub:
        pub.publish("person", person(1, "ROU"))
        pub.publish("person", person(2, "ROU"))
    gid = group()

    def run(reg: Any) -> Any:
        return run_ingest(broker, broker_traits, lake, reg, "ROU", group_id=gid, workers=0)

    assert run(registry()).per_reason == {"signature.unknown_key": 2}
    # Then its first record is erased (its review_by passed): the DLQ copy stays in Kafka.
    _erase(lake, ERASED, 1)

    listed = runner.invoke(app, ["dlq", "list", "--country", "ROU"])
    assert listed.exit_code == 0, listed.output
    assert f"(ERASED: {ERASED} erased up to v1; never replayed)" in listed.output
    assert "2 dead letters: 2 × signature.unknown_key; 1 of erased records" in listed.output
    rows = [
        json.loads(line)
        for line in runner.invoke(app, ["dlq", "list", "--country", "ROU", "--json"]).output.split(
            "\n"
        )
        if line
    ]
    assert {r["record_id"]: r["erased"] for r in rows} == {ERASED: True, "ROU-P-000002": False}

    # The key is registered and the operator replays ROU's dead letters, forcing: the erased
    # record's copy is refused, with a message and an audit row; the other one goes.
    replay = runner.invoke(app, ["dlq", "replay", "--country", "ROU", "--force"])
    assert replay.exit_code == 0, replay.output
    assert f"person record {ERASED} v1 was erased (up to v1)" in replay.output
    assert "replayed 1;" in replay.output and "refused 1 of erased records" in replay.output
    audit = read_audit(lake, "dlq_replay_refused")
    assert [d["record_id"] for d in audit[0]["details"]["dead_letters"]] == [ERASED]
    assert audit[0]["details"]["forced"] is True
    # Only the replayed record lands: nothing of the erased one reaches bronze.
    assert run(registry("ROU")).accepted == 1
    landed = bronze_table(lake)
    assert landed is not None and landed.column("record_id").to_pylist() == ["ROU-P-000002"]
