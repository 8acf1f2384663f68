"""The Splink yardstick's input: standardised, transliterated columns, placeholders kept out of
blocking; and one real Splink (DuckDB) run on the hand-written fixture."""

from __future__ import annotations

import pytest

from bench import splink_model as sm
from bench.data import fixture


def test_standardise_transliterates_cyrillic_and_cleans_identifiers() -> None:
    df = sm.load_input(fixture().input_path).set_index("unique_id")
    ukr = df.loc["UKR|UKR-P-000101"]
    assert (ukr["first_name"], ukr["surname"]) == ("ivan", "petrov")
    assert ukr["dob"] == "1985-03-14" and ukr["birth_year"] == "1985"
    fra = df.loc["FRA|FRA-P-000001"]
    assert fra["phones"] == ["380501234567"]
    assert fra["first_name_surname_concat"] == "ivan petrov"
    # A partial birth date keeps its year for blocking but is no date to compare.
    deu = df.loc["DEU|DEU-P-000201"]
    assert deu["dob"] is None and deu["birth_year"] == "1985"
    # Hyphenated family names are joined, a full-only name is split first/last.
    assert df.loc["ITA|ITA-P-000001"]["surname"] == "alhassan"
    assert df.loc["FRA|FRA-P-000005"][["first_name", "surname"]].tolist() == [
        "aleksandr",
        "smirnov",
    ]
    # Absent lists are null, not [], so that Splink reads them as missing, not as disagreeing.
    assert df.loc["ITA|ITA-P-000002"]["doc_numbers"] is None


def test_values_shared_by_too_many_records_leave_the_blocking_arrays_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sm, "MAX_BLOCK_VALUE_RECORDS", 2)
    df = sm.load_input(fixture().input_path).set_index("unique_id")
    # The hotline +380800500500 is on three records: compared, but not blocked on.
    pol = df.loc["POL|POL-P-000002"]
    assert pol["phones"] == ["380800500500"]
    assert pol["phones_block"] is None


@pytest.mark.slow
def test_splink_duckdb_resolves_the_fixture_into_plausible_clusters() -> None:
    from splink import DuckDBAPI, Linker

    from bench.metrics import score_clusters

    data = fixture()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(sm.load_input(data.input_path)), sm.settings(), log_level=None)
    sm.train(linker, u_max_pairs=1e5)
    predictions = linker.inference.predict(threshold_match_probability=sm.PREDICT_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=sm.CLUSTER_THRESHOLD
    ).as_pandas_dataframe()
    scores = score_clusters(
        dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True)), data.truth()
    )
    assert scores.records == 28
    # Not a quality bar for Splink: only that the recipe runs end to end and links something.
    assert scores.predicted_pairs > 0
