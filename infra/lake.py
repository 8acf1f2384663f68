"""The lake: a local directory or an `s3://bucket/prefix`, behind one small interface.

Writers need two guarantees whatever the backend: a file appears whole or not at all (local: write
to a temporary name, fsync, rename; S3: a single PUT is atomic), and the same name written twice
holds the same bytes (so a replay rewrites, never duplicates). Spark reads and writes the lake where
it is (`spark_uri`: the directory, or `s3a://` through hadoop-aws, docs/operations.md), so a
cluster's executors never need the driver's disk.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.errors import InterlinkError

Versions = list[tuple[str, int, str]]
"""(name, size, version) per file: `Lake.list_versions`."""


class LakeError(InterlinkError, RuntimeError):
    """A lake path could not be read or written."""


# The lake holds personal data: only the user running Interlink may read it, whatever the umask
# (issue 16 found a whole lake world-readable under the usual 022). Modes are set explicitly
# after creation, since the umask may only ever remove bits from what is asked.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

log = logging.getLogger("infra.lake")


def make_private_dirs(path: Path) -> None:
    """Create path and its missing parents, each mode 0700; existing ones are left as they are."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, PRIVATE_DIR)
        except FileExistsError:
            continue  # another writer made it first
        os.chmod(d, PRIVATE_DIR)


