"""Erasure reaches the reports we keep: run reports and quality results may quote an erased
record's fields, so they go too.

- The result JSON of a validated batch that held an erased record keeps its verdict and counts
  (the warehouse's quality table reads those) but loses Great Expectations' detail, which may
  quote values (`gx_validation_result` is replaced by a redaction note).
- Every other report file (run reports, GX stores, Data Docs pages) naming such a batch, or
  naming an erased record id, is deleted: a report is a snapshot, the next run writes a new one.
- Validation markers, the GX history (counts and null rates) and retention notices (record ids
  and dates, sent to the sources) hold no record content and stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from contracts.lake import QUALITY_REPORTS, REPORTS
from infra.lake import Lake

_TEXT = (".html", ".json", ".jsonl", ".txt", ".csv")
_KEPT = (f"{QUALITY_REPORTS}/validated/", f"{REPORTS}/retention/", f"{QUALITY_REPORTS}/history")
RESULTS = f"{QUALITY_REPORTS}/results/"
REDACTED = "redacted: the batch held a record erased since (source deletion or retention purge)"


def _mentions(record_ids: Iterable[str]) -> re.Pattern[str] | None:
    ids = sorted(set(record_ids))
    if not ids:
        return None
    # Whole identifiers only: NLD-P-1 must not match inside NLD-P-10.
    alternatives = "|".join(re.escape(i) for i in ids)
    return re.compile(rf"(?<![\w.:-])(?:{alternatives})(?![\w.:-])")


def erase_reports(lake: Lake, record_ids: Iterable[str], batch_ids: Iterable[str]) -> list[str]:
    """Redact or delete the report files naming an erased record or a batch that held one;
    returns the files changed (idempotent: a rerun finds nothing more)."""
    batches = sorted(set(batch_ids))
    pattern = _mentions(record_ids)
    if pattern is None and not batches:
        return []
    changed: list[str] = []
    for rel in lake.list(REPORTS):
        if not rel.endswith(_TEXT) or rel.startswith(_KEPT):
            continue
        text = lake.read_bytes(rel).decode("utf-8", "replace")
        hit = any(b in rel or b in text for b in batches) or bool(
            pattern is not None and pattern.search(text)
        )
        if not hit:
            continue
        if rel.startswith(RESULTS):
            doc = json.loads(text)
            if doc.get("gx_validation_result") == REDACTED:
                continue
            doc["gx_validation_result"] = REDACTED
            lake.write_bytes(rel, json.dumps(doc, indent=2, default=str).encode())
        else:
            lake.delete(rel)
        changed.append(rel)
    return changed
