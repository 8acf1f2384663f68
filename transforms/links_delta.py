"""Gold beyond persons, whole or for what changed: documents, alerts, notice hits, case links,
networks and trends.

A full run builds each table from all of silver. An incremental run starts from the tables the
previous run wrote and the *facts* it kept (`link_facts`: one row per fact a table is built from,
as (family, key, detail)), diffs this run's facts against them, and rebuilds only what a changed
fact reaches, merging the rebuilt rows with the previous table's others:

- documents, document_alerts: per document key; rebuilt for the keys whose sightings or register
  rows changed;
- notice_hits: per (notice, person) pair; rescored for the pairs with a changed notice (payload or
  status) or a changed person (payload, entity, or a key whose status flipped in this run's
  resolution); a retrained model rescoring everything (`Resolution.flipped` is None) rebuilds it;
- case_links: per pair of cases; rebuilt for the pairs with a case holding a value (person
  entity, phone, document, vehicle, forensic ref) whose set of holding cases changed, so a value
  crossing `MAX_CASES_PER_VALUE` is seen too;
- networks, network_members: per connected component; the previous networks holding a changed
  node (a case or entity whose edges, case details or countries changed, or a case above) are
  rebuilt as a whole with every current node they reach, named after their smallest node;
- trends: per trend group; rebuilt for the groups a changed case row left or entered.

Every table is a function of its facts and each rebuilt unit depends on nothing outside the
facts that define it, so the merge is the full run's table row for row (proved on a generated
world in tests/transforms/test_links_delta.py). Everything here is pure; `transforms.jobs` reads
the previous tables and facts and writes the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import links_cases as LC
from transforms import links_documents as LD
from transforms import links_networks as LN
from transforms.clustering import connected_components
from transforms.config import ResolutionConfig
from transforms.links_common import union_all
from transforms.links_notices import NOTICE_PREFIX, notice_hits, notice_records
from transforms.persons import Resolution, record_key

FACT_COLUMNS = ("family", "key", "detail")
LINK_TABLES = (
    "documents",
    "document_alerts",
    "notice_hits",
    "case_links",
    "networks",
    "network_members",
    "trends",
)
"""The tables built here, in the order they are written."""


@dataclass(frozen=True)
class LinkInputs:
    """This run's silver and person resolution (None where a feed has no data yet)."""

    docs: DataFrame | None
    persons: DataFrame | None
    cases: DataFrame | None
    notices: DataFrame | None
    res: Resolution | None
    assignment: DataFrame | None


@dataclass(frozen=True)
class PreviousLinks:
    """What the previous run wrote: its link tables by name and its facts."""

    tables: dict[str, DataFrame]
    facts: DataFrame


@dataclass(frozen=True)
class LinkGold:
    tables: dict[str, DataFrame]
    """The gold tables by name, in `LINK_TABLES` order (each only when its inputs exist)."""
    facts: DataFrame
    """What the next run diffs against (`FACT_COLUMNS`)."""
    incremental: tuple[str, ...]
    """The tables merged from the previous run's (the others were built whole)."""
    dirty: DataFrame | None
    """(family, key) of every fact that changed, when the run was incremental."""


def _facts(family: str, key: F.Column, detail: F.Column, df: DataFrame) -> DataFrame:
    return df.select(F.lit(family).alias("family"), key.alias("key"), detail.alias("detail"))


def _json(df: DataFrame, *drop: str) -> F.Column:
    return F.to_json(F.struct(*[c for c in df.columns if c not in drop]))


@dataclass(frozen=True)
class _Parts:
    """The per-record facts every table is built from, computed once per run."""

    sight: DataFrame | None
    reg: DataFrame | None
    cp: DataFrame | None
    ev: DataFrame | None
    trend_cases: DataFrame | None


def _parts(x: LinkInputs) -> _Parts:
    cp = ev = tc = None
    if x.cases is not None:
        cp = LC.case_persons(x.cases, x.persons, x.assignment).localCheckpoint(eager=True)
        ev = LC.case_evidence(x.cases, x.persons, cp).localCheckpoint(eager=True)
        tc = LC.trend_cases(x.cases, cp)
    return _Parts(LD.sightings(x.persons, x.cases, x.notices), LD.register(x.docs), cp, ev, tc)


