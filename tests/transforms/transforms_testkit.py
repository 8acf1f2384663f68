"""Builders for bronze test data: envelopes and payloads as the ingest stage lands them.

Bronze files are written with pyarrow in the lake layout and with the bronze schema of
`contracts.lake` (the ingest's own), so the transforms read them the way they read real ones.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.lake import BRONZE_SCHEMA, bronze_name
from streams.simulate.bronze import bronze_row

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_offsets: dict[tuple[str, str], int] = defaultdict(int)


def message(
    feed: str,
    country: str,
    record_id: str,
    payload: dict[str, Any] | None,
    *,
    version: int = 1,
    operation: str = "upsert",
    produced_at: datetime | None = None,
    operation_code: str | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """One bronze row (an accepted message)."""
    return bronze_row(
        feed,
        country,
        record_id,
        payload,
        version=version,
        operation=operation,
        produced_at=produced_at or T0 + timedelta(minutes=version),
        reported_at=T0,
        message_id=message_id,
        operation_code=operation_code,
    )


def stolen_passport(number: str = "FE-123456", country: str = "UKR") -> dict[str, Any]:
    """A travel_document payload reporting a passport stolen while blank-issued."""
    return {
        "doc_type": "passport",
        "number": number,
        "issuing_country": country,
        "status": "stolen_issued",
        "status_date": "2026-01-10",
        "holder": None,
        "mrz": None,
    }


def delete(feed: str, country: str, record_id: str, version: int) -> dict[str, Any]:
    return message(feed, country, record_id, None, version=version, operation="delete")


def write_bronze(lake: Path, rows: list[dict[str, Any]], day: str = "2026-11-28") -> None:
    """Land rows as one bronze file per (feed, country), offsets continuing across calls."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["feed"], r["source_country"])].append(dict(r))
    for (feed, country), batch in groups.items():
        topic = f"feeds.{feed}.{country}"
        first = _offsets[(str(lake), topic)]
        for i, r in enumerate(batch):
            if r["offset"] is None:
                r["offset"] = first + i
        last = first + len(batch) - 1
        _offsets[(str(lake), topic)] = last + 1
        target = lake / bronze_name(feed, country, day, topic, 0, first, last)
        target.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(batch, schema=BRONZE_SCHEMA)
        pq.write_table(table, target)


def name(
    given: str | None = None,
    family: str | None = None,
    full: str | None = None,
    script: str = "Latn",
) -> dict[str, Any]:
    return {"family": family, "given": given, "full": full, "script": script}


