"""Fellegi–Sunter scoring: comparison vectors, u from random pairs, m by EM, weights, TF.

- A *comparison vector* (gammas) is computed once per candidate pair and stored; the weights are a
  cheap function of the vector, the model and the term-frequency tables, so an incremental run
  re-weights old pairs without re-comparing them.
- *u* (P(level | non-match)) is measured on a deterministic sample of record pairs (records ordered
  by a hash of their key, each paired with its next k neighbours): almost all random pairs are
  non-matches, and the same data always gives the same sample, full run or incremental.
- *m* (P(level | match)) and λ (share of matches among candidate pairs) come from EM over the
  pattern counts of all candidate pairs, with u held fixed (as Splink does). Weak priors (pseudo
  counts) keep tiny data sets sensible; on real volumes the data dominates.
- *Term frequency*: at the name levels that say "the same name", the weight uses the frequency of
  the shared value instead of the level's average u: log2(m / tf(value)), so "mohammed ali" counts
  less than a rare name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.comparisons import NEUTRAL, Comparison, record_columns

TF_CLAMP = 5.0  # bits: a single rare or common value may not swing the weight more than this
PRIOR_PAIRS = 20.0  # pseudo-matches behind the m priors
U_SAMPLE_PAIRS = 20_000
U_PSEUDO = 0.1  # pseudo-count per level when estimating u


@dataclass
class Model:
    """Learned parameters: λ and, per comparison, m and u per gamma (index = gamma)."""

    lam: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    labels: dict[str, list[str]]
    iterations: int = 0
    candidate_pairs: int = 0
    u_sample_pairs: int = 0
    history: list[float] = field(default_factory=list)

    def weight(self, comp: str, gamma: int) -> float:
        return math.log2(self.m[comp][gamma] / self.u[comp][gamma])

    def as_dict(self) -> dict[str, Any]:
        return {
            "lambda": self.lam,
            "prior_weight": math.log2(self.lam / (1 - self.lam)),
            "iterations": self.iterations,
            "candidate_pairs": self.candidate_pairs,
            "u_sample_pairs": self.u_sample_pairs,
            "comparisons": {
                c: [
                    {
                        "gamma": g,
                        "label": self.labels[c][g],
                        "m": self.m[c][g],
                        "u": self.u[c][g],
                        "weight": self.weight(c, g),
                    }
                    for g in range(len(self.labels[c]))
                ]
                for c in self.m
            },
        }


# -- comparison vectors ---------------------------------------------------------------------------
def pair_frame(pairs: DataFrame, records: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """Join both records' comparison columns onto (l_rk, r_rk, ...) as l_<col> / r_<col>."""
    cols = record_columns(comparisons)
    left = records.select(F.col("rk").alias("l_rk"), *[F.col(c).alias(f"l_{c}") for c in cols])
    right = records.select(F.col("rk").alias("r_rk"), *[F.col(c).alias(f"r_{c}") for c in cols])
    return pairs.join(left, "l_rk").join(right, "r_rk")


def _tf_values(comp: Comparison) -> Column:
    """The shared values behind the level that fired, for its term-frequency adjustment."""
    g = F.col(f"g_{comp.name}")
    expr = None
    for gamma, col in comp.tf_level().items():
        shared = F.array_intersect(F.col(f"l_{col}"), F.col(f"r_{col}"))
        expr = F.when(g == gamma, shared) if expr is None else expr.when(g == gamma, shared)
    if expr is None:
        return F.array().cast("array<string>")
    return expr.otherwise(F.array().cast("array<string>"))


def vector_columns(comparisons: list[Comparison]) -> list[str]:
    """Columns of a stored comparison-vector table for this set of comparisons."""
    return [
        "l_rk",
        "r_rk",
        "rules",
        *[f"g_{c.name}" for c in comparisons],
        *[f"tf_{c.name}" for c in comparisons if c.tf_level()],
    ]


