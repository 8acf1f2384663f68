"""Shared inputs for contract tests: one valid payload per feed, read from tests/data/contracts."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "contracts"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def _examples() -> dict[str, dict[str, Any]]:
    return {
        feed: json.loads((DATA / f"{feed}_valid.json").read_text(encoding="utf-8"))
        for feed in ("person", "travel_document", "case", "notice")
    }


@pytest.fixture
def example(_examples: dict[str, dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """A fresh deep copy of the valid example payload of a feed (tests mutate it freely)."""

    def make(feed: str) -> dict[str, Any]:
        return copy.deepcopy(_examples[feed])

    return make


@pytest.fixture
def wire_envelope(example: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A valid envelope dict as a publisher would send it, with overrides."""

    def make(feed: str = "person", **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": "7d0c6f0e-1c5a-4a8e-9f3b-0b8f6f2a1c11",
            "feed": feed,
            "schema_version": 1,
            "source_country": "FRA",
            "source_agency": "OCRIEST",
            "record_id": "FRA-P-000123",
            "record_version": 1,
            "operation": "upsert",
            "produced_at": "2026-11-28T10:00:00Z",
            "reported_at": "2026-11-20T09:00:00Z",
            "operation_code": "LIBERTERRA-2026",
            "handling": {
                "dissemination": ["DEU", "HTEG"],
                "handling_code": "H0",
                "handling_note": None,
                "source_reliability": "B",
                "information_assessment": "2",
                "review_by": "2031-11-20",
            },
            "payload": example(feed),
        }
        data.update(overrides)
        return data

    return make
