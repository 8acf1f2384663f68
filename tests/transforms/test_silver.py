"""Silver: latest version per record, deletions, re-deliveries, standardized fields."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from transforms_testkit import T0, delete, message, person, write_bronze

from transforms import lake_io as io
from transforms.jobs import build_silver

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def silver(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    lake = tmp_path_factory.mktemp("lake")
    p1 = person(
        "Ivan",
        "Petrov",
        birth_date="1985-03",
        phones=["0033 6 12 34 56 78"],
        documents=[("fe 123-456", "UA")],
        nationalities=["UA", "UKR"],
    )
    redelivered = message("person", "FRA", "FRA-P-1", p1, version=2)
    rows = [
        message("person", "FRA", "FRA-P-1", person("Old", "Name"), version=1),
        redelivered,
        dict(redelivered),  # the same message delivered twice
        # Same version twice: the later produced_at wins.
        message("person", "FRA", "FRA-P-2", person("First", "Try"), version=3),
        message(
            "person",
            "FRA",
            "FRA-P-2",
            person("Second", "Try"),
            version=3,
            produced_at=T0 + timedelta(hours=5),
        ),
        message(
            "person",
            "DEU",
            "DEU-P-1",
            person(full="Иван Петров", script="Cyrl", phones=["030 1234567"]),
        ),
        delete("person", "DEU", "DEU-P-1", version=2),
        # A delete older than the upsert does not remove it.
        delete("person", "ITA", "ITA-P-1", version=1),
        {
            **message(
                "person", "ITA", "ITA-P-1", person("Luca", "Rossi", birth_date="1990"), version=2
            ),
            "handling_code": "H3",
            "handling_note": "Do not contact the subject; ongoing covert operation.",
        },
    ]
    write_bronze(lake, rows)
    counts = build_silver(spark, str(lake))
    df = io.read_table(spark, str(lake), "silver", "person")
    return counts, {r["record_id"]: r.asDict(recursive=True) for r in df.collect()}


def test_latest_version_kept_and_deletes_applied(silver) -> None:  # type: ignore[no-untyped-def]
    counts, rows = silver
    assert counts == {"person": 3}
    assert sorted(rows) == ["FRA-P-1", "FRA-P-2", "ITA-P-1"]
    assert rows["FRA-P-1"]["record_version"] == 2
    assert rows["FRA-P-2"]["primary_name_original"] == "Second Try"


def test_person_fields_standardized_beside_originals(silver) -> None:  # type: ignore[no-untyped-def]
    _, rows = silver
    r = rows["FRA-P-1"]
    assert r["phones"] == ["+33612345678"]  # national number read in the source's plan
    assert r["doc_keys"] == ["UKR:FE123456"]
    assert r["documents"][0]["number_as_sent"] == "fe 123-456"
    assert r["nationalities"] == ["UKR"]
    assert (r["birth_year"], r["birth_month"], r["birth_day"], r["birth_precision"]) == (
        1985,
        3,
        None,
        "month",
    )
    assert rows["ITA-P-1"]["birth_precision"] == "year"


def test_provenance_and_handling_carried_into_silver(silver) -> None:  # type: ignore[no-untyped-def]
    # The warehouse's caveat and provenance columns read these from silver: dropping them here
    # would load an H3 restriction without its text and every record without its ingest time.
    _, rows = silver
    r = rows["ITA-P-1"]
    assert r["handling_code"] == "H3"
    assert r["handling_note"] == "Do not contact the subject; ongoing covert operation."
    # Its own ingest time: version 2 landed at T0 + 2 min (PySpark hands back local naive times).
    assert r["ingest_time"].astimezone(UTC) == T0 + timedelta(minutes=2)
    assert (r["topic"], r["partition"]) == ("feeds.person.ITA", 0)
    assert rows["FRA-P-1"]["handling_note"] is None
