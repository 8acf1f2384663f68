"""What the warehouse asks of a database, after Splink's `DatabaseAPI`: one class per database.

The loader, retention and migrations hold the policy (what moves, what is audited, what is one
transaction); a backend holds how its database does each step, and no other module asks which
database it talks to. Statements the two dialects write alike live here, written with `{p}` for a
parameter; the rest is each backend's own.

DuckDB is the staging engine whatever the target: it reads the gold Parquet and computes the
diff. A backend brings the warehouse's state into that engine (`snapshot`, `copy_tombstones`) and
carries the changes back (`replace_rows`). During a load the engine holds, per curated table <t>:
`stg_<t>` (the rows gold has now), `cur_<t>` (row_key, row_hash of what the warehouse holds),
`chg_<t>` (rows to write) and `del_<t>` (rows to remove).

Failing fast and failing small (issue 16): every call the loader, retention and migrations make
to the database goes through a backend method, so its timeouts are the connection's
(`PostgresBackend.connect`: connect, statement, lock and idle timeouts, TCP keepalives) plus the
COPY pipe, which lives in one function (`pgcopy.stream_fifo`, which never waits without a bound);
and before any row is written, `unstorable` names the rows this database would refuse, which
the diff sets aside in rejected_rows instead of failing the load.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from infra.warehouse.catalog import CAVEATS, Table
from infra.warehouse.errors import NotMigrated

HANDLING_CODES = tuple(CAVEATS)

# One writer per warehouse at a time: loads and purges hold it (PostgreSQL's advisory lock id).
WRITER_LOCK = 0x1A7E_0002
# Serialises concurrent migrators of one database (two DAG runs starting together).
MIGRATION_LOCK = 0x1A7E_0001

NOT_MIGRATED = (
    "the warehouse has no interlink schema: run `interlink warehouse migrate` (or "
    "infra.warehouse.migrate) first"
)

AuditRow = tuple[Any, ...]
"""(record_key, source_country, feed, record_id, record_version, reason, details JSON)."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none), for one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Backend(ABC):
    """An open connection to one warehouse database and the operations Interlink runs on it."""

    dialect: ClassVar[str]
    """Names the migration files that apply (`NNNN_name.<dialect>.sql`) and the report's dialect."""
    types: ClassVar[dict[str, str]]
    """The catalog's logical column types in this database's SQL."""
    row_level_security: ClassVar[bool]
    """Whether recipients (roles, policies, their governance tables) exist in this database."""
    param: ClassVar[str]
    """The database driver's parameter placeholder."""
    load_errors: ClassVar[tuple[type[BaseException], ...]]
    """What a write transaction raises that means "rolled back, rerun": a load's LoadFailed."""

    def __init__(self, con: Any, target: str) -> None:
        self.con = con
        self.target = target
        self._in_transaction = False

    # -- connection ---------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def connect(cls, target: str, *, autocommit: bool = False) -> Backend:
        """Open the database named by target (a libpq URL, a DuckDB path)."""

    @classmethod  # noqa: B027 - a server's database is not ours to drop: nothing to do
    def discard(cls, target: str) -> None:
        """Remove a throw-away database (the demo's): a file-backed one deletes its files; a
        server keeps its database, whose rows the next full load replaces."""

    def close(self) -> None:
        self.con.close()

    @abstractmethod
    def describe(self) -> str:
        """One line naming the server and its version."""

    # -- statements ---------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("{p}", self.param)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query; outside a transaction the read ends here (no snapshot held open)."""
        rows = self.con.execute(self._sql(sql), list(params) or None).fetchall()
        if not self._in_transaction:
            self._end_read()
        return [tuple(r) for r in rows]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.con.execute(self._sql(sql), list(params) or None)

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement over many parameter rows."""

    @abstractmethod
    def execute_script(self, statements: list[str]) -> None:
        """Several statements without parameters (comments, a migration's file)."""

    def _end_read(self) -> None:  # noqa: B027 - most databases keep no read transaction
        """Close the implicit read transaction, where the database keeps one."""

    # -- transactions and locks ---------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all (re-raising what made it fail)."""

    @contextmanager
    def _transaction_flag(self) -> Iterator[None]:
        self._in_transaction = True
        try:
            yield
        finally:
            self._in_transaction = False

    @contextmanager
    def migration_transaction(self) -> Iterator[None]:
        """A transaction that concurrent migrators of this database take one at a time."""
        with self.transaction():
            yield

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Held by a load or a purge: one writer of the curated tables at a time."""
        yield

    # -- schema -------------------------------------------------------------------------------
    @abstractmethod
    def has_schema(self) -> bool:
        """Whether migrations have created the interlink schema (its load_log)."""

    def require_schema(self) -> None:
        """Raise NotMigrated, saying to run the migrations, when the schema is missing."""
        if not self.has_schema():
            raise NotMigrated(NOT_MIGRATED)

    def ensure_bookkeeping(self) -> None:
        """The schema and the table recording applied migrations."""
        self.execute("CREATE SCHEMA IF NOT EXISTS interlink")
        self.execute(
            "CREATE TABLE IF NOT EXISTS interlink.schema_migrations (version integer PRIMARY "
            "KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL "
            "DEFAULT current_timestamp)"
        )

    def count_rows(self, table: str) -> int:
        return int(self.read(f"SELECT count(*) FROM interlink.{table}")[0][0])

    # -- staging ------------------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def staging(self) -> Iterator[Any]:
        """The DuckDB connection a load stages and diffs in."""

    @abstractmethod
    def snapshot(self, duck: Any, table: str, columns: dict[str, str]) -> None:
        """`cur_<table>` in the staging engine: these columns (name: DuckDB type) of every row
        the warehouse holds in the curated table."""

    @abstractmethod
    def copy_tombstones(self, duck: Any) -> None:
        """`purged(record_key, record_version)` in the staging engine: every tombstone."""

    # -- the load's bookkeeping ----------------------------------------------------------------
    def start_load(self, full: bool) -> int:
        """The next load id, logged as started (inside the load's transaction)."""
        next_id = "SELECT coalesce(max(load_id), 0) + 1 FROM interlink.load_log"
        load_id = int(self.read(next_id)[0][0])
        self.execute(
            "INSERT INTO interlink.load_log (load_id, started_at, full_reload) "
            "VALUES ({p}, current_timestamp, {p})",
            [load_id, full],
        )
        return load_id

    def finish_load(self, load_id: int, summary: str) -> None:
        self.execute(
            "UPDATE interlink.load_log SET finished_at = current_timestamp, summary = {p} "
            "WHERE load_id = {p}",
            [summary, load_id],
        )

    @abstractmethod
    def save_fingerprint(self, fingerprint: str, load_id: int) -> None:
        """Record what the sources looked like at this load (load_state 'sources')."""

    # -- rows ---------------------------------------------------------------------------------
    def replace_rows(
        self,
        duck: Any,
        table: str,
        *,
        load_id: int,
        full: bool,
        removes: bool,
        writes: bool,
        keep: Sequence[str] = (),
    ) -> None:
        """Apply the staged diff of one curated table (inside the load's transaction): remove
        `del_<t>` and the old versions of `chg_<t>` (every row with full, but those whose
        row_key is in `keep`: rows set aside keep their previous version), then write `chg_<t>`
        stamped with load_id. `removes` / `writes` say whether anything is to be removed /
        written, so that nothing is sent for nothing."""
        if full:
            spare = f" WHERE row_key NOT IN ({', '.join(['{p}'] * len(keep))})" if keep else ""
            self.execute(f"DELETE FROM interlink.{table}{spare}", list(keep))
        elif removes:
            self._remove_rows(duck, table)
        if writes:
            self._write_rows(duck, table, load_id)

    @abstractmethod
    def _remove_rows(self, duck: Any, table: str) -> None:
        """Delete the rows of `del_<t>` and the old versions of the rows of `chg_<t>`."""

    @abstractmethod
    def _write_rows(self, duck: Any, table: str, load_id: int) -> None:
        """Insert the rows of `chg_<t>` with this load_id: the one door rows enter by."""

    @abstractmethod
    def delete_naming(self, table: str, record_keys: list[str]) -> int:
        """Delete the rows of a curated table built from any of these records; how many."""

    def unstorable(self, t: Table) -> list[tuple[str, str]]:
        """(DuckDB condition over a chg_<t> row, DuckDB expression giving the reason) for each
        kind of row this database refuses: such a row is set aside in rejected_rows instead of
        failing the load. Every database enforces the handling-code CHECK of the migrations."""
        if "handling_code" not in t.column_names:
            return []
        codes = ", ".join(f"'{c}'" for c in HANDLING_CODES)
        return [
            (
                f"handling_code NOT IN ({codes})",
                "'handling_code ' || handling_code || ' is not one of H0-H3'",
            )
        ]

    def record_rejected(self, load_id: int, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace the table's rejected rows with this load's (row_key, key, reason,
        record_keys): what is listed is what the latest load of the table could not store."""
        self.execute("DELETE FROM interlink.rejected_rows WHERE table_name = {p}", [table])
        if rows:
            self.executemany(
                "INSERT INTO interlink.rejected_rows (load_id, table_name, row_key, row_identity, "
                "reason, record_keys) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                [(load_id, table, *r) for r in rows],
            )

    # -- audit --------------------------------------------------------------------------------
    def audit(self, action: str, rows: Sequence[AuditRow]) -> None:
        """Append to the audit log, which is never rewritten."""
        if rows:
            self.executemany(
                "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                "record_id, record_version, reason, details) VALUES ({p}, {p}, {p}, {p}, {p}, "
                "{p}, {p}, {p})",
                [(action, *r) for r in rows],
            )

    @abstractmethod
    def tombstone(self, rows: Sequence[tuple[str, int]], action: str, *, takes_over: bool) -> None:
        """Tombstones (record_key, record_version) that keep stale gold from bringing a record
        back. `takes_over`: an existing tombstone takes this action and time too."""
