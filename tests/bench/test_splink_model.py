"""The Splink yardstick's input: standardised, transliterated columns, placeholders and generic
values nulled as Interlink ignores them, crowded values kept out of blocking; and one real Splink
(DuckDB) run on the hand-written fixture."""

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


def _person(i: int, family: str, *, docs: list[str], phones: list[str]) -> dict:
    return {
        "source_country": "FRA",
        "record_id": f"FRA-P-{i}",
        "primary_name": {"given": "Anna", "family": family},
        "birth_date": f"19{60 + i}-01-02",
        "documents": [{"number": n, "issuing_country": "UKR"} for n in docs],
        "phones": phones,
    }


def test_placeholders_and_generic_values_are_nulled_as_interlink_ignores_them() -> None:
    hotline, family_line = "+33800000000", "+33611111111"
    people = [
        # Seven strangers (different surnames and years) give the hotline; more than
        # BlockingConfig.generic_min_persons (5), so it is no evidence for anyone.
        _person(i, f"Family{chr(65 + i)}", docs=["N/A", "000000000"], phones=[hotline])
        for i in range(7)
    ] + [
        # One person reported twice with a real passport, a household line and a dummy number.
        _person(20, "Nowak", docs=["FE 123456", "XX0000000"], phones=[family_line, hotline]),
        _person(21, "Nowak", docs=["fe123456", "123456789"], phones=[family_line]),
    ]
    df = sm.standardise(people).set_index("unique_id")
    assert df.loc["FRA|FRA-P-0", ["doc_numbers", "phones"]].tolist() == [None, None]
    assert df.loc["FRA|FRA-P-20", "doc_numbers"] == ["FE123456"]
    assert df.loc["FRA|FRA-P-20", "phones"] == ["33611111111"]
    assert df.loc["FRA|FRA-P-21", "doc_numbers"] == ["FE123456"]
    # Nulled values are gone from the blocking arrays too.
    assert df["phones_block"].map(lambda v: v is None or "33800000000" not in v).all()


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


def test_home_ground_note_counts_the_generators_spellings_the_resolver_already_knows() -> None:
    from bench.home_ground import home_ground_note, spelling_overlap

    o = spelling_overlap()
    # The overlap is real, and the fully folded words are a subset of the known ones.
    assert o.words > o.in_table >= o.folded > 0
    note = home_ground_note()
    assert f"Of the {o.words} " in note and f"{o.in_table} have" in note
    assert f"for {o.folded} every spelling" in note
