"""Fellegi–Sunter estimation: the `Model`, u from random pairs, m by EM, the prior λ.

The method (training sessions, why λ is taken over the whole pair space) is described in
`transforms.fellegi_sunter`. Estimation runs mostly on the driver over pattern counts, a few
thousand rows whatever the number of pairs, whereas scoring is Spark work over every pair: the
two change for different reasons, hence two modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.comparisons import Comparison
from transforms.config import U_SAMPLE_PAIRS
from transforms.driver_frames import on_driver
from transforms.fs_vectors import PAIR_BROADCAST_RECORDS, comparison_vectors

PRIOR_PAIRS = 20.0  # pseudo-matches behind the m priors (negligible beside real volumes)
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

    def to_state(self) -> dict[str, Any]:
        """The parameters as JSON-able data, for the lake state (`from_state` reads it back)."""
        return {
            "lambda": self.lam,
            "m": self.m,
            "u": self.u,
            "labels": self.labels,
            "iterations": self.iterations,
            "candidate_pairs": self.candidate_pairs,
            "total_pairs": self.total_pairs,
            "u_sample_pairs": self.u_sample_pairs,
            "sessions": self.sessions,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Model:
        return cls(
            lam=float(data["lambda"]),
            m={k: [float(x) for x in v] for k, v in data["m"].items()},
            u={k: [float(x) for x in v] for k, v in data["u"].items()},
            labels={k: list(v) for k, v in data["labels"].items()},
            iterations=int(data["iterations"]),
            candidate_pairs=int(data["candidate_pairs"]),
            total_pairs=int(data["total_pairs"]),
            u_sample_pairs=int(data["u_sample_pairs"]),
            sessions=dict(data["sessions"]),
        )

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


# -- u from a deterministic sample of record pairs ------------------------------------------------
def sample_pairs(
    records: DataFrame, target: int = U_SAMPLE_PAIRS, n: int | None = None
) -> DataFrame:
    """Pairs (i, i+k), k = 1..K, over records ordered by a hash of their key: deterministic."""
    n = records.count() if n is None else n
    if n < 2:
        return on_driver(records.sparkSession, [], "l_rk string, r_rk string")
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
    pairs = sample_pairs(records, target, n)
    broadcast = n is not None and n <= PAIR_BROADCAST_RECORDS
    vectors = comparison_vectors(pairs, records, comparisons, broadcast=broadcast)
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
"""(training session, comparisons it cannot learn): see `transforms.fellegi_sunter`."""


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


def training_patterns(
    vectors: DataFrame, comparisons: list[Comparison]
) -> tuple[dict[str, Patterns], int]:
    """Pattern counts per training session, and of the candidates (key `candidates`): one
    aggregation, a few thousand rows whatever the number of pairs. Also the number of vectors,
    counted in the same aggregation (group `_all`) instead of a query of its own."""
    gcols = [f"g_{c.name}" for c in comparisons]
    groups = F.array_union(
        F.array_union(F.col("sessions"), F.array(F.lit(_ALL))),
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
    n_vectors = int(sum(c for _, c in out.pop(_ALL, [])))
    return out, n_vectors


_ALL = "_all"
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
