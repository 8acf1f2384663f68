"""The embedded warehouse: one DuckDB file, which is also its own staging engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from infra.errors import WarehouseUnreachable
from infra.warehouse.backends.base import Backend
from infra.warehouse.ddl import DUCK_TYPES


class DuckDBBackend(Backend):
    """A DuckDB file (`duckdb:///path/file.duckdb`).

    DuckDB lets one process open a file for writing, so that file lock is the writer lock and
    there are no recipients: the embedded warehouse has a single reader, the operator.
    """

    dialect: ClassVar[str] = "duckdb"
    types: ClassVar[dict[str, str]] = DUCK_TYPES
    row_level_security: ClassVar[bool] = False
    param: ClassVar[str] = "?"
    # Whatever fails inside the transaction, ROLLBACK has undone all of it: a rerun completes it.
    load_errors: ClassVar[tuple[type[BaseException], ...]] = (Exception,)

    @classmethod
    def connect(cls, target: str, *, autocommit: bool = False) -> DuckDBBackend:
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(target)
        except duckdb.IOException as exc:
            raise WarehouseUnreachable(
                f"DuckDB warehouse {target} cannot be opened ({str(exc).splitlines()[0]}); "
                "another process may hold it: stop it or use another file"
            ) from exc
        con.execute("SET TimeZone = 'UTC'")
        return cls(con, target)

    @classmethod
    def discard(cls, target: str) -> None:
        if target == ":memory:":
            return
        db = Path(target)
        for p in (db, db.with_suffix(db.suffix + ".wal")):
            p.unlink(missing_ok=True)

    def describe(self) -> str:
        return f"DuckDB {self.read('SELECT version()')[0][0]}"

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.con.execute(self._sql(sql), list(row))

    def execute_script(self, statements: list[str]) -> None:
        for s in statements:
            self.con.execute(s)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        with self._transaction_flag():
            try:
                yield
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise

    def has_schema(self) -> bool:
        n = self.read(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'interlink' "
            "AND table_name = 'load_log'"
        )[0][0]
        return bool(n)

    # -- staging: the warehouse file itself ---------------------------------------------------
    @contextmanager
    def staging(self) -> Iterator[Any]:
        yield self.con

    def snapshot(self, duck: Any, table: str, columns: dict[str, str]) -> None:
        duck.execute(
            f"CREATE OR REPLACE TEMP TABLE cur_{table} AS SELECT {', '.join(columns)} "
            f"FROM interlink.{table}"
        )

    def copy_tombstones(self, duck: Any) -> None:
        duck.execute(
            "CREATE OR REPLACE TEMP TABLE purged AS SELECT record_key, record_version "
            "FROM interlink.purged_records"
        )

    def save_fingerprint(self, fingerprint: str, load_id: int) -> None:
        self.execute(
            "INSERT OR REPLACE INTO interlink.load_state (name, fingerprint, load_id, "
            "updated_at) VALUES ('sources', ?, ?, current_timestamp)",
            [fingerprint, load_id],
        )

    # -- rows ---------------------------------------------------------------------------------
    def _remove_rows(self, duck: Any, table: str) -> None:
        self.execute(
            f"DELETE FROM interlink.{table} WHERE row_key IN (SELECT row_key FROM "
            f"chg_{table} UNION ALL SELECT row_key FROM del_{table})"
        )

    def _write_rows(self, duck: Any, table: str, load_id: int) -> None:
        # The staged rows are in this very database: one INSERT … SELECT.
        self.execute(
            f"INSERT INTO interlink.{table} SELECT * REPLACE (CAST(? AS BIGINT) AS "
            f"load_id) FROM chg_{table}",
            [load_id],
        )

    def delete_naming(self, table: str, record_keys: list[str]) -> int:
        # DuckDB's DELETE does not say how many rows it removed: count them first.
        n = self.read(
            f"SELECT count(*) FROM interlink.{table} WHERE list_has_any(record_keys, ?)",
            [record_keys],
        )[0][0]
        self.execute(
            f"DELETE FROM interlink.{table} WHERE list_has_any(record_keys, ?)", [record_keys]
        )
        return int(n)

    def tombstone(self, rows: Sequence[tuple[str, int]], action: str, *, takes_over: bool) -> None:
        # INSERT OR REPLACE: here the new tombstone always takes over, as the embedded
        # warehouse has always done (PostgreSQL keeps the highest version).
        self.executemany(
            "INSERT OR REPLACE INTO interlink.purged_records (record_key, record_version, "
            "action, purged_at) VALUES (?, ?, ?, current_timestamp)",
            [(rk, version, action) for rk, version in rows],
        )