def comparison_vectors(
    pairs: DataFrame, records: DataFrame, comparisons: list[Comparison]
) -> DataFrame:
    """(l_rk, r_rk, [rules], g_<comparison>..., tf_<comparison>...) for each pair."""
    df = pair_frame(pairs, records, comparisons)
    for c in comparisons:
        df = c.prepare(df)
    df = df.select("*", *[c.gamma() for c in comparisons])
    extra = [x for x in ("rules",) if x in pairs.columns]
    return df.select(
        "l_rk",
        "r_rk",
        *extra,
        *[f"g_{c.name}" for c in comparisons],
        *[_tf_values(c).alias(f"tf_{c.name}") for c in comparisons if c.tf_level()],
    )


# -- u from a deterministic sample of record pairs ------------------------------------------------
def sample_pairs(records: DataFrame, target: int = U_SAMPLE_PAIRS) -> DataFrame:
    """Pairs (i, i+k), k = 1..K, over records ordered by a hash of their key: deterministic."""
    n = records.count()
    if n < 2:
        return records.sparkSession.createDataFrame([], "l_rk string, r_rk string")
    k_max = max(1, min(n - 1, math.ceil(target / n)))
    ordered = records.select(
        "rk",
        F.row_number().over(Window.orderBy(F.xxhash64("rk"), F.col("rk"))).alias("i"),
    )
    offsets = records.sparkSession.range(1, k_max + 1).withColumnRenamed("id", "k")
    a = ordered.crossJoin(offsets).select(
        F.col("rk").alias("a"), (F.col("i") + F.col("k")).alias("j")
    )
    b = ordered.select(F.col("rk").alias("b"), F.col("i").alias("j"))
    return a.join(b, "j").select(
        F.least("a", "b").alias("l_rk"), F.greatest("a", "b").alias("r_rk")
    )


def estimate_u(
    records: DataFrame, comparisons: list[Comparison]
) -> tuple[dict[str, list[float]], int]:
    """u per comparison level from the sampled pairs, Laplace-smoothed."""
    vectors = comparison_vectors(sample_pairs(records), records, comparisons)
    counts = vectors.groupBy(*[f"g_{c.name}" for c in comparisons]).count().collect()
    total = sum(r["count"] for r in counts)
    u: dict[str, list[float]] = {}
    for c in comparisons:
        n_levels = len(c.labels())
        per = [0.0] * n_levels
        for r in counts:
            g = r[f"g_{c.name}"]
            if g >= 0:
                per[g] += r["count"]
        s = sum(per)
        # A light additive prior: a level never seen among random pairs is rare, not impossible.
        u[c.name] = [(x + U_PSEUDO) / (s + U_PSEUDO * n_levels) for x in per]
    return u, total


# -- m and λ by EM -------------------------------------------------------------------------------
def _m_prior(n_levels: int) -> list[float]:
    """Prior m: most true matches agree at the best level, few at 'else'."""
    raw = [2.0**i for i in range(n_levels)]
    raw[-1] *= 4
    s = sum(raw)
    return [x / s for x in raw]


# Training sessions (as in Splink): pairs found by a blocking rule agree on that rule's fields
# whether they match or not, so those fields' m cannot be learnt from them. Each session trains
# on the pairs of one rule family and leaves out the comparisons that family conditions on.
SESSIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("names", ("nty", "sky", "nk"), ("name", "birth_date")),
    ("identifiers", ("doc", "for", "tel", "eml"), ("identifiers",)),
)


