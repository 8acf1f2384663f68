"""Every command's SparkSession comes from `Settings.spark` and the lake (`session_for`).

Each case runs in its own process: one Spark driver per process, and the point is what a fresh
command gets from its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
# What a command reports about the session it built from its settings.
PROBE = """
import json
from interlink.settings import load_settings
from interlink.spark import session_for
from pyspark.errors.utils import is_debugging_enabled
sc = session_for(load_settings()).sparkContext
seen = {k: sc.getConf().get(k, None) for k in (
    "spark.master", "spark.executor.memory", "spark.ui.enabled", "spark.driver.host")}
# Whether PySpark captures a Python call site on every DataFrame and Column call.
seen["call sites captured"] = is_debugging_enabled()
print(json.dumps(seen))
"""


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")}
    return {
        **base,
        "PYTHONPATH": str(REPO),
        "INTERLINK_HOME": str(tmp_path),
        "INTERLINK_LAKE__ROOT": str(tmp_path / "lake"),
        **settings,
    }


def _last_json(out: str) -> dict[str, object]:
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_the_session_takes_master_memory_ui_and_driver_host_from_settings(
    tmp_path: Path,
) -> None:
    env = _env(
        tmp_path,
        INTERLINK_SPARK__MASTER="local[1]",
        INTERLINK_SPARK__EXECUTOR_MEMORY="768m",
        INTERLINK_SPARK__UI_ENABLED="true",
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert _last_json(out.stdout) == {
        "spark.master": "local[1]",
        "spark.executor.memory": "768m",
        "spark.ui.enabled": "true",
        "spark.driver.host": "127.0.0.1",
        "call sites captured": False,
    }


def test_spark_submits_master_wins_over_the_setting(tmp_path: Path) -> None:
    import pyspark

    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = _env(tmp_path, INTERLINK_SPARK__MASTER="local[2]", PYSPARK_PYTHON=sys.executable)
    out = subprocess.run(
        [str(submit), "--master", "local[1]", str(script)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert _last_json(out.stdout)["spark.master"] == "local[1]"


def test_a_cluster_master_with_a_local_lake_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    env = _env(tmp_path, INTERLINK_SPARK__MASTER="spark://127.0.0.1:7077")
    out = subprocess.run(
        [sys.executable, "-m", "interlink.cli", "explain", "P-0000000000000000"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "is a local folder they cannot read" in out.stderr
    assert "s3://bucket/prefix" in out.stderr


JIT_PROBE = """
import json
from interlink.settings import load_settings
from interlink.spark import session_for
sc = session_for(load_settings()).sparkContext
mf = sc._jvm.java.lang.management.ManagementFactory
args = mf.getRuntimeMXBean().getInputArguments()
code = sum(p.getUsage().getMax() for p in mf.getMemoryPoolMXBeans() if "Code" in p.getName())
gcs = sorted(str(g.getName()) for g in mf.getGarbageCollectorMXBeans())
shown = ("-XX:TieredStopAtLevel", "-Xms", "-Xmn")
print(json.dumps([str(a) for a in args if str(a).startswith(shown)]))
print(json.dumps(gcs))
print(json.dumps(code))
"""


@pytest.mark.parametrize(
    ("setting", "expected", "collector"),
    [
        ("true", ["-XX:TieredStopAtLevel=1", "-Xms2730m", "-Xmn1024m"], "PS Scavenge"),
        ("false", [], "G1 Young Generation"),
    ],
)
def test_a_local_driver_jvm_runs_the_quick_compiler_unless_turned_off(
    tmp_path: Path, setting: str, expected: list[str], collector: str
) -> None:
    env = _env(tmp_path, INTERLINK_SPARK__MASTER="local[1]", INTERLINK_SPARK__QUICK_JIT=setting)
    out = subprocess.run(
        [sys.executable, "-c", JIT_PROBE], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    flags, gcs, code_cache = (json.loads(ln) for ln in out.stdout.strip().splitlines()[-3:])
    # With the quick JIT the heap also starts at two thirds of the driver's 4g and its young
    # generation is a quarter (`heap_options`): no full collections while the heap grows.
    assert flags == expected
    # Short local runs collect with the parallel collector (G1's concurrent threads cost a 5k
    # resolve 3-4 CPU seconds); turned off, the JVM's default G1.
    assert collector in gcs, gcs
    # Either way the compiled code has the JVM's full-size cache (the quick compiler alone
    # would default to 48 MiB, which a long resolve fills).
    assert code_cache >= 200 * 2**20, code_cache


CDS_PROBE = """
import json, sys
from pathlib import Path
import interlink.spark as S
S.CDS_DIR = Path(sys.argv[1])
if sys.argv[2] == "present":
    archive = S.cds_archive(S.find_java())
    archive.parent.mkdir(parents=True)
    # Not a real archive: a JVM ignores one that does not match its build, as it would a stale one.
    archive.write_bytes(b"stale")
spark = S.build_session(master="local[1]")
args = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
print(json.dumps([str(a) for a in args.getInputArguments() if "SharedArchiveFile" in str(a)]))
print(spark.range(3).count())
"""


@pytest.mark.parametrize("archive", ["present", "absent"])
def test_a_local_driver_jvm_maps_the_class_archive_when_there_is_one(
    tmp_path: Path, archive: str
) -> None:
    cds = tmp_path / "cds"
    out = subprocess.run(
        [sys.executable, "-c", CDS_PROBE, str(cds), archive],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    flags, count = (json.loads(ln) for ln in out.stdout.strip().splitlines()[-2:])
    assert count == 3
    if archive == "present":
        assert flags == [f"-XX:SharedArchiveFile={next(cds.glob('*.jsa'))}"]
    else:
        assert flags == []
