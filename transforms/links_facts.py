"""The facts the link tables are built from, and what changed in them since the previous run.

A fact is a row (family, key, detail): the key is the unit a change dirties (a document key, a
person or notice record, an evidence value, a network node, a trend group) and the detail what
the tables read of it. Every table is a function of its facts, so an incremental run rebuilds
only what the changed keys reach (`transforms.links_delta`). The diff is one aggregation over
the stored and current facts, and its result, small on a small delta, is collected: which
tables need any work is then decided on the driver, without a Spark job per empty frame.
Pure: `transforms.jobs` reads the stored facts and writes the new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import links_cases as LC
from transforms import links_documents as LD
from transforms import links_networks as LN
from transforms.driver_frames import keys_frame, on_driver
from transforms.links_common import union_all
from transforms.links_notices import NOTICE_PREFIX
from transforms.persons import Resolution, record_key

FACT_COLUMNS = ("family", "key", "detail")
FACTS_FORMAT = 2
"""Version of the facts' layout; a previous run's of another version is not diffed against (its
tables are built whole). 2: node facts hold no case-to-case edges (see `node_facts`)."""
MAX_CHANGED = 100_000
"""Past this many changed facts the delta is no longer small: the tables are built whole, which
then costs less than merging, and the changed keys are not collected to the driver."""


@dataclass(frozen=True)
class LinkInputs:
    """This run's silver and person resolution (None where a feed has no data yet)."""

    docs: DataFrame | None
    persons: DataFrame | None
    cases: DataFrame | None
    notices: DataFrame | None
    res: Resolution | None
    assignment: DataFrame | None

    @property
    def spark(self) -> SparkSession:
        for df in (self.docs, self.persons, self.cases, self.notices):
            if df is not None:
                return df.sparkSession
        raise ValueError("link gold needs at least one silver table")


@dataclass(frozen=True)
class Parts:
    """The per-record facts every table is built from, computed once per run."""

    sight: DataFrame | None
    reg: DataFrame | None
    cp: DataFrame | None
    ev: DataFrame | None
    trend_cases: DataFrame | None


def parts(x: LinkInputs) -> Parts:
    cp = ev = tc = None
    if x.cases is not None:
        cp = LC.case_persons(x.cases, x.persons, x.assignment).localCheckpoint(eager=True)
        ev = LC.case_evidence(x.cases, x.persons, cp).localCheckpoint(eager=True)
        tc = LC.trend_cases(x.cases, cp)
    return Parts(LD.sightings(x.persons, x.cases, x.notices), LD.register(x.docs), cp, ev, tc)


def _facts(family: str, key: F.Column, detail: F.Column, df: DataFrame) -> DataFrame:
    return df.select(F.lit(family).alias("family"), key.alias("key"), detail.alias("detail"))


def _json(df: DataFrame, *drop: str) -> F.Column:
    return F.to_json(F.struct(*[c for c in df.columns if c not in drop]))


def evidence_value() -> F.Column:
    """An evidence fact's key: kind and value."""
    return F.concat_ws("\x1f", "kind", "value")


def link_facts(x: LinkInputs, p: Parts) -> DataFrame:
    """(family, key, detail): every fact of this run, by what each dirties.

    Not made distinct: a repeated fact (two persons of one entity in one case give one
    membership edge twice) changes nothing in the diff, which groups them, and a distinct would
    shuffle every fact of every run to remove a few rows."""
    frames = []
    if p.sight is not None:
        detail = F.concat(F.lit("s:"), _json(p.sight))
        frames.append(_facts("doc", F.col("doc_key"), detail, p.sight))
    if p.reg is not None:
        frames.append(_facts("doc", F.col("doc_key"), F.concat(F.lit("r:"), _json(p.reg)), p.reg))
    if x.persons is not None and x.assignment is not None:
        ps = x.persons.select(
            record_key(F.col("source_country"), F.col("record_id")).alias("rk"), "payload_hash"
        ).join(x.assignment.select("rk", "entity_id"), "rk", "left")
        frames.append(
            _facts("person", F.col("rk"), F.concat_ws("|", "payload_hash", "entity_id"), ps)
        )
    if x.notices is not None:
        n_rk = record_key(
            F.concat(F.lit(NOTICE_PREFIX), F.col("source_country")), F.col("record_id")
        )
        frames.append(_facts("notice", n_rk, F.concat_ws("|", "payload_hash", "status"), x.notices))
    if p.ev is not None:
        frames.append(_facts("evidence", evidence_value(), F.col("case_rk"), p.ev))
    if p.trend_cases is not None:
        tc = p.trend_cases
        frames.append(_facts("trend", F.col("trend_group"), _json(tc), tc))
    if x.cases is not None and p.cp is not None:
        frames.append(node_facts(x.cases, p.cp))
    if not frames:
        return on_driver(x.spark, [], "family string, key string, detail string")
    return union_all(frames)


def node_facts(cases: DataFrame, cp: DataFrame) -> DataFrame:
    """(family "node", node, detail): a network node's case-to-entity edges, case details and
    countries.

    Case-to-case edges are not facts: such an edge changes only with the case links of a case
    whose evidence changed, and the networks of those cases and of their new partners are
    rebuilt anyway (`links_delta`). Keeping them out keeps the diff to silver facts alone, so
    it runs once, before any table is built."""
    e, info = LN.membership(cp), LN.case_info(cases)
    return union_all(
        [
            _facts("node", F.col("l_rk"), F.concat(F.lit("e:"), F.col("r_rk")), e),
            _facts("node", F.col("r_rk"), F.concat(F.lit("e:"), F.col("l_rk")), e),
            _facts("node", F.col("rk"), F.concat(F.lit("i:"), _json(info)), info),
            _facts("node", F.col("rk"), F.concat(F.lit("c:"), F.col("c")), LN.entity_countries(cp)),
        ]
    )


@dataclass(frozen=True)
class Changed:
    """The keys of the facts in one run's set and not the other's, per family."""

    keys: Mapping[str, frozenset[str]]
    spark: SparkSession

    def of(self, family: str) -> frozenset[str]:
        return self.keys.get(family, frozenset())

    def frame(self, family: str, name: str = "key") -> DataFrame:
        return keys_frame(self.spark, self.of(family), name)


def changed_facts(old: DataFrame, new: DataFrame, limit: int = MAX_CHANGED) -> Changed | None:
    """What changed between two runs' facts, or None when more than `limit` facts did.

    One aggregation over both sets, by (family, key) and a hash of the detail, marks each fact
    with the sides it is on: a fact on one side only changed. The shuffle carries 96 bits of
    hash instead of the detail (JSON rows); two different details of one key colliding in both
    hashes, the only way a change could go unseen, has a chance of about 2^-96 per pair.
    """

    def side(df: DataFrame, n: int) -> DataFrame:
        return df.select(
            "family",
            "key",
            F.xxhash64("detail").alias("h1"),
            F.hash("detail").alias("h2"),
            F.lit(n).alias("side"),
        )

    rows = (
        side(old, 1)
        .unionByName(side(new, 2))
        .groupBy("family", "key", "h1", "h2")
        .agg(F.min("side").alias("lo"), F.max("side").alias("hi"))
        .where(F.col("lo") == F.col("hi"))
        .select("family", "key")
        .limit(limit + 1)
        .collect()
    )
    if len(rows) > limit:
        return None
    found: dict[str, set[str]] = {}
    for family, key in rows:
        if key is not None:  # a null key is no unit: no table row is rebuilt for it
            found.setdefault(family, set()).add(key)
    return Changed({f: frozenset(k) for f, k in found.items()}, new.sparkSession)
