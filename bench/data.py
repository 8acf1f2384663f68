"""The data every ER contender is scored on: generated worlds with their ground truth.

`dataset()` asks the scenario generator (streams.simulate) for a world of N true persons, writes
the person file in the `interlink resolve` input format and keeps the truth beside it. Worlds are
cached under the work directory by (persons, cross-script, seed): the generator is deterministic,
so a cached world is the world the same call would generate again.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.splink_model import read_jsonl, record_key

COUNTRIES = ("FRA", "DEU", "ITA", "ESP", "GRC", "POL", "ROU", "BGR", "NLD", "AUT")
"""Reporting member countries of the benchmark worlds: Latin and Cyrillic clerks, origin, transit
and destination countries of the generator's routes."""

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "data" / "bench"


class GeneratorMismatch(RuntimeError):
    """streams.simulate does not offer what the benchmark needs (API changed?)."""


@dataclass(frozen=True)
class Dataset:
    """A person file to resolve and the truth about it."""

    label: str
    input_path: Path
    truth_path: Path
    persons: int
    cross_script: bool

    def truth(self) -> dict[str, str]:
        """record key -> true person id, limited to the records present in the input file."""
        keys = {
            record_key(r["source_country"], r["record_id"]) for r in read_jsonl(self.input_path)
        }
        out: dict[str, str] = {}
        with self.truth_path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = record_key(row["source_country"], row["record_id"])
                if key in keys:
                    out[key] = row["true_person_id"]
        missing = keys - out.keys()
        if missing:
            raise GeneratorMismatch(
                f"{len(missing)} input records have no ground truth, e.g. {sorted(missing)[:3]}: "
                f"regenerate {self.input_path.parent}"
            )
        return out

    def records(self) -> int:
        with self.input_path.open(encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())


def fixture() -> Dataset:
    """The hand-written 28-record file in tests/data/bench (cross-script, placeholders, swaps)."""
    return Dataset(
        label="fixture (13 persons)",
        input_path=FIXTURE / "persons_resolve.jsonl",
        truth_path=FIXTURE / "truth" / "persons.csv",
        persons=13,
        cross_script=True,
    )


def label(persons: int, cross_script: bool) -> str:
    size = f"{persons // 1000}k" if persons >= 1000 and persons % 1000 == 0 else str(persons)
    if persons >= 1_000_000 and persons % 1_000_000 == 0:
        size = f"{persons // 1_000_000}M"
    return f"{size} persons, " + ("cross-script" if cross_script else "Latin only")


def dataset(workdir: Path, *, persons: int, cross_script: bool, seed: int) -> Dataset:
    """A generated world of `persons` true persons (cached), ready to resolve and score."""
    from streams.simulate import resolve_input, write_feeds

    root = workdir / "data" / f"p{persons}-{'x' if cross_script else 'latn'}-s{seed}"
    input_path = root / "persons_resolve.jsonl"
    truth_path = root / "truth" / "persons.csv"
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        write_feeds(
            root, seed=seed, persons=persons, countries=list(COUNTRIES), cross_script=cross_script
        )
        resolve_input(root, output=input_path)
        if not input_path.exists() or not truth_path.exists():
            raise GeneratorMismatch(
                f"the generator did not write {input_path} and {truth_path}: check "
                "streams.simulate.write_feeds / resolve_input"
            )
        done.write_text(
            json.dumps({"persons": persons, "cross_script": cross_script, "seed": seed})
        )
    return Dataset(label(persons, cross_script), input_path, truth_path, persons, cross_script)
