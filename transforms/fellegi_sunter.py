"""Fellegi–Sunter scoring: comparison vectors, u from random pairs, m by EM, the prior, TF.

- A *comparison vector* (gammas) is computed once per pair and stored; the weights are a cheap
  function of the vector, the model and the term-frequency tables, so an incremental run
  re-weights old pairs without re-comparing them.
- *u* (P(level | two different persons)) is measured on a deterministic sample of record pairs
  (records ordered by a hash of their key, each paired with its next k neighbours): almost all
  random pairs are different persons, and the same data always gives the same sample.
- *m* (P(level | same person)) comes from EM over the pattern counts of *training pairs*, u held
  fixed, in two sessions as Splink does: pairs sharing a whole name teach every field but the
  name and what goes with a name (sex, nationality, country of birth: a name tells its culture
  and gender, so namesakes agree on those too); pairs sharing a full birth date teach every field
  but the birth date. A field learnt in both sessions takes the mean.
- The *prior* λ is the probability that two records drawn at random are the same person: u and m
  describe all pairs, so λ must too. It is the fixed point of one EM step over the whole pair
  space in which pairs never proposed by blocking count as non-matches: λ = (expected matches
  among the candidates) / (all pairs). Estimating λ among candidates instead (with u from random
  pairs) is inconsistent and overstated it by ten bits, which chained namesakes together.
- *Term frequency*: at the levels that say "the same value" (exact, variant and skeleton names,
  the exact birth date) the weight uses the frequency of the rarest shared value instead of the
  level's average u: log2(m / tf(value)), so "mohammed ali" or 1990-07-14 held by many counts
  less than a rare name or date. tf = holders / (records + 1/u): Splink's holders/records on
  large data, shrunk towards u on small data, where a value held only by the pair itself would
  otherwise look common.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.comparisons import NEUTRAL, Comparison, record_columns
from transforms.config import U_SAMPLE_PAIRS

TF_CLAMP = 5.0  # bits: a single rare or common value may not swing the weight more than this
PRIOR_PAIRS = 20.0  # pseudo-matches behind the m priors (negligible beside real volumes)
TF_BROADCAST_ROWS = 3_000_000  # term-frequency rows small enough to ship to every task
U_PSEUDO = 0.01  # pseudo-count of each agreeing level when estimating u ('else' gets 1)


@dataclass
class Model:
    """Learned parameters: λ and, per comparison, m and u per gamma (index = gamma)."""

    lam: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    labels: dict[str, list[str]]
    iterations: int = 0
    candidate_pairs: int = 0
    total_pairs: int = 0
    u_sample_pairs: int = 0
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def weight(self, comp: str, gamma: int) -> float:
        return math.log2(self.m[comp][gamma] / self.u[comp][gamma])

    @property
    def prior_weight(self) -> float:
        return math.log2(self.lam / (1 - self.lam))

    def as_dict(self) -> dict[str, Any]:
        return {
            "lambda": self.lam,
            "prior_weight": self.prior_weight,
            "expected_matches": self.lam * self.total_pairs,
            "iterations": self.iterations,
            "candidate_pairs": self.candidate_pairs,
            "total_pairs": self.total_pairs,
            "u_sample_pairs": self.u_sample_pairs,
            "sessions": self.sessions,
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


def _tf_values(comp: Comparison, types: dict[str, str]) -> Column:
    """The shared values behind the level that fired, for its term-frequency adjustment."""
    g = F.col(f"g_{comp.name}")
    expr = None
    for gamma, col in comp.tf_level().items():
        left, right = F.col(f"l_{col}"), F.col(f"r_{col}")
        if types[f"l_{col}"].startswith("array"):
            shared = F.array_intersect(left, right)
        else:
            shared = F.when(left == right, F.array(left.cast("string")))
        expr = F.when(g == gamma, shared) if expr is None else expr.when(g == gamma, shared)
    empty = F.array().cast("array<string>")
    if expr is None:
        return empty
    return F.coalesce(expr.otherwise(empty), empty)


def vector_columns(comparisons: list[Comparison]) -> list[str]:
    """Columns of a stored comparison-vector table for this set of comparisons (the pair's
    rules and sessions are not stored: they come from the current run's pair set)."""
    return [
        "l_rk",
        "r_rk",
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
    types = dict(df.dtypes)
    extra = [x for x in ("rules", "sessions") if x in pairs.columns]
    return df.select(
        "l_rk",
        "r_rk",
        *extra,
        *[f"g_{c.name}" for c in comparisons],
        *[_tf_values(c, types).alias(f"tf_{c.name}") for c in comparisons if c.tf_level()],
    )


# -- u from a deterministic sample of record pairs ------------------------------------------------
def sample_pairs(
    records: DataFrame, target: int = U_SAMPLE_PAIRS, n: int | None = None
) -> DataFrame:
    """Pairs (i, i+k), k = 1..K, over records ordered by a hash of their key: deterministic."""
    n = records.count() if n is None else n
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


Patterns = list[tuple[tuple[int, ...], float]]
"""(gammas in comparison order, count or weight): what leaves Spark for estimation."""


def sample_patterns(
    records: DataFrame,
    comparisons: list[Comparison],
    target: int = U_SAMPLE_PAIRS,
    n: int | None = None,
) -> Patterns:
    """Pattern counts of the deterministic random sample of record pairs (for u)."""
    gcols = [f"g_{c.name}" for c in comparisons]
    vectors = comparison_vectors(sample_pairs(records, target, n), records, comparisons)
    rows = vectors.groupBy(*gcols).count().collect()
    return [(tuple(r[g] for g in gcols), float(r["count"])) for r in rows]


def u_from_patterns(
    patterns: Patterns, comparisons: list[Comparison], weights: list[float] | None = None
) -> dict[str, list[float]]:
    """u per level from sample patterns (optionally weighted by P(non-match)), smoothed."""
    u: dict[str, list[float]] = {}
    for k, c in enumerate(comparisons):
        n_levels = len(c.labels())
        per = [0.0] * n_levels
        for i, (gammas, cnt) in enumerate(patterns):
            g = gammas[k]
            if g >= 0:
                per[g] += cnt * (1.0 if weights is None else weights[i])
        s = sum(per)
        # A light additive prior: a level never seen among random pairs is rare, not impossible,
        # and with no sample at all (a field few records have) random pairs disagree.
        pseudo = [1.0] + [U_PSEUDO] * (n_levels - 1)
        u[c.name] = [(x + p) / (s + sum(pseudo)) for x, p in zip(per, pseudo, strict=True)]
    return u


def estimate_u(
    records: DataFrame,
    comparisons: list[Comparison],
    target: int = U_SAMPLE_PAIRS,
    n: int | None = None,
) -> tuple[dict[str, list[float]], int]:
    """u per comparison level from the sampled pairs, Laplace-smoothed."""
    patterns = sample_patterns(records, comparisons, target, n)
    return u_from_patterns(patterns, comparisons), int(sum(c for _, c in patterns))


# -- m by EM in training sessions -----------------------------------------------------------------
def _m_prior(n_levels: int) -> list[float]:
    """Prior m: most true matches agree at the best level, few at 'else'."""
    raw = [2.0**i for i in range(n_levels)]
    raw[-1] *= 4
    s = sum(raw)
    return [x / s for x in raw]


SESSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("names", ("name", "sex", "nationality", "birth_country")),
    ("birth_date", ("birth_date",)),
)
"""(training session, comparisons it cannot learn): see the module docstring."""


def _em(
    patterns: Patterns,
    names: list[str],
    active: list[str],
    m: dict[str, list[float]],
    u: dict[str, list[float]],
    priors: dict[str, list[float]],
    *,
    max_iterations: int,
    tolerance: float,
) -> tuple[dict[str, list[float]], float, int]:
    """EM over pattern counts with u fixed; only `active` comparisons enter the likelihood."""
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
            for n, k in zip(active, idx, strict=True):
                if gammas[k] >= 0:
                    acc[n][gammas[k]] += cnt * post
        new_m = dict(m)
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


def training_patterns(vectors: DataFrame, comparisons: list[Comparison]) -> dict[str, Patterns]:
    """Pattern counts per training session, and of the candidates (key `candidates`): one
    aggregation, a few thousand rows whatever the number of pairs."""
    gcols = [f"g_{c.name}" for c in comparisons]
    groups = F.array_union(
        F.col("sessions"),
        F.when(F.size("rules") > 0, F.array(F.lit(CANDIDATES))).otherwise(
            F.array().cast("array<string>")
        ),
    )
    rows = (
        vectors.select(*gcols, F.explode(groups).alias("group"))
        .groupBy(*gcols, "group")
        .count()
        .collect()
    )
    out: dict[str, Patterns] = {}
    for r in rows:
        out.setdefault(r["group"], []).append((tuple(r[g] for g in gcols), float(r["count"])))
    return out


CANDIDATES = "candidates"


def _pattern_weights(
    patterns: Patterns, names: list[str], m: dict[str, list[float]], u: dict[str, list[float]]
) -> list[float]:
    """Σ field weights (bits) per pattern, without the prior and term frequencies."""
    out = []
    for gammas, _ in patterns:
        w = 0.0
        for k, n in enumerate(names):
            g = gammas[k]
            if g >= 0:
                w += math.log2(m[n][g] / u[n][g])
        out.append(w)
    return out


def _probability(weight: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (-weight)) if weight > -60 else 0.0


def estimate_m(
    sessions: dict[str, Patterns],
    comparisons: list[Comparison],
    u: dict[str, list[float]],
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
) -> Model:
    """m per level by EM in the training sessions (λ is set by `estimate_lambda`)."""
    names = [c.name for c in comparisons]
    labels = {c.name: c.labels() for c in comparisons}
    priors = {n: _m_prior(len(labels[n])) for n in names}
    m = {n: list(priors[n]) for n in names}
    learnt: dict[str, list[list[float]]] = {n: [] for n in names}
    iterations = 0
    info: dict[str, dict[str, Any]] = {}
    for session, excluded in SESSIONS:
        pats = sessions.get(session, [])
        active = [n for n in names if n not in excluded]
        if not pats:
            info[session] = {"pairs": 0, "learnt": []}
            continue
        got, lam, it = _em(
            sorted(pats),
            names,
            active,
            m,
            u,
            priors,
            max_iterations=max_iterations,
            tolerance=tolerance,
        )
        iterations += it
        for n in active:
            learnt[n].append(got[n])
        info[session] = {
            "pairs": int(sum(c for _, c in pats)),
            "matches_share": lam,
            "iterations": it,
            "learnt": active,
        }
    for n in names:
        if learnt[n]:  # mean of the sessions that could learn it
            m[n] = [sum(v[g] for v in learnt[n]) / len(learnt[n]) for g in range(len(m[n]))]
    return Model(lam=0.5, m=m, u=u, labels=labels, iterations=iterations, sessions=info)


def fit(
    sample: Patterns,
    groups: dict[str, Patterns],
    comparisons: list[Comparison],
    total_pairs: int,
    *,
    rounds: int = 2,
) -> Model:
    """u, m and a provisional λ from pattern counts (the driver's share of the work).

    u first comes from all sampled pairs; then, `rounds` times, from the sampled pairs weighted
    by their probability of being a non-match under the model fitted so far. On real volumes
    that changes nothing (random pairs are almost never matches); on a few hundred records the
    sample holds the true duplicates themselves, and unweighted they made agreement look common
    among different people. λ is refined later with term frequencies (`estimate_lambda`).
    """
    names = [c.name for c in comparisons]
    candidates = groups.get(CANDIDATES, [])
    model = estimate_m(groups, comparisons, u_from_patterns(sample, comparisons))
    for round_ in range(rounds + 1):
        weights = _pattern_weights(candidates, names, model.m, model.u)
        model.lam, _ = estimate_lambda(
            [(w, int(c)) for w, (_, c) in zip(weights, candidates, strict=True)], total_pairs
        )
        if round_ == rounds:
            break
        prior = model.prior_weight
        non_match = [
            1.0 - _probability(w + prior) for w in _pattern_weights(sample, names, model.m, model.u)
        ]
        lam = model.lam
        model = estimate_m(groups, comparisons, u_from_patterns(sample, comparisons, non_match))
        model.lam = lam
    model.u_sample_pairs = int(sum(c for _, c in sample))
    model.total_pairs = total_pairs
    model.candidate_pairs = int(sum(c for _, c in candidates))
    return model


def estimate_lambda(
    weight_counts: list[tuple[float, int]], total_pairs: int, *, max_iterations: int = 500
) -> tuple[float, int]:
    """The prior λ = P(match) for two random records, given the candidates' weights without it.

    EM's update of λ over the whole pair space, with every pair blocking never proposed counted
    as a non-match: λ ← Σ_candidates P(match | weight, λ) / total_pairs, iterated to its fixed
    point. `weight_counts` are (Σ field weights, number of candidate pairs) bins.
    """
    total = max(total_pairs, 1)
    floor = 1.0 / (total + 1.0)
    lam = max(floor, min(0.5, sum(c for _, c in weight_counts) / total * 0.1))
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        prior = math.log2(lam / (1 - lam))
        expected = 0.0
        for w, c in weight_counts:
            x = w + prior
            expected += c * (1.0 / (1.0 + 2.0 ** (-x)) if x > -60 else 0.0)
        new = min(0.5, max(floor, expected / total))
        if abs(new - lam) <= 1e-9 * lam:
            lam = new
            break
        lam = new
    return lam, it


# -- weights --------------------------------------------------------------------------------------
def tf_tables(records: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """(comparison, gamma, value, holders, n): per term-frequency level, how many records hold
    each value of the level's column (values held by two or more), and how many records have
    the field at all."""
    tables: list[DataFrame] = []
    for c in comparisons:
        for gamma, col in c.tf_level().items():
            values = F.col(col)
            if dict(records.dtypes)[col].startswith("array"):
                exploded = records.select("rk", F.explode(F.array_distinct(values)).alias("value"))
            else:
                exploded = records.where(values.isNotNull()).select(
                    "rk", values.cast("string").alias("value")
                )
            n = exploded.select(F.countDistinct("rk").alias("n"))
            tables.append(
                exploded.groupBy("value")
                .agg(F.countDistinct("rk").alias("holders"))
                # A value only one record holds is never shared by a pair: not worth a row.
                .where(F.col("holders") > 1)
                .crossJoin(n)
                .select(
                    F.lit(c.name).alias("comparison"),
                    F.lit(gamma).alias("gamma"),
                    "value",
                    "holders",
                    "n",
                )
            )
    if not tables:
        spark = records.sparkSession
        return spark.createDataFrame(
            [], "comparison string, gamma int, value string, holders long, n long"
        )
    out = tables[0]
    for t in tables[1:]:
        out = out.unionByName(t)
    return out


def field_weights(
    vectors: DataFrame, tf: DataFrame, comparisons: list[Comparison], model: Model
) -> DataFrame:
    """Add w_<comparison> (bits, TF-adjusted) per pair and their sum `field_weight`."""
    df = vectors
    for c in comparisons:
        g = F.col(f"g_{c.name}")
        w = F.lit(0.0)
        for gamma in range(len(c.labels())):
            w = F.when(g == gamma, F.lit(model.weight(c.name, gamma))).otherwise(w)
        df = df.withColumn(f"w_{c.name}", F.when(g < 0, F.lit(0.0)).otherwise(w))
    tf_comps = [c for c in comparisons if c.tf_level()]
    if tf_comps:
        # The rarest shared value is the evidence: min tf over the values the pair shares.
        ex = df.select(
            "l_rk",
            "r_rk",
            F.explode(
                F.array(
                    *[
                        F.struct(
                            F.lit(c.name).alias("comparison"),
                            F.col(f"g_{c.name}").alias("gamma"),
                            F.col(f"tf_{c.name}").alias("values"),
                        )
                        for c in tf_comps
                    ]
                )
            ).alias("x"),
        ).select("l_rk", "r_rk", "x.comparison", "x.gamma", F.explode("x.values").alias("value"))
        # The table of shared values is small next to the pairs: broadcast, so the pairs keep
        # their layout (partitioned by pair) through the lookup, the min and the join back.
        lookup = F.broadcast(tf) if tf.count() <= TF_BROADCAST_ROWS else tf
        best = (
            ex.join(lookup, ["comparison", "gamma", "value"])
            .groupBy("l_rk", "r_rk")
            .pivot("comparison", [c.name for c in tf_comps])
            .agg(F.min(F.struct("holders", "n")))
        )
        best = best.select(
            "l_rk", "r_rk", *[F.col(c.name).alias(f"_tf_{c.name}") for c in tf_comps]
        )
        df = df.join(best, ["l_rk", "r_rk"], "left")
        for c in tf_comps:
            g = F.col(f"g_{c.name}")
            held = F.col(f"_tf_{c.name}")
            u = _u_of(model, c.name, g)
            # How often a record of another person holds this value: its holders over the
            # records, shrunk towards the level's average u (as if 1/u records held it once).
            # Large data: holders/records, Splink's term frequency; small data: no value looks
            # common merely because the pair itself holds it twice.
            tfv = held["holders"] / (held["n"] + F.lit(1.0) / u)
            # log2(m/u) + log2(u/tf) = log2(m/tf): the level's average u replaced by the value's.
            adj = F.log2(u / tfv)
            adj = F.greatest(F.lit(-TF_CLAMP), F.least(F.lit(TF_CLAMP), adj))
            df = df.withColumn(
                f"w_{c.name}",
                F.when(held.isNotNull(), F.col(f"w_{c.name}") + adj).otherwise(
                    F.col(f"w_{c.name}")
                ),
            ).drop(f"_tf_{c.name}")
    total = F.lit(0.0)
    for c in comparisons:
        total = total + F.col(f"w_{c.name}")
    return df.withColumn("field_weight", total)


def weight_histogram(weighted: DataFrame) -> list[tuple[float, int]]:
    """(field weight rounded to 0.01 bit, pairs): what `estimate_lambda` needs, a few
    thousand rows whatever the number of pairs."""
    rows = weighted.groupBy(F.round("field_weight", 2).alias("w")).count().collect()
    return [(float(r["w"]), int(r["count"])) for r in rows]


def add_weight(weighted: DataFrame, model: Model) -> DataFrame:
    """Add match_weight (prior + field weights, bits) and match_probability."""
    total = F.col("field_weight") + F.lit(model.prior_weight)
    return weighted.withColumn("match_weight", total).withColumn(
        "match_probability", F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -total))
    )


