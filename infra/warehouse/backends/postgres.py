"""The production warehouse: PostgreSQL, fed by COPY from a DuckDB staging engine."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import psycopg
from psycopg.conninfo import conninfo_to_dict

from infra.errors import WarehouseUnreachable
from infra.warehouse.backends.base import MIGRATION_LOCK, WRITER_LOCK, Backend, first_line
from infra.warehouse.backends.pgcopy import copy_query, copy_select
from infra.warehouse.catalog import TABLES_BY_NAME, Table
from infra.warehouse.ddl import PG_TYPES, q
from infra.warehouse.errors import WarehouseBusy, redact

log = logging.getLogger("infra.warehouse.backends.postgres")


# Every wait on the server is bounded (issue 16: a load must fail fast, never hang). Each can be
# overridden in the URL (`?connect_timeout=5&options=-c%20statement_timeout%3D10min`).
CONNECT_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 10,
    # A dead peer (no RST: a cut network, a frozen host) is noticed within about a minute.
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,
}
SERVER_TIMEOUTS: dict[str, str] = {
    # One statement (the largest table's COPY of a full reload included).
    "statement_timeout": "30min",
    # Waiting for a table lock or the writer lock held by another load or purge.
    "lock_timeout": "2min",
    # A session left in a transaction by a client that died holds its locks no longer.
    "idle_in_transaction_session_timeout": "10min",
}


def connect_kwargs(url: str) -> dict[str, Any]:
    """libpq parameters for url: our timeouts, unless the URL sets its own."""
    given = conninfo_to_dict(url)
    kwargs = {k: v for k, v in CONNECT_DEFAULTS.items() if k not in given}
    server = " ".join(f"-c {k}={v}" for k, v in SERVER_TIMEOUTS.items())
    # Later `-c` settings win: the URL's own options come after ours.
    kwargs["options"] = f"{server} {given.get('options') or ''}".strip()
    return kwargs


def pg_connect(url: str, **kwargs: Any) -> Any:
    """A psycopg connection, or WarehouseUnreachable naming the server and what to do."""
    try:
        return psycopg.connect(url, **connect_kwargs(url), **kwargs)
    except psycopg.OperationalError as exc:
        raise WarehouseUnreachable(
            f"warehouse {redact(url)} is not answering ({first_line(exc)}); start PostgreSQL or "
            "fix INTERLINK_WAREHOUSE__URL"
        ) from exc


class PostgresBackend(Backend):
    """A PostgreSQL database (`postgresql://user@host:5432/db`), with recipients under RLS.

    Reads end their transaction at once (a load or purge runs for minutes and must not hold a
    snapshot meanwhile); writers serialise on a session advisory lock.
    """

    dialect: ClassVar[str] = "postgres"
    types: ClassVar[dict[str, str]] = PG_TYPES
    row_level_security: ClassVar[bool] = True
    param: ClassVar[str] = "%s"
    load_errors: ClassVar[tuple[type[BaseException], ...]] = (psycopg.Error,)

    @classmethod
    def connect(cls, target: str, *, autocommit: bool = False) -> PostgresBackend:
        con = pg_connect(target, autocommit=autocommit)
        try:
            con.execute("SET TIME ZONE 'UTC'")
            if not autocommit:
                con.commit()
        except BaseException:
            con.close()
            raise
        return cls(con, target)

    def describe(self) -> str:
        return f"PostgreSQL {self.read('SHOW server_version')[0][0]}"

    def _end_read(self) -> None:
        if not self.con.autocommit:
            self.con.commit()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.con.cursor() as cur:
            cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def execute_script(self, statements: list[str]) -> None:
        self.con.execute(";\n".join(statements))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction(), self._transaction_flag():
            yield

    @contextmanager
    def migration_transaction(self) -> Iterator[None]:
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            yield
        self._end_read()

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        try:
            self.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK])
        except psycopg.errors.LockNotAvailable as exc:
            self.con.rollback()
            raise WarehouseBusy(
                f"another load or purge has held the warehouse's writer lock for longer than "
                f"lock_timeout ({SERVER_TIMEOUTS['lock_timeout']}); nothing was changed: rerun "
                "when it has finished (pg_stat_activity shows it)"
            ) from exc
        self.con.commit()
        try:
            yield
        finally:
            if not self.con.closed:
                try:
                    self.con.rollback()
                    self.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])
                    self.con.commit()
                except psycopg.Error as exc:
                    # The lock belongs to the session, which closes next: it goes with it.
                    log.warning("writer lock left to the session's end (%s)", exc)

    def has_schema(self) -> bool:
        return self.read("SELECT to_regclass('interlink.load_log')")[0][0] is not None

    # -- staging: an in-memory DuckDB fed by COPY ---------------------------------------------
    @contextmanager
    def staging(self) -> Iterator[Any]:
        duck = duckdb.connect()
        try:
            duck.execute("SET TimeZone = 'UTC'")
            yield duck
        finally:
            duck.close()

    def snapshot(self, duck: Any, table: str, columns: dict[str, str]) -> None:
        # COPY out to a CSV file, then DuckDB reads it: far faster than fetching rows.
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
            path = f.name
            with (
                self.con.cursor() as cur,
                cur.copy(
                    f"COPY (SELECT {', '.join(columns)} FROM interlink.{table}) TO STDOUT "
                    "(FORMAT csv, NULL '\\N')"
                ) as cp,
            ):
                for chunk in cp:
                    f.write(chunk)
        self.con.commit()
        try:
            duck.execute(
                f"CREATE OR REPLACE TEMP TABLE cur_{table} AS SELECT * FROM read_csv(?, header = "
                "false, auto_detect = false, nullstr = '\\N', quote = '\"', escape = '\"', "
                "delim = ',', columns = ?)",
                [path, columns],
            )
        finally:
            Path(path).unlink(missing_ok=True)

    def copy_tombstones(self, duck: Any) -> None:
        rows = self.read("SELECT record_key, record_version FROM interlink.purged_records")
        duck.execute(
            "CREATE OR REPLACE TEMP TABLE purged (record_key VARCHAR, record_version BIGINT)"
        )
        if rows:
            duck.executemany("INSERT INTO purged VALUES (?, ?)", rows)

    def save_fingerprint(self, fingerprint: str, load_id: int) -> None:
        self.execute(
            "INSERT INTO interlink.load_state (name, fingerprint, load_id) VALUES "
            "('sources', %s, %s) ON CONFLICT (name) DO UPDATE SET fingerprint = "
            "excluded.fingerprint, load_id = excluded.load_id, updated_at = now()",
            [fingerprint, load_id],
        )

    def unstorable(self, t: Table) -> list[tuple[str, str]]:
        # U+0000 passes every earlier stage (DuckDB stores it) but PostgreSQL's text and jsonb
        # cannot hold it: one such row used to roll every load back (issue 16).
        out = super().unstorable(t)
        for c in t.columns:
            col = q(c.name)
            if c.type == "text":
                cond = f"strpos({col}, chr(0)) > 0"
            elif c.type == "text[]":
                cond = f"len(list_filter({col}, lambda e: strpos(e, chr(0)) > 0)) > 0"
            elif c.type == "json":
                # jsonb refuses the escape \u0000 too (an escaped backslash before u0000 is fine).
                cond = rf"regexp_matches(CAST({col} AS VARCHAR), '(^|[^\\])(\\\\)*\\u0000')"
            else:
                continue
            out.append((cond, f"'{c.name} contains U+0000 (NUL), which PostgreSQL cannot store'"))
        return out

    # -- rows ---------------------------------------------------------------------------------
    def _remove_rows(self, duck: Any, table: str) -> None:
        # Rows replaced or gone: their keys travel by COPY too, then one DELETE.
        self.execute(f"CREATE TEMP TABLE gone_{table} (row_key text) ON COMMIT DROP")
        copy_query(
            self.con,
            duck,
            f"gone_{table}",
            f"SELECT row_key FROM del_{table} UNION ALL SELECT c.row_key FROM chg_{table} c "
            f"SEMI JOIN cur_{table} k ON k.row_key = c.row_key",
            f"gone_{table}",
            "row_key",
        )
        self.execute(
            f"DELETE FROM interlink.{table} t USING gone_{table} d WHERE t.row_key = d.row_key"
        )

    def _write_rows(self, duck: Any, table: str, load_id: int) -> None:
        # New and changed rows go straight into the table: the transaction, not a staging
        # table, is what keeps readers from seeing them before the commit.
        t = TABLES_BY_NAME[table]
        cols = ", ".join(q(c) for c in t.column_names)
        copy_query(self.con, duck, table, copy_select(t, load_id), f"interlink.{table}", cols)

    def delete_naming(self, table: str, record_keys: list[str]) -> int:
        cur = self.execute(f"DELETE FROM interlink.{table} WHERE record_keys && %s", [record_keys])
        return int(cur.rowcount)

    def tombstone(self, rows: Sequence[tuple[str, int]], action: str, *, takes_over: bool) -> None:
        # A tombstone only ever rises in version: a replayed older deletion cannot lower it.
        also = ", action = excluded.action, purged_at = now()" if takes_over else ""
        self.executemany(
            "INSERT INTO interlink.purged_records (record_key, record_version, action) VALUES "
            "(%s, %s, %s) ON CONFLICT (record_key) DO UPDATE SET record_version = "
            f"greatest(purged_records.record_version, excluded.record_version){also}",
            [(rk, version, action) for rk, version in rows],
        )
