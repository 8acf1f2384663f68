"""Gold networks: connected groups of cases and person entities.

Pure functions. The graph (`network_graph`) has a node per case (`C:country|record_id`) and per
person entity (`E:entity_id`, or `E:` and the record key of a person without one); edges join a
case to the persons it names or that name it, and linked cases to each other. A network is a
connected component, named after its smallest node (`clustering.connected_components`), so the
components an incremental run rebuilds get the names a full run would give them
(`transforms.links_delta`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.clustering import connected_components
from transforms.links_common import case_rk


@dataclass(frozen=True)
class NetworkGraph:
    nodes: DataFrame
    """rk of every node."""
    edges: DataFrame
    """l_rk, r_rk (undirected)."""
    case_info: DataFrame
    """rk (a case node), source_country, offence_type, first, last."""
    ent_countries: DataFrame
    """rk (an entity node), c: the country of one of its person records named in a case."""


def _ent_node() -> F.Column:
    return F.concat(F.lit("E:"), F.coalesce(F.col("entity_id"), F.col("person_rk")))


def membership(cp: DataFrame) -> DataFrame:
    """(l_rk, r_rk): a case node and an entity node it names or that names it."""
    case_node = F.concat(F.lit("C:"), F.col("case_rk"))
    return cp.select(case_node.alias("l_rk"), _ent_node().alias("r_rk"))


def case_info(cases: DataFrame) -> DataFrame:
    """`NetworkGraph.case_info` of silver cases."""
    return cases.select(
        F.concat(F.lit("C:"), case_rk()).alias("rk"),
        "source_country",
        "offence_type",
        F.coalesce("start_date", F.to_date("reported_at")).alias("first"),
        F.coalesce("end_date", "start_date", F.to_date("reported_at")).alias("last"),
    )


def entity_countries(cp: DataFrame) -> DataFrame:
    """`NetworkGraph.ent_countries` of the case persons, with repeats (callers that need a set
    take it distinct)."""
    return cp.select(_ent_node().alias("rk"), F.split("person_rk", r"\|", 2)[0].alias("c"))


def network_graph(cases: DataFrame, cp: DataFrame, links: DataFrame) -> NetworkGraph:
    """The graph of cases and entities (cp: `links_cases.case_persons`, links: case links)."""
    members = membership(cp)
    case_case = links.select(
        F.concat(F.lit("C:"), F.concat_ws("|", "case_a_source_country", "case_a_record_id")).alias(
            "l_rk"
        ),
        F.concat(F.lit("C:"), F.concat_ws("|", "case_b_source_country", "case_b_record_id")).alias(
            "r_rk"
        ),
    )
    nodes = (
        cases.select(F.concat(F.lit("C:"), case_rk()).alias("rk"))
        .unionByName(members.select(F.col("r_rk").alias("rk")))
        .distinct()
    )
    return NetworkGraph(
        nodes, members.unionByName(case_case), case_info(cases), entity_countries(cp).distinct()
    )


def networks_of(comp: DataFrame, graph: NetworkGraph) -> tuple[DataFrame, DataFrame]:
    """(networks, network_members) of components (rk, component)."""
    comp = comp.withColumn(
        "network_id",
        F.concat(F.lit("N-"), F.upper(F.substring(F.sha2("component", 256), 1, 12))),
    )
    members = comp.select(
        "network_id",
        F.when(F.col("rk").startswith("C:"), "case").otherwise("entity").alias("member_type"),
        F.substring("rk", 3, 10_000).alias("member_id"),
    )
    per_case = (
        comp.join(graph.case_info, "rk")
        .groupBy("network_id")
        .agg(
            F.count("*").alias("cases"),
            F.array_sort(F.collect_set("offence_type")).alias("offence_types"),
            F.array_sort(F.collect_set("source_country")).alias("case_countries"),
            F.min("first").alias("first_seen"),
            F.max("last").alias("last_seen"),
        )
    )
    per_ent = (
        comp.join(graph.ent_countries, "rk")
        .groupBy("network_id")
        .agg(
            F.countDistinct("rk").alias("entities"),
            F.array_sort(F.collect_set("c")).alias("person_countries"),
        )
    )
    nets = (
        per_case.join(per_ent, "network_id", "left")
        .withColumn("entities", F.coalesce("entities", F.lit(0)))
        .withColumn(
            "countries",
            F.array_sort(
                F.array_union(
                    "case_countries",
                    F.coalesce("person_countries", F.array().cast("array<string>")),
                )
            ),
        )
        .withColumn("size", F.col("cases") + F.col("entities"))
        .select(
            "network_id",
            "size",
            "cases",
            "entities",
            "countries",
            "offence_types",
            "first_seen",
            "last_seen",
        )
        .orderBy(F.col("size").desc(), "network_id")
    )
    return nets, members.orderBy("network_id", "member_type", "member_id")


def member_node() -> F.Column:
    """A network_members row's graph node (`C:…` or `E:…`)."""
    prefix = F.when(F.col("member_type") == "case", F.lit("C:")).otherwise(F.lit("E:"))
    return F.concat(prefix, F.col("member_id"))


def networks(graph: NetworkGraph) -> tuple[DataFrame, DataFrame]:
    """gold/networks and gold/network_members of the whole graph."""
    return networks_of(connected_components(graph.nodes, graph.edges), graph)
