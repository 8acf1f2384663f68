"""Apache Kafka started from our code: the errors a newcomer meets before it runs, said clearly.

The broker itself is exercised by every streams test marked `apache_kafka` (tests/streams), which
start it, restart it after a SIGKILL, and stop it; these tests need no JVM.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.errors import PortInUse
from infra.kafka import (
    ApacheKafkaBroker,
    KafkaNotInstalled,
    kafka_libs,
    kafka_version,
    new_cluster_id,
)


def test_the_kafka_version_is_the_one_the_pom_names() -> None:
    pom = (Path(__file__).resolve().parents[2] / "infra" / "kafka" / "pom.xml").read_text()
    assert f"<kafka.version>{kafka_version()}</kafka.version>" in pom
    assert kafka_version().startswith("4.")


def test_missing_jars_name_the_directory_and_make_kafka(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLINK_KAFKA_LIBS", str(tmp_path / "nothing"))
    with pytest.raises(KafkaNotInstalled, match=r"nothing: run `make kafka`"):
        kafka_libs()


def test_a_taken_broker_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        broker = ApacheKafkaBroker(state_dir=tmp_path, port=port)
        with pytest.raises(PortInUse, match=f"port {port}"):
            broker.start()
    assert broker.process is None and not (tmp_path / "data").exists()


def test_cluster_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # A dash first made the storage tool read `-t -xyz` as a missing value (a CI run lost four
    # Apache Kafka tests to it): the first draw here starts with one, so it must be redrawn.
    import uuid as uuid_mod

    draws = iter([uuid_mod.UUID(bytes=b"\xfb" + bytes(15)), uuid_mod.UUID(bytes=bytes(16))])
    monkeypatch.setattr(uuid_mod, "uuid4", lambda: next(draws))
    cid = new_cluster_id()
    assert cid == "AAAAAAAAAAAAAAAAAAAAAA"
