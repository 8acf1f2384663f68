"""One place that builds the SparkSession, so the CLI, the DAGs and the tests agree on it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.lake import SCRATCH
from infra.errors import JavaNotFound, SparkSetupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from interlink.settings import Settings


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


REPO = Path(__file__).resolve().parent.parent
# Our importable packages: executors unpickle UDFs by module name, so they need these modules.
PACKAGES = ("contracts", "infra", "interlink", "streams", "transforms")


CDS_DIR = REPO / ".tools" / "spark-cds"


def cds_archive(java: str) -> Path:
    """Where `make spark-cds` keeps the driver JVM's class-data archive for this JDK and Spark.

    A JVM started with it maps Spark's classes (about 20,000 of them in a resolve) already
    parsed and verified instead of reading them out of 250 jars: session start-up went from 4.3
    to 2.4 CPU seconds, class loading during the first queries from about 2 s to near nothing.
    The key changes with the java binary and the Spark version; a JVM that finds the archive
    does not match its own build ignores it and loads classes as usual.
    """
    import pyspark

    key = hashlib.sha256(f"{Path(java).resolve()}|{pyspark.__version__}".encode()).hexdigest()
    return CDS_DIR / f"spark-{pyspark.__version__}-{key[:12]}.jsa"


def hadoop_version() -> str:
    """The Hadoop client pyspark's wheel ships: hadoop-aws must be exactly this version."""
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    found = sorted(jars.glob("hadoop-client-api-*.jar"))
    if not found:
        raise SparkSetupError(f"no hadoop-client-api jar in {jars}: reinstall pyspark (`make env`)")
    return found[0].name.removeprefix("hadoop-client-api-").removesuffix(".jar")


def s3a_jars(folder: str | None = None) -> list[str]:
    """hadoop-aws and its AWS SDK bundle (`make spark-s3a`), checked before the JVM starts."""
    base = Path(folder) if folder else REPO / ".tools" / "spark-s3a" / hadoop_version() / "jars"
    jars = sorted(str(p) for p in base.glob("*.jar"))
    if not any(Path(j).name.startswith("hadoop-aws-") for j in jars):
        raise SparkSetupError(
            f"Spark needs hadoop-aws for an s3:// lake and {base} has none",
            hint="run `make spark-s3a` (fetches it from Maven Central once) or set "
            "INTERLINK_SPARK__S3A_JARS to a folder holding hadoop-aws and its AWS SDK bundle",
        )
    return jars


def s3a_conf(endpoint_url: str | None) -> dict[str, str]:
    """Hadoop S3A settings for the lake's object store, as `spark.hadoop.*` so executors get them.

    Credentials are the driver's (boto3's chain: environment, profile, instance role) passed on
    as static keys, so executors on other machines reach the same buckets; Spark redacts them
    from its UI and logs. Without credentials S3A uses its own chain on each executor.
    """
    import boto3

    conf = {"fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"}
    session = boto3.Session()
    if session.region_name:
        conf["fs.s3a.endpoint.region"] = session.region_name
    if endpoint_url:
        # MinIO, moto and most non-AWS stores serve buckets by path, often over plain HTTP.
        conf["fs.s3a.endpoint"] = endpoint_url
        conf["fs.s3a.path.style.access"] = "true"
        conf["fs.s3a.connection.ssl.enabled"] = str(endpoint_url.startswith("https")).lower()
    creds = session.get_credentials()
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        conf["fs.s3a.access.key"] = frozen.access_key
        conf["fs.s3a.secret.key"] = frozen.secret_key
        if frozen.token:
            conf["fs.s3a.session.token"] = frozen.token
            conf["fs.s3a.aws.credentials.provider"] = (
                "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
            )
    return {f"spark.hadoop.{k}": v for k, v in conf.items()}


def code_zip(target_dir: Path) -> Path:
    """Our packages as one zip for `addPyFile`: what executors import when they run our UDFs."""
    out = target_dir / "interlink-code.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for pkg in PACKAGES:
            for p in sorted((REPO / pkg).rglob("*.py")):
                zf.write(p, p.relative_to(REPO))
    return out


