"""When person resolution retrains its model instead of scoring the delta with the stored one.

An incremental run scores new pairs with the model (u, m, λ, term frequencies) trained on an
earlier full run. That model goes stale as data arrives, so a run retrains (and rebuilds every
pair) when any of these holds, checked in this order:

1. the run was asked to (`interlink run --full`, the daily `entities_retrain` DAG);
2. there is no stored model, or it was written in another format (`PERSON_MODEL_FORMAT`: an
   upgrade changed what the model or the state tables mean);
3. the model is older than `retrain_after_days`;
4. more than `retrain_changed_share` of the records it was trained on have been added, corrected
   or deleted since, this run's changes included.

Pure Python on the model's metadata: the decision is made before any Spark work is planned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.lake import PERSON_MODEL_FORMAT
from transforms.config import ResolutionConfig


def retrain_reason(
    meta: dict[str, Any] | None,
    *,
    now: datetime,
    changed: int,
    full: bool = False,
    config: ResolutionConfig | None = None,
) -> str | None:
    """Why this run must retrain, in words for the run summary; None to score incrementally.

    `meta` is the stored model's metadata (`model.json` without the parameters; None when there
    is none); `changed` the records added, corrected or deleted by this run.
    """
    config = config or ResolutionConfig()
    if full:
        return "full run requested"
    if meta is None:
        return "no stored model"
    if meta.get("format") != PERSON_MODEL_FORMAT:
        found = meta.get("format")
        return f"stored model has format {found}, this version writes {PERSON_MODEL_FORMAT}"
    trained_at = datetime.fromisoformat(meta["trained_at"])
    age_days = (now - trained_at).total_seconds() / 86400
    if age_days > config.retrain_after_days:
        return f"model trained {age_days:.1f} days ago (limit {config.retrain_after_days:g})"
    since = int(meta.get("changed_since_training", 0)) + changed
    trained = max(int(meta.get("trained_records", 0)), 1)
    if since / trained > config.retrain_changed_share:
        return (
            f"{since:,} record changes since training, {since / trained:.1%} of the "
            f"{trained:,} records trained on (limit {config.retrain_changed_share:.0%})"
        )
    return None