def silver_facts(x: LinkInputs, p: _Parts) -> DataFrame | None:
    """(family, key, detail): the facts of every table but networks, by what each dirties."""
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
        frames.append(_facts("evidence", _value(), F.col("case_rk"), p.ev))
    if p.trend_cases is not None:
        tc = p.trend_cases
        frames.append(_facts("trend", F.col("trend_group"), _json(tc), tc))
    return union_all(frames).distinct() if frames else None


def node_facts(graph: LN.NetworkGraph) -> DataFrame:
    """(family "node", node, detail): a node's edges, case details and countries."""
    e, info = graph.edges, graph.case_info
    return union_all(
        [
            _facts("node", F.col("l_rk"), F.concat(F.lit("e:"), F.col("r_rk")), e),
            _facts("node", F.col("r_rk"), F.concat(F.lit("e:"), F.col("l_rk")), e),
            _facts("node", F.col("rk"), F.concat(F.lit("i:"), _json(info)), info),
            _facts("node", F.col("rk"), F.concat(F.lit("c:"), F.col("c")), graph.ent_countries),
        ]
    ).distinct()


def _value() -> F.Column:
    """An evidence fact's key: kind and value."""
    return F.concat_ws("\x1f", "kind", "value")


def _empty_facts(x: LinkInputs) -> DataFrame:
    for df in (x.docs, x.persons, x.cases, x.notices):
        if df is not None:
            return df.sparkSession.createDataFrame([], "family string, key string, detail string")
    raise ValueError("link gold needs at least one silver table")


def changed_facts(old: DataFrame, new: DataFrame) -> DataFrame:
    """(family, key) of the facts in one set and not the other."""
    return (
        old.subtract(new).unionByName(new.subtract(old)).select("family", "key").distinct()
    ).localCheckpoint(eager=True)


def _keys(dirty: DataFrame, family: str, name: str = "key") -> DataFrame:
    return F.broadcast(dirty.where(F.col("family") == family).select(F.col("key").alias(name)))


def _merge(previous: DataFrame, fresh: DataFrame, gone: DataFrame, on: list[str]) -> DataFrame:
    """The previous table without its rows for `gone` (columns `on`), plus the rebuilt rows."""
    kept = previous.join(F.broadcast(gone), on, "left_anti")
    return kept.select(*fresh.columns).unionByName(fresh)


def link_gold(
    x: LinkInputs, config: ResolutionConfig, previous: PreviousLinks | None = None
) -> LinkGold:
    """The link tables, whole (`previous` None) or merged with the previous run's tables."""
    p = _parts(x)
    dirty: DataFrame | None = None
    # The facts of every table but networks come from silver alone, so the diff is known before
    # any table is built; networks' node facts need this run's case links (`_case_tables`).
    if previous is not None:
        early = silver_facts(x, p)
        if early is not None:
            dirty = changed_facts(previous.facts.where(F.col("family") != "node"), early)
    delta = None if previous is None or dirty is None else (previous, dirty)
    tables: dict[str, DataFrame] = {}
    done: list[str] = []
    _document_tables(p, delta, tables, done)
    if x.notices is not None and x.res is not None and x.assignment is not None:
        res = x.res
        if delta is not None and "notice_hits" in delta[0].tables and res.flipped is not None:
            old = delta[0].tables["notice_hits"]
            tables["notice_hits"] = _notice_delta(x, res, delta[1], old, config)
            done.append("notice_hits")
        else:
            tables["notice_hits"] = notice_hits(
                x.notices, x.persons, res, x.assignment, config=config
            )
    graph = _case_tables(x, p, delta, tables, done) if x.cases is not None else None
    parts = [
        f
        for f in (silver_facts(x, p), None if graph is None else node_facts(graph))
        if f is not None
    ]
    facts = union_all(parts) if parts else _empty_facts(x)
    return LinkGold({n: tables[n] for n in LINK_TABLES if n in tables}, facts, tuple(done), dirty)