def submitted_master() -> str | None:
    """The master `spark-submit --master` gave this process, None outside spark-submit."""
    # spark-submit starts the JVM first and hands Python its gateway: its conf holds --master.
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf, SparkContext

    # Connect to that JVM first: without it SparkConf() is an empty Python-side dict.
    SparkContext._ensure_initialized()
    return SparkConf().get("spark.master", None)


def heap_options(driver_memory: str) -> list[str]:
    """The driver heap's initial and young sizes for short local runs (with the quick JIT).

    Left to itself the parallel collector starts with a small heap and grows its old generation
    in steps, each after a full collection: a 5k resolve had three of them (0.3 to 0.5 s of
    pause each, on both cores) and copied ever more survivors in small young collections; in
    all 3.4 to 4.5 s of pauses at load 3 to 4. With the heap starting at two thirds of its
    maximum and a young generation of a quarter, 1.4 to 1.6 s and no full collection. The
    metaspace threshold: Spark's classes pass the default one at once, and reaching it is one
    more full collection."""
    m = re.fullmatch(r"(\d+)([kmgt]?)b?", driver_memory.strip().lower())
    if m is None:
        return []
    mib = int(m.group(1)) * {"k": 1 / 1024, "": 1, "m": 1, "g": 1024, "t": 1024**2}[m.group(2)]
    return [f"-Xms{int(mib * 2 / 3)}m", f"-Xmn{int(mib / 4)}m", "-XX:MetaspaceSize=512m"]


def build_session(
    *,
    master: str = "local[*]",
    app_name: str = "interlink",
    driver_memory: str = "4g",
    shuffle_partitions: int = 4,
    checkpoint_dir: str | None = None,
    executor_memory: str | None = None,
    ui_enabled: bool = False,
    quick_jit: bool = True,
    driver_host: str = "127.0.0.1",
    s3: bool = False,
    s3_endpoint_url: str | None = None,
    s3a_jars_dir: str | None = None,
    python_env: str | None = None,
    cds_dump: str | None = None,
) -> SparkSession:
    """A SparkSession for our jobs: small local runs by default, a cluster when master says so.

    Under spark-submit the submitted master wins over `master`. `s3` puts the S3A connector on
    the classpath for an `s3://` lake. On a non-local master our code ships as a zip
    (`addPyFile`) and `python_env`, a packed environment, as `spark.archives`: executors need
    neither the driver's working tree nor its virtualenv. `quick_jit` (local masters only, see
    `SparkSettings.quick_jit`) stops the JVM at its quick compiler, collects with the parallel
    collector and maps the class-data archive of `make spark-cds` when there is one (`cds_dump`:
    write one at JVM exit instead, see `interlink.spark_cds`).
    """
    java = find_java()
    # Python workers (UDFs) must run the interpreter that has our packages, not `python3` on PATH.
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    submitted = submitted_master()
    effective = submitted or master
    cluster = not effective.startswith("local")
    if cluster and python_env:
        # Executors unpack the archive as ./environment in their working directory.
        os.environ["PYSPARK_PYTHON"] = "./environment/bin/python"
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if submitted is None:
        builder = builder.master(master)
    conf = {
        "spark.driver.memory": driver_memory,
        # Few shuffle partitions: the default 200 makes small local jobs spend most time idle.
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(shuffle_partitions),
        # The UI binds a port and starts threads nobody looks at in batch runs and tests.
        "spark.ui.enabled": str(ui_enabled).lower(),
        "spark.ui.showConsoleProgress": "false",
        # Timestamps in the lake are UTC; the session must not shift them to local time.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.adaptive.enabled": "true",
        # Arrow makes pandas <-> Spark conversions (UDFs, small collects) fast.
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # PySpark 4 records the Python call site of every DataFrame and Column call (a stack
        # inspection and several py4j round trips each) only to quote it in error messages: about
        # 0.3 ms per F.col and 1.5-2 ms per select, seconds of driver time in a run that plans
        # hundreds of expressions (docs/entity-resolution.md §12). Errors keep Spark's own message.
        "spark.python.sql.dataFrameDebugging.enabled": "false",
        "spark.driver.bindAddress": driver_host,
        "spark.driver.host": driver_host,
        # What Spark writes into a local lake is private like the rest of it (infra/lake.py):
        # Hadoop creates files and folders with this umask, not the process's.
        "spark.hadoop.fs.permissions.umask-mode": "077",
    }
    if quick_jit and not cluster and submitted is None:
        # Short local runs: the optimising (C2) compiler cost more CPU than it saved (a 5k
        # resolve: about 80 CPU seconds with it, 50 without). Under spark-submit the driver's
        # JVM is already running, so the option could not apply.
        # Stopping at the quick compiler also shrinks the JVM's default code cache from 240 to
        # 48 MiB; a long resolve filled it, and a full cache disables the compiler for good.
        # The parallel collector, not G1: on a heap of small short-lived objects G1's concurrent
        # marking threads used 3-4 CPU seconds of a 5k resolve (about 6 s of GC in all, 1.7 s
        # with this collector) and competed with the task threads for the two cores.
        jvm = ["-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m", "-XX:+UseParallelGC"]
        jvm += heap_options(driver_memory)
        archive = cds_archive(java)
        if cds_dump:
            # The dump warns about every class it cannot keep (generated, signed jars).
            jvm += [f"-XX:ArchiveClassesAtExit={cds_dump}", "-Xlog:cds=error"]
        elif archive.is_file():
            jvm.append(f"-XX:SharedArchiveFile={archive}")
        conf["spark.driver.extraJavaOptions"] = " ".join(jvm)
    if executor_memory:
        conf["spark.executor.memory"] = executor_memory
    if s3:
        conf["spark.jars"] = ",".join(s3a_jars(s3a_jars_dir))
        conf.update(s3a_conf(s3_endpoint_url))
    if cluster and python_env:
        conf["spark.archives"] = f"{Path(python_env).resolve()}#environment"
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    if cluster:
        session.sparkContext.addPyFile(str(code_zip(Path(tempfile.mkdtemp(prefix="interlink-")))))
    if checkpoint_dir:
        session.sparkContext.setCheckpointDir(checkpoint_dir)
    return session


