"""`make spark-cds`: the driver JVM's class-data archive, written by one small resolve.

`python -m interlink.spark_cds` resolves a generated world of a few hundred persons in a child
process whose JVM dumps every class it loaded into an archive at exit (`-XX:ArchiveClassesAtExit`),
then moves the archive to `interlink.spark.cds_archive`, where local sessions with the quick JIT
map it (`build_session`). `--if-missing`: only when this JDK and Spark have none yet (the
archive's name holds both). Without an archive sessions start as before.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from interlink.spark import build_session, cds_archive, find_java

PERSONS = 300
"""Enough for every phase of a resolve to run (and load its classes); a minute in all."""


def _train(archive: Path, work: Path) -> None:
    """Resolve a generated world in this process's JVM, then end the JVM so it writes `archive`."""
    from streams.simulate.output import resolve_input, write_feeds
    from transforms.resolve import resolve_file

    world = work / "world"
    write_feeds(
        world, seed=20261206, persons=PERSONS, countries=["FRA", "DEU", "GRC"], cross_script=True
    )
    people = resolve_input(world, output=world / "persons.jsonl")
    checkpoints = work / "checkpoints"
    checkpoints.mkdir()
    spark = build_session(master="local[2]", checkpoint_dir=str(checkpoints), cds_dump=str(archive))
    resolve_file(spark, str(people), str(work / "out"))
    gateway = spark.sparkContext._gateway
    assert gateway is not None
    process = gateway.proc  # type: ignore[attr-defined]
    spark.stop()
    # The archive is written as the JVM exits normally: end it, then wait for it to finish
    # writing. The call itself fails as the gateway's connection drops with the JVM.
    with contextlib.suppress(Exception):
        gateway.jvm.java.lang.System.exit(0)
    process.wait(timeout=600)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--train":
        _train(Path(args[1]), Path(args[2]))
        return
    archive = cds_archive(find_java())
    if "--if-missing" in args and archive.is_file():
        print(f"class-data archive: {archive} (up to date)")
        return
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="interlink-cds-") as work:
        partial = Path(work) / "classes.jsa"
        subprocess.run(
            [sys.executable, "-m", "interlink.spark_cds", "--train", str(partial), work],
            check=True,
        )
        if not partial.is_file():
            sys.exit("the JVM wrote no class-data archive: is this a JDK 17 or later?")
        for old in archive.parent.glob("*.jsa"):
            old.unlink()
        os.replace(partial, archive)
    print(f"class-data archive: {archive} ({archive.stat().st_size // 2**20} MiB)")


if __name__ == "__main__":
    main()
