"""One pipeline run (ingest → validate → resolve → load) in its own process, for
test_spark_cluster.py: a Spark driver is one per process, so `local[2]` and the cluster run each
get a fresh one, configured only by the INTERLINK_* environment the test sets.

Prints one JSON line: the steps' summaries and, for the cluster run, what an executor saw.
"""

from __future__ import annotations

import json
import os
import sys

from interlink.pipeline import ingest_step, load_step, resolve_step, spark_session, validate_step


def _executor_view(repo: str) -> dict[str, object]:
    """What a task sees on an executor: the driver's tree, its interpreter, where our code is."""

    def probe(_: object) -> dict[str, object]:
        import transforms.standardize

        return {
            "repo_entries": os.listdir(repo) if os.path.isdir(repo) else None,
            "python": sys.executable,
            "code": transforms.standardize.__file__,
        }

    return spark_session().sparkContext.parallelize([0], 1).map(probe).collect()[0]


def _local_write_error() -> str | None:
    """Write a table to a folder of the driver's disk: on a cluster the executors write to their
    own disks, and the driver must say so instead of finding a bare `_SUCCESS` and going on."""
    import tempfile

    from transforms import lake_io

    spark = spark_session()
    try:
        lake_io.write_table(spark.range(3).toDF("x"), tempfile.mkdtemp(), "gold", "probe")
    except Exception as exc:  # its type and message are what the test checks
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    out: dict[str, object] = {}
    steps = (("ingest", ingest_step), ("validate", validate_step))
    for name, step in (*steps, ("resolve", resolve_step), ("load", load_step)):
        out[name] = step()
        # On stderr (the test's log file), so a slow or stuck run shows how far it got.
        print(f"{name} done in {out[name].get('seconds')} s", file=sys.stderr, flush=True)
    out["master"] = spark_session().sparkContext.master
    out["executor"] = _executor_view(sys.argv[1])
    out["local_write_error"] = _local_write_error()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