_Delta = tuple[PreviousLinks, DataFrame] | None
"""The previous run's tables and facts, and the (family, key) of the facts that changed."""


def _document_tables(
    p: _Parts, delta: _Delta, tables: dict[str, DataFrame], done: list[str]
) -> None:
    """documents and document_alerts, rebuilt per changed document key."""
    prev = delta[0].tables if delta is not None else {}
    keys = _keys(delta[1], "doc", "doc_key") if delta is not None else None
    sight, reg = p.sight, p.reg
    if keys is not None:
        sight = None if sight is None else sight.join(keys, "doc_key")
        reg = None if reg is None else reg.join(keys, "doc_key")
    if p.sight is not None or p.reg is not None:
        if keys is not None and "documents" in prev:
            fresh = LD.documents_from(sight, reg)
            merged = _merge(prev["documents"], fresh, keys, ["doc_key"])
            tables["documents"] = merged.orderBy("doc_key")
            done.append("documents")
        else:
            tables["documents"] = LD.documents_from(p.sight, p.reg)
    if p.reg is not None:
        if keys is not None and reg is not None and "document_alerts" in prev:
            fresh = LD.alerts_from(sight, reg)
            tables["document_alerts"] = _merge(
                prev["document_alerts"], fresh, keys, ["doc_key"]
            ).orderBy("doc_key", "seen_in_feed", "seen_in_source_country", "seen_in_record_id")
            done.append("document_alerts")
        else:
            tables["document_alerts"] = LD.alerts_from(p.sight, p.reg)


def _case_tables(
    x: LinkInputs, p: _Parts, delta: _Delta, tables: dict[str, DataFrame], done: list[str]
) -> LN.NetworkGraph:
    """case_links, networks, network_members and trends; returns the network graph."""
    assert x.cases is not None and p.ev is not None and p.cp is not None
    assert p.trend_cases is not None
    prev = delta[0].tables if delta is not None else {}
    changed: DataFrame | None = None
    if delta is not None and "case_links" in prev:
        changed = _changed_cases(p.ev, delta)
        fresh = LC.links_from(p.ev, only=changed)
        old = prev["case_links"]
        gone = F.broadcast(changed.withColumnRenamed("case_rk", "_rk"))
        for end in ("a", "b"):
            rk = record_key(F.col(f"case_{end}_source_country"), F.col(f"case_{end}_record_id"))
            old = old.join(gone, rk == F.col("_rk"), "left_anti")
        links = old.select(*fresh.columns).unionByName(fresh)
        done.append("case_links")
    else:
        links = LC.links_from(p.ev)
    # Computed on first use (its write) and kept for the networks built on it.
    links = links.orderBy(
        "case_a_source_country", "case_a_record_id", "case_b_source_country", "case_b_record_id"
    ).localCheckpoint(eager=False)
    tables["case_links"] = links
    graph = LN.network_graph(x.cases, p.cp, links)
    if delta is not None and changed is not None and {"networks", "network_members"} <= set(prev):
        moved = changed_facts(
            delta[0].facts.where(F.col("family") == "node"), node_facts(graph)
        ).select("key")
        nodes = moved.unionByName(
            changed.select(F.concat(F.lit("C:"), "case_rk").alias("key"))
        ).distinct()
        tables["networks"], tables["network_members"] = _network_delta(
            graph, nodes, prev["networks"], prev["network_members"]
        )
        done += ["networks", "network_members"]
    else:
        tables["networks"], tables["network_members"] = LN.networks(graph)
    if delta is not None and "trends" in prev:
        groups = _keys(delta[1], "trend", "trend_group")
        fresh = LC.trends_from(p.trend_cases.join(groups, "trend_group"))
        old = prev["trends"].withColumn("trend_group", LC.trend_group())
        tables["trends"] = _merge(old, fresh, groups, ["trend_group"]).orderBy(*LC.TREND_KEYS)
        done.append("trends")
    else:
        tables["trends"] = LC.trends_from(p.trend_cases)
    return graph


