"""BENCHMARKS.md assembly: comparison cells, one section per benchmark, partial refreshes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.report import (
    Table,
    existing_sections,
    render_section,
    versus,
    where_measured,
    write_report,
)
from bench.runner import UnknownBenchmark, select

REPO = Path(__file__).resolve().parents[2]


def test_a_comparison_cell_shows_both_figures_and_their_ratio() -> None:
    assert versus(0.9, 0.6) == "0.900 vs 0.600 (×1.50)"
    assert versus(12.0, None, "{:.1f}") == "12.0 vs n/a (n/a)"
    assert versus(0.0, 0.0) == "0.000 vs 0.000 (n/a)"


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    table = Table(title="t", columns=["a", "b"])
    with pytest.raises(ValueError, match="2 columns"):
        table.add("only one")


def test_markdown_table_escapes_pipes_and_keeps_notes() -> None:
    table = Table(title="T", columns=["x", "y"], notes=["a note"])
    table.add("a|b", 1)
    md = table.to_markdown()
    assert "| a\\|b | 1 |" in md
    assert "- a note" in md


def test_refreshing_one_benchmark_keeps_the_other_sections(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    first = Table(title="First", columns=["v"])
    first.add("old")
    second = Table(title="Second", columns=["v"])
    second.add("kept")
    write_report(
        out,
        REPO,
        {
            "one": render_section("one", [first], seconds=1, mode="small"),
            "two": render_section("two", [second], seconds=1, mode="small"),
        },
        order=["one", "two"],
        command="python -m bench --small",
    )
    fresh = Table(title="First", columns=["v"])
    fresh.add("new")
    write_report(
        out,
        REPO,
        {
            "one": render_section(
                "one", [fresh], seconds=1, mode="small", where=where_measured(REPO)
            )
        },
        order=["one", "two"],
        command="python -m bench --small",
    )
    text = out.read_text()
    assert "| new |" in text and "| old |" not in text
    assert "| kept |" in text
    assert text.index("First") < text.index("Second")
    assert set(existing_sections(out)) == {"one", "two"}
    assert "logical cores" in text and "GiB memory" in text
    # The fresh section names its own machine and commit; the kept one predates the footer.
    fresh_section = existing_sections(out)["one"]
    assert re.search(r"measured .* on \d+ cores, .*, \d+ GiB, commit \w+\._", fresh_section)


def test_only_accepts_names_with_or_without_the_bench_prefix() -> None:
    names = ["bench_ingest", "er_quality", "er_time"]
    assert select(names, ["ingest", "er_time"]) == ["bench_ingest", "er_time"]
    assert select(names, None) == names
    with pytest.raises(UnknownBenchmark, match="nope"):
        select(names, ["nope"])