def session_for(settings: Settings, app_name: str = "interlink") -> SparkSession:
    """The session `settings` describe (`Settings.spark` and the lake): every command builds it
    here, so resolve, explain and the pipeline run on the same master with the same lake access."""
    from infra.lake import Lake

    s = settings.spark
    lake = Lake(settings.lake.root, s3_endpoint_url=settings.lake.s3_endpoint_url)
    cluster = not (submitted_master() or s.master).startswith("local")
    if lake.is_s3:
        # Checkpoints must be where both the driver and every executor see them.
        checkpoints = lake.spark_uri(f"{SCRATCH}/spark-checkpoints")
    elif cluster:
        raise SparkSetupError(
            f"Spark master {s.master} runs executors on other machines, and the lake "
            f"{lake.root} is a local folder they cannot read",
            hint="point INTERLINK_LAKE__ROOT at shared storage (s3://bucket/prefix)",
        )
    else:
        local = Path(settings.home) / "spark-checkpoints"
        local.mkdir(parents=True, exist_ok=True)
        checkpoints = str(local.resolve())
    return build_session(
        master=s.master,
        app_name=app_name,
        driver_memory=s.driver_memory,
        shuffle_partitions=s.shuffle_partitions,
        checkpoint_dir=checkpoints,
        executor_memory=s.executor_memory,
        ui_enabled=s.ui_enabled,
        quick_jit=s.quick_jit,
        driver_host=s.driver_host,
        s3=lake.is_s3,
        s3_endpoint_url=settings.lake.s3_endpoint_url,
        s3a_jars_dir=s.s3a_jars,
        python_env=s.python_env,
    )