def _changed_cases(ev: DataFrame, delta: tuple[PreviousLinks, DataFrame]) -> DataFrame:
    """case_rk of every case holding, before or now, a value whose holding cases changed."""
    values = _keys(delta[1], "evidence")
    holders = union_all(
        [
            delta[0].facts.where(F.col("family") == "evidence").select("key", "detail"),
            ev.select(_value().alias("key"), F.col("case_rk").alias("detail")),
        ]
    )
    return (
        holders.join(values, "key").select(F.col("detail").alias("case_rk")).distinct()
    ).localCheckpoint(eager=True)


def _notice_delta(
    x: LinkInputs, res: Resolution, dirty: DataFrame, previous: DataFrame, config: ResolutionConfig
) -> DataFrame:
    """notice_hits rescored for the changed notices and persons, merged with the other hits."""
    assert x.notices is not None and x.assignment is not None and res.flipped is not None
    flipped = F.broadcast(res.flipped.select("key"))
    # A key whose status flipped changes the candidate pairs and evidence of its holders.
    n_hold = B.record_keys(notice_records(x.notices, res)).join(flipped, "key").select("rk")
    plain = res.matching if res.matching is not None else res.records
    keys = B.record_keys(plain).select("rk", "key").localCheckpoint(eager=True)
    p_hold = keys.join(flipped, "key").select("rk")
    notices = _keys(dirty, "notice", "rk").unionByName(n_hold).distinct()
    persons = _keys(dirty, "person", "rk").unionByName(p_hold).distinct()
    notices, persons = (d.localCheckpoint(eager=True) for d in (notices, persons))
    fresh = notice_hits(
        x.notices,
        x.persons,
        res,
        x.assignment,
        config=config,
        only=(notices, persons),
        person_keys=keys,
    )
    n_rk = record_key(
        F.concat(F.lit(NOTICE_PREFIX), F.col("notice_source_country")), F.col("notice_record_id")
    )
    p_rk = record_key(F.col("person_source_country"), F.col("person_record_id"))
    kept = previous.join(F.broadcast(notices), n_rk == F.col("rk"), "left_anti").join(
        F.broadcast(persons), p_rk == F.col("rk"), "left_anti"
    )
    return (
        kept.select(*fresh.columns)
        .unionByName(fresh)
        .orderBy(
            "notice_id", F.col("match_weight").desc(), "person_source_country", "person_record_id"
        )
    )


def _network_delta(
    graph: LN.NetworkGraph, changed: DataFrame, networks: DataFrame, members: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """The previous networks holding a changed node (column key) rebuilt as whole components
    with every current node they reach; the others kept."""
    old = members.select("network_id", LN.member_node().alias("rk"))
    hit = (
        old.join(F.broadcast(changed.withColumnRenamed("key", "rk")), "rk")
        .select("network_id")
        .distinct()
        .localCheckpoint(eager=True)
    )
    # Every edge that existed before joins two nodes of one old network; a new or changed edge
    # has both ends among the changed nodes: so these nodes are whole components of the graph.
    reached = (
        old.join(F.broadcast(hit), "network_id")
        .select("rk")
        .unionByName(changed.select(F.col("key").alias("rk")))
        .distinct()
        .join(graph.nodes, "rk")
        .localCheckpoint(eager=True)
    )
    inside = F.broadcast(reached)
    edges = graph.edges.join(inside.withColumnRenamed("rk", "l_rk"), "l_rk").join(
        inside.withColumnRenamed("rk", "r_rk"), "r_rk"
    )
    nets, mems = LN.networks_of(connected_components(reached, edges), graph)
    nets = nets.localCheckpoint(eager=True)
    mems = mems.localCheckpoint(eager=True)
    kept_nets = networks.join(hit, "network_id", "left_anti").select(*nets.columns)
    kept_mems = members.join(hit, "network_id", "left_anti").select(*mems.columns)
    return (
        kept_nets.unionByName(nets).orderBy(F.col("size").desc(), "network_id"),
        kept_mems.unionByName(mems).orderBy("network_id", "member_type", "member_id"),
    )