def explanation(scored: DataFrame, comparisons: list[Comparison], model: Model) -> DataFrame:
    """Replace the per-field weight columns by the explanation maps.

    `contributions` is a map comparison -> bits (plus `prior`) and `levels` a map comparison ->
    level label, so each pair carries its own explanation. Built only where someone reads it
    (the accepted pairs): two maps per pair cost more than the weights themselves.
    """
    prior = model.prior_weight
    contributions = F.create_map(
        F.lit("prior"),
        F.lit(prior),
        *[x for c in comparisons for x in (F.lit(c.name), F.col(f"w_{c.name}"))],
    )
    levels = F.create_map(
        *[x for c in comparisons for x in (F.lit(c.name), _label_expr(c, F.col(f"g_{c.name}")))]
    )
    return (
        scored.withColumn("contributions", contributions)
        .withColumn("levels", levels)
        .drop("field_weight", *[f"w_{c.name}" for c in comparisons])
    )


def finish(weighted: DataFrame, comparisons: list[Comparison], model: Model) -> DataFrame:
    """Match weight, probability and explanation maps of field-weighted pairs."""
    return explanation(add_weight(weighted, model), comparisons, model)


def score(
    vectors: DataFrame, tf: DataFrame, comparisons: list[Comparison], model: Model
) -> DataFrame:
    """Weights, probability and explanation of each pair under a fitted model."""
    return finish(field_weights(vectors, tf, comparisons, model), comparisons, model)


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
