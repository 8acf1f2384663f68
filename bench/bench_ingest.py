"""Ingest throughput: `interlink ingest` vs a bare kafka-python consumer on the same topic.

1 KB signed person messages are published once to `feeds.person.FRA` (3 partitions) on the
embedded broker (Tansu). Then, each in a fresh process measured for wall time and peak memory:
- **bare**: a kafka-python consumer group that only polls the messages (the client's ceiling on
  this broker: no decoding, no checks, no writes), as Interlink installs it (with `crc32c`, the
  C check of each record batch's CRC);
- **bare, pure-Python CRC**: the same consumer with the `crc32c` module hidden, as a plain
  `pip install kafka-python` runs it (kafka-python then checks each batch's CRC in Python,
  which costs more than everything else it does per message);
- **interlink**: the ingest with everything on (decode, Ed25519 signature check, envelope and
  payload validation, bronze Parquet writes, receipts, offset commits), its checks in worker
  processes (the default: one per core); the CPU time of the ingest process and of its workers is
  sampled, to say where the time goes across processes;
- **profile**: the ingest again with its checks in its own process (`workers=0`) under cProfile,
  to show where the CPU time of a message goes, stage by stage.
The same messages are then published to Apache Kafka (one KRaft node, `infra.kafka`), and the
bare consumer and the ingest run again there: the last table sets the two brokers side by side.
Rates count from the first message received to the last one processed, so the group join (a
broker-side wait) is left out of both. Start-up (worker start to first message: the group join,
and for Interlink also its check-worker pool, which starts while the consumer joins) is reported
separately for every contender, so neither side's start-up hides in the other's clock.

`python -m bench --only bench_ingest [--small]` (20k messages small, 100k full).
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import logging
import math
import os
import pstats
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import current
from bench.measure import run_measured
from bench.report import Table, ratio

log = logging.getLogger("bench.ingest")

COUNTRY = "FRA"
TOPIC_PATTERN = r"^feeds\.person\.FRA$"
PAD = 150
"""Description length that makes a signed person envelope about 1 KB."""


def _record(i: int) -> dict[str, Any]:
    return {
        "record_id": f"FRA-P-{i:07d}",
        "record_version": 1,
        "reported_at": "2026-11-20T09:00:00Z",
        "payload": {
            "role": "suspect",
            "primary_name": {"family": f"Family{i}", "given": "Ivan", "script": "Latn"},
            "sex": "M",
            "birth_date": "1985-03",
            "nationalities": ["UKR"],
            "phones": ["+380501234567"],
            "description": "x" * PAD,
        },
    }


def publish(bootstrap: str, keys_dir: Path, n: int, broker: Any = None) -> tuple[Path, int]:
    """Publish n messages; returns the registry file and the mean message size."""
    from streams.brokers import TANSU
    from streams.keys import KeyRegistry, create_keypair, load_private_key
    from streams.publisher import FeedPublisher

    private, public = create_keypair(COUNTRY, keys_dir, overwrite=True)
    registry = KeyRegistry()
    registry.add_public_key_file(COUNTRY, public)
    path = registry.save(keys_dir / "registry.json")
    size = 0
    key = load_private_key(private)
    with FeedPublisher(bootstrap, COUNTRY, key, partitions=3, broker=broker or TANSU) as pub:
        for i in range(n):
            envelope = pub.envelope("person", _record(i))
            if i < 100:
                size += len(pub.signed_bytes(envelope))
            pub.send_envelope(envelope)
    return path, size // min(n, 100)


# -- workers (run in their own processes) ---------------------------------------------------------
def _bare(config: dict[str, Any]) -> dict[str, Any]:
    from kafka import KafkaConsumer

    started = time.perf_counter()
    consumer = KafkaConsumer(
        bootstrap_servers=config["bootstrap"],
        group_id=config["group"],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_records=2000,
        max_partition_fetch_bytes=16 * 2**20,
        fetch_max_bytes=64 * 2**20,
    )
    consumer.subscribe(pattern=TOPIC_PATTERN)
    n, count, size, first, first_cpu = config["n"], 0, 0, None, 0.0
    while count < n:
        for records in consumer.poll(timeout_ms=500).values():
            if first is None:
                first, first_cpu = time.perf_counter(), time.process_time()
            for record in records:
                size += len(record.value)
                count += 1
    seconds = time.perf_counter() - (first or time.perf_counter())
    cpu = time.process_time() - first_cpu
    consumer.close()
    return {
        "messages": count,
        "bytes": size,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "startup_seconds": (first or started) - started,
    }


def _ingest(config: dict[str, Any], profile: bool = False) -> dict[str, Any]:
    import threading

    import psutil

    from infra.lake import Lake
    from streams.brokers import broker_traits
    from streams.ingest import Ingest
    from streams.keys import KeyRegistry

    profiler = cProfile.Profile() if profile else None
    first: list[float] = []
    me = psutil.Process()
    helpers_cpu: dict[int, float] = {}
    done = threading.Event()

    def sample_helpers() -> None:
        # Worker processes exit with the run, so their CPU time is read while they live.
        while not done.wait(0.2):
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    times = child.cpu_times()
                    helpers_cpu[child.pid] = times.user + times.system

    def first_message() -> None:
        first.append(time.perf_counter())
        first.append(time.process_time())
        first.append(sum(helpers_cpu.values()))
        # From the first message on, like the rate: the group join is not ours to profile.
        if profiler is not None:
            profiler.enable()

    # Before the Ingest exists: its check-worker pool starts inside run(), before the group join.
    started = time.perf_counter()
    runner = Ingest(
        config["bootstrap"],
        Lake(config["lake"]),
        key_registry=KeyRegistry.load(config["registry"]),
        group_id=config["group"],
        topic_pattern=TOPIC_PATTERN,
        log_batches=False,
        workers=0 if profile else None,
        on_first_message=first_message,
        broker=broker_traits(config.get("broker_kind", "tansu")),
    )
    sampler = threading.Thread(target=sample_helpers, daemon=True)
    sampler.start()
    report = runner.run(max_messages=config["n"])
    end, end_cpu = time.perf_counter(), time.process_time()
    done.set()
    sampler.join()
    if profiler is not None:
        profiler.disable()
    seconds = end - first[0] if first else None
    result: dict[str, Any] = {
        "messages": report.messages,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "files": len(report.files),
        "seconds": seconds,
        "startup_seconds": first[0] - started if first else None,
        "workers": runner.workers,
        "main_cpu_seconds": end_cpu - first[1] if first else None,
        # Sampled every 0.2 s: the last fraction of a second of each worker can be missed.
        "workers_cpu_seconds": sum(helpers_cpu.values()) - first[2] if first else None,
    }
    if profiler is not None and seconds:
        result["profile"] = _profile_shares(pstats.Stats(profiler), seconds)
    return result


def checks_only(keys_dir: Path, n: int = 5000) -> dict[str, float]:
    """The CPU ceiling without Kafka: records/s of `Ingest.check` (decode, country, Ed25519,
    envelope + payload validation) on n signed messages held in memory, and of the signature
    check alone (slicing the signed bytes off + Ed25519). CPU time (best of 3), so other load on
    the machine does not count."""
    from contracts import split_signed
    from streams.ingest import Ingest
    from streams.keys import KeyRegistry, load_private_key, private_key_path, public_key_path
    from streams.publisher import FeedPublisher

    # The publisher and the ingest connect lazily: nothing here talks to a broker.
    pub = FeedPublisher(
        "localhost:1", COUNTRY, load_private_key(private_key_path(COUNTRY, keys_dir))
    )
    messages = [pub.signed_bytes(pub.envelope("person", _record(i))) for i in range(n)]
    registry = KeyRegistry()
    registry.add_public_key_file(COUNTRY, public_key_path(COUNTRY, keys_dir))
    runner = Ingest("localhost:1", None, key_registry=registry, workers=0)
    topic = f"feeds.person.{COUNTRY}"

    def check_all() -> None:
        for offset, value in enumerate(messages):
            runner.check(topic, 0, offset, value)

    def verify_all() -> None:
        for value in messages:
            split = split_signed(value)
            assert split is not None, "the SDK's layout is sliced, not re-serialised"
            _data, signed, signature = split
            if not registry.verify(COUNTRY, signed, signature):
                raise AssertionError("benchmark message does not verify")

    def best(fn: Any) -> float:
        fn()  # warm caches, as a long-running ingest would have them
        times = []
        for _ in range(3):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return n / min(times)

    return {"checks": best(check_all), "verify": best(verify_all)}


def _cores_for(records_per_s: float, cpu_us_per_message: float) -> int:
    """Cores an ingest needs to sustain a rate at a CPU cost per message (perfect scaling)."""
    return max(1, math.ceil(records_per_s * cpu_us_per_message / 1e6))


_BUCKETS = [
    ("signature check (Ed25519)", ("keys.py", "verify")),
    ("envelope + payload validation (pydantic)", ("parsing.py", "validate_envelope")),
    (
        "decode (slice the signed bytes, JSON, canonical and depth checks)",
        ("parsing.py", "split_signed"),
    ),
    ("decode, general path (other layouts)", ("parsing.py", "decode")),
    ("bronze columns from the envelope", ("checking.py", "columns")),
    ("batch bookkeeping, delete rule, row and receipt entry", ("ingest/intake.py", "apply")),
    ("receipts (batched, kafka-python producer send)", ("ingest/consumer.py", "_send_receipts")),
    ("bronze Parquet build + write", ("ingest/batches.py", "land")),
    ("Kafka poll/fetch (kafka-python)", ("group.py", "poll")),
    ("offset commit", ("group.py", "commit")),
]


def _profile_shares(stats: pstats.Stats, seconds: float) -> list[tuple[str, float]]:
    """Cumulative time of the main stages as a share of the measured wall time."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    out = []
    for label, (filename, func) in _BUCKETS:
        total = sum(
            v[3]
            for (file, _line, name), v in raw.items()
            if file.endswith(filename) and name == func
        )
        out.append((label, round(total / seconds, 3) if seconds else 0.0))
    return out


