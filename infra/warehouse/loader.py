"""Gold Parquet → staging → the curated tables, in one transaction per load.

DuckDB is the staging engine for both targets: it reads the gold Parquet (whatever columns
transforms writes today), maps it onto the catalog's columns, computes each row's key, hash,
source records and handling, and diffs it against what the warehouse holds. Only rows whose hash
changed move, and every table's changes (plus the audit rows of source deletions and the load's
log row) are applied in one transaction, so a reader never sees half a load and a rerun changes
nothing. PostgreSQL receives the rows through COPY (CSV written by DuckDB, streamed to
`COPY … FROM STDIN`), never row by row.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.lake import Lake
from infra.warehouse.catalog import CAVEATS, TABLES, Table
from infra.warehouse.connection import LoadFailed, NotMigrated, connect
from infra.warehouse.ddl import DUCK_TYPES, q

log = logging.getLogger("infra.warehouse.loader")

# A writer of one PostgreSQL warehouse at a time: loads and purges take this advisory lock.
WRITER_LOCK = 0x1A7E_0002
_COPY_CHUNK = 1 << 20


@dataclass
class TableLoad:
    """What one load did to one table."""

    table: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    """Summary of a load: rows per table after it, rows moved, tables skipped, source deletes."""

    load_id: int | None
    dialect: str
    full: bool
    tables: dict[str, TableLoad] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    source_deletes: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent staging (read, map, hash), diffing, and writing (COPY + commit)."""
    digest: str | None = None
    """Digest of the source files this load read (its fingerprint goes to load_state)."""

    @property
    def moved(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id,
            "dialect": self.dialect,
            "full": self.full,
            "tables": {n: t.rows for n, t in self.tables.items()},
            "moved": {
                n: {"inserted": t.inserted, "updated": t.updated, "deleted": t.deleted}
                for n, t in self.tables.items()
            },
            "notes": {n: t.notes for n, t in self.tables.items() if t.notes},
            "skipped": dict(self.skipped),
            "source_deletes": self.source_deletes,
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
        }


def caveat_sql(code: str, note: str) -> str:
    """DuckDB expression giving the caveat text of a handling code (NULL for H0)."""
    parts = []
    for c, text in CAVEATS.items():
        if not text:
            continue
        if c == "H3":
            parts.append(
                f"WHEN {code} = 'H3' THEN 'H3: ' || coalesce({note}, '{text.removeprefix('H3: ')}')"
            )
        else:
            parts.append(f"WHEN {code} = '{c}' THEN '{text}'")
    return "CASE " + " ".join(parts) + " END"


# -- reading gold -------------------------------------------------------------------------------
def source_files(lake: Lake, prefix: str, suffix: str = ".parquet") -> list[str]:
    """Local paths of the files under a lake prefix (Spark's part files), [] when absent."""
    rels = [
        r
        for r in lake.list(prefix)
        if r.endswith(suffix) and not Path(r).name.startswith(("_", "."))
    ]
    if not rels:
        return []
    if lake.is_s3:
        base = lake.local_mirror(prefix)
        return sorted(str(p) for p in base.rglob(f"*{suffix}") if not p.name.startswith((".", "_")))
    return [str(lake.path(r)) for r in rels]


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def create_source_view(duck: Any, lake: Lake, t: Table, view: str) -> list[str] | None:
    """A DuckDB view `view` over the table's lake sources; None when none of them exists."""
    if t.sources == ("reports/quality/results",):
        return _quality_view(duck, lake, view)
    files: list[str] = []
    for prefix in t.sources:
        files += source_files(lake, prefix)
    if not files:
        return None
    if t.sources == ("bronze",):
        # The ingestion log is what landed: one row per bronze file, read from its rows.
        duck.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT "
            "regexp_extract(filename, '^.*?/(bronze/feed=.*)$', 1) AS file, "
            'any_value(topic) AS topic, any_value("partition") AS "partition", '
            'min("offset") AS first_offset, max("offset") AS last_offset, '
            "any_value(feed) AS feed, any_value(source_country) AS country, "
            "count(*) AS messages, max(ingest_time) AS ingest_time "
            f"FROM read_parquet({_sql_list(files)}, filename = true, union_by_name = true, "
            "hive_partitioning = false) GROUP BY filename"
        )
        return files
    duck.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({_sql_list(files)}, "
        "union_by_name = true, hive_partitioning = false)"
    )
    return files


