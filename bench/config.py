"""Run-wide options of the benchmark suite, set once by the runner and read by the modules.

Benchmark modules keep the simple `run(small: bool)` signature (so modules written by other
people plug in unchanged); options only the runner knows (where to put scratch data, a cap on
sizes for a quick full-mode run) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    workdir: Path = REPO / "var" / "bench"
    """Generated data, contender outputs and logs (under var/, which git ignores)."""
    max_persons: int | None = None
    """Skip full-mode sizes above this many true persons (None: run every size)."""
    persons_override: int | None = None
    """Replace every dataset size by this many persons (smoke tests run the suite tiny)."""
    messages_override: int | None = None
    """Replace the ingest benchmark's message count by this many (smoke tests)."""
    seed: int = 20261128
    """Seed of the generated worlds: the same seed gives the same data in every run."""


_current = Options()


def current() -> Options:
    return _current


def set_options(options: Options) -> None:
    global _current
    _current = options
