"""A phase's end line reads back as what was reported: the freshness benchmark hears the resolve
step's phases through the log and sums them per phase."""

from __future__ import annotations

import logging

import pytest

from interlink.progress import parse_phase_end, phase_progress


def test_a_phase_end_line_reads_back_and_a_start_line_does_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    report = phase_progress("resolve")
    with caplog.at_level(logging.INFO, logger="interlink.progress"):
        report("silver person merged", None)
        report("silver person merged", 4.44)
        report("gold notice_hits", 12.0)
    parsed = [parse_phase_end(r.getMessage()) for r in caplog.records]
    assert parsed == [
        None,
        ("resolve", "silver person merged", 4.4),
        ("resolve", "gold notice_hits", 12.0),
    ]
    assert parse_phase_end("silver unchanged: case, notice") is None
