"""Session-scoped real services: the embedded broker, a local SparkSession, PostgreSQL, S3.

Each fixture starts the real thing once per test session and stops it at the end; nothing here is
a mock. Tests pick what they need by fixture name and declare it with a marker (`kafka`, `spark`,
`postgres`, `airflow`, `browser`, `slow`), so `pytest -m "not (kafka or spark)"` runs the fast
subset. The streams tests run once per broker (`tansu`, `apache_kafka`): tests/streams/conftest.py
overrides `broker` there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("INTERLINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """A local SparkSession shared by all Spark tests.

    local[2]: the machine has two cores; shuffle partitions 2: the default 200 would make tiny
    test DataFrames spend their time scheduling empty tasks; the UI is off (no port, no threads);
    session time zone UTC so timestamps in assertions mean the same everywhere.
    """
    from interlink.spark import build_session

    session = build_session(
        master="local[2]", app_name="interlink-tests", shuffle_partitions=2, driver_memory="2g"
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The embedded Tansu broker (memory storage) for the session; yields bootstrap servers."""
    from infra.broker import EmbeddedBroker

    b = EmbeddedBroker(state_dir=tmp_path_factory.mktemp("broker"), storage="memory://tansu/")
    bootstrap = b.start()
    yield bootstrap
    b.stop()


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """moto's S3 server on loopback (for s3:// lakes and durable broker storage)."""
    from infra.s3 import LocalS3

    s3 = LocalS3(state_dir=tmp_path_factory.mktemp("s3"))
    s3.start()
    yield s3
    s3.stop()


@pytest.fixture
def s3_lake(local_s3, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An `s3://` lake on the local S3 server, built the way production builds it.

    A fresh bucket per test; the endpoint comes from `INTERLINK_LAKE__S3_ENDPOINT_URL` and the
    credentials from boto3's own environment chain, so the client the lake creates is the one a
    deployment gets from its settings (no client handed in from outside).
    """
    from infra.s3 import ACCESS_KEY, REGION, SECRET_KEY
    from interlink.pipeline import lake_of
    from interlink.settings import load_settings

    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    local_s3.create_bucket(bucket)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the setting alone must carry it
    for key, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "INTERLINK_LAKE__ROOT": f"s3://{bucket}/interlink",
        "INTERLINK_LAKE__S3_ENDPOINT_URL": local_s3.endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    return lake_of(load_settings())


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    import psycopg

    name = f"interlink_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not answering at {PG_ADMIN_URL} ({exc}); start it with "
            "`make postgres` (installs it when absent) or `bash infra/postgres/up.sh`"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private AIRFLOW_HOME with SQLite metadata, configured before Airflow is imported."""
    from interlink.airflow_runner import configure_airflow_env

    return configure_airflow_env(tmp_path_factory.mktemp("airflow"))


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's headless Chromium over the DevTools protocol (fresh profile, no background
    networking); each page records every request it makes (infra.browser)."""
    from infra.browser import Chromium

    with Chromium() as browser:
        yield browser
