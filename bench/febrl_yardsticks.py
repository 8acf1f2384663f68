"""Yardsticks on FEBRL, each configured as its own FEBRL example does, on the raw FEBRL columns.

- **Splink 5** (`splink_settings`): Splink's FEBRL3 deduplication example — blocking on SSN, given
  name, surname, birth date, postcode; `NameComparison` on given name and surname,
  `DateOfBirthComparison` (YYYYMMDD), Damerau-Levenshtein ≤ 2 on the SSN, exact street number
  and postcode with term frequencies; the prior from deterministic rules (recall 0.9), u by random
  sampling, m by EM on birth date and on postcode. Without the SSN, the SSN comparison, blocking
  rule and deterministic rule are left out. Clusters: connected components of the pairs at
  `CLUSTER_THRESHOLD`, as in the generator rows.
- **recordlinkage ECM** (`ecm_pairs`): recordlinkage's unsupervised example for FEBRL — an index
  union of blocks and a sorted neighbourhood, binary comparisons (exact, Jaro-Winkler ≥ 0.85),
  `ECMClassifier`; clusters are connected components of the pairs it classifies as matches.

Kept apart from `bench.splink_model` (the generator yardstick) on purpose: each model is the
documented recipe for its data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from bench.febrl import COUNTRY

CLUSTER_THRESHOLD = 0.95
"""Splink's pairs at or above this probability join a cluster (as in bench.splink_model)."""
PREDICT_THRESHOLD = 0.2
"""What Splink's FEBRL example passes to predict()."""
U_MAX_PAIRS = 1e6
"""Splink's default u sample; no seed in a timed run (the same fairness rule as the generator rows:
docs/benchmarks.md)."""


def read_raw(path: Path) -> pd.DataFrame:
    # Object columns with None for missing values: what both libraries' FEBRL examples see.
    frame = pd.read_parquet(path).astype(object)
    return frame.where(frame.notna(), other=None)  # type: ignore[call-overload,no-any-return]


def _has_ssn(frame: pd.DataFrame) -> bool:
    return "soc_sec_id" in frame.columns


def splink_settings(ssn: bool, date_format: str = "%Y%m%d"):  # type: ignore[no-untyped-def]
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    rules: list[Any] = [
        *([block_on("soc_sec_id")] if ssn else []),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    comparisons: list[Any] = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison(
            "date_of_birth", input_is_string=True, datetime_format=date_format
        ),
        *([cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2])] if ssn else []),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
    )


def splink_train(linker: Any, ssn: bool, phase: Any) -> None:
    from splink import block_on

    deterministic = [
        *([block_on("soc_sec_id")] if ssn else []),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    with phase("train: prior"):
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9)
    with phase("train: u"):
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS)
    with phase("train: EM dob"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth")
        )
    with phase("train: EM postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))


def run_splink(db_api: Any, frame: pd.DataFrame, out: Path, phase: Any) -> dict[str, Any]:
    """Train, predict and cluster; write clusters.parquet and candidates.parquet."""
    from splink import Linker

    ssn = _has_ssn(frame)
    with phase("standardise"):
        # The date format is the backend's own: strptime's for DuckDB, Java's for Spark (Splink
        # passes it through; `%Y%m%d` makes Spark fail with DATETIME_PATTERN_RECOGNITION).
        fmt = "yyyyMMdd" if type(db_api).__name__ == "SparkAPI" else "%Y%m%d"
        linker = Linker(
            db_api.register(frame), splink_settings(ssn, fmt), log_level=logging.WARNING
        )
    splink_train(linker, ssn, phase)
    with phase("predict"):
        predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    with phase("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=CLUSTER_THRESHOLD
        ).as_pandas_dataframe()
    _write_clusters(clusters["rec_id"], clusters["cluster_id"], out)
    blocked = linker.inference.compute_blocked_pairs_for_predict().as_pandas_dataframe()
    _write_pairs(blocked["join_key_l"], blocked["join_key_r"], out / "candidates.parquet")
    return {"records": len(frame), "candidate_pairs": len(blocked)}


def ecm_pairs(frame: pd.DataFrame) -> tuple[pd.MultiIndex, pd.MultiIndex]:
    """(candidate pairs, pairs ECM classifies as matches) of recordlinkage's FEBRL recipe."""
    import recordlinkage as rl

    df = frame.set_index("rec_id")
    indexer = rl.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    indexer.sortedneighbourhood("surname", window=5)
    if _has_ssn(df):
        indexer.block("soc_sec_id")
    candidates = indexer.index(df)
    compare = rl.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    if _has_ssn(df):
        compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(candidates, df)
    matches = rl.ECMClassifier(binarize=None).fit_predict(features)
    return candidates, matches


def run_ecm(frame: pd.DataFrame, out: Path, phase: Any) -> dict[str, Any]:
    import networkx as nx

    with phase("resolve"):
        candidates, matches = ecm_pairs(frame)
        graph = nx.Graph()
        graph.add_nodes_from(frame["rec_id"])
        graph.add_edges_from(matches)
        labels = {r: i for i, comp in enumerate(nx.connected_components(graph)) for r in comp}
    keys = pd.Series(list(labels))
    _write_clusters(keys, keys.map(labels), out)
    _write_pairs(
        candidates.get_level_values(0).to_series(),
        candidates.get_level_values(1).to_series(),
        out / "candidates.parquet",
    )
    return {"records": len(frame), "candidate_pairs": len(candidates), "matches": len(matches)}


def _key(ids: pd.Series) -> pd.Series:
    return COUNTRY + "|" + ids.astype(str).reset_index(drop=True)


def _write_clusters(ids: pd.Series, clusters: pd.Series, out: Path) -> None:
    pd.DataFrame(
        {"key": _key(ids), "cluster_id": clusters.astype(str).reset_index(drop=True)}
    ).to_parquet(out / "clusters.parquet")


def _write_pairs(left: pd.Series, right: pd.Series, path: Path) -> None:
    pd.DataFrame({"key_l": _key(left), "key_r": _key(right)}).to_parquet(path)
