"""Exactly-once landing: an ingest process killed with SIGKILL mid-stream and restarted leaves
each message id exactly once in bronze, on both brokers; the same across a broker restart: Apache
Kafka killed mid-stream and restarted on its log directories, and Tansu restarted on `s3://`
storage with an `s3://` lake (Tansu's memory storage forgets everything on a restart)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from infra.lake import Lake
from streams.brokers import TANSU, BrokerTraits
from streams.keys import KeyRegistry
from streams.publisher import FeedPublisher
from tests.streams.conftest import bronze_ids, feed_pattern, group, person

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
WORKER = Path(__file__).with_name("ingest_worker.py")
N = 2000


def start_worker(config: dict[str, Any], log: Path, env: dict[str, str] | None = None):
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=open(log, "ab"),
        env={**os.environ, **(env or {})},
    )


def kill_mid_stream(proc: subprocess.Popen[bytes], lake: Lake, min_files: int) -> int:
    """SIGKILL the worker once it has landed min_files bronze files (mid-stream)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        files = [p for p in lake.list("bronze") if p.endswith(".parquet")]
        if len(files) >= min_files:
            break
        assert proc.poll() is None, "the ingest worker exited before it was killed"
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the ingest worker landed nothing within 180s")
    helpers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Its check workers (and their fork server) go with it: nothing outlives a killed ingest.
    _gone, alive = psutil.wait_procs(helpers, timeout=30)
    assert not alive, f"still running after the ingest was killed: {alive}"
    return len(bronze_ids(lake))


def finish(config: dict[str, Any], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = start_worker({**config, "until_idle": 4}, log, env)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log.read_text()[-3000:]
    return json.loads(out.decode().strip().splitlines()[-1])


def publish_n(
    bootstrap: str, country: str, key: Any, n: int, traits: BrokerTraits = TANSU
) -> list[str]:
    with FeedPublisher(bootstrap, country, key, partitions=3, broker=traits) as pub:
        return [pub.publish("person", person(i, country, pad=600)) for i in range(n)]


def worker_config(
    bootstrap: str,
    traits: BrokerTraits,
    tmp_path: Path,
    country: str,
    key: Any,
    **extra: Any,
) -> dict[str, Any]:
    """An ingest worker's config: its own lake, group and registry trusting this country."""
    registry = KeyRegistry()
    registry.add(country, key.public_key())
    return {
        "bootstrap": bootstrap,
        "broker_kind": traits.kind,
        "lake": str(tmp_path / "lake"),
        "registry": str(registry.save(tmp_path / "registry.json")),
        "group": group(),
        "pattern": feed_pattern(country),
        **extra,
    }


def assert_exactly_once(lake: Lake, sent: list[str]) -> None:
    landed = bronze_ids(lake)
    duplicates = [m for m, n in Counter(landed).items() if n > 1]
    assert not duplicates, f"{len(duplicates)} message ids landed twice"
    assert len(landed) == len(sent) and set(landed) == set(sent)


def test_sigkill_mid_stream_then_restart_lands_each_message_once(
    broker: str, broker_traits: BrokerTraits, tmp_path: Path, keys: Callable[[str], Any]
) -> None:
    sent = publish_n(broker, "POL", keys("POL"), N, broker_traits)
    config = worker_config(
        broker, broker_traits, tmp_path, "POL", keys("POL"),
        batch_max_messages=100, batch_max_seconds=60, workers=2,
    )  # fmt: skip
    lake = Lake(config["lake"])
    log = tmp_path / "worker.log"
    before_kill = kill_mid_stream(start_worker(config, log), lake, min_files=3)
    assert 0 < before_kill < N, "the kill must happen mid-stream"
    report = finish(config, log)
    assert_exactly_once(lake, sent)
    # The restart read from the last commit: at most one uncommitted batch per partition again.
    assert report["accepted"] <= N - before_kill + 3 * 100


def test_apache_kafka_killed_mid_stream_and_restarted_still_lands_each_message_once(
    broker_process: Any, broker_traits: BrokerTraits, tmp_path: Path, keys: Callable[[str], Any]
) -> None:
    from infra.kafka import ApacheKafkaBroker

    if not isinstance(broker_process, ApacheKafkaBroker):
        pytest.skip("Tansu's memory storage forgets everything on a restart: see the s3:// test")
    bootstrap = broker_process.bootstrap
    n = N // 2
    sent = publish_n(bootstrap, "SVK", keys("SVK"), n, broker_traits)
    config = worker_config(
        bootstrap, broker_traits, tmp_path, "SVK", keys("SVK"),
        batch_max_messages=50, batch_max_seconds=60,
    )  # fmt: skip
    lake = Lake(config["lake"])
    log = tmp_path / "worker.log"
    before_kill = kill_mid_stream(start_worker(config, log), lake, min_files=3)
    assert 0 < before_kill < n
    # A crash, not a controlled shutdown: the node recovers its logs and committed offsets.
    broker_process.kill()
    assert broker_process.start() == bootstrap
    finish(config, log)
    assert_exactly_once(lake, sent)


@pytest.mark.tansu
def test_broker_restart_on_s3_storage_with_an_s3_lake_still_lands_each_message_once(
    local_s3: Any, tmp_path: Path, keys: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.broker import EmbeddedBroker

    suffix = uuid.uuid4().hex[:8]
    local_s3.create_bucket(f"tansu-{suffix}")
    local_s3.create_bucket(f"lake-{suffix}")
    for k, v in local_s3.env().items():
        monkeypatch.setenv(k, v)
    broker = EmbeddedBroker(
        state_dir=tmp_path / "broker", storage=f"s3://tansu-{suffix}/", s3_env=local_s3.env()
    )
    bootstrap = broker.start()
    try:
        n = N // 2
        sent = publish_n(bootstrap, "CZE", keys("CZE"), n)
        config = worker_config(
            bootstrap, TANSU, tmp_path, "CZE", keys("CZE"),
            lake=f"s3://lake-{suffix}/interlink", s3_endpoint_url=local_s3.endpoint,
            batch_max_messages=50, batch_max_seconds=60,
        )  # fmt: skip
        lake = Lake(config["lake"], s3_endpoint_url=local_s3.endpoint)
        log = tmp_path / "worker.log"
        before_kill = kill_mid_stream(start_worker(config, log), lake, min_files=3)
        assert 0 < before_kill < n
        broker.stop()
        broker.start()  # same port, same S3 bucket: topics, messages and commits survive
        finish(config, log)
        assert_exactly_once(lake, sent)
    finally:
        broker.stop()


def test_sigterm_flushes_commits_and_exits_cleanly(
    broker: str, broker_traits: BrokerTraits, tmp_path: Path, keys: Callable[[str], Any]
) -> None:
    sent = publish_n(broker, "FIN", keys("FIN"), 300, broker_traits)
    config = worker_config(broker, broker_traits, tmp_path, "FIN", keys("FIN"))
    lake = Lake(config["lake"])
    log = tmp_path / "worker.log"
    proc = start_worker(config, log)  # no idle limit: runs until a signal
    deadline = time.monotonic() + 120
    while len(bronze_ids(lake)) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, log.read_text()[-3000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["stopped_by"] == "SIGTERM" and report["accepted"] == len(sent)
    # Everything was committed: a restart in the same group has nothing left to land.
    assert finish(config, log)["messages"] == 0
    assert_exactly_once(lake, sent)
