"""Clustering scores on tiny clusterings whose values are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from bench.metrics import UnknownRecords, blocking_recall, score_clusters

# Truth: {a, b, c}, {d, e}, {f}  -> true pairs ab, ac, bc, de (4).
TRUTH = {"a": "T1", "b": "T1", "c": "T1", "d": "T2", "e": "T2", "f": "T3"}


def test_pairwise_and_bcubed_scores_of_a_mixed_clustering_match_hand_computation() -> None:
    # Predicted: {a, b}, {c, d}, {e, f} -> predicted pairs ab, cd, ef (3); only ab is true.
    predicted = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 3}
    s = score_clusters(predicted, TRUTH)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (4, 3, 1)
    assert s.pairwise_precision == pytest.approx(1 / 3)
    assert s.pairwise_recall == pytest.approx(1 / 4)
    assert s.pairwise_f1 == pytest.approx(2 / 7)
    # Per record (precision, recall): a, b (1, 2/3); c (1/2, 1/3); d, e (1/2, 1/2); f (1/2, 1).
    assert s.bcubed_precision == pytest.approx(4 / 6)
    assert s.bcubed_recall == pytest.approx(11 / 18)
    assert s.bcubed_f1 == pytest.approx(2 * (2 / 3) * (11 / 18) / (2 / 3 + 11 / 18))
    assert (s.records, s.predicted_clusters, s.true_clusters) == (6, 3, 3)


def test_perfect_clustering_scores_one_whatever_the_labels_are() -> None:
    predicted = {k: f"entity-{v}" for k, v in TRUTH.items()}
    s = score_clusters(predicted, TRUTH)
    assert s.pairwise_f1 == 1.0
    assert s.bcubed_f1 == pytest.approx(1.0)


def test_all_singletons_have_full_precision_and_no_pairwise_recall() -> None:
    predicted = {k: i for i, k in enumerate(TRUTH)}
    s = score_clusters(predicted, TRUTH)
    assert s.pairwise_precision == 1.0  # nothing linked, so no false link
    assert s.pairwise_recall == 0.0
    assert s.pairwise_f1 == 0.0
    assert s.bcubed_precision == pytest.approx(1.0)
    # Recall per record is 1/|true cluster|: 3 × 1/3 + 2 × 1/2 + 1 × 1 = 3, over 6 records.
    assert s.bcubed_recall == pytest.approx(0.5)


def test_one_big_cluster_has_full_recall_and_low_precision() -> None:
    s = score_clusters(dict.fromkeys(TRUTH, 0), TRUTH)
    assert s.pairwise_recall == 1.0
    assert s.pairwise_precision == pytest.approx(4 / 15)
    # B-cubed precision per record is |true cluster| / 6: (3·3 + 2·2 + 1) / 36.
    assert s.bcubed_precision == pytest.approx(14 / 36)
    assert s.bcubed_recall == pytest.approx(1.0)


def test_records_missing_from_the_prediction_count_as_singletons() -> None:
    # d and e dropped by the linker: the de pair is lost, nothing else changes.
    predicted = {"a": 1, "b": 1, "c": 1, "f": 2}
    s = score_clusters(predicted, TRUTH)
    assert s.records == 6
    assert s.pairwise_precision == 1.0
    assert s.pairwise_recall == pytest.approx(3 / 4)


def test_predicted_records_unknown_to_the_truth_are_refused_by_name() -> None:
    with pytest.raises(UnknownRecords, match="zz"):
        score_clusters({"a": 1, "zz": 1}, TRUTH)


def test_blocking_recall_counts_each_true_pair_once_in_either_order() -> None:
    # ab twice (both orders), ca, a self-pair and a false pair df: true pairs blocked ab, ac.
    pairs = [("a", "b"), ("b", "a"), ("c", "a"), ("a", "a"), ("d", "f")]
    r = blocking_recall(pairs, TRUTH)
    assert (r.true_pairs, r.true_pairs_blocked, r.candidate_pairs) == (4, 2, 3)
    assert r.recall == pytest.approx(0.5)


def test_blocking_recall_of_no_candidates_is_zero_and_unknown_keys_are_refused() -> None:
    assert blocking_recall([], TRUTH).recall == 0.0
    with pytest.raises(UnknownRecords):
        blocking_recall([("a", "nobody")], TRUTH)
