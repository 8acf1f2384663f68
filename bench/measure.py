"""Run one contender in its own process and measure it: wall time and peak memory.

Each contender (Interlink, Splink on DuckDB, Splink on Spark) runs in a fresh Python process, so
no contender inherits another's warmed caches, JVM or memory, and a crash of one yardstick cannot
take the suite down. Peak memory is the largest *sum* of resident set sizes over the process tree
(the Python worker plus any JVM or helper it starts), sampled every `interval` seconds: a sampled
peak can miss a spike shorter than the interval, which is why the interval is small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent


class ContenderFailed(RuntimeError):
    """A contender's process exited non-zero; carries its command and the tail of its stderr."""

    def __init__(self, name: str, returncode: int, stderr_tail: str) -> None:
        self.name = name
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        super().__init__(f"{name} exited with {returncode}: {stderr_tail[-600:]}")


@dataclass
class Measured:
    """What one contender run cost and what it reported about itself."""

    name: str
    wall_seconds: float
    peak_rss_bytes: int
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_bytes / 2**20


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            # A child may exit between listing and reading; it no longer holds memory.
            continue
    return total


def run_measured(
    name: str,
    args: list[str],
    *,
    result_file: Path,
    log_file: Path,
    timeout: float = 3600.0,
    interval: float = 0.1,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run `python -m <args>` in a fresh process; return its wall time, peak tree RSS and result.

    The worker writes its own JSON result to `result_file` (timings of its phases, counts). Its
    stdout and stderr go to `log_file`, kept for post-mortems. Raises ContenderFailed on a
    non-zero exit and TimeoutError (after killing the tree) when `timeout` passes.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.unlink(missing_ok=True)
    full_env = {**os.environ, **(env or {})}
    # The repo on the path so `python -m bench.…` works from any working directory.
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p
    )
    peak = 0
    with log_file.open("wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(REPO),
        )
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            peak = max(peak, _tree_rss(ps))
            if time.perf_counter() - t0 > timeout:
                _kill_tree(ps)
                proc.wait()
                raise TimeoutError(f"{name} still running after {timeout:.0f}s; killed")
            time.sleep(interval)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = log_file.read_text(errors="replace")[-4000:]
        raise ContenderFailed(name, proc.returncode, tail)
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return Measured(name=name, wall_seconds=wall, peak_rss_bytes=peak, result=result)


def _kill_tree(proc: psutil.Process) -> None:
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        children = []
    for p in [*children, proc]:
        try:
            p.kill()
        except psutil.Error:
            continue
