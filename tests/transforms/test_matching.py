"""Matching rules on small DataFrames: comparison levels, generic values, EM, the giant guard."""

from __future__ import annotations

import pandas as pd
import pytest
from transforms_testkit import RECORD_SCHEMA, background_records, match_record

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.clustering import connected_components, constrained_merge, guarded_components
from transforms.comparisons import (
    AddressComparison,
    BirthDateComparison,
    NameComparison,
)
from transforms.persons import ResolutionConfig, cluster, resolve_persons, to_records

pytestmark = pytest.mark.spark


def _levels(spark, comparison, pairs):  # type: ignore[no-untyped-def]
    """Level label of each (left, right) record pair under one comparison."""
    recs, keys = [], []
    for i, (a, b) in enumerate(pairs):
        recs += [dict(a, rk=f"L|{i}"), dict(b, rk=f"R|{i}")]
        keys.append((f"L|{i}", f"R|{i}"))
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    pair_df = spark.createDataFrame(keys, "l_rk string, r_rk string")
    vec = FS.comparison_vectors(pair_df, records, [comparison]).collect()
    labels = comparison.labels()
    by = {r["l_rk"]: r[f"g_{comparison.name}"] for r in vec}
    return [labels[by[f"L|{i}"]] if by[f"L|{i}"] >= 0 else "missing" for i in range(len(pairs))]


def test_birth_date_levels_exact_partial_transposed_year_off_typo(spark) -> None:  # type: ignore[no-untyped-def]
    def r(d: str | None) -> dict:
        return match_record("X|x", "a", "b", birth_date=d)

    got = _levels(
        spark,
        BirthDateComparison(),
        [
            (r("1985-03-12"), r("1985-03-12")),
            (r("1985-03"), r("1985-03-12")),  # month precision agrees with the full date
            (r("1985"), r("1985-07-01")),
            (r("1985-03-12"), r("1985-12-03")),  # day and month swapped
            (r("1985-03-12"), r("1987-03-12")),  # the year misreported, day and month kept
            (r("1985-03-12"), r("1985-03-18")),  # one keying error
            (r("1985"), r("1986-05-01")),
            (r("1985-03-12"), r("1986-01-01")),
            (r("1985-03-12"), r("1970-03-12")),
            (r(None), r("1970-03-12")),
        ],
    )
    assert got == [
        "exact",
        "partial",
        "partial",
        "transposed",
        "year_off",
        "one_edit",
        "within_a_year",
        "else",
        "else",
        "missing",
    ]


def test_first_of_january_is_read_as_a_year_for_matching(spark) -> None:  # type: ignore[no-untyped-def]
    rows = [match_record("X|a", "a", "b", birth_date="1990-01-01", nationalities=["XXA", "SYR"])]
    view = to_records(spark.createDataFrame(rows, RECORD_SCHEMA)).collect()[0]
    assert (view["birth_date"], view["birth_year"], view["birth_month"], view["birth_day"]) == (
        "1990",
        1990,
        None,
        None,
    )
    assert view["nationalities"] == ["SYR"]  # XXA (stateless) is a status, not a nationality


