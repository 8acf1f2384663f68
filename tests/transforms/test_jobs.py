"""The jobs end to end on a small lake: cross-script entities, deletes, incremental == full,
stable IDs, case links, document alerts, explanations, and the `resolve`/`explain` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from transforms_testkit import (
    background_people,
    delete,
    message,
    person,
    stolen_passport,
    write_bronze,
)
from typer.testing import CliRunner

from contracts.lake import PERSON_STATE, PERSON_STATE_WRITING
from interlink.cli_transforms import app
from transforms import lake_io as io
from transforms import state_io
from transforms.explain import explain_entity
from transforms.jobs import build_gold, build_silver, read_model_meta, read_stored

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DATA = Path(__file__).resolve().parents[1] / "data" / "transforms"
HOTLINE = "+33800123456"


def _case(persons: list[str], documents=()) -> dict:  # type: ignore[no-untyped-def]
    return {
        "offence_type": "thb_forced_labour",
        "start_date": "2026-03-01",
        "end_date": None,
        "location": None,
        "route": {"origin": ["UKR"], "transit": [], "destination": ["FRA"]},
        "persons": [{"record_id": p, "role": "suspect"} for p in persons],
        "phones": [],
        "vehicles": [],
        "victims_count": 2,
        "modus_operandi": None,
        "documents": [
            {"doc_type": "passport", "number": n, "issuing_country": c} for n, c in documents
        ],
    }


def _snapshot(spark, lake: Path) -> dict:  # type: ignore[no-untyped-def]
    ents = io.read_table(spark, str(lake), "gold", "person_entities").collect()
    links = io.read_table(spark, str(lake), "gold", "case_links").collect()
    pairs = io.read_table(spark, str(lake), "gold", "person_pairs").collect()
    return {
        "ids": {f"{r['source_country']}/{r['record_id']}": r["entity_id"] for r in ents},
        "links": {(r["case_a_record_id"], r["case_b_record_id"]): r for r in links},
        "pair_records": {r["l_record_id"] for r in pairs} | {r["r_record_id"] for r in pairs},
    }


def _partition(ids: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for rk, e in ids.items():
        groups.setdefault(e, set()).add(rk)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    lake = tmp_path_factory.mktemp("lake")
    batch1 = (
        background_people(200)
        + [
            message(
                "person",
                "FRA",
                "FRA-P-1",
                person(
                    "Ivan",
                    "Petrov",
                    birth_date="1985-03-12",
                    sex="M",
                    nationalities=["UKR"],
                    documents=[("FE123456", "UKR")],
                ),
            ),
            message(
                "person",
                "DEU",
                "DEU-P-9",
                person(
                    full="Иван Петров",
                    script="Cyrl",
                    birth_date="1985-03-12",
                    sex="M",
                    nationalities=["UA"],
                    documents=[("FE 123-456", "UA")],
                ),
            ),
            message(
                "person",
                "ITA",
                "ITA-P-3",
                person("Muhammad", "Ali", birth_date="1990-01-05", sex="M", nationalities=["SYR"]),
            ),
            message(
                "person",
                "ESP",
                "ESP-P-3",
                person(
                    full="محمد علي",
                    script="Arab",
                    birth_date="1990-01-05",
                    sex="M",
                    nationalities=["SYR"],
                ),
            ),
            message("case", "FRA", "FRA-C-1", _case(["FRA-P-1"])),
            message("case", "DEU", "DEU-C-1", _case(["DEU-P-9"])),
            {
                **message("case", "FRA", "FRA-C-2", _case([])),
                "dissemination": ["FRA", "DEU"],
                "handling_code": "H3",
                "handling_note": "no onward sharing",
            },
            message(
                "travel_document",
                "UKR",
                "UKR-D-1",
                stolen_passport(),
            ),
        ]
        + [
            message(
                "person",
                "FRA",
                f"FRA-H-{i}",
                person(
                    f"Given{chr(65 + i)}",
                    f"Family{chr(75 + i)}",
                    birth_date=f"19{50 + 3 * i}-0{1 + i}-11",
                    phones=[HOTLINE],
                ),
            )
            for i in range(7)
        ]
    )
    write_bronze(lake, batch1, day="2026-11-27")
    build_silver(spark, str(lake))
    g1 = build_gold(spark, str(lake))
    s1 = _snapshot(spark, lake)
    explained = explain_entity(spark, str(lake), s1["ids"]["ESP/ESP-P-3"])

    batch2 = [
        delete("person", "DEU", "DEU-P-9", version=2),
        message(
            "person",
            "POL",
            "POL-P-5",
            person("Mohammed", "Ali", birth_date="1990-01", sex="M", nationalities=["SYR"]),
        ),
    ]
    write_bronze(lake, batch2, day="2026-11-28")
    build_silver(spark, str(lake))
    g2 = build_gold(spark, str(lake))
    s2 = _snapshot(spark, lake)
    g3 = build_gold(spark, str(lake), full=True)
    s3 = _snapshot(spark, lake)
    return {"lake": lake, "g": (g1, g2, g3), "s": (s1, s2, s3), "explained": explained}


def test_cross_script_records_resolve_to_one_entity(runs) -> None:  # type: ignore[no-untyped-def]
    ids = runs["s"][0]["ids"]
    assert ids["FRA/FRA-P-1"] == ids["DEU/DEU-P-9"]
    assert ids["ITA/ITA-P-3"] == ids["ESP/ESP-P-3"]
    assert ids["FRA/FRA-P-1"] != ids["ITA/ITA-P-3"]
    bg = [rk for rk in ids if "-BG-" in rk or "-H-" in rk]
    assert len({ids[rk] for rk in bg}) == len(bg)
    assert runs["g"][0]["cross_country_entities"] == 2


def test_summary_counts_agree_with_the_tables_written(runs, spark) -> None:  # type: ignore[no-untyped-def]
    # The summary takes these from the writes (row counts, an Observation), not count queries:
    # they must be what the last run (the full one) left in the lake.
    lake = str(runs["lake"])
    g = runs["g"][2]["persons"]

    def state(name: str):  # type: ignore[no-untyped-def]
        return state_io.read_state(spark, lake, name, state_io.read_manifest(lake))

    from pyspark.sql import functions as F

    ents = io.read_table(spark, lake, "gold", "person_entities")
    assert g["candidate_pairs"] == state("pairs").count() > 0
    assert g["guarded_records"] == state("clusters").where(F.col("guard").isNotNull()).count()
    assert g["entities"] == ents.select("entity_id").distinct().count()
    cross = ents.where(F.col("entity_countries") > 1).select("entity_id").distinct().count()
    assert g["cross_country_entities"] == cross > 0
    assert g["mode"] == "full"
    assert read_model_meta(lake)["trained_records"] == state("id_map").count() == g["records"]


def test_hotline_is_generic_and_listed(runs, spark) -> None:  # type: ignore[no-untyped-def]
    generic = io.read_table(spark, str(runs["lake"]), "gold", "generic_values").collect()
    assert [(r["kind"], r["value"]) for r in generic] == [("phone", HOTLINE)]


def test_cases_linked_through_a_resolved_person(runs) -> None:  # type: ignore[no-untyped-def]
    link = runs["s"][0]["links"][("DEU-C-1", "FRA-C-1")]
    assert {e["kind"] for e in link["evidence"]} == {"person"}
    assert link["cross_country"] and link["strength"] == pytest.approx(0.9)


def test_stolen_passport_seen_in_person_records_is_alerted(runs, spark) -> None:  # type: ignore[no-untyped-def]
    alerts = io.read_table(spark, str(runs["lake"]), "gold", "document_alerts").collect()
    # Batch 2 deleted DEU-P-9: only the FRA sighting is left.
    assert {(r["seen_in_feed"], r["seen_in_record_id"], r["status"]) for r in alerts} == {
        ("person", "FRA-P-1", "stolen_issued")
    }


def test_explanation_lists_records_and_field_contributions(runs) -> None:  # type: ignore[no-untyped-def]
    text = runs["explained"]
    assert "ESP/ESP-P-3" in text and "ITA/ITA-P-3" in text
    assert "محمد علي" in text and "name variant" in text and "birth_date exact" in text


def test_trends_never_mix_cases_under_different_handling(runs, spark) -> None:  # type: ignore[no-untyped-def]
    rows = io.read_table(spark, str(runs["lake"]), "gold", "trends").collect()
    fra = sorted(
        (r["cases"], r["dissemination"], r["handling_code"], r["handling_note"])
        for r in rows
        if r["reporting_country"] == "FRA" and r["month"] == "2026-03"
    )
    # Same month, offence, route and country: two rows, one per handling, the list sorted.
    assert fra == [(1, [], "H0", None), (1, ["DEU", "FRA"], "H3", "no onward sharing")]


def test_delete_removes_record_from_entity_pairs_and_links(runs) -> None:  # type: ignore[no-untyped-def]
    s1, s2, _ = runs["s"]
    assert "DEU/DEU-P-9" not in s2["ids"]
    assert "DEU-P-9" in s1["pair_records"] and "DEU-P-9" not in s2["pair_records"]
    assert ("DEU-C-1", "FRA-C-1") not in s2["links"]
    assert s2["ids"]["FRA/FRA-P-1"] == s1["ids"]["FRA/FRA-P-1"]  # the entity keeps its id


def test_new_record_joins_existing_entity_incrementally(runs) -> None:  # type: ignore[no-untyped-def]
    s1, s2, _ = runs["s"]
    g2 = runs["g"][1]["persons"]
    assert g2["mode"] == "incremental"
    assert s2["ids"]["POL/POL-P-5"] == s1["ids"]["ITA/ITA-P-3"]
    assert g2["pairs_compared_this_run"] < g2["candidate_pairs"]


def test_incremental_and_full_give_the_same_entities(runs) -> None:  # type: ignore[no-untyped-def]
    _, s2, s3 = runs["s"]
    assert runs["g"][2]["persons"]["mode"] == "full"
    assert _partition(s2["ids"]) == _partition(s3["ids"])
    assert s2["ids"] == s3["ids"]  # and the IDs are stable across the rebuild
    assert runs["g"][2]["persons"]["events"] == {}


def test_state_half_written_by_a_crashed_run_is_not_read_as_stored(runs, spark) -> None:  # type: ignore[no-untyped-def]
    """A run writes the state tables one by one: a crash between two leaves tables of two runs,
    which an incremental run (its ID assignment included) must never mistake for one state."""
    lake = str(runs["lake"])
    meta = read_model_meta(lake)
    assert not io.as_lake(lake).exists(f"{PERSON_STATE}/{PERSON_STATE_WRITING}")
    assert read_stored(spark, lake, meta) is not None
    # What a run that died among its state writes leaves behind.
    io.write_json(lake, PERSON_STATE, PERSON_STATE_WRITING, {"run_seq": 99})
    try:
        assert read_stored(spark, lake, meta) is None
    finally:
        io.delete(lake, PERSON_STATE, PERSON_STATE_WRITING)


def test_cli_explain_and_unknown_entity(runs) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    eid = runs["s"][1]["ids"]["ITA/ITA-P-3"]
    ok = runner.invoke(app, ["explain", eid, "--lake", str(runs["lake"])])
    assert ok.exit_code == 0, ok.output
    assert "POL/POL-P-5" in ok.output
    bad = runner.invoke(app, ["explain", "P-NOPE", "--lake", str(runs["lake"])])
    assert bad.exit_code == 2 and "P-NOPE" in bad.output and "Traceback" not in bad.output


def test_cli_resolve_writes_entities_and_pairs(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["resolve", "--input", str(DATA / "persons.jsonl"), "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    # Progress and seconds per phase on stderr; the JSON summary alone on stdout.
    for phase in ("standardise", "block", "compare", "train", "score", "cluster", "write"):
        assert f"resolve: {phase} done in" in res.stderr
    summary = json.loads(res.stdout)
    assert set(summary["phase_seconds"]) >= {"standardise", "block", "train", "score", "cluster"}
    ents = pq.read_table(out / "entities.parquet").to_pylist()
    assert len(ents) == 14
    eid = {f"{r['source_country']}/{r['record_id']}": r["entity_id"] for r in ents}
    assert eid["ITA/ITA-P-3"] == eid["ESP/ESP-P-3"]
    assert eid["FRA/FRA-P-1"] == eid["DEU/DEU-P-9"]
    assert eid["GRC/GRC-P-1"] == eid["ITA/ITA-P-9"]
    assert eid["ESP/ESP-P-4"] != eid["FRA/FRA-P-2"]
    assert len(set(eid.values())) == 11
    pairs = pq.read_table(out / "pairs.parquet").to_pylist()
    keys = [
        (
            f"{p['l_source_country']}/{p['l_record_id']}",
            f"{p['r_source_country']}/{p['r_record_id']}",
        )
        for p in pairs
    ]
    # Each merge above comes with the pair that made it (an empty pairs file fails here), and
    # every pair written joins two records of one entity.
    merged = [("ESP/ESP-P-3", "ITA/ITA-P-3"), ("DEU/DEU-P-9", "FRA/FRA-P-1")]
    merged.append(("GRC/GRC-P-1", "ITA/ITA-P-9"))
    assert {frozenset(m) for m in merged} <= {frozenset(k) for k in keys}, keys
    assert all(eid[a] == eid[b] for a, b in keys), keys
    assert all(p["match_probability"] >= 0.95 and "name" in dict(p["contributions"]) for p in pairs)
    missing = runner.invoke(
        app, ["resolve", "--input", str(tmp_path / "nope.jsonl"), "--output", str(out)]
    )
    assert missing.exit_code == 2 and "nope.jsonl" in missing.output


def test_resolve_file_writes_its_tables_in_few_spark_jobs(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The write phase of `interlink resolve` makes the IDs and the entities table on the
    driver and sorts the pairs within their one file: a handful of Spark jobs (it was 20, the
    ID rules' joins and windows and two range sorts, about 1 s of a 5k resolve).

    Fewer queries in the other phases (docs/entity-resolution.md §12, fourth round): the input
    checks are one query, the records are checkpointed once, and the counts of the records, the
    vectors and the term frequencies come from queries that run anyway. On this file the phases
    took 4, 27, 9 and 15 jobs before (standardise, block, compare, score)."""
    from transforms.resolve import resolve_file

    sc = spark.sparkContext
    started: dict[str, int] = {}
    jobs: dict[str, int] = {}

    def progress(name: str, took: float | None) -> None:
        now = sc._jsc.sc().dagScheduler().nextJobId()
        if took is None:
            started[name] = now
        else:
            jobs[name] = now - started[name]

    out = tmp_path / "out"
    summary = resolve_file(spark, str(DATA / "persons.jsonl"), str(out), progress=progress)
    assert jobs["write"] <= 6, jobs
    assert jobs["standardise"] <= 3 and jobs["block"] <= 24, jobs
    assert jobs["compare"] <= 7 and jobs["score"] <= 13, jobs
    ents = pq.read_table(out / "entities.parquet").to_pylist()
    order = [(r["entity_id"], r["source_country"], r["record_id"]) for r in ents]
    assert order == sorted(order) and len(ents) == summary["records"] == 14
    assert summary["entities"] == len({r["entity_id"] for r in ents}) == 11
    pairs = pq.read_table(out / "pairs.parquet").to_pylist()
    keys = [
        (p["l_source_country"], p["l_record_id"], p["r_source_country"], p["r_record_id"])
        for p in pairs
    ]
    assert keys == sorted(keys) and len(pairs) == summary["pairs"] > 0


