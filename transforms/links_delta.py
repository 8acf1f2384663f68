"""Gold beyond persons, whole or for what changed: documents, alerts, notice hits, case links,
networks and trends.

A full run builds each table from all of silver. An incremental run starts from the tables the
previous run wrote and the *facts* it kept (`transforms.links_facts`: one row per fact a table is
built from, as (family, key, detail)), diffs this run's facts against them in one pass, and
rebuilds only what a changed fact reaches, merging the rebuilt rows with the previous table's
others; a table no changed fact reaches is the previous table itself (`LinkGold.unchanged`:
`transforms.jobs` leaves its files in place):

- documents, document_alerts: per document key; rebuilt for the keys whose sightings or register
  rows changed;
- notice_hits: per (notice, person) pair; rescored for the pairs with a changed notice (payload or
  status) or a changed person (payload, entity, or a key whose status flipped in this run's
  resolution); a retrained model rescoring everything (`Resolution.flipped` is None) rebuilds it
  (`transforms.links_notices_delta`);
- case_links: per pair of cases; rebuilt for the pairs with a case holding a value (person
  entity, phone, document, vehicle, forensic ref) whose set of holding cases changed, so a value
  crossing `MAX_CASES_PER_VALUE` is seen too;
- networks, network_members: per connected component; the previous networks holding a changed
  node (a case or entity whose case-to-entity edges, case details or countries changed, a case
  above, or a case it is newly linked to) are rebuilt as a whole with every current node they
  reach, named after their smallest node;
- trends: per trend group; rebuilt for the groups a changed case row left or entered.

Every table is a function of its facts and each rebuilt unit depends on nothing outside the
facts that define it, so the merge is the full run's table row for row (proved on a generated
world in tests/transforms/test_links_delta.py). The changed keys are collected (few on a small
delta; past `links_facts.MAX_CHANGED` the tables are built whole), so that which tables and units
need work is decided on the driver rather than by Spark jobs over empty frames. Everything here
is pure; `transforms.jobs` reads the previous tables and facts and writes the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import links_cases as LC
from transforms import links_documents as LD
from transforms import links_networks as LN
from transforms.clustering import connected_components
from transforms.config import ResolutionConfig
from transforms.driver_frames import keys_frame, on_driver
from transforms.links_facts import (
    Changed,
    LinkInputs,
    Parts,
    changed_facts,
    evidence_value,
    link_facts,
    parts,
)
from transforms.links_notices import notice_hits, notice_keys
from transforms.links_notices_delta import notice_delta
from transforms.persons import record_key, shuffle_partitions

__all__ = ["LINK_TABLES", "LinkGold", "LinkInputs", "PreviousLinks", "link_gold"]

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
class PreviousLinks:
    """What the previous run wrote: its link tables by name, their row counts and its facts."""

    tables: dict[str, DataFrame]
    facts: DataFrame
    rows: dict[str, int] = field(default_factory=dict)
    notice_keys: DataFrame | None = None
    """The notices' blocking keys (`links_notices.notice_keys`), when that run kept them."""


@dataclass(frozen=True)
class LinkGold:
    tables: dict[str, DataFrame]
    """The gold tables by name, in `LINK_TABLES` order (each only when its inputs exist)."""
    facts: DataFrame
    """What the next run diffs against (`links_facts.FACT_COLUMNS`)."""
    incremental: tuple[str, ...]
    """The tables merged from the previous run's (the others were built whole)."""
    unchanged: tuple[str, ...] = ()
    """The merged tables no changed fact reaches: their frame is the previous table itself,
    which need not be written again."""
    changed: Changed | None = None
    """The keys of every fact that changed, when the run was incremental."""
    notice_keys: DataFrame | None = None
    """The notices' blocking keys to keep for the next run; None when the previous run's still
    hold (no notice changed) or there are no notices."""


@dataclass(frozen=True)
class _Delta:
    previous: PreviousLinks
    changed: Changed

    @property
    def tables(self) -> dict[str, DataFrame]:
        return self.previous.tables


class _Out:
    """The tables built so far, and which were merged or kept as they were."""

    def __init__(self) -> None:
        self.tables: dict[str, DataFrame] = {}
        self.merged: list[str] = []
        self.unchanged: list[str] = []

    def whole(self, name: str, df: DataFrame) -> None:
        self.tables[name] = df

    def merge(self, name: str, df: DataFrame) -> None:
        self.tables[name] = df
        self.merged.append(name)

    def keep(self, name: str, previous: DataFrame) -> None:
        self.merge(name, previous)
        self.unchanged.append(name)