def _quality_view(duck: Any, lake: Lake, view: str) -> list[str] | None:
    """Great Expectations results (reports/quality/results/<batch>.json) as rows."""
    import pyarrow as pa

    rels = [r for r in lake.list("reports/quality/results") if r.endswith(".json")]
    if not rels:
        return None
    rows = []
    for rel in rels:
        doc = json.loads(lake.read_bytes(rel))
        stats = doc.get("statistics") or {}
        rows.append(
            {
                "batch_id": doc.get("batch_id") or Path(rel).stem,
                "feed": doc.get("feed"),
                "country": doc.get("country"),
                "suite": doc.get("suite"),
                "success": doc.get("success"),
                "evaluated": stats.get("evaluated_expectations"),
                "failed_expectations": [str(x) for x in doc.get("failed_expectations") or []],
                "warnings": [str(x) for x in doc.get("warnings") or []],
                "validated_at": doc.get("validated_at"),
            }
        )
    schema = pa.schema(
        [
            ("batch_id", pa.string()),
            ("feed", pa.string()),
            ("country", pa.string()),
            ("suite", pa.string()),
            ("success", pa.bool_()),
            ("evaluated", pa.int64()),
            ("failed_expectations", pa.list_(pa.string())),
            ("warnings", pa.list_(pa.string())),
            ("validated_at", pa.string()),
        ]
    )
    duck.register(f"{view}_arrow", pa.Table.from_pylist(rows, schema))
    duck.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * REPLACE "
        f"(CAST(validated_at AS TIMESTAMPTZ) AS validated_at) FROM {view}_arrow"
    )
    return rels


def _gold_columns(duck: Any, view: str) -> dict[str, str]:
    rows = duck.execute(f"DESCRIBE {view}").fetchall()
    return {r[0]: str(r[1]) for r in rows}


def _cast(expr: str, src_type: str | None, type_: str) -> str:
    target = DUCK_TYPES[type_]
    if type_ == "json":
        if src_type is not None and src_type.upper() in ("VARCHAR", "JSON"):
            return f"CAST({expr} AS JSON)"
        return f"CAST(to_json({expr}) AS JSON)"
    if type_ == "date" and (src_type or "").upper() == "VARCHAR":
        # Partial dates (YYYY-MM) do not name a day: NULL rather than an invented one.
        return f"TRY_CAST({expr} AS DATE)"
    if type_ == "text[]" and (src_type or "").upper() == "VARCHAR":
        return f"CAST(from_json({expr}, '[\"VARCHAR\"]') AS VARCHAR[])"
    return f"CAST({expr} AS {target})"


_GOLD_REF = re.compile(r"\bg\.(\w+)")


def _column_exprs(t: Table, cols: dict[str, str], notes: list[str]) -> list[str]:
    """`expr AS name` for the columns read from the source, as it is today."""
    out = []
    for c in t.columns:
        if c.technical:
            continue
        if c.name in ("handling_code", "dissemination") and t.governance != "derived":
            continue  # handled with the governance columns
        expr, src_type = None, None
        for needs, alt in c.alts:
            if all(n in cols for n in needs):
                expr = alt
                src_type = cols[needs[0]] if len(needs) == 1 and alt == f"g.{needs[0]}" else None
                break
        if expr is None and c.name in cols:
            expr, src_type = f"g.{q(c.name)}", cols[c.name]
        if expr is None:
            if not (c.name == "handling_note" and t.default_dissemination):
                notes.append(f"{t.gold} has no column for {c.name}: loaded as NULL")
            out.append(f"CAST(NULL AS {DUCK_TYPES[c.type]}) AS {q(c.name)}")
            continue
        out.append(f"{_cast(expr, src_type, c.type)} AS {q(c.name)}")
    return out


def _governance_exprs(t: Table, cols: dict[str, str], notes: list[str]) -> list[str]:
    if t.governance == "derived":
        return []
    gov = []
    if "dissemination" in cols:
        gov.append(f"{_cast('g.dissemination', cols['dissemination'], 'text[]')} AS dissemination")
    elif t.default_dissemination:
        gov.append(f"CAST({t.default_dissemination} AS VARCHAR[]) AS dissemination")
    else:
        notes.append(f"{t.gold} has no dissemination: rows visible to no recipient")
        gov.append("CAST(NULL AS VARCHAR[]) AS dissemination")
    if "handling_code" in cols:
        gov.append("CAST(g.handling_code AS VARCHAR) AS handling_code")
    elif t.default_dissemination:
        gov.append("'H0' AS handling_code")  # operational metadata of the source's own batches
    else:
        notes.append(f"{t.gold} has no handling_code: loaded as NULL")
        gov.append("CAST(NULL AS VARCHAR) AS handling_code")
    return gov


