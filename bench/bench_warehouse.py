"""Warehouse load: `infra.warehouse.load` into PostgreSQL vs a bare binary COPY of the same rows.

A synthetic lake holds N person records (silver/person and gold/person_entities, the shapes
transforms writes), which load into three tables: records, person_records, person_identities
(3·N rows). Each contender runs in a fresh process against its own fresh database:
- **interlink**: `migrate` then `load` (read Parquet, map, hash, diff against the warehouse, CSV
  COPY, one transaction), then a rerun with nothing changed and one with 1 % of persons changed;
- **bare**: the very rows the interlink load wrote, exported beforehand with
  `COPY … TO STDOUT (FORMAT binary)`, written back with `COPY … FROM STDIN (FORMAT binary)` into
  the same migrated tables (same indexes and constraints) in one transaction: PostgreSQL's own
  ingest ceiling, with no reading, mapping or diffing.

`python -m bench --only warehouse [--small]` (20k persons small, 200k full). PostgreSQL at
INTERLINK_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test, a database allowed to
create others). Goal: ratio ≥ 0.5.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.config import current
from bench.measure import run_measured
from bench.report import Table, ratio

log = logging.getLogger("bench.warehouse")

ADMIN = os.environ.get("INTERLINK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = ("records", "person_records", "person_identities")
COUNTRIES = ("FRA", "DEU", "ITA", "ESP", "NLD", "POL", "GRC", "ROU")


def write_lake(root: Path, n: int, *, changed_every: int = 0) -> None:
    """silver/person and gold/person_entities with n persons (deterministic)."""
    import pyarrow as pa

    from infra.lake import Lake

    lake = Lake(str(root))
    i = range(n)
    country = [COUNTRIES[k % len(COUNTRIES)] for k in i]
    rid = [f"{c}-P-{k:08d}" for c, k in zip(country, i, strict=True)]
    now = datetime(2026, 11, 1, tzinfo=UTC)
    ts = pa.array([now] * n, pa.timestamp("us", tz="UTC"))
    diss = [[] if k % 3 == 0 else [country[k], "HTEG"] for k in i]
    name = pa.struct([("original", pa.string()), ("script", pa.string()), ("latin", pa.string())])
    doc = pa.struct(
        [
            ("doc_type", pa.string()),
            ("number_as_sent", pa.string()),
            ("number", pa.string()),
            ("issuing_country", pa.string()),
            ("doc_key", pa.string()),
        ]
    )
    sex = ["M" if (k % 2 == 0) != (changed_every and k % changed_every == 0) else "F" for k in i]
    silver = pa.table(
        {
            "source_country": country,
            "feed": ["person"] * n,
            "record_id": rid,
            "record_version": pa.array([1] * n, pa.int64()),
            "message_id": [f"m-{k}" for k in i],
            "topic": [f"feeds.person.{c}" for c in country],
            "partition": pa.array([k % 3 for k in i], pa.int32()),
            "offset": pa.array(list(i), pa.int64()),
            "ingest_time": ts,
            "produced_at": ts,
            "reported_at": ts,
            "source_agency": ["AGENCY"] * n,
            "operation_code": pa.array([None] * n, pa.string()),
            "dissemination": pa.array(diss, pa.list_(pa.string())),
            "handling_code": ["H1" if k % 5 == 0 else "H0" for k in i],
            "source_reliability": ["B"] * n,
            "information_assessment": ["2"] * n,
            "review_by": pa.array([date(2031, 11, 1)] * n, pa.date32()),
        }
    )
    lake.write_parquet("silver/person/part-00000.parquet", silver)
    person = silver.select(
        ["source_country", "record_id", "record_version", "dissemination", "handling_code"]
    )
    extra = {
        "entity_id": [f"E-{k // 2:08d}" for k in i],
        "entity_records": pa.array([2] * n, pa.int32()),
        "entity_countries": pa.array([2] * n, pa.int32()),
        "guard": pa.array([None] * n, pa.string()),
        "role": ["victim" if k % 7 == 0 else "suspect" for k in i],
        "sex": sex,
        "birth_date": [f"{1960 + k % 40}-{1 + k % 12:02d}" for k in i],
        "birth_year": pa.array([1960 + k % 40 for k in i], pa.int32()),
        "nationalities": pa.array([["UKR"]] * n, pa.list_(pa.string())),
        "case_refs": pa.array(
            [[f"{c}-C-{k // 10:07d}"] for c, k in zip(country, i, strict=True)],
            pa.list_(pa.string()),
        ),
        "primary_name_original": [f"Ivan Petrov {k}" for k in i],
        "primary_name_latin": [f"Ivan Petrov {k}" for k in i],
        "names": pa.array(
            [
                [{"original": f"Ivan Petrov {k}", "script": "Latn", "latin": f"Ivan Petrov {k}"}]
                for k in i
            ],
            pa.list_(name),
        ),
        "documents": pa.array(
            [
                [
                    {
                        "doc_type": "passport",
                        "number_as_sent": f"FE{k:07d}",
                        "number": f"FE{k:07d}",
                        "issuing_country": "UKR",
                        "doc_key": f"UKR:FE{k:07d}",
                    }
                ]
                for k in i
            ],
            pa.list_(doc),
        ),
        "phones": pa.array([[f"+3805{k:08d}"] for k in i], pa.list_(pa.string())),
        "emails": pa.array([[]] * n, pa.list_(pa.string())),
        "address_countries": pa.array([["FRA"]] * n, pa.list_(pa.string())),
        "birth_country": ["UKR"] * n,
        "birth_place": ["Odesa"] * n,
        "description": pa.array([None] * n, pa.string()),
    }
    for col, values in extra.items():
        person = person.append_column(
            col, values if isinstance(values, pa.Array) else pa.array(values)
        )
    lake.write_parquet("gold/person_entities/part-00000.parquet", person)


def _create_db() -> str:
    import psycopg

    name = f"interlink_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop_db(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()",
            (name,),
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


# -- workers (run in their own processes) --------------------------------------------------------
def _interlink(config: dict[str, Any]) -> dict[str, Any]:
    import psycopg

    from infra.lake import Lake
    from infra.warehouse import load, migrate

    url, lake = config["url"], Lake(config["lake"])
    migrate(url)
    t0 = time.perf_counter()
    first = load(url, lake)
    seconds = time.perf_counter() - t0
    rows = sum(first.tables[t].inserted for t in TABLES)
    t0 = time.perf_counter()
    again = load(url, lake)
    rerun = time.perf_counter() - t0
    write_lake(Path(config["lake"]), config["n"], changed_every=100)
    t0 = time.perf_counter()
    changed = load(url, lake)
    incremental = time.perf_counter() - t0
    # Export what was loaded (the first load's rows) for the bare COPY contender.
    with psycopg.connect(url) as con:
        for t in TABLES:
            with (
                open(Path(config["export"]) / f"{t}.bin", "wb") as f,
                con.cursor() as cur,
                cur.copy(f"COPY interlink.{t} TO STDOUT (FORMAT binary)") as cp,
            ):
                for chunk in cp:
                    f.write(chunk)
    return {
        "rows": rows,
        "seconds": seconds,
        "phases": first.phases,
        "rerun_seconds": rerun,
        "rerun_moved": again.moved,
        "incremental_seconds": incremental,
        "incremental_moved": changed.moved,
    }


def _bare(config: dict[str, Any]) -> dict[str, Any]:
    import psycopg

    from infra.warehouse import migrate

    url = config["url"]
    migrate(url)
    t0 = time.perf_counter()
    with psycopg.connect(url) as con, con.transaction():
        for t in TABLES:
            with (
                con.cursor() as cur,
                cur.copy(f"COPY interlink.{t} FROM STDIN (FORMAT binary)") as cp,
                open(Path(config["export"]) / f"{t}.bin", "rb") as f,
            ):
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
    seconds = time.perf_counter() - t0
    with psycopg.connect(url) as con:
        rows = sum(
            con.execute(f"SELECT count(*) FROM interlink.{t}").fetchall()[0][0] for t in TABLES
        )
    return {"rows": rows, "seconds": seconds}


def _worker(argv: list[str]) -> None:
    mode, config_path, result_path = argv[0], Path(argv[1]), Path(argv[2])
    config = json.loads(config_path.read_text())
    logging.basicConfig(level=logging.WARNING)
    result = _interlink(config) if mode == "interlink" else _bare(config)
    result_path.write_text(json.dumps(result))


# -- the benchmark ---------------------------------------------------------------------------------
def run(small: bool) -> list[Table]:
    opts = current()
    n = opts.persons_override or (20_000 if small else 200_000)
    work = opts.workdir / "warehouse"
    (work / "export").mkdir(parents=True, exist_ok=True)
    lake = work / f"lake-{n}"
    write_lake(lake, n)
    measured = {}
    urls = {mode: _create_db() for mode in ("interlink", "bare")}
    try:
        for mode in ("interlink", "bare"):
            config = {"url": urls[mode], "lake": str(lake), "n": n, "export": str(work / "export")}
            config_path = work / f"{mode}.json"
            config_path.write_text(json.dumps(config))
            result_path = work / f"{mode}-result.json"
            measured[mode] = run_measured(
                mode,
                ["bench.bench_warehouse", mode, str(config_path), str(result_path)],
                result_file=result_path,
                log_file=work / f"{mode}.log",
                timeout=3600,
            )
    finally:
        for url in urls.values():
            _drop_db(url)
    ours, bare = measured["interlink"].result, measured["bare"].result
    our_rate = ours["rows"] / ours["seconds"]
    bare_rate = bare["rows"] / bare["seconds"]
    table = Table(
        title=f"Warehouse load into PostgreSQL, {n:,} persons ({ours['rows']:,} rows in 3 tables)",
        columns=["measure", "interlink load", "bare binary COPY", "ratio"],
        description=(
            "Same rows, same migrated tables (indexes, constraints), fresh database each, fresh "
            "process each. Interlink reads the Parquet, maps it onto the catalog, hashes every "
            "row, diffs against the warehouse and COPYs CSV in one transaction; the bare COPY "
            "writes the binary export of the rows Interlink loaded. Goal: ratio ≥ 0.5."
        ),
    )
    table.add(
        "rows/s (first load)", f"{our_rate:,.0f}", f"{bare_rate:,.0f}", ratio(our_rate, bare_rate)
    )
    table.add(
        "seconds",
        f"{ours['seconds']:.1f}",
        f"{bare['seconds']:.1f}",
        ratio(ours["seconds"], bare["seconds"]),
    )
    table.add("rows", f"{ours['rows']:,}", f"{bare['rows']:,}", "-")
    table.add(
        "peak RSS MiB",
        f"{measured['interlink'].peak_rss_mib:.0f}",
        f"{measured['bare'].peak_rss_mib:.0f}",
        ratio(measured["interlink"].peak_rss_mib, measured["bare"].peak_rss_mib),
    )
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in ours.get("phases", {}).items())
    table.add("of which (interlink)", phases, "-", "-")
    table.add(
        "rerun, nothing changed: seconds (rows moved)",
        f"{ours['rerun_seconds']:.1f} ({ours['rerun_moved']})",
        "-",
        "-",
    )
    table.add(
        "rerun, 1 % of persons changed: seconds (rows moved)",
        f"{ours['incremental_seconds']:.1f} ({ours['incremental_moved']})",
        "-",
        "-",
    )
    return [table]


if __name__ == "__main__":
    _worker(sys.argv[1:])
