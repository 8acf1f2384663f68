"""The knobs of person resolution, as plain dataclasses: no Spark import.

They live apart from the Spark code so that `interlink.settings.Settings.resolution` can carry
them (environment `INTERLINK_RESOLUTION__THRESHOLD`, `INTERLINK_RESOLUTION__BLOCKING__…`) without
DAG parsing importing Spark. `transforms.persons` and `transforms.blocking` re-export them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

U_SAMPLE_PAIRS = 100_000
"""Random record pairs behind u (the default of `ResolutionConfig.u_sample_pairs`)."""


def probability_to_weight(p: float) -> float:
    """Match probability to match weight in bits (log2 of the Bayes factor against 50/50)."""
    return math.log2(p / (1 - p))


@dataclass(frozen=True)
class BlockingConfig:
    """Bounds that keep blocking linear-ish and generic values out of the evidence."""

    generic_min_persons: int = 5
    """An identifier shared by more than this many distinct persons is generic: listed in
    gold/generic_values and ignored as evidence and as a blocking key."""
    shared_min_persons: int = 3
    """A phone held by at least this many distinct persons (and not generic) is a shared line."""
    max_block_size: int = 50
    """Name-based blocks with more records than this are skipped: pairs within them are
    quadratic (a block of 200 is 19,900 pairs) and weak evidence (a common name in one year);
    they still meet through rarer keys. On 100k generated persons 50 instead of 200 halved the
    candidate pairs (11.3M to 5.3M) for 1.2 points of blocking recall. Identifiers are bounded
    by the generic rule instead."""
    training_block_records: int = 12
    """Training pairs come from at most this many records per block (first by a hash of their
    key): a common name or a 1 January birth date must not dominate EM."""
    training_pairs: int = 200_000
    """At most about this many training pairs per session (a deterministic hash sample)."""


@dataclass(frozen=True)
class ResolutionConfig:
    """The few knobs of person resolution; defaults are the documented production values."""

    threshold: float = 0.95
    """The one match threshold: a pair is accepted when its match probability is at least this
    (match weight ≥ log2(0.95/0.05) ≈ 4.25 bits)."""
    cannot_link: float = 0.2
    """Pairs below this probability (weight ≤ −2 bits) are never left in one cluster through
    others: the model compared them and found two people."""
    blocking: BlockingConfig = field(default_factory=BlockingConfig)
    max_cluster_size: int = 50
    """Components larger than this are re-clustered on stronger edges (the giant guard)."""
    guard_steps: tuple[float, ...] = (4.0, 8.0, 12.0)
    """Extra bits above the threshold tried in turn on an oversized component."""
    u_sample_pairs: int = U_SAMPLE_PAIRS
    """Random record pairs behind u."""
    retrain_after_days: float = 7.0
    """An incremental run retrains the model (u, m, λ, term frequencies) when it is older than
    this: slow drift (new countries, new naming habits) never crosses the changed-share bound."""
    retrain_changed_share: float = 0.05
    """An incremental run retrains when more than this share of the records the model was trained
    on has been added, corrected or deleted since (counted per change, so a record corrected
    twice counts twice): past it, the frozen term frequencies and prior no longer describe the
    data (docs/entity-resolution.md, "Incremental runs and retraining")."""

    @property
    def threshold_weight(self) -> float:
        return probability_to_weight(self.threshold)

    @property
    def cannot_link_weight(self) -> float:
        return probability_to_weight(self.cannot_link)