def _em(
    patterns: list[tuple[tuple[int, ...], int]],
    names: list[str],
    active: list[str],
    m: dict[str, list[float]],
    u: dict[str, list[float]],
    priors: dict[str, list[float]],
    *,
    learn_m: bool,
    max_iterations: int,
    tolerance: float,
) -> tuple[dict[str, list[float]], float, int]:
    """EM over pattern counts; only `active` comparisons enter the likelihood."""
    idx = [names.index(n) for n in active]
    lam = 0.1
    total = float(sum(cnt for _, cnt in patterns)) or 1.0
    m = {n: list(v) for n, v in m.items()}
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        acc = {n: [0.0] * len(m[n]) for n in active}
        matched = 0.0
        for gammas, cnt in patterns:
            pm, pu = lam, 1.0 - lam
            for n, k in zip(active, idx, strict=True):
                g = gammas[k]
                if g >= 0:
                    pm *= m[n][g]
                    pu *= u[n][g]
            post = pm / (pm + pu) if pm + pu > 0 else 0.0
            matched += cnt * post
            if learn_m:
                for n, k in zip(active, idx, strict=True):
                    if gammas[k] >= 0:
                        acc[n][gammas[k]] += cnt * post
        new_m = dict(m)
        if learn_m:
            for n in active:
                s = sum(acc[n])
                new_m[n] = [
                    (acc[n][g] + PRIOR_PAIRS * priors[n][g]) / (s + PRIOR_PAIRS)
                    for g in range(len(m[n]))
                ]
        new_lam = min(max((matched + 1.0) / (total + 2.0), 1e-6), 1 - 1e-6)
        delta = max(
            abs(new_lam - lam),
            *(abs(a - b) for n in active for a, b in zip(new_m[n], m[n], strict=True)),
        )
        m, lam = new_m, new_lam
        if delta < tolerance:
            break
    return m, lam, it


def estimate_m(
    vectors: DataFrame,
    comparisons: list[Comparison],
    u: dict[str, list[float]],
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
) -> Model:
    """m per level by EM in training sessions, then λ over all candidate pairs (m, u fixed).

    Only pattern counts leave Spark: (gammas, rule families) → count, a few hundred rows.
    """
    names = [c.name for c in comparisons]
    flags = [
        F.arrays_overlap(F.col("rules"), F.array(*[F.lit(r) for r in rules])).alias(f"s_{s}")
        for s, rules, _ in SESSIONS
    ]
    rows = (
        vectors.select(*[f"g_{n}" for n in names], *flags)
        .groupBy(*[f"g_{n}" for n in names], *[f"s_{s}" for s, _, _ in SESSIONS])
        .count()
        .collect()
    )
    labels = {c.name: c.labels() for c in comparisons}
    priors = {n: _m_prior(len(labels[n])) for n in names}
    m = {n: list(priors[n]) for n in names}
    learnt: dict[str, list[list[float]]] = {n: [] for n in names}
    iterations = 0
    for session, _, excluded in SESSIONS:
        pats: dict[tuple[int, ...], int] = {}
        for r in rows:
            if r[f"s_{session}"]:
                key = tuple(r[f"g_{n}"] for n in names)
                pats[key] = pats.get(key, 0) + r["count"]
        if not pats:
            continue
        active = [n for n in names if n not in excluded]
        got, _, it = _em(
            sorted(pats.items()),
            names,
            active,
            m,
            u,
            priors,
            learn_m=True,
            max_iterations=max_iterations,
            tolerance=tolerance,
        )
        iterations += it
        for n in active:
            learnt[n].append(got[n])
    for n in names:
        if learnt[n]:  # average of the sessions that could learn it
            m[n] = [sum(v[g] for v in learnt[n]) / len(learnt[n]) for g in range(len(m[n]))]
    allpats: dict[tuple[int, ...], int] = {}
    for r in rows:
        key = tuple(r[f"g_{n}"] for n in names)
        allpats[key] = allpats.get(key, 0) + r["count"]
    patterns = sorted(allpats.items())
    _, lam, it = _em(
        patterns,
        names,
        names,
        m,
        u,
        priors,
        learn_m=False,
        max_iterations=max_iterations,
        tolerance=tolerance,
    )
    total = sum(cnt for _, cnt in patterns)
    return Model(
        lam=lam,
        m=m,
        u=u,
        labels=labels,
        iterations=iterations + it,
        candidate_pairs=int(total),
    )