def _entity_expr(t: Table, cols: dict[str, str], notes: list[str]) -> str:
    if t.entity_refs is None:
        return "CAST([] AS VARCHAR[])"
    missing = sorted({m for m in _GOLD_REF.findall(t.entity_refs) if m not in cols})
    if missing:
        notes.append(f"{t.gold} lacks {missing}: entity evidence not counted for visibility")
        return "CAST([] AS VARCHAR[])"
    return f"CAST({t.entity_refs} AS VARCHAR[])"


def mapped_sql(t: Table, view: str, cols: dict[str, str], notes: list[str]) -> str:
    """SELECT mapping the source view onto the table's columns, with record_keys and _entities
    (the entity ids whose person records the row also stands on)."""
    selects = [
        *_column_exprs(t, cols, notes),
        *_governance_exprs(t, cols, notes),
        f"{_entity_expr(t, cols, notes)} AS _entities",
    ]
    return (
        f"SELECT c.*, CAST({t.record_keys} AS VARCHAR[]) AS record_keys FROM "
        f"(SELECT {', '.join(selects)} FROM {view} g) c"
    )


_DERIVED_HANDLING = (
    "SELECT u.row_key, coalesce(list_sort(list_distinct(flatten(list(r.dissemination) FILTER "
    "(len(r.dissemination) > 0)))), []) AS dissemination, max(r.handling_code) AS handling_code, "
    "string_agg(DISTINCT r.caveat, ' ' ORDER BY r.caveat) AS caveat "
    "FROM (SELECT row_key, unnest(record_keys) AS k FROM {src}) u "
    "JOIN stg_records r ON r.record_key = u.k GROUP BY u.row_key"
)


def _hash_expr(columns: list[str]) -> str:
    """Content hash of a staged row `f`: DuckDB's 64-bit hash of the row as a struct. Cheap, and
    stable within a DuckDB version; a version changing it costs one reload of every row."""
    fields = ", ".join(f"{q(n)} := f.{q(n)}" for n in columns)
    return f"CAST(hash(struct_pack({fields})) AS VARCHAR)"


