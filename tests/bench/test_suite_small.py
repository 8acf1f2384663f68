"""Smoke test of the benchmark suite: the small run, shrunk further, produces its tables.

It asserts that each table is there with comparison rows, never how fast anything was: timing on
a shared CI machine is noise, and the point is that the suite cannot rot unnoticed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _small_bench(tmp_path: Path, args: list[str], *, timeout: int) -> str:
    """Run `python -m bench --small <args>` into tmp_path; the report it wrote."""
    out = tmp_path / "BENCHMARKS.md"
    cmd = [sys.executable, "-m", "bench", "--small", *args, "--output", str(out)]
    cmd += ["--workdir", str(tmp_path / "work")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text()


@pytest.mark.slow
@pytest.mark.spark
# The subprocess has 1500 s of its own (Splink's Spark and DuckDB yardsticks plus ours); pytest's
# default 900 s cut it first on a loaded machine, hiding which contender was slow.
@pytest.mark.timeout(1800)
def test_small_suite_on_tiny_worlds_writes_every_er_table(tmp_path: Path) -> None:
    text = _small_bench(
        tmp_path, ["--persons", "60", "--only", "er_quality", "--only", "er_time"], timeout=1500
    )
    assert "## Machine" in text and "logical cores" in text
    for title in (
        "Entity resolution quality",
        "Entity resolution quality on public data (FEBRL)",
        "Entity resolution time and peak memory",
    ):
        assert f"### {title}" in text
    febrl = [ln for ln in text.splitlines() if ln.startswith("| FEBRL1, no SSN")]
    assert {"Splink 5 (DuckDB)", "recordlinkage ECM"} <= {
        y for r in febrl for y in ("Splink 5 (DuckDB)", "recordlinkage ECM") if y in r
    }
    rows = [ln for ln in text.splitlines() if ln.startswith("| 60 persons")]
    # Quality and time: one row each against Splink's DuckDB backend.
    assert sum("Splink 5 (DuckDB)" in r for r in rows) == 2
    assert all(" vs " in r for r in rows)
    assert "failed" not in text
    # Interlink's resolve is broken down by phase in the notes, as the yardsticks' are.
    note = next(ln for ln in text.splitlines() if ln.startswith("- Interlink on 60 persons"))
    assert all(f"resolve: {p} " in note for p in ("standardise", "block", "compare", "cluster"))


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.tansu
@pytest.mark.apache_kafka
def test_ingest_benchmark_compares_with_both_bare_consumers_and_both_brokers(
    tmp_path: Path,
) -> None:
    text = _small_bench(tmp_path, ["--messages", "3000", "--only", "bench_ingest"], timeout=600)
    assert "### Ingest throughput, 3,000 signed person messages" in text
    header = next(ln for ln in text.splitlines() if ln.startswith("| measure |"))
    assert "bare consumer" in header and "bare, pure-Python CRC" in header
    rows = {ln.split(" | ")[0].lstrip("| "): ln for ln in text.splitlines() if ln.startswith("| ")}
    # Both yardsticks measured: a ratio against each, never n/a.
    assert rows["records/s"].count("×") == 2
    # Start-up (group join, and Interlink's check pool) is its own row for all three contenders.
    assert rows["start-up seconds (worker start → first message)"].count("×") == 2
    assert "| 3000 / 0 |" in rows["accepted / rejected"]
    assert "### Where a message's time goes" in text
    # The same ingest on Apache Kafka: every message landed there too, rates on both brokers.
    assert "### Ingest per broker: Tansu and Apache Kafka" in text
    assert "| 3000 / 0 | 3000 / 0 |" in rows["interlink accepted / rejected"]
    assert rows["interlink ingest, records/s"].count("×") == 1


@pytest.mark.slow
@pytest.mark.postgres
def test_warehouse_benchmark_compares_with_bare_copy(tmp_path: Path) -> None:
    text = _small_bench(tmp_path, ["--persons", "300", "--only", "bench_warehouse"], timeout=600)
    assert "### Warehouse load into PostgreSQL, 300 persons (900 rows in 3 tables)" in text
    rows = {ln.split(" | ")[0].lstrip("| "): ln for ln in text.splitlines() if ln.startswith("| ")}
    assert "×" in rows["rows/s (first load)"]
    # The rerun on unchanged data moves nothing; 1 % of 300 persons changed moves their rows.
    assert rows["rerun, nothing changed: seconds (rows moved)"].split(" | ")[1].endswith("(0)")


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.postgres
@pytest.mark.timeout(1800)
def test_freshness_benchmark_times_the_delta_against_the_full_rebuild(tmp_path: Path) -> None:
    text = _small_bench(tmp_path, ["--persons", "100", "--only", "freshness"], timeout=1500)
    assert "### Freshness:" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| 100 persons")]
    stages = [r.split(" | ")[1] for r in rows]
    assert stages[:6] == [
        "publish",
        "ingest",
        "validate",
        "resolve",
        "load DuckDB",
        "load PostgreSQL",
    ]
    # Both warehouses reached, each against the full rebuild, and the delta read back from both.
    assert sum("publish → queryable in" in r and "×" in r for r in rows) == 2
    assert "DuckDB entity True, alert True, PostgreSQL entity True, alert True" in text
    assert "link tables merged: documents, document_alerts" in text
    # Each incremental load's own profile travels with the result.
    assert "incremental load phases (stage / diff / write s): DuckDB " in text
    # And the resolve's: its largest phases, with the full rebuild's seconds where it has one.
    phases = next(ln for ln in text.splitlines() if "the incremental resolve's largest" in ln)
    assert re.search(r"; [a-z][\w ]* \d+\.\d \(full \d+\.\d\)", phases), phases