def _few_partitions(facts: DataFrame) -> DataFrame:
    """The facts in as many partitions as a shuffle makes, not one per partition of each frame
    they are the union of (about 34 at 100k persons): each becomes a task when they are
    computed, a file when they are written and a task again when the next run reads them."""
    return facts.coalesce(shuffle_partitions(facts.sparkSession))


def _merge(previous: DataFrame, fresh: DataFrame, gone: DataFrame, on: list[str]) -> DataFrame:
    """The previous table without its rows for `gone` (columns `on`), plus the rebuilt rows."""
    kept = previous.join(F.broadcast(gone), on, "left_anti")
    return kept.select(*fresh.columns).unionByName(fresh)


def link_gold(
    x: LinkInputs, config: ResolutionConfig, previous: PreviousLinks | None = None
) -> LinkGold:
    """The link tables, whole (`previous` None) or merged with the previous run's tables."""
    p = parts(x)
    facts = _few_partitions(link_facts(x, p))
    delta: _Delta | None = None
    if previous is not None:
        # Read twice, by the diff now and as the next run's facts when written: computed once.
        facts = facts.localCheckpoint(eager=True)
        changed = changed_facts(previous.facts, facts)
        delta = None if changed is None else _Delta(previous, changed)
    out = _Out()
    _document_tables(p, delta, out)
    new_keys = nkeys = None
    res = x.res
    merge_hits = (
        delta is not None
        and "notice_hits" in delta.tables
        and res is not None
        and res.flipped is not None
    )
    if x.notices is not None:
        # The notices' keys depend on the notices alone: the previous run's hold while no
        # notice fact changed (a payload, a status, a notice gone or new). Any run that does
        # not merge the hits with them derives and keeps them again (a run without persons,
        # a retrain, a whole build), so what the next run reads matches the silver it diffed.
        stored = None if delta is None else delta.previous.notice_keys
        if (
            merge_hits
            and delta is not None
            and stored is not None
            and not delta.changed.of("notice")
        ):
            nkeys = stored
        else:
            new_keys = nkeys = notice_keys(x.notices)
    if x.notices is not None and res is not None and x.assignment is not None:
        assert nkeys is not None
        if merge_hits:
            assert delta is not None
            old = delta.tables["notice_hits"]
            fresh = notice_delta(x, res, delta.changed, old, config, nkeys)
            if fresh is None:
                out.keep("notice_hits", old)
            else:
                out.merge("notice_hits", fresh)
        else:
            out.whole("notice_hits", notice_hits(x.notices, x.persons, res, x.assignment, config))
    if x.cases is not None:
        _case_tables(x, p, delta, out)
    return LinkGold(
        {n: out.tables[n] for n in LINK_TABLES if n in out.tables},
        facts,
        tuple(out.merged),
        tuple(out.unchanged),
        None if delta is None else delta.changed,
        new_keys,
    )


def _document_tables(p: Parts, delta: _Delta | None, out: _Out) -> None:
    """documents and document_alerts, rebuilt per changed document key."""
    prev = delta.tables if delta is not None else {}
    if p.sight is None and p.reg is None:
        return
    if delta is None or "documents" not in prev:
        out.whole("documents", LD.documents_from(p.sight, p.reg))
        if p.reg is not None:
            out.whole("document_alerts", LD.alerts_from(p.sight, p.reg))
        return
    if not delta.changed.of("doc"):
        out.keep("documents", prev["documents"])
        if p.reg is not None and "document_alerts" in prev:
            out.keep("document_alerts", prev["document_alerts"])
        elif p.reg is not None:
            out.whole("document_alerts", LD.alerts_from(p.sight, p.reg))
        return
    keys = delta.changed.frame("doc", "doc_key")
    # Both tables read the changed keys' sightings: found in one pass over every record that
    # mentions a document, not one pass per table. Delta-sized, so the alerts' join broadcasts
    # them (without the hint, a join on the checkpoint shuffles both sides: 4 more jobs).
    sight = (
        None
        if p.sight is None
        else F.broadcast(p.sight.join(keys, "doc_key").localCheckpoint(eager=True))
    )
    reg = None if p.reg is None else p.reg.join(keys, "doc_key")
    fresh = LD.documents_from(sight, reg)
    out.merge("documents", _merge(prev["documents"], fresh, keys, ["doc_key"]).orderBy("doc_key"))
    if p.reg is None:
        return
    if reg is not None and "document_alerts" in prev:
        fresh = LD.alerts_from(sight, reg)
        out.merge(
            "document_alerts",
            _merge(prev["document_alerts"], fresh, keys, ["doc_key"]).orderBy(
                "doc_key", "seen_in_feed", "seen_in_source_country", "seen_in_record_id"
            ),
        )
    else:
        out.whole("document_alerts", LD.alerts_from(p.sight, p.reg))


