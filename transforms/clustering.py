"""Connected components in Spark DataFrames, with a guard against giant components.

Min-label propagation: every node starts with its own key as label and repeatedly takes the
smallest label among itself and its neighbours until nothing changes (as many rounds as the
longest shortest path: a handful, since the guard bounds component sizes). The lineage is cut
every round (a reliable checkpoint every few rounds when a checkpoint directory is set) so that
the plan does not grow with the number of rounds.

Transitive closure is dangerous in entity resolution: one wrong edge between two big clusters, or
a chain of slightly-similar records, joins unrelated people. The guard re-clusters any component
larger than `max_size` using only its stronger edges (tiered weight thresholds); what is still too
big after the last tier is not chained at all: its records stay on their own and are flagged, for
an analyst to review.

Transitivity also joins records that the model itself compared and found to be different people
(A~B and B~C accepted, A/C clearly apart: a namesake bridged by a partial record). `refine`
re-clusters each component that holds such a *cannot-link* pair (match weight below
`cannot_link_weight`): its accepted edges are added strongest first, and an edge that would put a
cannot-link pair in one cluster is skipped (greedy constrained single linkage, per component, in
pandas inside Spark: components are small once the guard has run).
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.driver_frames import on_driver

CHECKPOINT_EVERY = 3
LOCAL_EDGES = 2_000_000
"""Up to this many edges, components are computed on the driver (union-find over the collected
edges: one Spark job) instead of by label propagation (two or three jobs per round, a few
rounds, each with its scheduling overhead): accepted edges number about the records, so this
covers millions of records."""
LOCAL_PAIRS = 500_000
"""Up to this many pairs at or above the threshold, and as many scored pairs inside their
components (the only ones a cannot-link split reads), the whole clustering (components, guard,
cannot-link) runs on the driver (`cluster_local`: two bounded collects) instead of a dozen and
more Spark jobs over every scored pair: a whole world of 100k persons (5.8M scored pairs) and
an incremental run's re-clustered components."""


def _cut(df: DataFrame) -> DataFrame:
    """Checkpoint when a checkpoint dir is set (reliable), else a local checkpoint."""
    sc = df.sparkSession.sparkContext
    return df.checkpoint(eager=True) if sc.getCheckpointDir() else df.localCheckpoint(eager=True)


