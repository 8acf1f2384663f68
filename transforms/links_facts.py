"""The facts the link tables are built from, and what changed in them since the previous run.

A fact is a row (family, key, detail): the key is the unit a change dirties (a document key, a
person or notice record, an evidence value, a network node, a trend group) and the detail what
the tables read of it. Every table is a function of its facts, so an incremental run rebuilds
only what the changed keys reach (`transforms.links_delta`). Each fact also names the silver
record it comes from (`source`), so an incremental run computes the facts of the records that
can have changed alone (`changed_sources`, `facts_of`) and keeps the stored facts of the others.
The diff is one aggregation over the stored and current facts (of those records), and its
result, small on a small delta, is collected: which tables need any work is then decided on the
driver, without a Spark job per empty frame.
Pure: `transforms.jobs` reads the stored facts and writes the new ones.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import links_cases as LC
from transforms import links_documents as LD
from transforms import links_networks as LN
from transforms.links_common import union_all
from transforms.links_notices import NOTICE_PREFIX
from transforms.persons import Resolution, record_key
from transforms.standardize import PROVENANCE

FACT_COLUMNS = ("family", "key", "detail", "source")
FACTS_FORMAT = 3
"""Version of the facts' layout; a previous run's of another version is not diffed against (its
tables are built whole). 2: node facts hold no case-to-case edges (see `node_facts`); 3: each
fact names the silver record it comes from (`source`), and the row and ref families."""
MAX_SOURCES = 20_000
"""Past this many changed source records an incremental run diffs every fact (`changed_facts`
over all of them) rather than those of the changed records alone."""
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

    def feeds(self) -> dict[str, DataFrame]:
        """The silver tables present, by feed (`SOURCE_PREFIX`)."""
        frames = {
            "person": self.persons,
            "case": self.cases,
            "notice": self.notices,
            "travel_document": self.docs,
        }
        return {feed: df for feed, df in frames.items() if df is not None}

    @property
    def spark(self) -> SparkSession:
        for df in (self.docs, self.persons, self.cases, self.notices):
            if df is not None:
                return df.sparkSession
        raise ValueError("link gold needs at least one silver table")


@dataclass(frozen=True)
class Parts:
    """The per-record facts every table is built from, computed once per run: the case parts
    (`cp`, `ev`, `trend_cases`) only when first read, which an incremental run does only for
    the case tables it rebuilds from every case."""

    sight: DataFrame | None
    reg: DataFrame | None
    cases: DataFrame | None = None
    """The cases whose parts these are."""
    persons: DataFrame | None = None
    """Every person: a case's persons are those it names and those that name it."""
    assignment: DataFrame | None = None
    few: bool = False
    """The cases are a delta's few: their persons are broadcast to the evidence's join."""

    @cached_property
    def cp(self) -> DataFrame | None:
        if self.cases is None:
            return None
        return LC.case_persons(self.cases, self.persons, self.assignment).localCheckpoint(
            eager=True
        )

    @cached_property
    def ev(self) -> DataFrame | None:
        if self.cases is None or self.cp is None:
            return None
        cp = F.broadcast(self.cp) if self.few else self.cp
        return LC.case_evidence(self.cases, self.persons, cp).localCheckpoint(eager=True)

    @cached_property
    def trend_cases(self) -> DataFrame | None:
        if self.cases is None or self.cp is None:
            return None
        return LC.trend_cases(self.cases, self.cp)


def parts(x: LinkInputs) -> Parts:
    return Parts(
        LD.sightings(x.persons, x.cases, x.notices),
        LD.register(x.docs),
        x.cases,
        x.persons,
        x.assignment,
    )


def _facts(
    family: str, key: F.Column, detail: F.Column, df: DataFrame, source: F.Column
) -> DataFrame:
    return df.select(
        F.lit(family).alias("family"),
        key.alias("key"),
        detail.alias("detail"),
        source.alias("source"),
    )


def _json(df: DataFrame, *drop: str) -> F.Column:
    return F.to_json(F.struct(*[c for c in df.columns if c not in drop]))


SOURCE_PREFIX = {"person": "P:", "case": "C:", "notice": "N:", "travel_document": "D:"}
"""A fact's `source`: the prefix of its silver feed and the record's key (`country|record_id`).
A case's is its network node (`C:country|record_id`)."""


def source_key(feed: str, country: str = "source_country", rid: str = "record_id") -> F.Column:
    """The `source` of a fact read from one record of `feed`."""
    return F.concat(F.lit(SOURCE_PREFIX[feed]), record_key(F.col(country), F.col(rid)))


