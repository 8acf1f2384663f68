"""The stateless checks of polled messages, in worker processes when it pays, with the verdicts
handed back in offset order (the delete rule and the batches need that order)."""

from __future__ import annotations

import contextlib
import logging
import math
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from streams.checking import Checker, CheckPool, Verdict
from streams.keys import KeyRegistry

log = logging.getLogger(__name__)

PARALLEL_MIN = 64
"""A poll with fewer messages (and nothing in the workers) is checked in this process: shipping a
trickle to the workers would add latency and copying for no gain."""
CHUNK_MAX = 256
"""Most messages per chunk sent to a worker."""


class CheckQueue:
    """Chunks of one partition's messages in flight in the worker pool, oldest first."""

    def __init__(self, checker: Checker, registry: KeyRegistry, workers: int) -> None:
        self.checker = checker
        self.registry = registry
        self.workers = workers
        """Worker processes for the checks (0: all in this process)."""
        self._pool: CheckPool | None = None
        self._inflight: deque[tuple[list[Any], Future[list[Verdict]]]] = deque()

    def start(self) -> None:
        if self.workers and self._pool is None:
            self._pool = CheckPool(self.registry, self.workers)

    def __bool__(self) -> bool:
        """Are checks in flight?"""
        return bool(self._inflight)

    def in_workers(self, messages: int) -> bool:
        """Should a poll of this many messages go to the workers? (Not when a trickle arrives
        and nothing waits before it.)"""
        return self._pool is not None and (bool(self._inflight) or messages >= PARALLEL_MIN)

    def submit(self, records: list[Any]) -> None:
        """Send one partition's polled messages to the workers, in chunks."""
        assert self._pool is not None
        size = min(CHUNK_MAX, max(32, math.ceil(len(records) / self._pool.workers)))
        topic = records[0].topic
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            future = self._pool.submit(topic, [m.value for m in chunk])
            self._inflight.append((chunk, future))

    def ready(self, *, wait_all: bool) -> Iterator[tuple[Any, Verdict]]:
        """(message, verdict) of the chunks in flight, oldest first: those already done, plus (to
        bound memory) the oldest while too many are in flight, or all with `wait_all`. Lazy: the
        caller may land a batch between two messages."""
        limit = 4 * (self._pool.workers if self._pool is not None else 1)
        while self._inflight:
            chunk, future = self._inflight[0]
            if not (wait_all or future.done() or len(self._inflight) > limit):
                break
            self._inflight.popleft()
            yield from zip(chunk, self._verdicts(chunk, future), strict=True)

    def _verdicts(self, chunk: list[Any], future: Future[list[Verdict]]) -> list[Verdict]:
        try:
            return future.result()
        except Exception as exc:
            # A worker died (killed, out of memory): check in this process from here on. Nothing
            # of the chunk was applied, so no message is lost or doubled.
            if self._pool is not None:
                log.warning("check workers failed (%r): checking in the ingest process", exc)
                pool, self._pool = self._pool, None
                with contextlib.suppress(Exception):
                    pool.close()
            return [self.checker.verdict(m.topic, m.value) for m in chunk]

    def close(self) -> None:
        self._inflight.clear()
        if self._pool is not None:
            with contextlib.suppress(Exception):
                self._pool.close()
            self._pool = None