def person(
    given: str | None = None,
    family: str | None = None,
    *,
    full: str | None = None,
    script: str = "Latn",
    birth_date: str | None = None,
    sex: str | None = None,
    nationalities: list[str] | None = None,
    documents: list[tuple[str, str]] | None = None,
    phones: list[str] | None = None,
    aliases: list[dict[str, Any]] | None = None,
    role: str = "suspect",
    case_refs: list[str] | None = None,
    forensic: list[str] | None = None,
    addresses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A person payload; documents as (number, issuing_country)."""
    return {
        "role": role,
        "primary_name": name(given, family, full, script),
        "aliases": aliases or [],
        "sex": sex,
        "birth_date": birth_date,
        "birth_place": None,
        "nationalities": nationalities or [],
        "documents": [
            {"doc_type": "passport", "number": n, "issuing_country": c}
            for n, c in (documents or [])
        ],
        "forensic_refs": [
            {"kind": "fingerprint", "reference": f, "database": "AFIS", "country": "FRA"}
            for f in (forensic or [])
        ],
        "phones": phones or [],
        "emails": [],
        "addresses": addresses or [],
        "description": None,
        "case_refs": case_refs or [],
    }


def background_people(n: int = 30, seed: int = 11) -> list[dict[str, Any]]:
    """Distinct unrelated persons (deterministic) so that u probabilities look like real data."""
    import random

    from faker import Faker

    fake = Faker(["en_US", "fr_FR", "de_DE", "it_IT", "pl_PL"])
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    countries = ["FRA", "DEU", "ITA", "ESP", "POL"]
    rows = []
    for i in range(n):
        c = countries[i % len(countries)]
        nationality = rnd.choice(countries)
        # About half carry a passport and a phone of their own, as real records do: u for
        # documents and phones needs pairs of different people who both have one.
        docs = (
            [(f"{rnd.choice('CFHKLMPRTX')}{rnd.randrange(10**7, 10**8)}", nationality)]
            if rnd.random() < 0.5
            else []
        )
        phones = [f"+336{rnd.randrange(10**7, 10**8)}"] if rnd.random() < 0.5 else []
        rows.append(
            message(
                "person",
                c,
                f"{c}-BG-{i:04d}",
                person(
                    fake.first_name(),
                    fake.last_name(),
                    birth_date=f"{rnd.randint(1950, 2005)}-{rnd.randint(1, 12):02d}-"
                    f"{rnd.randint(1, 28):02d}",
                    sex=rnd.choice(["M", "F"]),
                    nationalities=[nationality],
                    documents=docs,
                    phones=phones,
                ),
            )
        )
    return rows


def match_record(
    rk: str,
    given: str | None = None,
    family: str | None = None,
    *,
    full: str | None = None,
    birth_date: str | None = None,
    sex: str | None = None,
    nationalities: list[str] | None = None,
    doc_keys: list[str] | None = None,
    phones: list[str] | None = None,
    birth_country: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """A record in the matching view (transforms.persons.RECORD_COLUMNS), built in Python."""
    from transforms.names import standardize_name

    std = standardize_name(family, given, full, None)

    def key(*fields: str) -> list[str]:
        keys = {" ".join(sorted(std[f])) for f in fields if std[f]}  # type: ignore[arg-type]
        return sorted(keys)

    parts = (birth_date or "").split("-")
    return {
        "rk": rk,
        "source_country": rk.split("|")[0],
        "record_id": rk.split("|")[1],
        "payload_hash": rk,
        "name_keys": key("tokens"),
        "canon_keys": key("canonical", "bare"),
        "skel_keys": key("skeleton", "skeleton_v", "bare_skeleton"),
        "name_tokens": sorted(set(std["canonical"]) | set(std["bare"])),  # type: ignore[arg-type]
        "birth_date": birth_date,
        "birth_year": int(parts[0]) if birth_date else None,
        "birth_month": int(parts[1]) if len(parts) > 1 else None,
        "birth_day": int(parts[2]) if len(parts) > 2 else None,
        "sex": sex,
        "nationalities": nationalities or [],
        "birth_country": birth_country,
        "doc_keys": doc_keys or [],
        "forensic_keys": [],
        "phones": phones or [],
        "emails": [],
        "address_tokens": list(dict.fromkeys((address or "").lower().split())),
    }


RECORD_SCHEMA = (
    "rk string, source_country string, record_id string, payload_hash string, "
    "name_keys array<string>, canon_keys array<string>, skel_keys array<string>, "
    "name_tokens array<string>, birth_date string, birth_year int, birth_month int, "
    "birth_day int, sex string, nationalities array<string>, birth_country string, "
    "doc_keys array<string>, "
    "forensic_keys array<string>, phones array<string>, emails array<string>, "
    "address_tokens array<string>"
)


def background_records(n: int = 30, seed: int = 11) -> list[dict[str, Any]]:
    """Matching-view records of distinct unrelated persons."""
    out = []
    for m in background_people(n, seed):
        import json as _json

        p = _json.loads(m["payload"])
        out.append(
            match_record(
                f"{m['source_country']}|{m['record_id']}",
                p["primary_name"]["given"],
                p["primary_name"]["family"],
                birth_date=p["birth_date"],
                sex=p["sex"],
                nationalities=p["nationalities"],
                doc_keys=[f"{d['issuing_country']}:{d['number']}" for d in p["documents"]],
                phones=p["phones"],
            )
        )
    return out
