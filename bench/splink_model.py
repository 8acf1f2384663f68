"""Splink configured as its documentation recommends for person data: the yardstick.

The recipe follows Splink's own person-deduplication examples (`deduplicate_50k_synthetic`,
`deduplicate_1k_synthetic`): standardised input columns (lower case, punctuation removed, here
also transliterated to Latin with anyascii since Splink compares strings byte-wise), blocking as
a union of rules on name tokens + birth year, document number and phone, out-of-the-box
comparisons (`ForenameSurnameComparison` with term frequencies on the full name,
`DateOfBirthComparison`, exact matches, array intersections), the match probability prior from
deterministic rules, u by random sampling, m by expectation maximisation on two blocking rules,
prediction with a threshold and connected-components clustering at 0.95 as in the examples.

Input cleaned as Splink's documentation asks ("Data Prerequisites": bad values coded as nulls
before linking), with the same generic-value knowledge Interlink uses, imported from
`transforms.blocking` rather than restated: document numbers no authority issues
(`is_implausible_document`: placeholder words, `000000000`, `123456789`) and identifiers held by
more than `BlockingConfig.generic_min_persons` distinct persons (a hotline, a reused dummy
passport) are nulled, so they are neither compared nor blocked on, as in Interlink. Distinct
persons are approximated as Interlink does, by a name skeleton and a birth year.

Training as the docs show it: u by random sampling with Splink's default `max_pairs` (1e6) and no
seed (a seed costs extra processing and the timed run has no need to be reproducible).

One further step a careful Splink user would take (the docs tell users to inspect
`n_largest_blocks`): identifier values held by more than `MAX_BLOCK_VALUE_RECORDS` records that
survived cleaning are left out of the *blocking* arrays only, otherwise one value could generate
millions of candidate pairs. Comparisons still see them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
from anyascii import anyascii

from transforms.blocking import BlockingConfig, is_implausible_document
from transforms.names import skeleton

PREDICT_THRESHOLD = 0.5
"""Pairs below this match probability are not even written out by predict()."""
CLUSTER_THRESHOLD = 0.95
"""Pairs at or above this probability link records into one cluster (Splink's 50k example)."""
MAX_BLOCK_VALUE_RECORDS = 50
"""An identifier shared by more records than this is dropped from the blocking arrays only."""

_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def record_key(source_country: str, record_id: str) -> str:
    """The one string key every contender and the truth use for a record."""
    return f"{source_country}|{record_id}"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _tokens(text: str | None) -> list[str]:
    if not text:
        return []
    # Hyphens and apostrophes join name parts (Al-Hassan -> alhassan), other marks split words.
    latin = anyascii(text).lower().replace("-", "").replace("'", "")
    return _NON_ALNUM.sub(" ", latin).split()


def _name_parts(name: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(first name, surname) of a contract name: first given token, family tokens joined."""
    if not name:
        return None, None
    given, family = _tokens(name.get("given")), _tokens(name.get("family"))
    if not given and not family:
        full = _tokens(name.get("full"))
        if len(full) >= 2:
            given, family = full[:1], full[-1:]
        else:
            family = full
    return (given[0] if given else None), ("".join(family) or None)


def _clean_doc(number: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", number.upper())


def _clean_phone(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def standardise(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per person record with the columns the Splink model compares."""
    rows = []
    for r in records:
        first, surname = _name_parts(r.get("primary_name"))
        bd = r.get("birth_date") or ""
        sex = r.get("sex")
        docs = sorted(
            {
                number
                for d in r.get("documents") or []
                if d.get("number")
                and not is_implausible_document(number := _clean_doc(d["number"]))
            }
        )
        phones = sorted({_clean_phone(p) for p in r.get("phones") or [] if p})
        nats = sorted(set(r.get("nationalities") or []))
        birth_place = r.get("birth_place") or {}
        rows.append(
            {
                "unique_id": record_key(r["source_country"], r["record_id"]),
                "first_name": first,
                "surname": surname,
                "first_name_surname_concat": f"{first} {surname}" if first and surname else None,
                "dob": bd if _DATE.match(bd) else None,
                "birth_year": bd[:4] if len(bd) >= 4 else None,
                "sex": sex if sex in ("M", "F") else None,
                "birth_country": birth_place.get("country"),
                # Null rather than [] when absent: an empty array would read as disagreement.
                "nationalities": nats or None,
                "doc_numbers": [d for d in docs if d] or None,
                "phones": [p for p in phones if p] or None,
            }
        )
    df = pd.DataFrame(rows)
    # A generic value is a null, as in Interlink: no evidence, no blocking key.
    signature = df["surname"].fillna("").map(skeleton) + "|" + df["birth_year"].fillna("")
    generic_min = BlockingConfig().generic_min_persons
    for col in ("doc_numbers", "phones"):
        holders: dict[str, set[str]] = {}
        for values, sig in zip(df[col], signature, strict=True):
            for v in values or ():
                holders.setdefault(v, set()).add(sig)
        generic = {v for v, sigs in holders.items() if len(sigs) > generic_min}
        df[col] = df[col].map(lambda values, g=generic: _without(values, g))
        counts = Counter(v for values in df[col].dropna() for v in values)
        crowded = {v for v, n in counts.items() if n > MAX_BLOCK_VALUE_RECORDS}
        df[f"{col}_block"] = df[col].map(lambda values, c=crowded: _without(values, c))
    return df


def _without(values: list[str] | None, drop: set[str]) -> list[str] | None:
    """`values` less `drop`; null rather than [] when nothing is left (missing, not different)."""
    if values is None:
        return None
    kept = [v for v in values if v not in drop]
    return kept or None


def load_input(path: Path) -> pd.DataFrame:
    return standardise(read_jsonl(path))


def settings():  # type: ignore[no-untyped-def]
    """The SettingsCreator of the yardstick model (same for the DuckDB and Spark backends)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=blocking_rules(),
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name",
                "surname",
                forename_surname_concat_col_name="first_name_surname_concat",
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_country").configure(term_frequency_adjustments=True),
            cl.ArrayIntersectAtSizes("nationalities", [1]),
            cl.ArrayIntersectAtSizes("doc_numbers", [1]),
            cl.ArrayIntersectAtSizes("phones", [1]),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        # As in Splink's Spark example: EM stops once no parameter moves by more than 0.01.
        em_convergence=0.01,
    )


def blocking_rules() -> list[Any]:
    from splink import block_on

    return [
        block_on("first_name", "surname"),
        # Given and family name swapped between two reports.
        "l.first_name = r.surname and l.surname = r.first_name",
        block_on("surname", "birth_year"),
        block_on("first_name", "birth_year"),
        block_on("substr(first_name,1,2)", "substr(surname,1,2)", "birth_year"),
        block_on("doc_numbers_block", arrays_to_explode=["doc_numbers_block"]),
        block_on("phones_block", arrays_to_explode=["phones_block"]),
    ]


def train(
    linker: Any,
    *,
    u_max_pairs: float | None = None,
    seed: int | None = None,
    phase: Callable[[str], Any] | None = None,
) -> None:
    """Prior from deterministic rules, u by random sampling, m by EM on two blocking rules.

    `u_max_pairs` and `seed` left at None are Splink's defaults (1e6 pairs, unseeded), as the
    benchmark runs it; a test may shrink or seed the sample. `phase(name)`, when given, is a
    context manager timing each step (the worker reports them).
    """
    from splink import block_on

    step = phase or (lambda _name: nullcontext())
    u_options: dict[str, Any] = {"seed": seed}
    if u_max_pairs is not None:
        u_options["max_pairs"] = u_max_pairs
    with step("train: prior"):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "dob"), block_on("surname", "dob")], recall=0.6
        )
    with step("train: u"):
        linker.training.estimate_u_using_random_sampling(**u_options)
    with step("train: EM names"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("first_name", "surname"), estimate_without_term_frequencies=True
        )
    with step("train: EM dob"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("dob"), estimate_without_term_frequencies=True
        )
