"""Notice hits of an incremental run: the previous run's hits, rescored only where a notice or a
person changed.

A hit is a (notice, person) pair, scored with the person model on the evidence the two share;
a pair changes only when the notice changed (payload, status), the person did (payload, entity),
or a blocking key either holds flipped status in this run's resolution (generic, oversized,
shared: it changes the candidate pairs and the evidence of its holders). The costly part is the
persons' blocking keys: every person's when a notice is new or changed or a key flipped (any
person may share a key with it), only the changed persons' otherwise, which is the common case
of a delta of person records. The notices' own keys are the previous run's when no notice
changed (`links_delta` keeps them in the link state), and only the paired notices are made
records for scoring. Pure; `transforms.links_delta` calls it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms.config import ResolutionConfig
from transforms.driver_frames import among, keys_frame, on_driver
from transforms.links_facts import Changed, LinkInputs
from transforms.links_notices import NOTICE_PREFIX, notice_pairs, scored_hits
from transforms.persons import Resolution, record_key


def notice_delta(
    x: LinkInputs,
    res: Resolution,
    changed: Changed,
    previous: DataFrame,
    config: ResolutionConfig,
    nkeys: DataFrame,
) -> DataFrame | None:
    """notice_hits rescored for the changed notices and persons and merged with the previous
    run's other hits; None when no hit can have changed (no notice or person changed and no
    key flipped, or those that did have no candidate pair and had no hit): the previous table
    is then the answer as it is. `nkeys`: the notices' blocking keys (`notice_keys`)."""
    assert x.notices is not None and x.assignment is not None and res.flipped is not None
    spark = changed.spark
    # Few keys flip in a delta: collected, they say on the driver whether any holder is dirty.
    flipped = {r[0] for r in res.flipped.select("key").collect()}
    notices, persons = set(changed.of("notice")), set(changed.of("person"))
    if not (flipped or notices or persons):
        return None
    plain = res.matching if res.matching is not None else res.records
    if flipped or notices:
        keys = B.record_keys(plain).select("rk", "key").localCheckpoint(eager=True)
    else:
        mine = plain.join(keys_frame(spark, persons, "rk"), "rk")
        keys = B.record_keys(mine).select("rk", "key")
    if flipped:
        fl = keys_frame(spark, flipped)
        n_hold = nkeys.join(fl, "key")
        p_hold = keys.join(fl, "key")
        holders = (
            n_hold.select(F.lit("n").alias("side"), "rk")
            .unionByName(p_hold.select(F.lit("p").alias("side"), "rk"))
            .distinct()
            .collect()
        )
        for side, rk in holders:
            (notices if side == "n" else persons).add(rk)
    dirty_n, dirty_p = keys_frame(spark, notices, "rk"), keys_frame(spark, persons, "rk")
    n_rk = record_key(
        F.concat(F.lit(NOTICE_PREFIX), F.col("notice_source_country")), F.col("notice_record_id")
    )
    p_rk = record_key(F.col("person_source_country"), F.col("person_record_id"))
    # The candidate pairs are few: collected, they say whether anything needs scoring at all
    # (scoring costs some forty Spark jobs, however few the pairs), and which persons it reads.
    schema = "l_rk string, r_rk string, rules array<string>"
    if notices:
        found = [
            tuple(r)
            for r in notice_pairs(x.notices, res, keys, (dirty_n, dirty_p), nkeys).collect()
        ]
    else:
        # Only persons are dirty (a flip reached no notice): their keys alone are looked up.
        found = _pairs_of_persons(keys.join(dirty_p, "rk") if flipped else keys, nkeys, res)
    if not found:
        touched = previous.join(dirty_n, n_rk == F.col("rk"), "left_semi").unionByName(
            previous.join(dirty_p, p_rk == F.col("rk"), "left_semi")
        )
        if not touched.limit(1).collect():
            return None
    kept = previous.join(dirty_n, n_rk == F.col("rk"), "left_anti").join(
        dirty_p, p_rk == F.col("rk"), "left_anti"
    )
    merged = kept
    if found:
        paired = keys_frame(spark, {r[1] for r in found}, "rk")
        fresh = scored_hits(
            on_driver(spark, found, schema),
            x.notices,
            x.persons,
            res,
            x.assignment,
            config,
            paired=paired,
            paired_notices=keys_frame(spark, {r[0] for r in found}, "rk"),
        )
        merged = kept.select(*fresh.columns).unionByName(fresh)
    return merged.orderBy(
        "notice_id", F.col("match_weight").desc(), "person_source_country", "person_record_id"
    )


def _pairs_of_persons(
    person_keys: DataFrame, nkeys: DataFrame, res: Resolution
) -> list[tuple[str, str, list[str]]]:
    """`notice_pairs` of a few changed persons (their keys: `person_keys`) when no notice
    changed, found on the driver: the persons' keys, the notices holding one of them and which
    of those keys are unusable are three small collects, where the join and grouping in Spark
    were eight jobs."""
    holders: dict[str, set[str]] = {}
    for rk, key in person_keys.select("rk", "key").collect():
        if key is not None:
            holders.setdefault(key, set()).add(rk)
    if not holders:
        return []
    held = nkeys.where(among("key", holders)).select("rk", "key").collect()
    if not held:
        return []
    shared = sorted({key for _, key in held})
    bad = {r[0] for r in res.unusable.where(among("key", shared)).select("key").collect()}
    rules: dict[tuple[str, str], set[str]] = {}
    for n_rk, key in held:
        if key in bad:
            continue
        for p_rk in holders[key]:
            rules.setdefault((n_rk, p_rk), set()).add(key.split(":", 1)[0])
    return [(n, p, sorted(r)) for (n, p), r in sorted(rules.items())]