def _case_tables(x: LinkInputs, p: Parts, delta: _Delta | None, out: _Out) -> None:
    """case_links, networks, network_members and trends."""
    assert x.cases is not None and p.ev is not None and p.cp is not None
    assert p.trend_cases is not None
    prev = delta.tables if delta is not None else {}
    cases: frozenset[str] | None = None
    partners: list[str] = []
    if delta is not None and "case_links" in prev:
        cases = _changed_cases(p.ev, delta)
        if cases:
            fresh, partners = _fresh_links(p.ev, keys_frame(delta.changed.spark, cases, "case_rk"))
            old = prev["case_links"]
            gone = keys_frame(delta.changed.spark, cases, "_rk")
            for end in ("a", "b"):
                rk = record_key(F.col(f"case_{end}_source_country"), F.col(f"case_{end}_record_id"))
                old = old.join(gone, rk == F.col("_rk"), "left_anti")
            # Computed on first use (its write) and kept for the networks built on it.
            links = (
                old.select(*fresh.columns)
                .unionByName(fresh)
                .orderBy(*_LINK_ORDER)
                .localCheckpoint(eager=False)
            )
            out.merge("case_links", links)
        else:
            links = prev["case_links"]
            out.keep("case_links", links)
    else:
        links = LC.links_from(p.ev).orderBy(*_LINK_ORDER).localCheckpoint(eager=False)
        out.whole("case_links", links)
    graph = LN.network_graph(x.cases, p.cp, links)
    if delta is not None and cases is not None and {"networks", "network_members"} <= set(prev):
        # A changed node, a case whose links were rebuilt, or a case newly linked to one: every
        # edge that appeared or went has both ends among them.
        nodes = delta.changed.of("node") | {f"C:{c}" for c in cases} | set(partners)
        if nodes:
            nets, members = _network_delta(
                graph,
                keys_frame(delta.changed.spark, nodes),
                prev["networks"],
                prev["network_members"],
            )
            out.merge("networks", nets)
            out.merge("network_members", members)
        else:
            out.keep("networks", prev["networks"])
            out.keep("network_members", prev["network_members"])
    else:
        nets, members = LN.networks(graph)
        out.whole("networks", nets)
        out.whole("network_members", members)
    if delta is not None and "trends" in prev:
        if delta.changed.of("trend"):
            groups = delta.changed.frame("trend", "trend_group")
            fresh = LC.trends_from(p.trend_cases.join(groups, "trend_group"))
            old = prev["trends"].withColumn("trend_group", LC.trend_group())
            out.merge("trends", _merge(old, fresh, groups, ["trend_group"]).orderBy(*LC.TREND_KEYS))
        else:
            out.keep("trends", prev["trends"])
    else:
        out.whole("trends", LC.trends_from(p.trend_cases))


_LINK_ORDER = (
    "case_a_source_country",
    "case_a_record_id",
    "case_b_source_country",
    "case_b_record_id",
)


def _fresh_links(ev: DataFrame, cases: DataFrame) -> tuple[DataFrame, list[str]]:
    """The case links of `cases` (column case_rk), collected (they are few: a value links at
    most `MAX_CASES_PER_VALUE` cases) so that the write and the network rebuild read them without
    a job of their own; and the case nodes at their ends."""
    fresh = LC.links_from(ev, only=cases)
    rows = fresh.collect()
    ends = sorted(
        {
            f"C:{r[f'case_{end}_source_country']}|{r[f'case_{end}_record_id']}"
            for r in rows
            for end in ("a", "b")
        }
    )
    return on_driver(ev.sparkSession, rows, fresh.schema), ends


def _changed_cases(ev: DataFrame, delta: _Delta) -> frozenset[str]:
    """case_rk of every case holding, before or now, a value whose holding cases changed."""
    if not delta.changed.of("evidence"):
        return frozenset()
    values = delta.changed.frame("evidence")
    holders = (
        delta.previous.facts.where(F.col("family") == "evidence")
        .select("key", "detail")
        .unionByName(ev.select(evidence_value().alias("key"), F.col("case_rk").alias("detail")))
    )
    rows = holders.join(values, "key").select("detail").distinct().collect()
    return frozenset(r[0] for r in rows)


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