def write_private(path: Path, data: bytes) -> None:
    """Write a new file of mode 0600 (path must not exist: callers write a temporary name)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), PRIVATE_FILE)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def make_private_tree(root: Path) -> None:
    """Directories 0700 and files 0600 under root (a tree copied in from elsewhere)."""
    os.chmod(root, PRIVATE_DIR)
    for p in root.rglob("*"):
        os.chmod(p, PRIVATE_DIR if p.is_dir() else PRIVATE_FILE)


@dataclass(frozen=True)
class RowsDropped:
    """What `Lake.drop_rows` did to one file."""

    rel: str
    rows: int
    file_deleted: bool


@dataclass
class Lake:
    """A lake root: `/abs/path`, `relative/path` or `s3://bucket/prefix`."""

    root: str
    s3_endpoint_url: str | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        self.root = self.root.rstrip("/") if self.root != "/" else self.root
        self._client: Any = None
        self._root_checked = False
        if not self.is_s3:
            self.root = str(Path(self.root).expanduser().resolve())

    # -- addressing -------------------------------------------------------------------------
    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    @property
    def bucket(self) -> str:
        return self.root[5:].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        parts = self.root[5:].split("/", 1)
        return parts[1].strip("/") if len(parts) > 1 else ""

    def key(self, rel: str) -> str:
        rel = rel.lstrip("/")
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def uri(self, rel: str = "") -> str:
        rel = rel.lstrip("/")
        return f"{self.root}/{rel}" if rel else self.root

    def spark_uri(self, rel: str = "") -> str:
        """Where Spark reads and writes rel: Hadoop's S3A connector serves `s3a://`, not `s3://`."""
        rel = rel.lstrip("/")
        if self.is_s3:
            key = self.key(rel)
            return f"s3a://{self.bucket}/{key}" if key else f"s3a://{self.bucket}"
        return str(self.path(rel))

    def path(self, rel: str = "") -> Path:
        """Local path of rel; only for local lakes."""
        if self.is_s3:
            raise LakeError(f"{self.root} is an S3 lake: use local_mirror() for a local copy")
        return Path(self.root) / rel.lstrip("/")

    @property
    def s3(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3", endpoint_url=self.s3_endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
            )
        return self._client

    # -- bytes ------------------------------------------------------------------------------
    def write_bytes(self, rel: str, data: bytes) -> str:
        """Write atomically: readers see the old file, or the whole new one, never a part."""
        if self.is_s3:
            self.s3.put_object(Bucket=self.bucket, Key=self.key(rel), Body=data)
            return self.uri(rel)
        target = self.path(rel)
        self._private_root()
        make_private_dirs(target.parent)
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        write_private(tmp, data)
        os.replace(tmp, target)
        # The rename itself must survive a crash before offsets are committed: fsync the folder.
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return str(target)

    def _private_root(self) -> None:
        """The root is the lake's one door: 0700 whatever else (Spark's own files under it
        take Hadoop's umask) or whoever made it."""
        if self._root_checked:
            return
        root = Path(self.root)
        make_private_dirs(root)
        mode = root.stat().st_mode & 0o777
        if mode != PRIVATE_DIR:
            log.warning("lake root %s was mode %o: made 0700 (the lake is private)", root, mode)
            os.chmod(root, PRIVATE_DIR)
        self._root_checked = True

    def read_bytes(self, rel: str) -> bytes:
        if self.is_s3:
            obj = self.s3.get_object(Bucket=self.bucket, Key=self.key(rel))
            return bytes(obj["Body"].read())
        return self.path(rel).read_bytes()

    def exists(self, rel: str) -> bool:
        if self.is_s3:
            resp = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.key(rel), MaxKeys=1)
            return any(o["Key"] == self.key(rel) for o in resp.get("Contents", []))
        return self.path(rel).exists()

    def list(self, prefix: str = "") -> list[str]:
        """Relative names of all files under prefix, sorted; hidden temporary files excluded."""
        return sorted(self._iter(prefix))

    def _iter(self, prefix: str) -> Iterator[str]:
        if self.is_s3:
            base = self.key(prefix)
            strip = len(self.prefix) + 1 if self.prefix else 0
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for obj in page.get("Contents", []):
                    yield obj["Key"][strip:]
            return
        base_path = self.path(prefix)
        if not base_path.exists():
            return
        if base_path.is_file():
            yield prefix
            return
        for p in base_path.rglob("*"):
            if p.is_file() and not p.name.startswith("."):
                yield str(p.relative_to(self.root))

    def list_versions(self, prefix: str = "") -> Versions:
        """(name, size, version) of every file under prefix, sorted by name, as `list` names
        them: enough to tell that a folder changed without reading it. The version is the
        modification time in nanoseconds (local) or the ETag (S3), so a file rewritten in place
        at the same size (a row dropped, a replay) still counts as changed."""
        if self.is_s3:
            base = self.key(prefix)
            strip = len(self.prefix) + 1 if self.prefix else 0
            out: Versions = []
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for obj in page.get("Contents", []):
                    out.append((obj["Key"][strip:], int(obj["Size"]), str(obj.get("ETag", ""))))
            return sorted(out)
        rows = []
        for rel in self._iter(prefix):
            try:
                st = self.path(rel).stat()
            except FileNotFoundError:  # moved away (quarantined, erased) while we listed
                continue
            rows.append((rel, st.st_size, str(st.st_mtime_ns)))
        return sorted(rows)

    def delete(self, rel: str) -> None:
        if self.is_s3:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key(rel))
            return
        p = self.path(rel)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    def delete_prefix(self, prefix: str) -> None:
        for rel in self.list(prefix):
            self.delete(rel)
        if not self.is_s3 and self.path(prefix).exists():
            shutil.rmtree(self.path(prefix), ignore_errors=True)

    def move(self, src: str, dst: str) -> None:
        """Move one file (on S3 a server-side copy, then the source goes)."""
        if not self.is_s3:
            self.path(dst).parent.mkdir(parents=True, exist_ok=True)
            self.path(src).rename(self.path(dst))
            return
        self.s3.copy_object(
            Bucket=self.bucket,
            Key=self.key(dst),
            CopySource={"Bucket": self.bucket, "Key": self.key(src)},
        )
        self.delete(src)

    def move_prefix(self, src: str, dst: str) -> None:
        """Replace the folder dst by src (a table Spark wrote beside the one it was reading)."""
        src, dst = src.strip("/"), dst.strip("/")
        if not self.is_s3:
            if self.path(dst).exists():
                shutil.rmtree(self.path(dst))
            self.path(src).rename(self.path(dst))
            return
        # S3 has no rename: a server-side copy per object, then the source goes.
        self.delete_prefix(dst + "/")
        for rel in self.list(src + "/"):
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=self.key(dst + rel[len(src) :]),
                CopySource={"Bucket": self.bucket, "Key": self.key(rel)},
            )
            self.delete(rel)

    # -- parquet ----------------------------------------------------------------------------
    def write_parquet(self, rel: str, table: pa.Table) -> str:
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        return self.write_bytes(rel, buf.getvalue())

    def read_parquet(self, rel: str) -> pa.Table:
        return pq.read_table(io.BytesIO(self.read_bytes(rel)))

    def drop_rows(self, rel: str, table: pa.Table, drop: pa.Array) -> RowsDropped:
        """Rewrite the Parquet file rel (read as table) without the rows where drop is true, or
        delete it when none is left: how a source's deletion and a retention purge reach a lake
        copy. Same name, same schema, atomic replace: a reader sees the old file or the new one.
        """
        keep = table.filter(pc.invert(drop))
        if keep.num_rows == 0:
            self.delete(rel)
        else:
            self.write_parquet(rel, keep)
        return RowsDropped(rel, table.num_rows - keep.num_rows, file_deleted=keep.num_rows == 0)

    # -- spark bridge -----------------------------------------------------------------------
    def local_mirror(self, prefix: str) -> Path:
        """A local directory holding prefix: the lake itself when local, else a synced copy."""
        if not self.is_s3:
            return self.path(prefix)
        cache = Path(self.cache_dir or tempfile.gettempdir()) / "interlink-lake-cache"
        # A copy of the lake is as private as the lake (the default cache is under /tmp).
        make_private_dirs(cache)
        os.chmod(cache, PRIVATE_DIR)
        target = cache / self.bucket / self.key(prefix)
        if target.exists():
            shutil.rmtree(target)
        make_private_dirs(target)
        for rel in self.list(prefix):
            local = cache / self.bucket / self.key(rel)
            make_private_dirs(local.parent)
            local.unlink(missing_ok=True)
            write_private(local, self.read_bytes(rel))
        return target

    def upload_dir(self, local_dir: Path, prefix: str) -> None:
        """Publish a locally written directory (for example Spark output) under prefix."""
        if not self.is_s3:
            target = self.path(prefix)
            if target.resolve() == local_dir.resolve():
                return
            if target.exists():
                shutil.rmtree(target)
            self._private_root()
            make_private_dirs(target.parent)
            shutil.copytree(local_dir, target)
            make_private_tree(target)
            return
        self.delete_prefix(prefix)
        for p in sorted(local_dir.rglob("*")):
            if p.is_file() and not p.name.startswith((".", "_")):
                self.write_bytes(f"{prefix}/{p.relative_to(local_dir)}", p.read_bytes())