def _worker(argv: list[str]) -> None:
    mode, config_path, result_path = argv[0], Path(argv[1]), Path(argv[2])
    config = json.loads(config_path.read_text())
    logging.basicConfig(level=logging.WARNING)
    if mode == "bare-pycrc":
        # An import of a None entry raises ImportError: kafka-python falls back to its own
        # pure-Python CRC-32C, as it does where the crc32c package is not installed.
        sys.modules["crc32c"] = None  # type: ignore[assignment]
        from kafka.record import util

        assert util.crc32c_c is None, "kafka was imported before crc32c could be hidden"
    if mode.startswith("bare"):
        result = _bare(config)
    else:
        result = _ingest(config, profile=mode == "profile")
    result_path.write_text(json.dumps(result))


# -- the benchmark ---------------------------------------------------------------------------
def _measure_on(
    broker: Any, kind: str, work: Path, n: int, modes: tuple[str, ...]
) -> tuple[dict[str, Any], int, float]:
    """Start a broker, publish n messages, run each mode in its own process, stop the broker.
    Returns the measurements by mode, the mean message size and the publishing time."""
    import uuid

    from streams.brokers import broker_traits

    work.mkdir(parents=True, exist_ok=True)
    bootstrap = broker.start()
    try:
        t0 = time.perf_counter()
        registry, size = publish(bootstrap, work / "keys", n, broker_traits(kind))
        publish_seconds = time.perf_counter() - t0
        log.info("%s: published %d messages of ~%d bytes in %.0fs", kind, n, size, publish_seconds)
        measured = {}
        for mode in modes:
            config = {
                "bootstrap": bootstrap,
                "broker_kind": kind,
                "group": f"bench-{mode}-{uuid.uuid4().hex[:6]}",
                # The profiled run needs only enough messages for stable shares.
                "n": min(n, 20_000) if mode == "profile" else n,
                "lake": str(work / f"lake-{mode}-{uuid.uuid4().hex[:6]}"),
                "registry": str(registry),
            }
            config_path = work / f"{mode}.json"
            config_path.write_text(json.dumps(config))
            result_path = work / f"{mode}-result.json"
            worker_mode = "ingest" if mode == "interlink" else mode
            measured[mode] = run_measured(
                mode,
                ["bench.bench_ingest", worker_mode, str(config_path), str(result_path)],
                result_file=result_path,
                log_file=work / f"{mode}.log",
                timeout=1800,
            )
    finally:
        broker.stop()
    return measured, size, publish_seconds