def union_find(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """rk -> smallest rk of its component, for every rk that appears in `pairs`."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller key becomes the root, so a root is its component's smallest rk.
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
    return {x: find(x) for x in parent}


def connected_components(
    nodes: DataFrame, edges: DataFrame, max_rounds: int = 100, *, local_edges: int = LOCAL_EDGES
) -> DataFrame:
    """(rk, component) for every node; `component` is the smallest rk of its component.

    Up to `local_edges` edges, union-find on the driver; above, label propagation in Spark.
    nodes: column `rk`; edges: columns `l_rk`, `r_rk` (undirected). One round is one join and
    one aggregation: each linked node's new label is the smallest of its own and its neighbours'
    labels, and the same aggregation says whether it changed. Nodes without edges are their own
    component and never enter the loop.
    """
    pairs = edges.select("l_rk", "r_rk").limit(local_edges + 1).collect()
    if len(pairs) <= local_edges:
        spark = edges.sparkSession
        found = union_find([(r[0], r[1]) for r in pairs if r[0] != r[1]])
        labels = on_driver(
            spark,
            pd.DataFrame({"rk": list(found), "component": list(found.values())}),
            "rk string, component string",
        )
        alone = nodes.select("rk").distinct().join(labels.select("rk"), "rk", "left_anti")
        return labels.unionByName(alone.withColumn("component", F.col("rk")))
    both = (
        edges.select(F.col("l_rk").alias("src"), F.col("r_rk").alias("dst"))
        .unionByName(edges.select(F.col("r_rk").alias("src"), F.col("l_rk").alias("dst")))
        .where(F.col("src") != F.col("dst"))
        .distinct()
    )
    both = _cut(both)
    linked = both.select(F.col("src").alias("rk")).distinct()
    labels = _cut(linked.withColumn("component", F.col("rk")))
    for i in range(1, max_rounds + 1):
        offered = both.join(labels.withColumnRenamed("rk", "src"), "src").select(
            F.col("dst").alias("rk"), "component", F.lit(None).cast("string").alias("own")
        )
        own = labels.select("rk", "component", F.col("component").alias("own"))
        updated = (
            offered.unionByName(own)
            .groupBy("rk")
            .agg(F.min("component").alias("component"), F.min("own").alias("own"))
            .withColumn("changed", F.col("component") < F.col("own"))
            .drop("own")
        )
        updated = _cut(updated) if i % CHECKPOINT_EVERY == 0 else updated.localCheckpoint()
        changed = updated.where("changed").limit(1).count()
        labels = updated.drop("changed")
        if changed == 0:
            alone = nodes.select("rk").distinct().join(labels.select("rk"), "rk", "left_anti")
            return labels.unionByName(alone.withColumn("component", F.col("rk")))
    raise RuntimeError(
        f"connected components did not converge in {max_rounds} rounds: raise max_rounds "
        "(very long chains usually mean a too-low match threshold)"
    )


def guarded_components(
    nodes: DataFrame,
    edges: DataFrame,
    *,
    max_size: int,
    tiers: tuple[float, ...],
    components: DataFrame | None = None,
) -> DataFrame:
    """(rk, component, guard): components, with those above `max_size` split or isolated.

    edges need `match_weight`. `tiers` are increasing weight thresholds tried in turn on an
    oversized component. `guard` is null for normal components, `split@<w>` when the component was
    re-clustered at weight w, `isolated` when even the strictest tier left it oversized.
    `components`: the connected components of `nodes` over `edges`, when the caller has them.
    """
    if components is None:
        components = connected_components(nodes, edges)
    comps = components.withColumn("guard", F.lit(None).cast("string"))
    for tier in (*tiers, None):
        sizes = comps.groupBy("component").agg(F.count("*").alias("size"))
        big = sizes.where(F.col("size") > max_size).select("component")
        if big.limit(1).count() == 0:
            return comps
        members = comps.join(big, "component").select("rk")
        ok = comps.join(big, "component", "left_anti")
        if tier is None:
            isolated = members.select(
                "rk", F.col("rk").alias("component"), F.lit("isolated").alias("guard")
            )
            return ok.unionByName(isolated)
        strong = (
            edges.where(F.col("match_weight") >= tier)
            .join(members.withColumnRenamed("rk", "l_rk"), "l_rk")
            .join(members.withColumnRenamed("rk", "r_rk"), "r_rk")
        )
        again = connected_components(members, strong).withColumn("guard", F.lit(f"split@{tier:g}"))
        comps = _cut(ok.unionByName(again))
    return comps


CLUSTER_SCHEMA = "rk string, component string, guard string"


def constrained_merge(pairs: pd.DataFrame, accept: float, cannot_link: float) -> pd.DataFrame:
    """Greedy constrained single linkage over one component's scored pairs (pure pandas).

    pairs: l_rk, r_rk, match_weight. Accepted edges (weight ≥ accept) are applied strongest
    first; an edge is skipped when it would join two groups holding a pair weighing below
    `cannot_link`. Returns rk, component (smallest rk of its group), split (bool: the component
    fell apart into several groups).
    """
    nodes = sorted(set(pairs["l_rk"]) | set(pairs["r_rk"]))
    parent = {n: n for n in nodes}
    members = {n: {n} for n in nodes}
    apart: dict[str, set[str]] = {}
    for a, b, w in pairs[["l_rk", "r_rk", "match_weight"]].itertuples(index=False):
        if w < cannot_link:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges = pairs[pairs["match_weight"] >= accept].sort_values(
        ["match_weight", "l_rk", "r_rk"], ascending=[False, True, True]
    )
    for a, b in edges[["l_rk", "r_rk"]].itertuples(index=False):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, big = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        if any(apart.get(x, set()) & members[big] for x in members[small]):
            continue
        parent[small] = big
        members[big] |= members.pop(small)
    label = {root: min(group) for root, group in members.items()}
    roots = {find(n) for n in nodes}
    return pd.DataFrame(
        {
            "rk": nodes,
            "component": [label[find(n)] for n in nodes],
            "split": [len(roots) > 1] * len(nodes),
        }
    )


def refine(
    clusters: DataFrame, scored: DataFrame, *, accept: float, cannot_link: float
) -> DataFrame:
    """Split components holding a cannot-link pair (see the module docstring).

    clusters: rk, component, guard; scored: l_rk, r_rk, match_weight for every compared pair.
    Components with no cannot-link pair inside are returned unchanged.
    """
    # Only records in a component of two or more can sit in one with a cannot-link pair: few
    # next to all records, so both joins broadcast them instead of shuffling every pair.
    comp = clusters.select("rk", "component")
    sizes = comp.groupBy("component").count().where("count > 1").select("component")
    comp = F.broadcast(comp.join(sizes, "component").localCheckpoint())
    within = (
        scored.select("l_rk", "r_rk", "match_weight")
        .join(comp.withColumnRenamed("rk", "l_rk"), "l_rk")
        .join(comp.withColumnRenamed("rk", "r_rk").withColumnRenamed("component", "_c"), "r_rk")
        .where(F.col("component") == F.col("_c"))
        .drop("_c")
    ).localCheckpoint()
    conflicted = (
        within.where(F.col("match_weight") < F.lit(cannot_link)).select("component").distinct()
    ).localCheckpoint()
    if conflicted.limit(1).count() == 0:
        return clusters.select("rk", "component", "guard")
    work = within.join(conflicted, "component")

    def per_component(df: pd.DataFrame) -> pd.DataFrame:
        out = constrained_merge(df, accept, cannot_link)
        return pd.DataFrame(
            {
                "rk": out["rk"],
                "component": out["component"],
                "guard": ["cannot_link" if s else None for s in out["split"]],
            }
        )

    redone = work.groupBy("component").applyInPandas(per_component, CLUSTER_SCHEMA)
    redone = _cut(redone)
    kept = clusters.join(redone.select("rk"), "rk", "left_anti")
    # A record the guard already flagged keeps that flag.
    redone = redone.join(clusters.select("rk", F.col("guard").alias("_old")), "rk", "left").select(
        "rk", "component", F.coalesce("_old", "guard").alias("guard")
    )
    return kept.select("rk", "component", "guard").unionByName(redone)


def cluster_local(
    over: list[tuple[str, str, float]],
    scored: list[tuple[str, str, float]],
    *,
    max_size: int,
    tiers: tuple[float, ...],
    accept: float,
    cannot_link: float,
) -> pd.DataFrame:
    """`guarded_components` then `refine` on the driver, for graphs `LOCAL_PAIRS` bounds.

    over: (l_rk, r_rk, match_weight) at or above the threshold; scored: (l_rk, r_rk,
    match_weight) of every compared pair, as `refine` reads them. Returns rk, component, guard,
    cc for every record of an edge in `over` (a record without one is its own cluster, guard
    null). The same steps as the Spark functions, component by component, so the same labels.
    """
    cc = union_find([(a, b) for a, b, _ in over if a != b])
    comp = dict(cc)
    guard: dict[str, str | None] = dict.fromkeys(cc)
    for tier in (*tiers, None):
        groups = _groups(comp)
        members = {rk for g in groups.values() if len(g) > max_size for rk in g}
        if not members:
            break
        if tier is None:
            for rk in members:
                comp[rk], guard[rk] = rk, "isolated"
            break
        strong = [
            (a, b) for a, b, w in over if a != b and w >= tier and a in members and b in members
        ]
        found = union_find(strong)
        for rk in members:
            comp[rk], guard[rk] = found.get(rk, rk), f"split@{tier:g}"
    groups = _groups(comp)
    multi = {rk: c for rk, c in comp.items() if len(groups[c]) > 1}
    within: dict[str, list[tuple[str, str, float]]] = {}
    for a, b, w in scored:
        c = multi.get(a)
        if c is not None and multi.get(b) == c:
            within.setdefault(c, []).append((a, b, w))
    for rows in within.values():
        if not any(w < cannot_link for _, _, w in rows):
            continue
        frame = pd.DataFrame(rows, columns=["l_rk", "r_rk", "match_weight"])
        merged = constrained_merge(frame, accept, cannot_link)
        for rk, label, split in merged.itertuples(index=False):
            comp[rk] = label
            # A record the guard already flagged keeps that flag.
            guard[rk] = guard[rk] or ("cannot_link" if split else None)
    rks = sorted(comp)
    return pd.DataFrame(
        {
            "rk": rks,
            "component": [comp[r] for r in rks],
            "guard": [guard[r] for r in rks],
            "cc": [cc[r] for r in rks],
        }
    )


def _groups(comp: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rk, c in comp.items():
        out.setdefault(c, []).append(rk)
    return out
