"""What the ingest reports: the run's counts (`IngestReport`, also what the Airflow task returns),
the lag per partition, and one JSON log line per landed batch."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What one ingest run did (also what the Airflow task returns)."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    """Messages whose id had already landed (replays): receipted `duplicate`, not landed."""
    per_country: dict[str, int] = field(default_factory=dict)
    """Accepted messages per source country."""
    rejected_per_country: dict[str, int] = field(default_factory=dict)
    per_reason: dict[str, int] = field(default_factory=dict)
    """Rejected messages per error class (decode.utf8, signature.invalid, …)."""
    files: list[str] = field(default_factory=list)
    batches: int = 0
    seconds: float = 0.0
    lag: dict[str, int] = field(default_factory=dict)
    """Messages not yet read per `<topic>+<partition>` at the end (from highwater marks)."""
    stopped_by: str = ""

    @property
    def messages(self) -> int:
        return self.accepted + self.rejected + self.duplicates

    @property
    def records_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def count_landed(self, country: str | None, messages: int) -> None:
        """`messages` accepted messages of `country` were landed (not yet `accepted`: that
        counts once the batch is committed)."""
        who = country or "?"
        self.per_country[who] = self.per_country.get(who, 0) + messages

    def count_rejected(self, country: str | None, error_class: str) -> None:
        self.rejected += 1
        self.per_reason[error_class] = self.per_reason.get(error_class, 0) + 1
        who = country or "unknown"
        self.rejected_per_country[who] = self.rejected_per_country.get(who, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "messages": self.messages,
            "per_country": dict(sorted(self.per_country.items())),
            "rejected_per_country": dict(sorted(self.rejected_per_country.items())),
            "per_reason": dict(sorted(self.per_reason.items())),
            "files": list(self.files),
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "records_per_s": round(self.records_per_s, 1),
            "lag": dict(sorted(self.lag.items())),
            "stopped_by": self.stopped_by,
        }


class Lag:
    """Per partition, the next offset to read and the last highwater mark the broker reported."""

    def __init__(self, positions: dict[tuple[str, int], int]) -> None:
        self.positions = positions
        """Kept by the batches as they read (`batches.Pending.positions`)."""
        self.highwater: dict[tuple[str, int], int] = {}

    def update(self, consumer: Any) -> None:
        """Ask the consumer for the highwater marks of the partitions read so far."""
        from kafka.structs import TopicPartition

        for topic, partition in self.positions:
            hw = consumer.highwater(TopicPartition(topic, partition))
            if hw is not None:
                self.highwater[(topic, partition)] = hw

    def as_dict(self) -> dict[str, int]:
        """Unread messages per partition: highwater mark minus the next offset to read."""
        out = {}
        for tp, position in self.positions.items():
            hw = self.highwater.get(tp)
            if hw is not None:
                out[f"{tp[0]}+{tp[1]}"] = max(0, hw - position)
        return out


def caught_up(consumer: Any) -> bool:
    """Has every assigned partition answered a fetch and nothing beyond our position?"""
    for tp in consumer.assignment():
        hw = consumer.highwater(tp)
        if hw is None or consumer.position(tp) < hw:
            return False
    return True


def log_batch(
    *,
    batch: int,
    messages: int,
    accepted: int,
    rejected_by_reason: dict[str, int],
    size: int,
    files: Iterable[str],
    flush_seconds: float,
    batch_seconds: float,
    lag: dict[str, int],
) -> None:
    """One JSON line per landed batch (`event: ingest.batch`), for operators and log shippers."""
    log.info(
        json.dumps(
            {
                "event": "ingest.batch",
                "batch": batch,
                "messages": messages,
                "accepted": accepted,
                "rejected": messages - accepted,
                "rejected_by_reason": rejected_by_reason,
                "bytes": size,
                "files": list(files),
                "flush_seconds": round(flush_seconds, 3),
                "records_per_s": round(messages / batch_seconds, 1) if batch_seconds > 0 else None,
                "lag": lag,
                "at": datetime.now(UTC).isoformat(),
            },
            sort_keys=False,
        )
    )