def _sighting_source() -> F.Column:
    prefix = F.col("seen_in_feed")
    for feed in ("person", "case", "notice"):
        prefix = F.when(F.col("seen_in_feed") == feed, F.lit(SOURCE_PREFIX[feed])).otherwise(prefix)
    return F.concat(prefix, record_key(F.col("seen_in_source_country"), F.col("seen_in_record_id")))


def evidence_value() -> F.Column:
    """An evidence fact's key: kind and value."""
    return F.concat_ws("\x1f", "kind", "value")


def row_hash(df: DataFrame) -> F.Column:
    """What a silver row is a function of, given the standardization (`SILVER_FORMAT`): its
    payload and its envelope (provenance such as reported_at). 96 bits, as `changed_facts`."""
    cols = ["payload_hash", *[c for c in PROVENANCE if c in df.columns]]
    return F.concat_ws(":", F.xxhash64(*cols).cast("string"), F.hash(*cols).cast("string"))


def row_facts(x: LinkInputs) -> DataFrame | None:
    """(family "row", source, row hash, source): one per silver record, so that the next run
    finds the records that changed (`changed_sources`) without reading their facts."""
    frames = [
        _facts("row", source_key(feed), row_hash(df), df, source_key(feed))
        for feed, df in x.feeds().items()
    ]
    return union_all(frames) if frames else None


def link_facts(x: LinkInputs, p: Parts) -> DataFrame:
    """(family, key, detail, source): every fact of this run, by what each dirties, and the
    silver record it comes from (a case's facts come from the case and the persons it names or
    that name it: `source` is the case).

    Not made distinct: a repeated fact (two persons of one entity in one case give one
    membership edge twice) changes nothing in the diff, which groups them, and a distinct would
    shuffle every fact of every run to remove a few rows."""
    frames = []
    if (rows := row_facts(x)) is not None:
        frames.append(rows)
    if p.sight is not None:
        detail = F.concat(F.lit("s:"), _json(p.sight))
        frames.append(_facts("doc", F.col("doc_key"), detail, p.sight, _sighting_source()))
    if p.reg is not None:
        frames.append(
            _facts(
                "doc",
                F.col("doc_key"),
                F.concat(F.lit("r:"), _json(p.reg)),
                p.reg,
                source_key("travel_document", "register_source_country", "register_record_id"),
            )
        )
    if x.persons is not None and x.assignment is not None:
        ps = x.persons.select(
            record_key(F.col("source_country"), F.col("record_id")).alias("rk"), "payload_hash"
        ).join(x.assignment.select("rk", "entity_id"), "rk", "left")
        detail = F.concat_ws("|", "payload_hash", "entity_id")
        source = F.concat(F.lit(SOURCE_PREFIX["person"]), F.col("rk"))
        frames.append(_facts("person", F.col("rk"), detail, ps, source))
    if x.notices is not None:
        n_rk = record_key(
            F.concat(F.lit(NOTICE_PREFIX), F.col("source_country")), F.col("record_id")
        )
        detail = F.concat_ws("|", "payload_hash", "status")
        frames.append(_facts("notice", n_rk, detail, x.notices, source_key("notice")))
    case_source = F.concat(F.lit(SOURCE_PREFIX["case"]), F.col("case_rk"))
    if p.ev is not None:
        frames.append(_facts("evidence", evidence_value(), F.col("case_rk"), p.ev, case_source))
    if p.trend_cases is not None:
        tc = p.trend_cases
        frames.append(_facts("trend", F.col("trend_group"), _json(tc), tc, case_source))
    if x.cases is not None and p.cp is not None:
        frames.append(node_facts(x.cases, p.cp))
        # Which cases name a person or are named by it: a person's changed or deleted record
        # finds the cases it was part of in the previous run's facts (`changed_sources`).
        frames.append(_facts("ref", F.col("person_rk"), F.lit(""), p.cp, case_source))
    if not frames:
        return x.spark.createDataFrame([], ", ".join(f"{c} string" for c in FACT_COLUMNS))
    return union_all(frames)


def node_facts(cases: DataFrame, cp: DataFrame) -> DataFrame:
    """(family "node", node, detail, source): a network node's case-to-entity edges, case
    details and countries.

    Case-to-case edges are not facts: such an edge changes only with the case links of a case
    whose evidence changed, and the networks of those cases and of their new partners are
    rebuilt anyway (`links_delta`). Keeping them out keeps the diff to silver facts alone, so
    it runs once, before any table is built."""
    e, info = LN.membership(cp), LN.case_info(cases)
    ent = LN.entity_countries(
        cp.withColumn("source", F.concat(F.lit(SOURCE_PREFIX["case"]), F.col("case_rk"))), "source"
    )
    return union_all(
        [
            _facts("node", F.col("l_rk"), F.concat(F.lit("e:"), F.col("r_rk")), e, F.col("l_rk")),
            _facts("node", F.col("r_rk"), F.concat(F.lit("e:"), F.col("l_rk")), e, F.col("l_rk")),
            _facts("node", F.col("rk"), F.concat(F.lit("i:"), _json(info)), info, F.col("rk")),
            _facts("node", F.col("rk"), F.concat(F.lit("c:"), F.col("c")), ent, F.col("source")),
        ]
    )