def stage_table(duck: Any, lake: Lake, t: Table, staged: set[str], notes: list[str]) -> bool:
    """Create temp table stg_<name>: the source mapped onto the catalog, keyed, hashed,
    deduplicated, with its record keys and handling. False when no source exists."""
    view = f"src_{t.name}"
    if create_source_view(duck, lake, t, view) is None:
        return False
    cols = _gold_columns(duck, view)
    names = t.column_names
    key_exprs = ", ".join(f"coalesce(CAST(m.{q(k)} AS VARCHAR), '\\N')" for k in t.key)
    dkey = (
        "array_to_string(list_sort(coalesce(m.dissemination, [])), ',') AS dissemination_key"
        if "dissemination_key" in names
        else "NULL AS _no_dkey"
    )
    # An entity id stands for all the person records resolved into it.
    expand = (
        "list_distinct(list_concat(m.record_keys, coalesce((SELECT list(p.record_keys[1]) "
        "FROM stg_person_records p WHERE list_contains(m._entities, p.entity_id)), [])))"
        if "person_records" in staged and t.entity_refs
        else "m.record_keys"
    )
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE stg_{t.name}_m AS SELECT x.*, md5(concat_ws(chr(31), "
        f"{key_exprs.replace('m.', 'x.')})) AS row_key FROM (SELECT m.* REPLACE ({expand} AS "
        f"record_keys), {dkey} FROM ({mapped_sql(t, view, cols, notes)}) m) x"
    )
    if t.governance == "derived":
        gov = {
            "dissemination": "h.dissemination",
            "handling_code": "h.handling_code",
            "caveat": "h.caveat",
        }
        join = (
            (
                f"LEFT JOIN ({_DERIVED_HANDLING.format(src=f'stg_{t.name}_m')}) h "
                "ON h.row_key = m.row_key"
            )
            if "records" in staged
            else ""
        )
        if not join:
            notes.append("records not staged: derived rows carry no handling")
            gov = {
                "dissemination": "CAST(NULL AS VARCHAR[])",
                "handling_code": "CAST(NULL AS VARCHAR)",
                "caveat": "CAST(NULL AS VARCHAR)",
            }
    else:
        join = ""
        note_col = "m.handling_note" if "handling_note" in names else "NULL"
        gov = {"caveat": caveat_sql("m.handling_code", note_col)}
    content = [n for n in names if n not in ("row_key", "row_hash", "load_id")]
    final = []
    for n in names:
        if n == "row_hash":
            final.append("CAST(NULL AS VARCHAR) AS row_hash")
        elif n == "load_id":
            final.append("CAST(NULL AS BIGINT) AS load_id")
        elif n in gov:
            final.append(f"{gov[n]} AS {q(n)}")
        else:
            final.append(f"m.{q(n)}")
    total, distinct = duck.execute(
        f"SELECT count(*), count(DISTINCT row_key) FROM stg_{t.name}_m"
    ).fetchall()[0]
    # Duplicate keys are rare (a source bug): only then pay for the window that drops them.
    dedupe = (
        "QUALIFY row_number() OVER (PARTITION BY m.row_key ORDER BY m.record_keys) = 1"
        if distinct < total
        else ""
    )
    late_keys = bool(t.record_keys_from and t.record_keys_from in staged and len(t.key) == 1)
    hashed = "f.*" if late_keys else f"f.* REPLACE ({_hash_expr(content)} AS row_hash)"
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE stg_{t.name} AS SELECT {hashed} FROM (SELECT "
        f"{', '.join(final)} FROM stg_{t.name}_m m {join} {dedupe}) f"
    )
    duck.execute(f"DROP TABLE stg_{t.name}_m")
    if late_keys:
        k = q(t.key[0])
        duck.execute(
            f"UPDATE stg_{t.name} s SET record_keys = m.keys FROM (SELECT {k}, "
            f"list_sort(list_distinct(flatten(list(record_keys)))) AS keys "
            f"FROM stg_{t.record_keys_from} GROUP BY {k}) m WHERE m.{k} = s.{k}"
        )
        if t.governance == "derived" and "records" in staged:
            duck.execute(
                f"UPDATE stg_{t.name} s SET dissemination = h.dissemination, handling_code = "
                f"h.handling_code, caveat = h.caveat FROM "
                f"({_DERIVED_HANDLING.format(src=f'stg_{t.name}')}) h WHERE h.row_key = s.row_key"
            )
        # The hash must cover the record keys and handling just computed.
        duck.execute(f"UPDATE stg_{t.name} f SET row_hash = {_hash_expr(content)}")
    if distinct < total:
        notes.append(f"{total - distinct} duplicate rows of key {list(t.key)} dropped")
    return True


def _drop_blocked(duck: Any, t: Table) -> int:
    """Remove staged rows naming a purged record (unless a later version extended it)."""
    n = duck.execute(
        f"SELECT count(DISTINCT s.row_key) FROM (SELECT row_key, unnest(record_keys) AS k "
        f"FROM stg_{t.name}) s JOIN blocked b ON b.record_key = s.k"
    ).fetchall()[0][0]
    if n:
        duck.execute(
            f"DELETE FROM stg_{t.name} WHERE row_key IN (SELECT s.row_key FROM (SELECT row_key, "
            f"unnest(record_keys) AS k FROM stg_{t.name}) s JOIN blocked b ON b.record_key = s.k)"
        )
    return int(n)


# -- the load --------------------------------------------------------------------------------
def load(url: str, lake: Lake, *, full: bool = False) -> LoadReport:
    """Load gold into the warehouse: only changed rows move (all with full=True), in one
    transaction; rows gone from gold are removed and audited as source deletions.

    Raises NotMigrated when migrate() has not run, LoadFailed when the database refuses or loses
    the load (then nothing of it is visible and a rerun completes it).
    """
    import duckdb

    t0 = time.perf_counter()
    with connect(url) as (wu, con):
        report = LoadReport(load_id=None, dialect=wu.dialect, full=full)
        if wu.is_postgres:
            _require_schema_pg(con)
            con.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
            con.commit()
            duck = duckdb.connect()
            duck.execute("SET TimeZone = 'UTC'")
        else:
            _require_schema_duck(con)
            duck = con
        try:
            digest = sources_digest(lake)
            current = _fingerprint(digest, con)
            stored = _stored_fingerprint(con)
            if wu.is_postgres:
                con.commit()
            if not full and current is not None and stored and stored[0] == current:
                # Nothing the load reads changed since that load: nothing can move.
                report.skipped["*"] = f"sources unchanged since load {stored[1]}"
                _count_rows(con, wu.is_postgres, report)
                report.seconds = time.perf_counter() - t0
                return report
            report.digest = digest
            t1 = time.perf_counter()
            staged = _stage_all(duck, lake, report)
            t2 = time.perf_counter()
            _current(duck, wu.is_postgres, con, staged)
            _blocked(duck, wu.is_postgres, con, staged)
            any_blocked = duck.execute("SELECT count(*) FROM blocked").fetchall()[0][0] > 0
            for name in staged if any_blocked else []:
                t = next(x for x in TABLES if x.name == name)
                dropped = _drop_blocked(duck, t)
                if dropped:
                    report.tables[name].notes.append(
                        f"{dropped} rows of purged or deleted records not reloaded"
                    )
            _diff(duck, staged, report, full)
            t3 = time.perf_counter()
            if wu.is_postgres:
                _apply_pg(con, duck, staged, report, full)
            else:
                _apply_duck(duck, staged, report, full)
            report.phases = {"stage": t2 - t1, "diff": t3 - t2, "write": time.perf_counter() - t3}
            _count_rows(con, wu.is_postgres, report)
        finally:
            for name in staged if "staged" in locals() else []:
                for prefix in ("stg_", "cur_", "chg_", "del_"):
                    duck.execute(f"DROP TABLE IF EXISTS {prefix}{name}")
            if wu.is_postgres:
                duck.close()
                if not con.closed:
                    try:
                        con.rollback()
                        con.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
                        con.commit()
                    except Exception:
                        pass
    report.seconds = time.perf_counter() - t0
    log.info("load %s: %s", report.load_id, report.as_dict()["moved"])
    return report


def sources_digest(lake: Lake) -> str | None:
    """SHA-256 of every source file's name, size, inode and modification time and of the
    catalog; None for an S3 lake (its listing gives no sizes here: it always loads)."""
    if lake.is_s3:
        return None
    h = hashlib.sha256(repr(TABLES).encode())
    for prefix in sorted({p for t in TABLES for p in t.sources}):
        for rel in lake.list(prefix):
            st = lake.path(rel).stat()
            h.update(f"{rel}\0{st.st_size}\0{st.st_ino}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _fingerprint(digest: str | None, con: Any) -> str | None:
    """The sources' digest combined with the tombstones (a purge must reach the next load)."""
    if digest is None:
        return None
    state = con.execute(
        "SELECT count(*), CAST(max(purged_at) AS VARCHAR), CAST(max(record_version) AS VARCHAR) "
        "FROM interlink.purged_records"
    ).fetchall()[0]
    return hashlib.sha256(f"{digest}|{tuple(state)!r}".encode()).hexdigest()


def _stored_fingerprint(con: Any) -> tuple[Any, ...] | None:
    rows = con.execute(
        "SELECT fingerprint, load_id FROM interlink.load_state WHERE name = 'sources'"
    ).fetchall()
    return tuple(rows[0]) if rows else None


def _require_schema_pg(con: Any) -> None:
    row = con.execute("SELECT to_regclass('interlink.load_log')").fetchall()[0][0]
    con.commit()
    if row is None:
        raise NotMigrated(
            "the warehouse has no interlink schema: run `interlink warehouse "
            "migrate` (or infra.warehouse.migrate) first"
        )


def _require_schema_duck(con: Any) -> None:
    n = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'interlink' "
        "AND table_name = 'load_log'"
    ).fetchall()[0][0]
    if not n:
        raise NotMigrated(
            "the warehouse has no interlink schema: run `interlink warehouse "
            "migrate` (or infra.warehouse.migrate) first"
        )


def _stage_all(duck: Any, lake: Lake, report: LoadReport) -> list[str]:
    staged: list[str] = []
    # Tables taking their record keys from another table stage after it.
    for t in sorted(TABLES, key=lambda x: x.record_keys_from is not None):
        notes: list[str] = []
        if not stage_table(duck, lake, t, set(staged), notes):
            report.skipped[t.name] = f"{t.gold} missing: table left as it was"
            continue
        report.tables.setdefault(t.name, TableLoad(t.name)).notes.extend(notes)
        staged.append(t.name)
    return staged


def _blocked(duck: Any, is_pg: bool, con: Any, staged: list[str]) -> None:
    """Temp table `blocked`: purged record keys whose gold copy is not a later version."""
    if is_pg:
        rows = con.execute(
            "SELECT record_key, record_version FROM interlink.purged_records"
        ).fetchall()
        con.commit()
        duck.execute(
            "CREATE OR REPLACE TEMP TABLE purged (record_key VARCHAR, record_version BIGINT)"
        )
        if rows:
            duck.executemany("INSERT INTO purged VALUES (?, ?)", rows)
    else:
        duck.execute(
            "CREATE OR REPLACE TEMP TABLE purged AS SELECT record_key, record_version "
            "FROM interlink.purged_records"
        )
    later = (
        (
            "AND NOT EXISTS (SELECT 1 FROM stg_records r WHERE r.record_key = p.record_key "
            "AND r.record_version > p.record_version)"
        )
        if "records" in staged
        else ""
    )
    duck.execute(
        f"CREATE OR REPLACE TEMP TABLE blocked AS SELECT p.record_key FROM purged p "
        f"WHERE true {later}"
    )
    if "records" in staged:
        # Records leaving gold in this load (source deletes): rows of other tables that still
        # name them (gold not yet recomputed) must not stay either.
        duck.execute(
            "INSERT INTO blocked SELECT c.record_key FROM cur_records c "
            "ANTI JOIN stg_records s ON s.row_key = c.row_key"
        )


def _current(duck: Any, is_pg: bool, con: Any, staged: list[str]) -> None:
    """Temp tables cur_<t>(row_key, row_hash): what the warehouse holds now."""
    for name in staged:
        extra = (
            ", record_key, source_country, feed, record_id, record_version"
            if name == "records"
            else ""
        )
        if not is_pg:
            duck.execute(
                f"CREATE OR REPLACE TEMP TABLE cur_{name} AS SELECT row_key, row_hash"
                f"{extra} FROM interlink.{name}"
            )
            continue
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
            path = f.name
            with (
                con.cursor() as cur,
                cur.copy(
                    f"COPY (SELECT row_key, row_hash{extra} FROM interlink.{name}) TO STDOUT "
                    "(FORMAT csv, NULL '\\N')"
                ) as cp,
            ):
                for chunk in cp:
                    f.write(chunk)
        con.commit()
        cols = {"row_key": "VARCHAR", "row_hash": "VARCHAR"}
        if extra:
            cols |= {
                "record_key": "VARCHAR",
                "source_country": "VARCHAR",
                "feed": "VARCHAR",
                "record_id": "VARCHAR",
                "record_version": "BIGINT",
            }
        duck.execute(
            f"CREATE OR REPLACE TEMP TABLE cur_{name} AS SELECT * FROM read_csv(?, header = "
            "false, auto_detect = false, nullstr = '\\N', quote = '\"', escape = '\"', "
            "delim = ',', columns = ?)",
            [path, cols],
        )
        Path(path).unlink(missing_ok=True)


def _diff(duck: Any, staged: list[str], report: LoadReport, full: bool) -> None:
    for name in staged:
        if full:
            duck.execute(f"CREATE OR REPLACE TEMP TABLE chg_{name} AS SELECT * FROM stg_{name}")
        else:
            duck.execute(
                f"CREATE OR REPLACE TEMP TABLE chg_{name} AS SELECT s.* FROM stg_{name} s "
                f"LEFT JOIN cur_{name} c ON c.row_key = s.row_key "
                "WHERE c.row_key IS NULL OR c.row_hash IS DISTINCT FROM s.row_hash"
            )
        duck.execute(
            f"CREATE OR REPLACE TEMP TABLE del_{name} AS SELECT c.* FROM cur_{name} c "
            f"ANTI JOIN stg_{name} s ON s.row_key = c.row_key"
        )
        tl = report.tables[name]
        if full:
            # A full reload rewrites every row: count them all as inserted.
            tl.inserted = duck.execute(f"SELECT count(*) FROM chg_{name}").fetchall()[0][0]
            tl.deleted = duck.execute(f"SELECT count(*) FROM del_{name}").fetchall()[0][0]
            continue
        tl.inserted = duck.execute(
            f"SELECT count(*) FROM chg_{name} s ANTI JOIN cur_{name} c ON c.row_key = s.row_key"
        ).fetchall()[0][0]
        tl.updated = duck.execute(f"SELECT count(*) FROM chg_{name}").fetchall()[0][0] - tl.inserted
        tl.deleted = duck.execute(f"SELECT count(*) FROM del_{name}").fetchall()[0][0]


def _source_deletes(duck: Any, staged: list[str]) -> list[tuple[Any, ...]]:
    if "records" not in staged:
        return []
    # A record that left gold without a tombstone was deleted by its source (or its feed
    # dropped it upstream); a purge already wrote its own audit row.
    return duck.execute(
        "SELECT d.record_key, d.source_country, d.feed, d.record_id, d.record_version "
        "FROM del_records d ANTI JOIN purged p ON p.record_key = d.record_key "
        "ORDER BY d.record_key"
    ).fetchall()


_SOURCE_DELETE_REASON = "record no longer in gold: deleted by its source (operation=delete)"


def _summary(report: LoadReport) -> str:
    return json.dumps(report.as_dict()["moved"] | {"_skipped": report.skipped}, sort_keys=True)


def _apply_duck(duck: Any, staged: list[str], report: LoadReport, full: bool) -> None:
    deletes = _source_deletes(duck, staged)
    duck.execute("BEGIN TRANSACTION")
    try:
        load_id = duck.execute(
            "SELECT coalesce(max(load_id), 0) + 1 FROM interlink.load_log"
        ).fetchall()[0][0]
        report.load_id = int(load_id)
        duck.execute(
            "INSERT INTO interlink.load_log (load_id, started_at, full_reload) "
            "VALUES (?, current_timestamp, ?)",
            [load_id, full],
        )
        for name in staged:
            if full:
                duck.execute(f"DELETE FROM interlink.{name}")
            else:
                duck.execute(
                    f"DELETE FROM interlink.{name} WHERE row_key IN (SELECT row_key FROM "
                    f"chg_{name} UNION ALL SELECT row_key FROM del_{name})"
                )
            duck.execute(
                f"INSERT INTO interlink.{name} SELECT * REPLACE (CAST(? AS BIGINT) AS "
                f"load_id) FROM chg_{name}",
                [load_id],
            )
        for rk, country, feed, rid, version in deletes:
            duck.execute(
                "INSERT INTO interlink.audit_log (action, record_key, source_country, feed, "
                "record_id, record_version, reason, details) VALUES ('source_delete', ?, ?, ?, "
                "?, ?, ?, ?)",
                [
                    rk,
                    country,
                    feed,
                    rid,
                    version,
                    _SOURCE_DELETE_REASON,
                    json.dumps({"load_id": load_id}),
                ],
            )
            duck.execute(
                "INSERT OR REPLACE INTO interlink.purged_records (record_key, record_version, "
                "action, purged_at) VALUES (?, ?, 'source_delete', current_timestamp)",
                [rk, version],
            )
        report.source_deletes = len(deletes)
        fingerprint = _fingerprint(report.digest, duck)
        if fingerprint:
            duck.execute(
                "INSERT OR REPLACE INTO interlink.load_state (name, fingerprint, load_id, "
                "updated_at) VALUES ('sources', ?, ?, current_timestamp)",
                [fingerprint, load_id],
            )
        duck.execute(
            "UPDATE interlink.load_log SET finished_at = current_timestamp, summary = ? "
            "WHERE load_id = ?",
            [_summary(report), load_id],
        )
        duck.execute("COMMIT")
    except Exception as exc:
        duck.execute("ROLLBACK")
        raise LoadFailed(
            f"load rolled back, warehouse unchanged ({str(exc).splitlines()[0]}); "
            "fix the cause and rerun the load"
        ) from exc


def _pg_select(name: str, load_id: int) -> str:
    """SELECT over chg_<name> rendering every value as PostgreSQL's CSV COPY expects it."""
    t = next(x for x in TABLES if x.name == name)
    parts = []
    for c in t.columns:
        col = q(c.name)
        if c.name == "load_id":
            parts.append(f"{int(load_id)} AS load_id")
        elif c.type == "text[]":
            parts.append(
                f"CASE WHEN {col} IS NULL THEN NULL ELSE '{{' || array_to_string(list_transform("
                f"{col}, lambda e: CASE WHEN e IS NULL THEN 'NULL' ELSE '\"' || replace(replace("
                f"e, '\\', '\\\\'), '\"', '\\\"') || '\"' END), ',') || '}}' END AS {col}"
            )
        elif c.type == "json":
            parts.append(f"CAST({col} AS VARCHAR) AS {col}")
        else:
            parts.append(col)
    return f"SELECT {', '.join(parts)} FROM chg_{name}"


def _copy_into(con: Any, duck: Any, name: str, select: str, target: str, columns: str) -> None:
    """Stream a DuckDB query into `COPY target FROM STDIN` as CSV.

    DuckDB writes the CSV into a named pipe from a helper thread while this thread forwards it
    to PostgreSQL, so rendering and PostgreSQL's ingest overlap and no file lands on disk.
    """
    with tempfile.TemporaryDirectory(prefix="interlink-load-") as tmp:
        path = str(Path(tmp) / f"{name}.csv")
        os.mkfifo(path)
        failure: list[BaseException] = []

        def render() -> None:
            try:
                duck.execute(
                    f"COPY ({select}) TO '{path}' (FORMAT csv, HEADER false, NULLSTR '\\N', "
                    "FORCE_QUOTE *)"
                )
            except BaseException as exc:  # handed to the forwarding thread below
                failure.append(exc)
                # Unblock a reader still waiting for the pipe to open.
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

        writer = threading.Thread(target=render, name=f"csv-{name}", daemon=True)
        writer.start()
        try:
            with (
                con.cursor() as cur,
                cur.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')") as cp,
                open(path, "rb") as f,
            ):
                while chunk := f.read(_COPY_CHUNK):
                    cp.write(chunk)
                writer.join()
                if failure:
                    raise failure[0]
        finally:
            # If PostgreSQL failed first, drain the pipe so DuckDB finishes and frees the thread.
            if writer.is_alive():
                with contextlib.suppress(OSError), open(path, "rb") as f:
                    while f.read(_COPY_CHUNK):
                        pass
                writer.join(timeout=60)


def _apply_pg(con: Any, duck: Any, staged: list[str], report: LoadReport, full: bool) -> None:
    import psycopg

    deletes = _source_deletes(duck, staged)
    try:
        with con.transaction():
            load_id = con.execute(
                "SELECT coalesce(max(load_id), 0) + 1 FROM interlink.load_log"
            ).fetchall()[0][0]
            report.load_id = int(load_id)
            con.execute(
                "INSERT INTO interlink.load_log (load_id, started_at, full_reload) "
                "VALUES (%s, now(), %s)",
                (load_id, full),
            )
            for name in staged:
                t = next(x for x in TABLES if x.name == name)
                tl = report.tables[name]
                if full:
                    con.execute(f"DELETE FROM interlink.{name}")
                elif tl.deleted or tl.updated:
                    # Rows replaced or gone: their keys travel by COPY too, then one DELETE.
                    con.execute(f"CREATE TEMP TABLE gone_{name} (row_key text) ON COMMIT DROP")
                    _copy_into(
                        con,
                        duck,
                        f"gone_{name}",
                        f"SELECT row_key FROM del_{name} UNION ALL SELECT c.row_key "
                        f"FROM chg_{name} c SEMI JOIN cur_{name} k ON k.row_key = "
                        "c.row_key",
                        f"gone_{name}",
                        "row_key",
                    )
                    con.execute(
                        f"DELETE FROM interlink.{name} t USING gone_{name} d "
                        "WHERE t.row_key = d.row_key"
                    )
                if tl.inserted + tl.updated == 0:
                    continue
                # New and changed rows go straight into the table: the transaction, not a
                # staging table, is what keeps readers from seeing them before the commit.
                cols = ", ".join(q(c) for c in t.column_names)
                _copy_into(con, duck, name, _pg_select(name, load_id), f"interlink.{name}", cols)
            if deletes:
                with con.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO interlink.audit_log (action, record_key, source_country, "
                        "feed, record_id, record_version, reason, details) VALUES "
                        "('source_delete', %s, %s, %s, %s, %s, %s, %s)",
                        [
                            (*d, _SOURCE_DELETE_REASON, json.dumps({"load_id": load_id}))
                            for d in deletes
                        ],
                    )
                    cur.executemany(
                        "INSERT INTO interlink.purged_records (record_key, record_version, "
                        "action) VALUES (%s, %s, 'source_delete') ON CONFLICT (record_key) DO "
                        "UPDATE SET record_version = greatest(purged_records.record_version, "
                        "excluded.record_version)",
                        [(d[0], d[4]) for d in deletes],
                    )
            report.source_deletes = len(deletes)
            fingerprint = _fingerprint(report.digest, con)
            if fingerprint:
                con.execute(
                    "INSERT INTO interlink.load_state (name, fingerprint, load_id) VALUES "
                    "('sources', %s, %s) ON CONFLICT (name) DO UPDATE SET fingerprint = "
                    "excluded.fingerprint, load_id = excluded.load_id, updated_at = now()",
                    (fingerprint, load_id),
                )
            con.execute(
                "UPDATE interlink.load_log SET finished_at = now(), summary = %s "
                "WHERE load_id = %s",
                (_summary(report), load_id),
            )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadFailed(
            f"load rolled back, warehouse unchanged ({first}); fix the cause and rerun the load"
        ) from exc


def table_counts(url: str) -> dict[str, int]:
    """Rows per curated table, as the warehouse's owner sees them (not through any policy)."""
    with connect(url) as (wu, con):
        if wu.is_postgres:
            _require_schema_pg(con)
        else:
            _require_schema_duck(con)
        report = LoadReport(load_id=None, dialect=wu.dialect, full=False)
        _count_rows(con, wu.is_postgres, report)
    return {name: t.rows for name, t in report.tables.items()}


def _count_rows(con: Any, is_pg: bool, report: LoadReport) -> None:
    for t in TABLES:
        n = con.execute(f"SELECT count(*) FROM interlink.{t.name}").fetchall()[0][0]
        if is_pg:
            con.commit()
        report.tables.setdefault(t.name, TableLoad(t.name)).rows = int(n)


def now_utc() -> datetime:
    return datetime.now(UTC)
