"""One place that builds the SparkSession, so the CLI, the DAGs and the tests agree on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from infra.errors import JavaNotFound

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def find_java() -> str:
    """The java binary Spark will use; a clear error naming JAVA_HOME when there is none."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.exists():
            return str(candidate)
        raise JavaNotFound(
            f"JAVA_HOME={java_home} has no bin/java: point JAVA_HOME at a Java 17 installation "
            "(e.g. /usr/lib/jvm/java-17-openjdk-amd64) or unset it to use `java` from PATH"
        )
    found = shutil.which("java")
    if not found:
        raise JavaNotFound(
            "Spark needs Java 17 and none was found: install it (`apt-get install "
            "openjdk-17-jre-headless`) or set JAVA_HOME to a Java 17 installation"
        )
    try:
        subprocess.run([found, "-version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise JavaNotFound(
            f"`{found} -version` failed ({exc}): fix the Java install or JAVA_HOME"
        ) from exc
    return found


def build_session(
    *,
    master: str = "local[*]",
    app_name: str = "interlink",
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    checkpoint_dir: str | None = None,
) -> SparkSession:
    """A SparkSession tuned for small local runs; on a cluster spark-submit overrides master."""
    find_java()
    # Python workers (UDFs) must run the interpreter that has our packages, not `python3` on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        # Few shuffle partitions: the default 200 makes small local jobs spend most time idle.
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        # The UI binds a port and starts threads nobody looks at in batch runs and tests.
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Timestamps in the lake are UTC; the session must not shift them to local time.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.adaptive.enabled", "true")
        # Arrow makes pandas <-> Spark conversions (UDFs, small collects) fast.
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        # What Spark writes into a local lake is private like the rest of it (infra/lake.py):
        # Hadoop creates files and folders with this umask, not the process's.
        .config("spark.hadoop.fs.permissions.umask-mode", "077")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    if checkpoint_dir:
        session.sparkContext.setCheckpointDir(checkpoint_dir)
    return session