def test_lake_writes_keep_dictionaries_small(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 4,000 distinct 40-character values over 40,000 rows: their dictionary (about 170 KiB) saves
    # space, and within parquet-java's default 1 MiB budget the writer would hash every value
    # into it; past the lake's 64 KiB it falls back to plain. A column of three values keeps its
    # dictionary.
    df = spark.range(40_000).selectExpr(
        "sha1(cast(id % 4000 as string)) as name_leaf",
        "element_at(array('FRA', 'DEU', 'ITA'), cast(id % 3 + 1 as int)) as country",
    )
    io.write_table(df.coalesce(1), str(tmp_path), "gold", "encodings")
    (data,) = (tmp_path / "gold" / "encodings").glob("*.parquet")
    meta = pq.ParquetFile(data).metadata.row_group(0)
    enc = {meta.column(i).path_in_schema: set(meta.column(i).encodings) for i in range(2)}
    assert "PLAIN" in enc["name_leaf"], enc
    assert "PLAIN" not in enc["country"] and enc["country"] & {"PLAIN_DICTIONARY", "RLE_DICTIONARY"}


def test_resolve_input_checks_report_the_first_bad_line_before_duplicates(  # type: ignore[no-untyped-def]
    spark, tmp_path: Path
) -> None:
    """The input checks are one query: a line that is not a person record is reported (the
    first in the file) before a duplicated record key, and a duplicate with its count."""
    from transforms.errors import ResolveInputError
    from transforms.resolve import read_person_file

    lines = (DATA / "persons.jsonl").read_text().splitlines()
    no_name = json.loads(lines[2]) | {"primary_name": None}
    no_id = {k: v for k, v in json.loads(lines[3]).items() if k != "record_id"}
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join([lines[0], lines[1], lines[0], json.dumps(no_name), "{oops", json.dumps(no_id)])
        + "\n"
    )
    with pytest.raises(ResolveInputError, match="not a person record") as bad:
        read_person_file(spark, str(path))
    # The record without a name (the fourth line) comes first; the bad JSON after it is not it.
    assert no_name["record_id"] in str(bad.value) and "oops" not in str(bad.value)
    path.write_text("\n".join([lines[0], lines[1], lines[1], lines[2], lines[1]]) + "\n")
    first = json.loads(lines[1])
    want = f"record {first['source_country']}/{first['record_id']} appears 3 times"
    with pytest.raises(ResolveInputError, match=want):
        read_person_file(spark, str(path))
    path.write_text("\n".join(lines) + "\n")
    assert read_person_file(spark, str(path)).count() == len(lines)
