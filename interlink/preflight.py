"""Preflight: the broker, the lake, the warehouse and Spark answer before the first stage runs.

A pipeline run ingests, validates and resolves for minutes before it first touches the
warehouse; without this check a stopped PostgreSQL was found only then (3 min 47 s into a run,
issue 18). `interlink run` and `interlink demo` call `preflight()` first; `interlink preflight`
(and its older name `interlink doctor`) prints every check.

The four checks run at once, each under one deadline, so the whole preflight takes seconds even
when a host drops packets instead of refusing them. A check proves what the stage needs and no
more: a metadata request to the broker, a small file written and deleted in the lake, a
connection and a trivial query to the warehouse, Java 17+ for Spark (and a TCP answer from a
`spark://` master); it does not start a SparkSession, which alone takes longer than all four.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from contracts.errors import InterlinkError
from infra.errors import ServiceError
from interlink.settings import Settings

DEADLINE_SECONDS = 10.0
"""How long the slowest check may take: a service that has not answered by then is down for
the operator's purposes (PostgreSQL's own connect timeout here is 10 s as well)."""

MIN_JAVA = 17
"""Spark 4 runs on Java 17 or later."""

HINTS = {
    "broker": "start the embedded broker (`interlink broker start`) or fix "
    "INTERLINK_BROKER__BOOTSTRAP_SERVERS and the broker's security settings",
    "lake": "check INTERLINK_LAKE__ROOT (a writable directory or s3://bucket/prefix), "
    "INTERLINK_LAKE__S3_ENDPOINT_URL and the AWS_* credentials",
    "warehouse": "start the database or fix INTERLINK_WAREHOUSE__URL",
    "spark": "install Java 17 (`apt-get install openjdk-17-jre-headless`) or fix JAVA_HOME; "
    "for a cluster, check INTERLINK_SPARK__MASTER",
}
"""What to do when a check fails with an error that does not already say it."""


class PreflightFailed(ServiceError):
    """A service the pipeline needs did not answer before the run started."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: `detail` says what answered, `error` why it did not."""

    name: str
    seconds: float
    detail: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_broker(s: Settings) -> str:
    from infra.broker import metadata_answers, resolve_bootstrap

    bootstrap = resolve_bootstrap(s.broker.bootstrap_servers, s.state_dir)
    if not metadata_answers(bootstrap, client_options=s.broker.client_options()):
        raise ServiceError(f"broker {bootstrap} does not answer metadata requests")
    return bootstrap


def check_lake(s: Settings) -> str:
    from interlink.pipeline import lake_of

    lake = lake_of(s)
    probe = f"_preflight/{threading.get_ident()}-{time.time_ns()}"
    lake.write_bytes(probe, b"ok")
    lake.delete(probe)
    return lake.root


def check_warehouse(s: Settings) -> str:
    from infra.warehouse import check_connection
    from infra.warehouse.connection import redact

    check_connection(s.warehouse.url)
    return redact(s.warehouse.url)


def check_spark(s: Settings) -> str:
    from infra.process import port_answers
    from interlink.spark import find_java

    java = find_java()
    version = java_major_version(java)
    if version < MIN_JAVA:
        raise ServiceError(
            f"{java} is Java {version}; Spark needs Java {MIN_JAVA} or later",
            hint="install Java 17 and point JAVA_HOME at it",
        )
    detail = f"Java {version}, master {s.spark.master}"
    master = re.fullmatch(r"spark://([^:/]+):(\d+)", s.spark.master)
    if master and not port_answers(int(master[2]), master[1], timeout=3.0):
        raise ServiceError(
            f"Spark master {s.spark.master} does not answer",
            hint="start the master (`spark-class org.apache.spark.deploy.master.Master`) or "
            "fix INTERLINK_SPARK__MASTER",
        )
    return detail


def java_major_version(java: str) -> int:
    """The major version `java -version` reports ("17.0.9" -> 17, the old "1.8.0" -> 8)."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=10)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        raise ServiceError(f"`{java} -version` printed no version", hint=HINTS["spark"])
    major, minor = int(found[1]), int(found[2] or 0)
    return minor if major == 1 else major


CHECKS: dict[str, Callable[[Settings], str]] = {
    "broker": check_broker,
    "lake": check_lake,
    "warehouse": check_warehouse,
    "spark": check_spark,
}
"""Every check, in the order the pipeline's stages first need them."""


def run_checks(
    s: Settings, *, only: tuple[str, ...] | None = None, deadline: float = DEADLINE_SECONDS
) -> list[CheckResult]:
    """Run the checks concurrently; a check still running at the deadline has failed."""
    names = [n for n in CHECKS if only is None or n in only]
    _import_probes(s)
    results: dict[str, CheckResult] = {}
    t0 = time.perf_counter()

    def one(name: str) -> None:
        started = time.perf_counter()
        try:
            detail = CHECKS[name](s)
            results[name] = CheckResult(name, time.perf_counter() - started, detail=detail)
        except Exception as exc:  # any failure of a probe is the finding, typed or not
            results[name] = CheckResult(
                name, time.perf_counter() - started, error=_reason(name, exc)
            )

    # Daemon threads: a probe stuck on a silent host must not keep the process alive after the
    # preflight has already reported it.
    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - (time.perf_counter() - t0)))
    return [
        results.get(n)
        or CheckResult(n, deadline, error=f"no answer within {deadline:.0f} s: {HINTS[n]}")
        for n in names
    ]


def _import_probes(s: Settings) -> None:
    """Load the probes' modules before the deadline starts: importing is not answering, and on a
    busy machine the drivers alone take seconds (imports also serialise across threads)."""
    probes = ["infra.broker", "infra.warehouse", "interlink.pipeline", "kafka.admin"]
    if s.lake.root.startswith("s3://"):
        probes.append("boto3")
    for module in probes:
        importlib.import_module(module)


def _reason(name: str, exc: BaseException) -> str:
    """The failure as one line with a hint: ours carry theirs, others get the check's."""
    if isinstance(exc, InterlinkError):
        text = exc.user_message()
        # Our errors mostly say what to do already; the check's hint is for those that do not.
        return text if exc.hint or ":" in str(exc) else f"{text}: {HINTS[name]}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}: {HINTS[name]}"


def preflight(s: Settings, *, only: tuple[str, ...] | None = None) -> list[CheckResult]:
    """Run the checks; raise PreflightFailed naming each failed one, its cause and its fix."""
    results = run_checks(s, only=only)
    failed = [r for r in results if not r.ok]
    if failed:
        raise PreflightFailed(
            "preflight failed: " + "; ".join(f"{r.name}: {r.error}" for r in failed),
            hint="nothing ran; `interlink preflight` repeats the checks",
        )
    return results


def summary_line(results: list[CheckResult]) -> str:
    """`preflight ok in 0.4 s: broker …, lake …`: the one line a run prints before its stages."""
    took = max((r.seconds for r in results), default=0.0)
    return f"preflight ok in {took:.1f} s: " + ", ".join(f"{r.name} {r.detail}" for r in results)