# -- weights --------------------------------------------------------------------------------------
def term_frequencies(records: DataFrame, column: str, n: int | None = None) -> DataFrame:
    """(value, tf): the share of records holding each value of an array column (n records)."""
    n = n or records.count() or 1
    return (
        records.select("rk", F.explode(F.array_distinct(column)).alias("value"))
        .groupBy("value")
        .agg((F.countDistinct("rk") / F.lit(n)).alias("tf"))
    )


def score(
    vectors: DataFrame,
    records: DataFrame,
    comparisons: list[Comparison],
    model: Model,
) -> DataFrame:
    """Add per-comparison contributions (bits), match_weight and match_probability.

    `contributions` is a map comparison -> bits and `levels` a map comparison -> level label, so
    each accepted pair carries its own explanation.
    """
    df = vectors
    n_records = records.count() or 1
    for c in comparisons:
        g = F.col(f"g_{c.name}")
        w = F.lit(0.0)
        for gamma in range(len(c.labels())):
            w = F.when(g == gamma, F.lit(model.weight(c.name, gamma))).otherwise(w)
        df = df.withColumn(f"w_{c.name}", F.when(g < 0, F.lit(0.0)).otherwise(w))
        tf_cols = c.tf_level()
        if tf_cols:
            # Minimum tf over the shared values: the rarest shared spelling is the evidence.
            tables = []
            for gamma, col in tf_cols.items():
                tables.append(
                    term_frequencies(records, col, n_records).withColumn("gamma", F.lit(gamma))
                )
            tf = tables[0]
            for t in tables[1:]:
                tf = tf.unionByName(t)
            ex = df.select(
                "l_rk", "r_rk", g.alias("gamma"), F.explode(f"tf_{c.name}").alias("value")
            )
            best = (
                ex.join(tf, ["gamma", "value"])
                .groupBy("l_rk", "r_rk")
                .agg(F.min("tf").alias(f"_tf_{c.name}"))
            )
            df = df.join(best, ["l_rk", "r_rk"], "left")
            # log2(m/u) + log2(u/tf) = log2(m/tf): the level's average u replaced by the value's.
            adj = F.log2(_u_of(model, c.name, g) / F.col(f"_tf_{c.name}"))
            adj = F.greatest(F.lit(-TF_CLAMP), F.least(F.lit(TF_CLAMP), adj))
            df = df.withColumn(
                f"w_{c.name}",
                F.when(F.col(f"_tf_{c.name}").isNotNull(), F.col(f"w_{c.name}") + adj).otherwise(
                    F.col(f"w_{c.name}")
                ),
            ).drop(f"_tf_{c.name}")
    prior = math.log2(model.lam / (1 - model.lam))
    total = F.lit(prior)
    for c in comparisons:
        total = total + F.col(f"w_{c.name}")
    contributions = F.create_map(
        F.lit("prior"),
        F.lit(prior),
        *[x for c in comparisons for x in (F.lit(c.name), F.col(f"w_{c.name}"))],
    )
    levels = F.create_map(
        *[x for c in comparisons for x in (F.lit(c.name), _label_expr(c, F.col(f"g_{c.name}")))]
    )
    return (
        df.withColumn("match_weight", total)
        .withColumn("match_probability", F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -total)))
        .withColumn("contributions", contributions)
        .withColumn("levels", levels)
        .drop(*[f"w_{c.name}" for c in comparisons])
    )


def _u_of(model: Model, comp: str, g: Column) -> Column:
    expr = F.lit(1.0)
    for gamma, u in enumerate(model.u[comp]):
        expr = F.when(g == gamma, F.lit(u)).otherwise(expr)
    return expr


def _label_expr(c: Comparison, g: Column) -> Column:
    expr = F.lit("missing")
    if (neutral := c.neutral_label()) is not None:
        expr = F.when(g == NEUTRAL, F.lit(neutral)).otherwise(expr)
    for gamma, label in enumerate(c.labels()):
        expr = F.when(g == gamma, F.lit(label)).otherwise(expr)
    return expr


def probability_to_weight(p: float) -> float:
    return math.log2(p / (1 - p))
