"""Clustering quality against ground truth: pairwise and B-cubed scores, and blocking recall.

Both clusterings are given as a mapping record key -> cluster label (any hashable). Pairwise
scores count the unordered record pairs put in one cluster (the transitive closure of what a
linker outputs, since users act on clusters, not on raw scored pairs). B-cubed scores average a
per-record precision and recall, so a big cluster does not weigh quadratically the way it does in
pairwise counts. Everything is computed from the contingency table of (predicted, true) labels, so
no pair is ever enumerated: 1M records cost a group-by, not 10^12 pairs.

Records present in the truth but missing from the prediction count as singletons (a linker that
drops a record has not linked it); records unknown to the truth are an error, because a score on
them would be meaningless.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass

import pandas as pd


class UnknownRecords(ValueError):
    """The prediction names records the ground truth does not know."""

    def __init__(self, keys: list[Hashable]) -> None:
        self.keys = keys
        super().__init__(
            f"{len(keys)} predicted record key(s) are not in the ground truth, e.g. {keys[:3]}: "
            "score a prediction made on the same input file the truth was written for"
        )


@dataclass(frozen=True)
class Scores:
    """Pairwise and B-cubed precision / recall / F1 of one clustering against the truth."""

    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    records: int
    predicted_clusters: int
    true_clusters: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(n: pd.Series) -> int:
    n = n.astype("int64")
    return int((n * (n - 1) // 2).sum())


def _aligned(
    predicted: Mapping[Hashable, Hashable], truth: Mapping[Hashable, Hashable]
) -> pd.DataFrame:
    """Integer labels per truth record: `true` and `pred` (a fresh singleton label if absent)."""
    t = pd.Series(truth, dtype="object")
    p = pd.Series(predicted, dtype="object")
    unknown = p.index.difference(t.index)
    if len(unknown):
        raise UnknownRecords(list(unknown[:10]))
    # factorize turns labels of any type into integers; absent records come out as -1.
    pred = pd.factorize(p.reindex(t.index))[0]
    missing = pred < 0
    pred[missing] = pred.max(initial=-1) + 1 + pd.RangeIndex(int(missing.sum())).to_numpy()
    return pd.DataFrame({"true": pd.factorize(t)[0], "pred": pred}, index=t.index)


def score_clusters(
    predicted: Mapping[Hashable, Hashable], truth: Mapping[Hashable, Hashable]
) -> Scores:
    """Pairwise and B-cubed scores of `predicted` (key -> cluster) against `truth` (key -> id).

    By convention precision is 1.0 when nothing was predicted linked (no false link was made) and
    recall is 1.0 when the truth has no pair, so an all-singleton truth does not divide by zero.
    """
    frame = _aligned(predicted, truth)
    n = len(frame)
    if n == 0:
        return Scores(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0, 0, 0, 0, 0, 0)
    pred_codes, true_codes = frame["pred"], frame["true"]
    cells = (
        pd.DataFrame({"p": pred_codes, "t": true_codes}).value_counts().rename("n").reset_index()
    )
    pred_sizes = pred_codes.value_counts()
    true_sizes = true_codes.value_counts()

    tp = _pairs(cells["n"])
    predicted_pairs = _pairs(pred_sizes)
    true_pairs = _pairs(true_sizes)
    pw_p = tp / predicted_pairs if predicted_pairs else 1.0
    pw_r = tp / true_pairs if true_pairs else 1.0

    # B-cubed: each record in cell (p, t) has precision n_pt/|p| and recall n_pt/|t|; the cell
    # holds n_pt such records, hence the n_pt^2 numerators.
    sq = cells["n"].astype("float64") ** 2
    b3_p = float((sq / cells["p"].map(pred_sizes).to_numpy()).sum() / n)
    b3_r = float((sq / cells["t"].map(true_sizes).to_numpy()).sum() / n)
    return Scores(
        pairwise_precision=pw_p,
        pairwise_recall=pw_r,
        pairwise_f1=_f1(pw_p, pw_r),
        bcubed_precision=b3_p,
        bcubed_recall=b3_r,
        bcubed_f1=_f1(b3_p, b3_r),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=tp,
        records=n,
        predicted_clusters=len(pred_sizes),
        true_clusters=len(true_sizes),
    )


@dataclass(frozen=True)
class BlockingRecall:
    """How many true matching pairs a blocking step lets through to scoring."""

    recall: float
    true_pairs: int
    true_pairs_blocked: int
    candidate_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def blocking_recall(
    candidate_pairs: pd.DataFrame | Iterable[tuple[Hashable, Hashable]],
    truth: Mapping[Hashable, Hashable],
) -> BlockingRecall:
    """Share of true matching pairs present among the candidate pairs (order-free, deduplicated).

    `candidate_pairs` is a two-column frame (or an iterable of 2-tuples) of record keys. A pair
    listed twice, in either order, counts once; a pair of a record with itself is ignored.
    """
    if isinstance(candidate_pairs, pd.DataFrame):
        pairs = candidate_pairs.iloc[:, :2].copy()
        pairs.columns = ["l", "r"]
    else:
        pairs = pd.DataFrame(list(candidate_pairs), columns=["l", "r"])
    t = pd.Series(truth, dtype="object")
    true_pairs = _pairs(t.value_counts())
    if pairs.empty:
        return BlockingRecall(1.0 if true_pairs == 0 else 0.0, true_pairs, 0, 0)
    unknown = pd.Index(pd.concat([pairs["l"], pairs["r"]]).unique()).difference(t.index)
    if len(unknown):
        raise UnknownRecords(list(unknown[:10]))
    # Canonical order per pair via the truth's own index position: keys of any type compare.
    pos = pd.Series(range(len(t)), index=t.index)
    a = pos.reindex(pairs["l"]).to_numpy()
    b = pos.reindex(pairs["r"]).to_numpy()
    lo, hi = pd.Series(a).where(a < b, b), pd.Series(b).where(a < b, a)
    canon = pd.DataFrame({"lo": lo, "hi": hi})
    canon = canon[canon["lo"] != canon["hi"]].drop_duplicates()
    labels = pd.Series(pd.factorize(t)[0])
    same = labels.to_numpy()[canon["lo"].to_numpy()] == labels.to_numpy()[canon["hi"].to_numpy()]
    blocked = int(same.sum())
    return BlockingRecall(
        recall=blocked / true_pairs if true_pairs else 1.0,
        true_pairs=true_pairs,
        true_pairs_blocked=blocked,
        candidate_pairs=len(canon),
    )
