"""Shared-nothing Spark: a standalone master and a worker that cannot see the driver's files run
the pipeline on an `s3://` lake (moto's S3 server) to the same warehouse as `local[2]` on a
local lake.

The worker lives in its own mount namespace with private tmpfs over the working tree and /tmp
(`infra.spark_standalone`): our code reaches it as a zip, Python as the packed executor env
(`make spark-env`), the S3A jars from the driver (`make spark-s3a`), data only through `s3a://`.
Each run is its own process (tests/e2e/cluster_pipeline_run.py): one Spark driver per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

# Two pipeline runs and a cluster start: minutes on a quiet two-core machine, more on a busy one.
pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parents[2]
EXECUTOR_ENV = REPO / ".tools" / "spark-env" / "executor-env.tar.gz"
# Columns that stamp when a row landed or was validated, and what derives from them (each row's
# hash; a quality row's key is its batch id, which names the validation time): two independent
# runs differ there by construction, and nowhere else (found by comparing the two warehouses).
VOLATILE = {"ingest_time", "validated_at", "batch_id", "row_hash"}
VOLATILE_IN = {"feed_quality": {"row_key"}}


def _run(env: dict[str, str], tmp: Path, name: str) -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLINK_", "AWS_"))}
    log = tmp / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("cluster_pipeline_run.py")), str(REPO)],
            env={**base, "PYTHONPATH": str(REPO), **env},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            timeout=1500,
        )
    assert proc.returncode == 0, f"the {name} run failed: {log.read_text()[-3000:]}"
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _stable(summary: Any) -> Any:
    """A step summary without what names the run: durations and when the model was trained."""
    if isinstance(summary, dict):
        return {
            k: _stable(v)
            for k, v in summary.items()
            if k not in ("seconds", "model_trained_at") and not k.endswith("_seconds")
        }
    if isinstance(summary, list):
        return [_stable(v) for v in summary]
    return summary


def _warehouse(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every curated table's rows, sorted, without the columns that name the run."""
    import duckdb

    from infra.warehouse.catalog import TABLES

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t in TABLES:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "'interlink' AND table_name = ? ORDER BY ordinal_position",
                    [t.name],
                ).fetchall()
                if r[0] not in VOLATILE | VOLATILE_IN.get(t.name, set())
            ]
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f"SELECT {quoted} FROM interlink.{t.name}").fetchall()
            out[t.name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def test_a_shared_nothing_cluster_on_an_s3_lake_loads_the_same_warehouse_as_local(
    tmp_path: Path, local_s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.broker import EmbeddedBroker
    from infra.lake import Lake
    from infra.s3 import ACCESS_KEY, REGION, SECRET_KEY
    from infra.spark_standalone import StandaloneCluster
    from interlink.demo import publish_world
    from interlink.settings import Settings
    from streams.simulate import write_feeds

    assert EXECUTOR_ENV.exists(), "run `make spark-env` (make test-slow does)"
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    local_s3.create_bucket(bucket)
    aws = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }
    s3_lake = {
        "INTERLINK_LAKE__ROOT": f"s3://{bucket}/interlink",
        "INTERLINK_LAKE__S3_ENDPOINT_URL": local_s3.endpoint,
    }
    with EmbeddedBroker(state_dir=tmp_path / "broker") as broker:
        for k, v in {
            **aws,
            **s3_lake,
            "INTERLINK_KEYS__PRIVATE_DIR": str(tmp_path / "keys"),
        }.items():
            monkeypatch.setenv(k, v)
        write_feeds(tmp_path / "feeds", seed=3, persons=30, countries=["FRA", "DEU"])
        sent = sum(publish_world(Settings(), broker.bootstrap, tmp_path / "feeds")["sent"].values())
        assert sent > 0
        # Both lakes trust the same public keys; each run lands the same topics in its own lake.
        registry = Settings().keys.registry
        lake = Lake(s3_lake["INTERLINK_LAKE__ROOT"], s3_endpoint_url=local_s3.endpoint)
        Lake(str(tmp_path / "local-lake")).write_bytes(registry, lake.read_bytes(registry))

        def settings(name: str, **extra: str) -> dict[str, str]:
            return {
                "INTERLINK_HOME": str(tmp_path / name),
                "INTERLINK_WAREHOUSE__URL": f"duckdb:///{tmp_path / name / 'warehouse.duckdb'}",
                "INTERLINK_BROKER__BOOTSTRAP_SERVERS": broker.bootstrap,
                "INTERLINK_INGEST__GROUP_ID": f"cluster-test-{name}",
                "INTERLINK_INGEST__UNTIL_IDLE_SECONDS": "3",
                "INTERLINK_SPARK__DRIVER_MEMORY": "1g",
                "INTERLINK_SPARK__SHUFFLE_PARTITIONS": "2",
                **extra,
            }

        # /tmp holds this test's files (tmp_path) and the driver's Spark scratch space.
        hidden = (REPO, Path(tempfile.gettempdir()))
        assert tmp_path.is_relative_to(hidden[1])
        with StandaloneCluster(tmp_path / "cluster", worker_memory="1500m", hide=hidden) as c:
            cluster = _run(
                settings(
                    "cluster",
                    **aws,
                    **s3_lake,
                    INTERLINK_SPARK__MASTER=c.master_url,
                    INTERLINK_SPARK__EXECUTOR_MEMORY="1g",
                    INTERLINK_SPARK__PYTHON_ENV=str(EXECUTOR_ENV),
                ),
                tmp_path,
                "cluster",
            )
        local = _run(
            settings(
                "local",
                INTERLINK_LAKE__ROOT=str(tmp_path / "local-lake"),
                INTERLINK_SPARK__MASTER="local[2]",
            ),
            tmp_path,
            "local",
        )
    # The cluster really ran the work, on an executor that sees none of the driver's tree.
    assert cluster["master"].startswith("spark://")
    # Hidden either way: an empty tmpfs over the tree ([]), or no tree at all (None) when the
    # checkout itself lies under the hidden /tmp, as a CI clone may.
    assert cluster["executor"]["repo_entries"] in ([], None)
    assert "/environment/bin/python" in cluster["executor"]["python"]
    assert "interlink-code.zip" in cluster["executor"]["code"]
    # A write to the driver's own disk "succeeds" on the executors: the lake I/O refuses it.
    assert cluster["local_write_error"].startswith("LakeError: Spark reported writing /tmp/")
    assert local["local_write_error"] is None
    assert local["ingest"]["accepted"] == cluster["ingest"]["accepted"] == sent
    assert cluster["resolve"]["gold"]["entities"] > 0
    assert _stable(cluster["resolve"]) == _stable(local["resolve"])
    # Nothing was mirrored to the driver: the lake's gold lives on S3 only.
    assert any(r.startswith("gold/person_entities/") for r in lake.list("gold"))
    want = _warehouse(tmp_path / "local" / "warehouse.duckdb")
    got = _warehouse(tmp_path / "cluster" / "warehouse.duckdb")
    assert want["person_records"], "the local run loaded persons"
    assert got == want
