"""One error root: every user error is an InterlinkError, caught once by the CLI, with its hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts import FEEDS, InterlinkError, UnknownFeed, check_feed
from contracts.errors import ContractError
from contracts.expectations import expectations_for
from contracts.files import FileFormatError, validate_file
from contracts.parsing import validate_payload
from infra.errors import ServiceError
from infra.lake import LakeError
from interlink import cli
from interlink.airflow_runner import DagRunFailed
from interlink.cli_contracts import app as contracts_app
from streams.errors import StreamsError
from streams.simulate.errors import SimulationError
from streams.topics import feed_topic
from transforms.errors import TransformError

DATA = Path(__file__).resolve().parent.parent / "data" / "contracts"


@pytest.mark.parametrize(
    "root",
    [ContractError, StreamsError, SimulationError, TransformError, ServiceError, LakeError,
     DagRunFailed],
)  # fmt: skip
def test_every_package_error_root_is_an_interlink_error(root: type[Exception]) -> None:
    assert issubclass(root, InterlinkError)


def test_unknown_feed_is_one_error_type_from_every_stage(tmp_path: Path) -> None:
    calls = [
        lambda: check_feed("vehicles"),
        lambda: validate_payload("vehicles", {}),
        lambda: expectations_for("vehicles"),
        lambda: feed_topic("vehicles", "FRA"),
        lambda: validate_file(tmp_path / "x.jsonl", "vehicles"),
    ]
    for call in calls:
        with pytest.raises(UnknownFeed) as caught:
            call()
        assert caught.value.feed == "vehicles"
        assert str(caught.value) == f"unknown feed 'vehicles': choose one of {', '.join(FEEDS)}"
    # Handlers written before the single check still match it.
    assert issubclass(UnknownFeed, FileFormatError) and issubclass(UnknownFeed, ValueError)
    assert check_feed("person") == "person"


def test_cli_prints_message_and_hint_on_one_line_without_traceback() -> None:
    file = DATA / "person_publisher.jsonl"
    result = CliRunner().invoke(
        contracts_app, ["validate", "--feed", "person", "--version", "9", str(file)]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "interlink: feed person has no schema version 9: use one of 1 "
        "(or omit the version for the latest)"
    )
    assert "Traceback" not in result.output


def test_mounting_a_broken_subcommand_fails_loudly() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"interlink\.cli_missing"):
        cli._mount("interlink.cli_missing", name="missing")
