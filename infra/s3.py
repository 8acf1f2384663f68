"""A local S3 server (moto's server mode on loopback) for an `s3://` lake and broker storage.

Tests that need data to survive a broker restart, and tests of the `s3://` lake, use it. Production
uses real object storage through the same settings (endpoint URL, keys).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra.errors import ServiceError
from infra.process import ensure_port_free, free_port, port_answers, stop_pid

# moto accepts any credentials; fixed ones keep the broker's and boto3's views consistent.
ACCESS_KEY = "interlink"
SECRET_KEY = "interlink-secret"
REGION = "eu-west-1"


@dataclass
class LocalS3:
    """moto's S3 server on a free loopback port."""

    state_dir: Path
    port: int | None = None
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> str:
        if self.port is None:
            self.port = free_port(self.host)
        ensure_port_free(self.port, self.host, what="S3 server")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.state_dir / "s3.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"the local S3 server exited: see {self.state_dir / 's3.log'}")
            if port_answers(self.port, self.host):
                return self.endpoint
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"the local S3 server did not answer on {self.endpoint}")

    def stop(self) -> None:
        if self.process is not None:
            stop_pid(self.process.pid)
            self.process = None

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )

    def env(self) -> dict[str, str]:
        """Environment for Tansu's s3:// storage and for boto3 clients in subprocesses."""
        return {
            "AWS_ENDPOINT": self.endpoint,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def __enter__(self) -> LocalS3:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
