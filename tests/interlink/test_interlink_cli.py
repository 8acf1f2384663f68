"""The CLI a newcomer meets: one clear line and a non-zero exit for each setup problem."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")}
    full_env.update({"INTERLINK_HOME": str(home), "INTERLINK_LAKE__ROOT": str(home / "lake")})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "interlink.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=home,
    )


@pytest.mark.kafka
def test_broker_start_status_stop_lifecycle(tmp_path: Path) -> None:
    assert _cli("broker", "status", home=tmp_path).returncode == 1
    started = _cli("broker", "start", home=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "broker running on 127.0.0.1:" in started.stdout
    try:
        status = _cli("broker", "status", home=tmp_path)
        assert status.returncode == 0 and "answering" in status.stdout
    finally:
        stopped = _cli("broker", "stop", home=tmp_path)
    assert stopped.returncode == 0 and "broker stopped" in stopped.stdout
    assert _cli("broker", "status", home=tmp_path).returncode == 1


@pytest.mark.kafka
def test_port_in_use_is_one_line_without_traceback(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = _cli("broker", "start", "--port", str(port), home=tmp_path)
    assert out.returncode == 2
    assert f"port {port}" in out.stderr and "already in use" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_doctor_names_missing_java_and_missing_broker(tmp_path: Path) -> None:
    """`doctor` is the former name of `interlink preflight`: the same checks, the same lines."""
    out = _cli("doctor", home=tmp_path, env={"JAVA_HOME": str(tmp_path / "no-java")})
    assert out.returncode == 1
    assert "FAIL  spark: JAVA_HOME=" in out.stdout and "Java 17" in out.stdout
    assert "FAIL  broker: no broker" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_doctor_names_an_unreachable_postgres(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    out = _cli(
        "doctor",
        home=tmp_path,
        env={"INTERLINK_WAREHOUSE__URL": f"postgresql://postgres@127.0.0.1:{free}/test"},
    )
    assert "FAIL  warehouse:" in out.stdout and str(free) in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.postgres
def test_doctor_never_prints_the_warehouse_password(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    # A server that answers (trust auth ignores the password) and one that does not, with the
    # password in the user info and in the query: doctor's line for each names the server only.
    for url, line in (
        (
            "postgresql://postgres:Sup3r-S3cret@127.0.0.1:5432/test",
            "ok    warehouse: postgresql://postgres:***@127.0.0.1:5432/test",
        ),
        (
            f"postgresql://postgres@127.0.0.1:{free}/test?password=Sup3r-S3cret",
            f"FAIL  warehouse: warehouse postgresql://postgres@127.0.0.1:{free}/test?password=***",
        ),
    ):
        out = _cli("doctor", home=tmp_path, env={"INTERLINK_WAREHOUSE__URL": url})
        assert line in out.stdout, out.stdout
        assert "Sup3r-S3cret" not in out.stdout + out.stderr
