"""Shared by the ER benchmarks: run a contender on a dataset in its own process and score it."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.data import Dataset
from bench.measure import ContenderFailed, Measured, run_measured
from bench.metrics import BlockingRecall, Scores, blocking_recall, score_clusters

log = logging.getLogger("bench.er")

NAMES = {
    "interlink": "Interlink",
    "interlink-incremental": "Interlink incremental",
    "splink-duckdb": "Splink 5 (DuckDB)",
    "splink-spark": "Splink 5 (Spark)",
    "splink-febrl-duckdb": "Splink 5 (DuckDB)",
    "splink-febrl-spark": "Splink 5 (Spark)",
    "recordlinkage-ecm": "recordlinkage ECM",
}


class PartialFailure(RuntimeError):
    """Some runs failed; the tables still hold every figure that was measured."""

    def __init__(self, tables: list, failures: list[str]) -> None:  # type: ignore[type-arg]
        self.tables = tables
        self.failures = failures
        super().__init__("; ".join(failures))


@dataclass
class Run:
    """One contender on one dataset: what it cost, or why it failed."""

    engine: str
    measured: Measured | None
    error: str | None
    out: Path

    @property
    def ok(self) -> bool:
        return self.measured is not None

    @property
    def resolve_seconds(self) -> float | None:
        return None if self.measured is None else float(self.measured.result["resolve_seconds"])

    def clusters(self) -> dict[str, str]:
        frame = pd.read_parquet(self.out / "clusters.parquet")
        return dict(zip(frame["key"], frame["cluster_id"], strict=True))

    def candidates(self) -> pd.DataFrame | None:
        path = self.out / "candidates.parquet"
        return pd.read_parquet(path) if path.exists() else None


def run_engine(
    engine: str,
    data: Dataset,
    workdir: Path,
    *,
    candidates: bool,
    shuffle_partitions: int = 4,
    u_max_pairs: float | None = None,
    timeout: float = 4 * 3600,
    tag: str = "",
) -> Run:
    """Run one engine on `data` in a fresh process; a failure is recorded, not raised."""
    out = workdir / "runs" / f"{data.input_path.parent.name}{tag}" / engine
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    args = [
        "bench.contenders",
        engine,
        "--input",
        str(data.input_path),
        "--out",
        str(out),
        "--shuffle-partitions",
        str(shuffle_partitions),
    ]
    if u_max_pairs is not None:  # None: Splink's default sample, as the benchmark runs it
        args += ["--u-max-pairs", str(u_max_pairs)]
    if candidates:
        args.append("--candidates")
    log.info("running %s on %s", engine, data.label)
    try:
        measured = run_measured(
            NAMES[engine],
            args,
            result_file=out / "result.json",
            log_file=out / "log.txt",
            timeout=timeout,
        )
    except (ContenderFailed, TimeoutError) as exc:
        log.warning("%s failed on %s: %s", engine, data.label, exc)
        return Run(engine, None, _short_error(exc, out / "log.txt"), out)
    return Run(engine, measured, None, out)


# Root causes a JVM names deep in its log, before the Python-side error and the shutdown noise
# (an interrupted clean-up) that end it: the reader of a table needs the cause, not the last line.
_ROOT_CAUSES = ("No space left on device", "OutOfMemoryError", "Java heap space")


def _short_error(exc: Exception, log_file: Path) -> str:
    """The root cause, else the last exception line, of the worker's log: what a reader needs in
    a table cell."""
    if isinstance(exc, ContenderFailed):
        full = log_file.read_text(errors="replace") if log_file.exists() else exc.stderr_tail
        for cause in _ROOT_CAUSES:
            hit = next((ln for ln in full.splitlines() if cause in ln), None)
            if hit is not None:
                return f"{hit.strip()[:300]} (log: {log_file})"
        lines = [ln for ln in exc.stderr_tail.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "Error" in ln or "Exception" in ln]
        text = (errors or lines or [str(exc)])[-1].strip()
        return f"{text[:300]} (log: {log_file})"
    return str(exc)


@dataclass
class Scored:
    scores: Scores
    blocking: BlockingRecall | None


def score(run: Run, truth: dict[str, str]) -> Scored:
    cands = run.candidates()
    return Scored(
        scores=score_clusters(run.clusters(), truth),
        blocking=None if cands is None else blocking_recall(cands, truth),
    )