def test_broadcast_records_give_the_same_vectors(spark) -> None:  # type: ignore[no-untyped-def]
    # Below PAIR_BROADCAST_RECORDS the records go to the pairs; the vectors must not change.
    names = [("Ivan", "Petrov"), ("Ivan", "Petrow"), ("Maria", "Garcia"), ("Georgi", "Ivanov")]
    recs = [
        dict(match_record("X|x", given=g, family=f), rk=f"X|{i}") for i, (g, f) in enumerate(names)
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    keys = [(f"X|{i}", f"X|{j}") for i in range(len(names)) for j in range(i + 1, len(names))]
    pairs = spark.createDataFrame(keys, "l_rk string, r_rk string")
    # Both pandas-UDF comparisons (name, address) and a plain SQL one.
    comparisons = [NameComparison(), BirthDateComparison(), AddressComparison()]
    threshold = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    # Off, so that without the hint the joins are the sort-merge ones a large world gets.
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        got = {}
        for broadcast in (False, True):
            df = FS.comparison_vectors(pairs, records, comparisons, broadcast=broadcast)
            plan = df._jdf.queryExecution().executedPlan().toString()
            assert ("BroadcastHashJoin" in plan) is broadcast
            got[broadcast] = sorted(tuple(r) for r in df.drop("rules", "sessions").collect())
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", threshold)
    assert got[True] == got[False]
    assert len(got[True]) == len(keys)


def test_names_match_across_scripts_and_spellings(spark) -> None:  # type: ignore[no-untyped-def]
    def r(**kw) -> dict:  # type: ignore[no-untyped-def]
        return match_record("X|x", **kw)

    got = _levels(
        spark,
        NameComparison(),
        [
            (r(full="Иван Петров"), r(given="Ivan", family="Petrov")),
            (r(full="محمد علي"), r(given="Muhammad", family="Ali")),
            (r(full="محمد حسن"), r(given="Mohammed", family="Hasan")),
            (r(full="خالد منصور"), r(given="Khaled", family="Mansour")),
            (r(given="Ivan", family="Petrov"), r(given="Ivan", family="Petrow")),
            (r(given="Ivan", family="Petrov"), r(given="Maria", family="Garcia")),
            (r(full="Nguyen Van Hung"), r(given="Hung", family="Nguyen")),
            (r(given="Aisha", family="El-Ahmad"), r(full="عائشة الأحمد")),
            (r(given="Chinedu", family="Okafor"), r(full="Chinedu Okafor Osaro")),
            (r(given="Olena", family="Kravchenko"), r(given="Oliena", family="Krawczienko")),
            (r(given="Georgi", family="Georgiev"), r(given="Georgi", family="Ivanov")),
        ],
    )
    assert got[0] == "exact"
    assert got[1] == "variant"  # محمد → mhmd → muhammad, علي → ly → ali
    assert got[2] == "variant"
    assert got[3] == "skeleton"  # khld / khaled, mnswr / mansour share consonants only
    assert got[4] == "skeleton"  # Polish "w" read as "v"
    assert got[5] == "else"
    assert got[6] == "variant"  # Vietnamese "Van" is a middle name, not a particle
    assert got[7] == "skeleton"  # the article al- / ال dropped: ahmad / hmd
    assert got[8] == "subset"  # a middle name added
    assert got[9] == "similar>=0.92"
    assert got[10] == "one_token_shared"  # two people sharing a given name


def test_value_shared_by_many_persons_is_generic(spark) -> None:  # type: ignore[no-untyped-def]
    hotline = "+33800000000"
    recs = [
        match_record(
            f"FRA|p{i}", f"given{i}", f"family{i}", birth_date=f"19{60 + i}", phones=[hotline]
        )
        for i in range(7)
    ]
    recs += [
        match_record("FRA|a", "Anna", "Nowak", phones=["+48501000001"]),
        match_record("POL|b", "Anna", "Kowalska", phones=["+48501000001"]),
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    keys = B.record_keys(records)
    stats = B.key_stats(keys, B.BlockingConfig(generic_min_persons=5))
    flagged = B.flagged_keys(stats)
    generic = {r["key"] for r in flagged.where("generic").collect()}
    assert generic == {f"tel:{hotline}"}
    pairs = {(r["l_rk"], r["r_rk"]) for r in B.candidate_pairs(keys, flagged).collect()}
    assert ("FRA|a", "POL|b") in pairs  # a phone two persons share still blocks
    assert not any(a.startswith("FRA|p") and b.startswith("FRA|p") for a, b in pairs)
    ids = {r["rk"]: r["ids_phone"] for r in B.with_evidence_ids(records, flagged).collect()}
    assert ids["FRA|p0"] == [] and ids["FRA|a"] == ["tel:+48501000001"]


@pytest.mark.parametrize(
    ("number", "placeholder"),
    [
        ("000000000", True),
        ("XX0000000", True),
        ("123456789", True),
        ("987654321", True),
        ("UNKNOWN", True),
        ("NA", True),
        ("FE123456", False),
        ("C3617617", False),
        ("AB1234567", False),
    ],
)
def test_implausible_document_numbers_are_generic_whatever_their_count(
    spark, number: str, placeholder: bool
) -> None:  # type: ignore[no-untyped-def]
    records = spark.createDataFrame(
        [match_record("FRA|a", "Anna", "Nowak", doc_keys=[f"UKR:{number}"])], RECORD_SCHEMA
    )
    stats = B.key_stats(B.record_keys(records), B.BlockingConfig()).where("kind = 'doc'")
    assert stats.collect()[0]["generic"] is placeholder
    # The plain-Python twin (the benchmark's Splink input uses it) agrees on every number.
    assert B.is_implausible_document(number) is placeholder


def test_phone_held_by_several_persons_is_a_shared_line(spark) -> None:  # type: ignore[no-untyped-def]
    line = "+48501000009"
    recs = [
        match_record(f"POL|m{i}", f"given{i}", "Nowak", birth_date=f"19{70 + i}", phones=[line])
        for i in range(3)
    ] + [match_record("POL|x", "Jan", "Kos", phones=["+48501000001", line])]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    flagged = B.flagged_keys(B.key_stats(B.record_keys(records), B.BlockingConfig()))
    row = {r["key"]: r for r in flagged.collect()}[f"tel:{line}"]
    assert row["shared"] and not row["generic"]
    ids = {r["rk"]: r for r in B.with_evidence_ids(records, flagged).collect()}
    assert ids["POL|x"]["ids_phone"] == ["tel:+48501000001", f"tel:{line}"]
    assert ids["POL|x"]["ids_phone_shared"] == [f"tel:{line}"]


def test_connected_components_follow_chains(spark) -> None:  # type: ignore[no-untyped-def]
    nodes = spark.createDataFrame([(x,) for x in "abcdefg"], "rk string")
    edges = spark.createDataFrame(
        [("a", "b"), ("c", "b"), ("c", "d"), ("e", "f")], "l_rk string, r_rk string"
    )
    comp = {r["rk"]: r["component"] for r in connected_components(nodes, edges).collect()}
    assert comp == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e", "f": "e", "g": "g"}


def test_giant_component_is_split_on_strong_edges_or_isolated(spark) -> None:  # type: ignore[no-untyped-def]
    nodes = spark.createDataFrame([(x,) for x in "abcdefgh"], "rk string")
    # a-b-c strongly tied, d-e strongly tied, a weak chain joins everything; f-g-h only weak.
    edges = spark.createDataFrame(
        [
            ("a", "b", 20.0),
            ("b", "c", 20.0),
            ("d", "e", 20.0),
            ("c", "d", 5.0),
            ("e", "f", 5.0),
            ("f", "g", 5.0),
            ("g", "h", 5.0),
        ],
        "l_rk string, r_rk string, match_weight double",
    )
    out = {
        r["rk"]: (r["component"], r["guard"])
        for r in guarded_components(nodes, edges, max_size=3, tiers=(10.0,)).collect()
    }
    assert out["a"] == out["b"] == out["c"] == ("a", "split@10")
    assert out["d"] == out["e"] == ("d", "split@10")
    assert out["h"] == ("h", "split@10")
    small = {
        r["rk"]: (r["component"], r["guard"])
        for r in guarded_components(nodes, edges, max_size=1, tiers=(10.0,)).collect()
    }
    assert small["a"] == ("a", "isolated") and small["b"] == ("b", "isolated")


def test_cannot_link_pair_splits_a_chained_component() -> None:
    """A~B and B~C are accepted, but A and C were compared and are clearly two people: the
    weaker of the links that would join them is dropped (pure pandas, per component)."""
    pairs = pd.DataFrame(
        [
            ("a", "b", 12.0),  # strong
            ("b", "c", 6.0),  # accepted, weaker
            ("a", "c", -9.0),  # compared: different people
            ("c", "d", 15.0),
        ],
        columns=["l_rk", "r_rk", "match_weight"],
    )
    out = constrained_merge(pairs, accept=4.25, cannot_link=-2.0).set_index("rk")
    assert out.loc["a", "component"] == out.loc["b", "component"] == "a"
    assert out.loc["c", "component"] == out.loc["d", "component"] == "c"
    assert out["split"].all()
    whole = constrained_merge(pairs[pairs["l_rk"] != "a"], accept=4.25, cannot_link=-2.0)
    assert set(whole["component"]) == {"b"} and not whole["split"].any()


def test_clustering_on_the_driver_gives_the_clusters_spark_gives(spark) -> None:  # type: ignore[no-untyped-def]
    """Small graphs are clustered on the driver (`clustering.cluster_local`): the guard, the
    cannot-link split and lone records must come out as the Spark path labels them."""
    weights = [
        ("a", "b", 20.0), ("b", "c", 20.0), ("d", "e", 20.0), ("c", "d", 5.0),  # a giant chain
        ("e", "f", 5.0), ("f", "g", 5.0), ("g", "h", 5.0),
        ("p", "q", 12.0), ("q", "r", 6.0), ("p", "r", -9.0),  # p and r: two people
        ("x", "y", 1.0),  # compared, not accepted
    ]  # fmt: skip
    pairs = spark.createDataFrame(
        [(a, b, w, w, 0.5) for a, b, w in weights],
        "l_rk string, r_rk string, match_weight double, link_weight double, "
        "match_probability double",
    )
    config = ResolutionConfig(max_cluster_size=3, guard_steps=(4.0,))
    over = pairs.where(pairs.match_weight >= config.threshold_weight)
    nodes = spark.createDataFrame([(x,) for x in "abcdefghpqrxyz"], "rk string")

    def run(local_pairs: int) -> dict[str, tuple[str, str | None, str]]:
        out = cluster(nodes, pairs, over, config, local_pairs=local_pairs).collect()
        return {r["rk"]: (r["component"], r["guard"], r["cc"]) for r in out}

    on_driver, in_spark = run(100), run(0)
    assert on_driver == in_spark
    split = f"split@{config.threshold_weight + 4.0:g}"
    assert on_driver["c"] == ("a", split, "a") and on_driver["e"] == ("d", split, "a")
    assert on_driver["q"] == ("p", "cannot_link", "p") and on_driver["r"] == (
        "r",
        "cannot_link",
        "p",
    )
    assert on_driver["z"] == ("z", None, "z") and on_driver["y"] == ("y", None, "y")


def test_em_accepts_cross_script_duplicates_and_rejects_namesakes(spark) -> None:  # type: ignore[no-untyped-def]
    recs = background_records(40)
    recs += [
        match_record(
            "FRA|m1", "Muhammad", "Ali", birth_date="1990-01-05", sex="M", nationalities=["SYR"]
        ),
        match_record(
            "DEU|m2", full="محمد علي", birth_date="1990-01-05", sex="M", nationalities=["SYR"]
        ),
        match_record("ITA|m3", "Mohammed", "Ali", birth_date="1990-01", sex="M"),
        # A namesake born 20 years later with another nationality.
        match_record(
            "ESP|x1", "Muhammad", "Ali", birth_date="2010-06-30", sex="M", nationalities=["MAR"]
        ),
        match_record(
            "FRA|i1", "Ivan", "Petrov", birth_date="1985-03-12", sex="M", doc_keys=["UKR:FE123456"]
        ),
        match_record(
            "DEU|i2",
            full="Иван Петров",
            birth_date="1985-12-03",
            sex="M",
            doc_keys=["UKR:FE123456"],
        ),
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    res = resolve_persons(records, config=ResolutionConfig())
    comp = {r["rk"]: r["component"] for r in res.clusters.collect()}
    assert comp["FRA|m1"] == comp["DEU|m2"] == comp["ITA|m3"]
    assert comp["ESP|x1"] != comp["FRA|m1"]
    assert comp["FRA|i1"] == comp["DEU|i2"]
    bg = [rk for rk in comp if "-BG-" in rk]
    assert len({comp[rk] for rk in bg}) == len(bg)  # unrelated people stay apart
    contrib = {(r["l_rk"], r["r_rk"]): r["contributions"] for r in res.accepted.collect()}[
        ("DEU|m2", "FRA|m1")
    ]
    assert contrib["name"] > 0 and contrib["birth_date"] > 0


@pytest.mark.spark
def test_shared_network_phone_does_not_merge_different_people(spark) -> None:  # type: ignore[no-untyped-def]
    """Members of one network share a phone: without similar names it is no evidence, while the
    same person written in Cyrillic with that phone is still merged."""
    phone = "+380501234567"
    recs = background_records(40)
    recs += [
        match_record(
            "FRA|n1",
            "Oleksandr",
            "Bondarenko",
            birth_date="1979-04-02",
            sex="M",
            nationalities=["UKR"],
            phones=[phone],
        ),
        match_record(
            "DEU|n2",
            "Serhiy",
            "Kovalenko",
            birth_date="1991-11-23",
            sex="M",
            nationalities=["UKR"],
            phones=[phone],
        ),
        match_record(
            "POL|n3",
            full="Олександр Бондаренко",
            birth_date="1979-04-02",
            sex="M",
            nationalities=["UKR"],
            phones=[phone],
        ),
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    res = resolve_persons(records, config=ResolutionConfig())
    comp = {r["rk"]: r["component"] for r in res.clusters.collect()}
    assert comp["FRA|n1"] == comp["POL|n3"]
    assert comp["DEU|n2"] != comp["FRA|n1"]
    scored = {(r["l_rk"], r["r_rk"]): r for r in res.scored.collect()}
    network = scored[("DEU|n2", "FRA|n1")]
    assert network["levels"]["phone"] == "names_differ"
    assert network["contributions"]["phone"] == 0.0
    assert network["match_probability"] < ResolutionConfig().threshold
    same = scored[("FRA|n1", "POL|n3")]
    assert same["levels"]["phone"] == "own_line"
    assert same["match_probability"] >= ResolutionConfig().threshold


def test_term_frequencies_count_holders_of_shared_values_per_level(spark) -> None:  # type: ignore[no-untyped-def]
    """Every level's values counted in one pass: holders per value (only values two or more
    records hold) and n, the records with the field at all, per level."""
    recs = [
        match_record("X|a", "ann", "lee", birth_date="1985-03-12", address="12 main street"),
        match_record("X|b", "bob", "lee", birth_date="1985-03-12", address="12 main street"),
        match_record("X|c", "cy", "ray", birth_date="1985-03-12", address="main road"),
        match_record("X|d", "dee", "ray", birth_date="1990"),
    ]
    records = spark.createDataFrame(recs, RECORD_SCHEMA)
    rows = FS.tf_tables(records, [BirthDateComparison(), AddressComparison()]).collect()
    got = sorted((r["comparison"], r["gamma"], r["value"], r["holders"], r["n"]) for r in rows)
    # Exact is the 7th birth-date level and the 4th address level (gamma = index from 'else').
    # 1990 and "road" are held by one record each: no row. The address n is 3: d has none.
    assert got == [
        ("address", 4, "12", 2, 3),
        ("address", 4, "main", 3, 3),
        ("address", 4, "street", 2, 3),
        ("birth_date", 7, "1985-03-12", 3, 4),
    ]
