"""The retrain rule: when an incremental run trains the model again instead of scoring the delta."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.lake import PERSON_MODEL_FORMAT
from transforms.config import ResolutionConfig
from transforms.retrain import retrain_reason

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def _meta(**over: object) -> dict[str, object]:
    meta: dict[str, object] = {
        "format": PERSON_MODEL_FORMAT,
        "trained_at": (NOW - timedelta(days=1)).isoformat(),
        "trained_records": 10_000,
        "changed_since_training": 0,
    }
    return meta | over


def test_fresh_model_and_small_delta_score_incrementally() -> None:
    assert retrain_reason(_meta(), now=NOW, changed=100) is None


def test_full_run_retrains_whatever_the_model() -> None:
    assert retrain_reason(_meta(), now=NOW, changed=0, full=True) == "full run requested"


def test_no_stored_model_retrains() -> None:
    assert retrain_reason(None, now=NOW, changed=0) == "no stored model"


def test_model_of_another_format_retrains() -> None:
    reason = retrain_reason(_meta(format=PERSON_MODEL_FORMAT - 1), now=NOW, changed=0)
    assert reason is not None and f"format {PERSON_MODEL_FORMAT - 1}" in reason
    assert retrain_reason({k: v for k, v in _meta().items() if k != "format"}, now=NOW, changed=0)


def test_model_older_than_seven_days_retrains() -> None:
    week = (NOW - timedelta(days=7, minutes=1)).isoformat()
    reason = retrain_reason(_meta(trained_at=week), now=NOW, changed=0)
    assert reason is not None and "7.0 days ago" in reason
    day_less = (NOW - timedelta(days=6, hours=23)).isoformat()
    assert retrain_reason(_meta(trained_at=day_less), now=NOW, changed=0) is None


def test_more_than_five_percent_changed_since_training_retrains() -> None:
    # 5 % of 10,000 is 500: reached is fine, passed retrains.
    assert retrain_reason(_meta(), now=NOW, changed=500) is None
    reason = retrain_reason(_meta(), now=NOW, changed=501)
    assert reason is not None and "5.0%" in reason and "10,000" in reason


def test_changes_of_earlier_incremental_runs_count_towards_the_share() -> None:
    assert retrain_reason(_meta(changed_since_training=450), now=NOW, changed=50) is None
    assert retrain_reason(_meta(changed_since_training=450), now=NOW, changed=51) is not None


def test_bounds_come_from_the_resolution_settings() -> None:
    strict = ResolutionConfig(retrain_after_days=0.5, retrain_changed_share=0.01)
    assert retrain_reason(_meta(), now=NOW, changed=0, config=strict) is not None
    young = _meta(trained_at=(NOW - timedelta(hours=1)).isoformat())
    assert retrain_reason(young, now=NOW, changed=101, config=strict) is not None
    assert retrain_reason(young, now=NOW, changed=100, config=strict) is None
