"""Stable entity IDs: inheritance by majority, oldest on ties, merge and split events."""

from __future__ import annotations

import pytest

from transforms.entity_ids import assign_ids, empty_map, empty_registry, id_changes

pytestmark = pytest.mark.spark


def _run(spark, clusters, previous, registry, run_seq):  # type: ignore[no-untyped-def]
    c = spark.createDataFrame(clusters, "rk string, component string")
    a, ev, reg = assign_ids(c, previous, registry, run_seq)
    ids = {r["rk"]: r["entity_id"] for r in a.collect()}
    events = sorted(
        (r["event"], r["entity_id"], tuple(r["related_entity_ids"])) for r in ev.collect()
    )
    return ids, events, a, reg.localCheckpoint(eager=True)


def test_ids_survive_a_merge_and_a_split(spark) -> None:  # type: ignore[no-untyped-def]
    # Run 1: {a,b,c} {d,e} {f}
    ids1, ev1, map1, reg1 = _run(
        spark,
        [("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "d"), ("f", "f")],
        empty_map(spark),
        empty_registry(spark),
        1,
    )
    A, D, F_ = ids1["a"], ids1["d"], ids1["f"]
    assert len({A, D, F_}) == 3 and ids1["b"] == ids1["c"] == A and ids1["e"] == D
    assert [e[0] for e in ev1] == ["created"] * 3

    # Run 2: same clusters -> same IDs, no events.
    ids2, ev2, _, _ = _run(
        spark,
        [("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "d"), ("f", "f")],
        map1,
        reg1,
        2,
    )
    assert ids2 == ids1 and ev2 == []

    # Run 3: {a,b,c,d,e} merge (A holds 3 records, wins), f splits? no: {f} stays; new g.
    ids3, ev3, map3, reg3 = _run(
        spark,
        [("a", "a"), ("b", "a"), ("c", "a"), ("d", "a"), ("e", "a"), ("f", "f"), ("g", "g")],
        map1,
        reg1,
        3,
    )
    assert {ids3[x] for x in "abcde"} == {A} and ids3["f"] == F_
    assert ("merge", A, tuple(sorted([A, D]))) in ev3
    assert ("retired", D, (A,)) in ev3
    assert [e for e in ev3 if e[0] == "created"] == [("created", ids3["g"], ())]

    # Run 4: split {a,b} {c,d,e}: A goes to the bigger part ({c,d,e} has 3 of A's 5 records).
    ids4, ev4, _, _ = _run(
        spark,
        [("a", "a"), ("b", "a"), ("c", "c"), ("d", "c"), ("e", "c"), ("f", "f"), ("g", "g")],
        map3,
        reg3,
        4,
    )
    assert ids4["c"] == ids4["d"] == ids4["e"] == A
    assert ids4["a"] == ids4["b"] != A
    assert ("split", A, tuple(sorted([A, ids4["a"]]))) in ev4


def test_tie_goes_to_the_oldest_id(spark) -> None:  # type: ignore[no-untyped-def]
    prev = spark.createDataFrame([("a", "OLD"), ("b", "NEW")], "rk string, entity_id string")
    reg = spark.createDataFrame(
        [("OLD", 1, "active"), ("NEW", 5, "active")],
        "entity_id string, minted_run long, status string",
    )
    ids, events, _, _ = _run(spark, [("a", "a"), ("b", "a")], prev, reg, 6)
    assert ids == {"a": "OLD", "b": "OLD"}
    assert ("merge", "OLD", ("NEW", "OLD")) in events


def test_ids_of_the_reclustered_components_alone_equal_assigning_all(spark) -> None:  # type: ignore[no-untyped-def]
    """An incremental run assigns IDs to the clusters it redid only; the rest keep theirs."""
    first = [("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "d"), ("f", "f"), ("h", "h")]
    _, _, map1, reg1 = _run(spark, first, empty_map(spark), empty_registry(spark), 1)
    # {a,b,c} and {d,e} merge with a new g; {h} is deleted; {f} is untouched.
    now = [("a", "a"), ("b", "a"), ("c", "a"), ("d", "a"), ("e", "a"), ("f", "f"), ("g", "a")]
    clusters = spark.createDataFrame(now, "rk string, component string")
    want = assign_ids(clusters, map1, reg1, 2)
    ids = id_changes(
        clusters, map1, reg1, 2, redone={"a", "b", "c", "d", "e", "g"}, reached=set("abcdeh")
    )
    got = (ids.assignment, ids.events, ids.registry)

    def rows(df):  # type: ignore[no-untyped-def]
        return sorted(tuple(str(v) for v in r) for r in df.collect())

    for w, g in zip(want, got, strict=True):
        assert rows(g) == rows(w)
    assert {r["event"] for r in got[1].collect()} == {"merge", "retired"}


def test_rules_on_the_driver_give_the_spark_rules_rows(spark) -> None:  # type: ignore[no-untyped-def]
    """`assign_ids_rows` (what an incremental run uses for its redone clusters) against
    `assign_ids` on random merges, splits, deletions, ties and IDs the registry lacks."""
    import random

    from transforms.entity_ids import MAP_SCHEMA, REGISTRY_SCHEMA, assign_ids_rows

    def rows(df):  # type: ignore[no-untyped-def]
        return sorted(tuple(str(v) for v in r) for r in df.collect())

    def as_rows(rs):  # type: ignore[no-untyped-def]
        return sorted(tuple(str(v) for v in r) for r in rs)

    kinds = set()
    for seed in range(8):
        rnd = random.Random(seed)
        rks = [f"r{i:02d}" for i in range(rnd.randint(5, 40))]
        previous = [(rk, f"P-{rnd.randint(0, len(rks) // 3)}") for rk in rks if rnd.random() < 0.8]
        held = sorted({e for _, e in previous})
        # Some IDs unknown to the registry (sorted last on ties), equal mint runs (ties).
        registry = [(e, rnd.randint(1, 3), "active") for e in held if rnd.random() < 0.9]
        clusters = [(rk, f"c{rnd.randint(0, len(rks) // 4)}") for rk in rks if rnd.random() < 0.9]
        want = assign_ids(
            spark.createDataFrame(clusters, "rk string, component string"),
            spark.createDataFrame(previous, MAP_SCHEMA),
            spark.createDataFrame(registry, REGISTRY_SCHEMA),
            7,
        )
        got = assign_ids_rows(clusters, previous, registry, 7)
        for w, g in zip(want, got, strict=True):
            assert as_rows(g) == rows(w), seed
        kinds |= {e[1] for e in got[1]}
    assert kinds == {"merge", "split", "created", "retired"}
