"""Staging: the gold Parquet (and the quality results) read into DuckDB and mapped onto the
catalog's columns, each row keyed, hashed and given its source records and handling.

DuckDB is the staging engine whatever the warehouse: it reads whatever columns transforms writes
today (`mapping.py` says how they become the catalog's), so the diff and the apply only ever see
the catalog's shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from contracts.lake import BRONZE, partition_dir
from infra.lake import Lake
from infra.warehouse.catalog import TABLES, Table
from infra.warehouse.catalog_model import HOLDER_UNKNOWN
from infra.warehouse.ddl import q
from infra.warehouse.load_report import LoadReport, TableLoad
from infra.warehouse.mapping import (
    DERIVED_HANDLING,
    caveat_sql,
    entity_record_keys,
    gold_columns,
    hash_expr,
    mapped_sql,
    sql_list,
)


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


def create_source_view(duck: Any, lake: Lake, t: Table, view: str) -> list[str] | None:
    """A DuckDB view `view` over the table's lake sources; None when none of them exists."""
    if t.sources == ("reports/quality/results",):
        return _quality_view(duck, lake, view)
    files: list[str] = []
    for prefix in t.sources:
        files += source_files(lake, prefix)
    if not files:
        return None
    if t.sources == (BRONZE,):
        # The ingestion log is what landed: one row per bronze file, read from its rows.
        duck.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT "
            # The file relative to the lake root: from the bronze zone's folder on.
            f"regexp_extract(filename, '^.*?/({partition_dir(BRONZE, '')}.*)$', 1) AS file, "
            'any_value(topic) AS topic, any_value("partition") AS "partition", '
            'min("offset") AS first_offset, max("offset") AS last_offset, '
            "any_value(feed) AS feed, any_value(source_country) AS country, "
            "count(*) AS messages, max(ingest_time) AS ingest_time "
            f"FROM read_parquet({sql_list(files)}, filename = true, union_by_name = true, "
            "hive_partitioning = false) GROUP BY filename"
        )
        return files
    duck.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({sql_list(files)}, "
        "union_by_name = true, hive_partitioning = false)"
    )
    return files


def _quality_view(duck: Any, lake: Lake, view: str) -> list[str] | None:
    """Great Expectations results (reports/quality/results/<batch>.json) as rows."""
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


def stage_table(duck: Any, lake: Lake, t: Table, staged: set[str], notes: list[str]) -> bool:
    """Create temp table stg_<name>: the source mapped onto the catalog, keyed, hashed,
    deduplicated, with its record keys and handling. False when no source exists."""
    view = f"src_{t.name}"
    if create_source_view(duck, lake, t, view) is None:
        return False
    cols = gold_columns(duck, view)
    names = t.column_names
    key_exprs = ", ".join(f"coalesce(CAST(m.{q(k)} AS VARCHAR), '\\N')" for k in t.key)
    dkey = (
        "array_to_string(list_sort(coalesce(m.dissemination, [])), ',') AS dissemination_key"
        if "dissemination_key" in names
        else "NULL AS _no_dkey"
    )
    # An entity id stands for all the person records resolved into it.
    expand = (
        entity_record_keys("m", "stg_person_records")
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
                f"LEFT JOIN ({DERIVED_HANDLING.format(src=f'stg_{t.name}_m')}) h "
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
    if t.holder_ref is not None:
        # The holder's role decides who may read the row (a victim's document): taken from the
        # person records staged before. A holder whose record is not held (never sent, erased,
        # not staged) is 'unknown', and read like a victim's: nothing says she is not one.
        country, ref = (q(c) for c in t.holder_ref)
        role = (
            f"(SELECT any_value(p.role) FROM stg_person_records p WHERE p.source_country = "
            f"m.{country} AND p.record_id = m.{ref})"
            if "person_records" in staged
            else "NULL"
        )
        gov["holder_role"] = (
            f"CASE WHEN m.{ref} IS NOT NULL THEN coalesce({role}, '{HOLDER_UNKNOWN}') END"
        )
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
    hashed = "f.*" if late_keys else f"f.* REPLACE ({hash_expr(content)} AS row_hash)"
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
                f"({DERIVED_HANDLING.format(src=f'stg_{t.name}')}) h WHERE h.row_key = s.row_key"
            )
        # The hash must cover the record keys and handling just computed.
        duck.execute(f"UPDATE stg_{t.name} f SET row_hash = {hash_expr(content)}")
    if distinct < total:
        notes.append(f"{total - distinct} duplicate rows of key {list(t.key)} dropped")
    return True


def stage_all(duck: Any, lake: Lake, report: LoadReport) -> list[str]:
    """Stage every table whose sources exist; the names staged, in staging order (the others
    are recorded in the report as skipped, their warehouse rows left as they are)."""
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