def run(small: bool) -> list[Table]:
    from infra.broker import EmbeddedBroker
    from infra.kafka import ApacheKafkaBroker, kafka_version

    n = current().messages_override or (20_000 if small else 100_000)
    work = current().workdir / "ingest"
    # Fresh state every run: Apache Kafka keeps its topics on disk, and a previous run's messages,
    # signed with that run's keys, would be read (and dead-lettered) before this run's.
    shutil.rmtree(work, ignore_errors=True)
    measured, size, publish_seconds = _measure_on(
        EmbeddedBroker(state_dir=work / "broker"),
        "tansu",
        work,
        n,
        ("bare", "bare-pycrc", "interlink", "profile"),
    )
    # The same ingest and the same bare consumer against Apache Kafka (no profile: the stages
    # are the same code; no pure-Python CRC: the client's cost does not depend on the broker).
    on_kafka, _size, kafka_publish_seconds = _measure_on(
        ApacheKafkaBroker(state_dir=work / "kafka" / "broker"),
        "apache-kafka",
        work / "kafka",
        n,
        ("bare", "interlink"),
    )
    ceiling = checks_only(work / "keys")
    bare, pycrc = measured["bare"], measured["bare-pycrc"]
    ours, prof = measured["interlink"], measured["profile"]
    cores = os.cpu_count() or 1

    def rate(m: Any) -> float:
        return float(m.result["messages"] / m.result["seconds"])

    def cpu_us(m: Any) -> float:
        return float(m.result["cpu_seconds"] * 1e6 / m.result["messages"])

    workers = ours.result["workers"]
    table = Table(
        title=f"Ingest throughput, {n:,} signed person messages of ~{size} bytes",
        columns=[
            "measure",
            "interlink ingest",
            "bare consumer",
            "ratio",
            "bare, pure-Python CRC",
            "ratio",
        ],
        description=(
            "Same topic (3 partitions), same broker (embedded Tansu, memory storage), same "
            "consumer fetch settings, each in a fresh process. Interlink decodes, verifies the "
            "Ed25519 signature, validates envelope and payload (in "
            f"{workers} worker processes), writes bronze Parquet, sends the receipts and "
            "commits; the bare kafka-python consumers only poll: the first as Interlink installs "
            "kafka-python (`kafka-python[crc32c]`, the C check of each record batch's CRC), the "
            "second as a plain `pip install kafka-python` runs it (its pure-Python CRC). "
            "Rates and seconds count from each contender's first message to its last; start-up "
            "(group join, and for Interlink also starting its check-worker pool, which runs "
            "during the join) is its own row for every contender, not left out. "
            "Goal: ratio ≥ 0.6."
        ),
    )
    our_rate = rate(ours)
    table.add(
        "records/s",
        f"{our_rate:,.0f}",
        f"{rate(bare):,.0f}",
        ratio(our_rate, rate(bare)),
        f"{rate(pycrc):,.0f}",
        ratio(our_rate, rate(pycrc)),
    )
    table.add(
        "seconds (first message → last)",
        f"{ours.result['seconds']:.1f}",
        f"{bare.result['seconds']:.1f}",
        ratio(ours.result["seconds"], bare.result["seconds"]),
        f"{pycrc.result['seconds']:.1f}",
        ratio(ours.result["seconds"], pycrc.result["seconds"]),
    )
    table.add(
        "start-up seconds (worker start → first message)",
        f"{ours.result['startup_seconds']:.1f}",
        f"{bare.result['startup_seconds']:.1f}",
        ratio(ours.result["startup_seconds"], bare.result["startup_seconds"]),
        f"{pycrc.result['startup_seconds']:.1f}",
        ratio(ours.result["startup_seconds"], pycrc.result["startup_seconds"]),
    )
    table.add(
        "peak RSS MiB (process tree)",
        f"{ours.peak_rss_mib:.0f}",
        f"{bare.peak_rss_mib:.0f}",
        ratio(ours.peak_rss_mib, bare.peak_rss_mib),
        f"{pycrc.peak_rss_mib:.0f}",
        ratio(ours.peak_rss_mib, pycrc.peak_rss_mib),
    )
    per_message = 1e6 / ours.result["messages"]
    main_us = ours.result["main_cpu_seconds"] * per_message
    workers_us = ours.result["workers_cpu_seconds"] * per_message
    table.add(
        "CPU µs per message, all processes",
        f"{main_us + workers_us:.0f} ({main_us:.0f} ingest process + {workers_us:.0f} workers)",
        f"{cpu_us(bare):.0f}",
        ratio(main_us + workers_us, cpu_us(bare)),
        f"{cpu_us(pycrc):.0f}",
        ratio(main_us + workers_us, cpu_us(pycrc)),
    )
    table.add(
        "accepted / rejected",
        f"{ours.result['accepted']} / {ours.result['rejected']}",
        "-",
        "-",
        "-",
        "-",
    )
    table.add("bronze files", ours.result["files"], "-", "-", "-", "-")
    # What no ingest that verifies every signature can beat here: all cores doing nothing but
    # the signature checks (and, in the next row, every check of the contract), no Kafka at all.
    for label, per_core in (
        ("checks only (no Kafka) on all {cores} cores, records/s", ceiling["checks"]),
        ("signature check alone (slice + Ed25519) on all {cores} cores, records/s",
         ceiling["verify"]),
    ):  # fmt: skip
        best = per_core * cores
        table.add(
            label.format(cores=cores),
            f"{best:,.0f}",
            f"{rate(bare):,.0f}",
            ratio(best, rate(bare)),
            f"{rate(pycrc):,.0f}",
            ratio(best, rate(pycrc)),
        )
    table.notes.append(
        f"publishing the messages (validate + sign + send) took {publish_seconds:.0f}s"
    )
    verify_us = 1e6 / ceiling["verify"]
    table.notes.append(
        f"Where the goal stands: the bare consumer spends {cpu_us(bare):.0f} µs of CPU per "
        f"message ({cpu_us(pycrc):.0f} µs with the pure-Python CRC), the Ed25519 verification "
        f"alone {verify_us:.0f} µs (libsodium through PyNaCl, the fastest verifier we found on "
        f"PyPI). With every one of the {cores} cores verifying signatures and doing nothing "
        "else, an ingest would reach the ratio in the last row, whatever its design; every "
        "other check (the next-to-last row) and the Kafka poll, Parquet and receipts come on "
        "top. The check workers scale with the cores (one per core), the bare consumer does "
        f"not: at {main_us + workers_us:.0f} µs of CPU per message, ×0.6 of the bare "
        f"consumers' rates takes about {_cores_for(0.6 * rate(bare), main_us + workers_us)} "
        f"cores ({_cores_for(0.6 * rate(pycrc), main_us + workers_us)} against the "
        f"pure-Python CRC); this machine has {cores}."
    )
    table.notes.append(
        "The check rows run `Ingest.check` (every rule on) and the signature check alone over "
        "5,000 signed messages in memory, CPU time of one core, best of 3, times the cores."
    )
    table.notes.append(
        "Peak RSS is summed over the ingest process, its fork server and its workers (each "
        "holds the contracts, pydantic and the crypto libraries, about 50 MiB, most of it "
        "pages the forked workers share with the fork server but count again here); it "
        "includes pyarrow and the open batch, bounded by the batch limits (5,000 messages / "
        "64 MiB), the fetch buffers and the chunks in flight, not by the backlog."
    )
    prof_messages = prof.result["messages"]
    profile = Table(
        title="Where a message's time goes (cProfile, checks in the ingest process)",
        columns=["stage", "µs per message", "share of wall time"],
        description="A separate profiled run with `workers=0`, so that one profile sees every "
        "stage (profiling slows everything, so its rate is not reported); "
        f"{prof_messages:,} messages in {prof.result['seconds']:.0f}s. Cumulative times: a "
        "stage includes what it calls.",
    )
    for label, share in prof.result.get("profile", []):
        profile.add(
            label, f"{share * prof.result['seconds'] * 1e6 / prof_messages:.0f}", f"{share:.0%}"
        )
    per_broker = Table(
        title=f"Ingest per broker: Tansu and Apache Kafka {kafka_version()}, {n:,} messages",
        columns=["measure", "Tansu (embedded, memory)", "Apache Kafka (KRaft, one node)", "ratio"],
        description=(
            "The same messages, the same Interlink ingest (checks in worker processes) and the "
            "same bare kafka-python consumer against each broker, each broker alone on the "
            "machine while measured. The ratio is Apache Kafka's figure over Tansu's."
        ),
    )
    rows = [
        ("interlink ingest, records/s", rate(ours), rate(on_kafka["interlink"])),
        ("bare consumer, records/s", rate(bare), rate(on_kafka["bare"])),
        (
            "interlink / bare",
            rate(ours) / rate(bare),
            rate(on_kafka["interlink"]) / rate(on_kafka["bare"]),
        ),
    ]
    for label, tansu_value, kafka_value in rows:
        fmt = "{:.2f}" if "/ bare" in label else "{:,.0f}"
        per_broker.add(
            label, fmt.format(tansu_value), fmt.format(kafka_value), ratio(kafka_value, tansu_value)
        )
    per_broker.add(
        "publishing (validate + sign + send), s",
        f"{publish_seconds:.1f}",
        f"{kafka_publish_seconds:.1f}",
        ratio(kafka_publish_seconds, publish_seconds),
    )
    per_broker.add(
        "interlink accepted / rejected",
        f"{ours.result['accepted']} / {ours.result['rejected']}",
        f"{on_kafka['interlink'].result['accepted']} / {on_kafka['interlink'].result['rejected']}",
        "-",
    )
    return [table, profile, per_broker]


if __name__ == "__main__":
    _worker(sys.argv[1:])