def keys_frame(spark: SparkSession, keys: Iterable[str], name: str = "key") -> DataFrame:
    """A one-column frame of a few keys, held by the driver: joining it (broadcast) launches no
    Spark job to build it."""
    return F.broadcast(spark.createDataFrame([(k,) for k in sorted(keys)], f"{name} string"))


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


def in_feed(feed: str, df: DataFrame | None, sources: Collection[str]) -> DataFrame | None:
    """`df`'s rows (records of `feed`) among `sources`."""
    if df is None:
        return None
    prefix = SOURCE_PREFIX[feed]
    wanted = sorted(s[len(prefix) :] for s in sources if s.startswith(prefix))
    return df.where(record_key(F.col("source_country"), F.col("record_id")).isin(wanted))


def changed_sources(
    x: LinkInputs, stored: DataFrame, persons: Collection[str], limit: int = MAX_SOURCES
) -> frozenset[str] | None:
    """The records (`source`) whose facts may differ from the stored ones: those whose silver
    row is new, changed or gone (the row facts' diff), the `persons` whose entity may have
    changed (the records the person resolution clustered again), and every case that names
    one of those persons or is named by it, now or in the stored facts (its `ref` facts); None
    past `limit`. Two small queries, collected: the row diff reads two narrow columns per
    record, no fact's detail."""

    def side(df: DataFrame, n: int) -> DataFrame:
        return df.select("key", "detail", F.lit(n).alias("side"))

    found: set[str] = set()
    rows = row_facts(x)
    if rows is not None:
        differ = (
            side(stored.where(F.col("family") == "row"), 1)
            .unionByName(side(rows, 2))
            .groupBy("key", "detail")
            .agg(F.min("side").alias("lo"), F.max("side").alias("hi"))
            .where(F.col("lo") == F.col("hi"))
            .select("key")
            .distinct()
            .limit(limit + 1)
            .collect()
        )
        found = {r[0] for r in differ}
    if len(found) > limit:
        return None
    prefix = SOURCE_PREFIX["person"]
    dirty = set(persons) | {s[len(prefix) :] for s in found if s.startswith(prefix)}
    found |= {prefix + rk for rk in dirty}
    if dirty and x.cases is not None:
        wanted = sorted(dirty)
        case_source = source_key("case").alias("source")
        frames = [
            stored.where((F.col("family") == "ref") & F.col("key").isin(wanted)).select("source"),
            x.cases.select(case_source, "source_country", F.explode("persons").alias("p"))
            .where(record_key(F.col("source_country"), F.col("p.record_id")).isin(wanted))
            .select("source"),
        ]
        if x.persons is not None:
            refs = (
                x.persons.where(
                    record_key(F.col("source_country"), F.col("record_id")).isin(wanted)
                )
                .select(F.explode("case_refs").alias("record_id"))
                .join(x.cases.select("record_id", case_source), "record_id")
                .select("source")
            )
            frames.append(refs)
        found |= {r[0] for r in union_all(frames).distinct().collect()}
    return frozenset(found) if len(found) <= limit else None


def facts_of(x: LinkInputs, sources: Collection[str]) -> DataFrame:
    """`link_facts` of the records `sources` alone: a case's facts read every person that
    names it, so the persons are read whole for those (a scan, no shuffle of all)."""
    persons = in_feed("person", x.persons, sources)
    cases = in_feed("case", x.cases, sources)
    notices = in_feed("notice", x.notices, sources)
    docs = in_feed("travel_document", x.docs, sources)
    # Read by several facts: the changed persons' rows picked out of the table once.
    persons = None if persons is None else persons.localCheckpoint(eager=True)
    p = Parts(
        LD.sightings(persons, cases, notices),
        LD.register(docs),
        cases,
        x.persons,
        x.assignment,
        few=True,
    )
    return link_facts(LinkInputs(docs, persons, cases, notices, x.res, x.assignment), p)


def case_parts(x: LinkInputs, sources: Collection[str]) -> Parts:
    """The parts of the cases among `sources` alone (a few): their persons read from all."""
    cases = in_feed("case", x.cases, sources)
    return Parts(None, None, cases, x.persons, x.assignment, few=True)
