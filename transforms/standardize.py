"""Silver: keep the latest version of each record, apply deletions, standardize the fields.

Everything here is a pure function DataFrame -> DataFrame. Column expressions are Spark-native
where they can be (countries, document numbers, dates); names and phones go through small Python
UDFs because transliteration (anyascii) and numbering plans (phonenumbers) live in Python.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
import pycountry
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructField, StructType

from transforms import names as N
from transforms.schemas import PAYLOADS

KEY = ("source_country", "feed", "record_id")
# Everything the envelope and the ingest say about a record travels with it into silver and gold:
# the warehouse shows provenance and the source's handling (an H3 restriction is only readable
# through its handling_note) on every curated row built from it.
PROVENANCE = (
    "message_id",
    "topic",
    "partition",
    "offset",
    "ingest_time",
    "record_version",
    "produced_at",
    "reported_at",
    "source_agency",
    "operation_code",
    "dissemination",
    "handling_code",
    "handling_note",
    "source_reliability",
    "information_assessment",
    "review_by",
)


# -- latest version and deletions -----------------------------------------------------------------
def without_erased(bronze: DataFrame, tombstones: DataFrame) -> DataFrame:
    """Bronze rows less those of erased records (`contracts.lake.TOMBSTONE_SCHEMA`): every
    version up to the highest erased one; a later version (a source extending review_by) stays."""
    erased = tombstones.groupBy("source_country", "feed", "record_id").agg(
        F.max("record_version").alias("_erased_upto")
    )
    joined = bronze.join(F.broadcast(erased), ["source_country", "feed", "record_id"], "left")
    kept = joined.where(
        F.col("_erased_upto").isNull() | (F.col("record_version") > F.col("_erased_upto"))
    )
    return kept.select(*bronze.columns)


def latest_versions(bronze: DataFrame) -> DataFrame:
    """One row per (source_country, feed, record_id): its latest message, deletes removed.

    Latest = highest record_version; ties (a re-delivery or a publisher bug) go to the later
    produced_at, then the later offset, so the choice is deterministic. When the latest message is
    a delete, the record is gone. Identical re-deliveries are duplicates of one row and collapse.
    """
    w = Window.partitionBy(*KEY).orderBy(
        F.col("record_version").desc(),
        F.col("produced_at").desc_nulls_last(),
        F.col("offset").desc_nulls_last(),
        F.col("message_id").desc(),
    )
    return (
        bronze.withColumn("_rn", F.row_number().over(w))
        .where((F.col("_rn") == 1) & (F.col("operation") != F.lit("delete")))
        .drop("_rn")
    )


# -- countries ------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _country_pairs() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        out[c.alpha_2] = c.alpha_3
        out[c.alpha_3] = c.alpha_3
    out.update({"UK": "GBR", "EL": "GRC", "XK": "XKX", "XKX": "XKX", "D": "DEU"})
    return out


@lru_cache(maxsize=1)
def _short_code_table() -> str:
    """ ";AD:AND;AE:ARE;…": every code shorter than three letters with its alpha-3, one string."""
    pairs = {k: v for k, v in _country_pairs().items() if len(k) < 3}
    return "".join(f";{k}:{v}" for k, v in sorted(pairs.items())) + ";"


def iso3(col: Column) -> Column:
    """ISO 3166-1 alpha-3 of an alpha-2/alpha-3 code; unknown codes (ICAO XXA…) kept upper-cased.

    The alpha-2 table is one string searched with `position`, not a map literal: a 500-entry map
    inlined at every use made Spark spend seconds compiling generated code for each query.
    """
    table = _short_code_table()
    code = F.upper(F.trim(col))
    at = F.position(F.concat(F.lit(";"), code, F.lit(":")), F.lit(table))
    found = F.lit(table).substr(at + F.length(code) + 2, F.lit(3))
    short = F.when(at > 0, found).otherwise(code)
    return F.when(col.isNull() | (code == ""), F.lit(None)).otherwise(
        F.when(F.length(code) < 3, short).otherwise(code)
    )


def iso3_array(col: Column) -> Column:
    return F.array_sort(
        F.array_distinct(
            F.filter(F.transform(F.coalesce(col, F.array()), iso3), lambda c: c.isNotNull())
        )
    )


@lru_cache(maxsize=512)
def _alpha2(alpha3: str | None) -> str | None:
    if not alpha3:
        return None
    c = pycountry.countries.get(alpha_3=alpha3)
    return c.alpha_2 if c else None


# -- phones ---------------------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def e164(raw: str | None, default_country: str | None = None) -> str | None:
    """E.164 form of a phone number; national numbers are read in the source country's plan."""
    if not raw:
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(
            text, None if text.startswith("+") else _alpha2(default_country)
        )
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@F.udf(ArrayType(StringType()))
def _phones_udf(raw, country):  # type: ignore[no-untyped-def]
    if not raw:
        return []
    return sorted({p for p in (e164(r, country) for r in raw) if p})


def phones(col: Column, country: Column) -> Column:
    return _phones_udf(col, country)


# -- documents, vehicles, identifiers -------------------------------------------------------------
def doc_number(col: Column) -> Column:
    """Upper-cased, separators removed: 'fe 123-456' and 'FE123456' are the same document."""
    return F.regexp_replace(F.upper(col), r"[^0-9A-Z]", "")


def documents(col: Column) -> Column:
    """Documents with normalised number, ISO3 issuing country and a key `ISO3:NUMBER`."""
    docs = F.transform(
        F.coalesce(col, F.array()),
        lambda d: F.struct(
            d["doc_type"].alias("doc_type"),
            d["number"].alias("number_as_sent"),
            doc_number(d["number"]).alias("number"),
            iso3(d["issuing_country"]).alias("issuing_country"),
            F.concat_ws(":", iso3(d["issuing_country"]), doc_number(d["number"])).alias("doc_key"),
        ),
    )
    return F.filter(docs, lambda d: F.length(d["number"]) > 0)


def doc_keys(docs: Column) -> Column:
    return F.array_sort(F.array_distinct(F.transform(docs, lambda d: d["doc_key"])))


# -- names ----------------------------------------------------------------------------------------
NAME_STD = StructType(
    [
        StructField("original", StringType()),
        StructField("script", StringType()),
        StructField("latin", StringType()),
        StructField("tokens", ArrayType(StringType())),
        StructField("canonical", ArrayType(StringType())),
        StructField("skeleton", ArrayType(StringType())),
        StructField("skeleton_v", ArrayType(StringType())),
        StructField("bare", ArrayType(StringType())),
        StructField("bare_skeleton", ArrayType(StringType())),
        StructField("family_tokens", ArrayType(StringType())),
    ]
)


@F.udf(ArrayType(NAME_STD))
def _names_udf(primary, aliases):  # type: ignore[no-untyped-def]
    out = []
    for n in [primary, *(aliases or [])]:
        if n is None:
            continue
        std = N.standardize_name(n["family"], n["given"], n["full"], n["script"])
        if std["tokens"]:
            out.append(std)
    return out


def _sorted_keys(names: Column, *fields: str) -> Column:
    """Whole-name keys: per spelling and form, its tokens sorted and joined (any token order)."""

    def joined(field: str) -> Column:
        present = F.filter(names, lambda n: F.size(n[field]) > 0)
        return F.transform(present, lambda n: F.array_join(F.array_sort(n[field]), " "))

    per_field = [joined(f) for f in fields]
    return F.array_sort(F.array_distinct(F.flatten(F.array(*per_field))))


def with_names(df: DataFrame, primary: Column, aliases: Column) -> DataFrame:
    """Add `names` (every spelling, original kept) and the keys blocking and comparisons use."""
    # One `withColumns` per step, not a `withColumn` per column: each call analyses the whole
    # plan again on the driver (py4j), and these frames are wide.
    names = F.col("names")
    return df.withColumn("names", _names_udf(primary, aliases)).withColumns(
        {
            "primary_name_original": F.get(names, 0)["original"],
            "primary_name_latin": F.get(names, 0)["latin"],
            "name_keys": _sorted_keys(names, "tokens"),
            "canon_keys": _sorted_keys(names, "canonical", "bare"),
            "skel_keys": _sorted_keys(names, "skeleton", "skeleton_v", "bare_skeleton"),
            "name_tokens": F.array_sort(
                F.array_distinct(
                    F.flatten(F.transform("names", lambda n: F.concat(n["canonical"], n["bare"])))
                )
            ),
        }
    )


# -- dates ----------------------------------------------------------------------------------------
def with_birth_date(df: DataFrame, col: Column) -> DataFrame:
    """Split a partial birth date into year/month/day and keep its precision (year|month|day)."""
    s = F.trim(col)
    ok = s.rlike(r"^\d{4}(-\d{2}(-\d{2})?)?$")
    return df.withColumns(
        {
            "birth_date": F.when(ok, s),
            "birth_year": F.when(ok, F.substring(s, 1, 4).cast("int")),
            "birth_month": F.when(ok & (F.length(s) >= 7), F.substring(s, 6, 2).cast("int")),
            "birth_day": F.when(ok & (F.length(s) == 10), F.substring(s, 9, 2).cast("int")),
            "birth_precision": F.when(~ok, F.lit(None))
            .when(F.length(s) == 10, "day")
            .when(F.length(s) == 7, "month")
            .otherwise("year"),
        }
    )


def _text_tokens(col: Column) -> Column:
    """Lower-case words of two letters or more, and numbers of any length (a house number `6`
    is the most telling token of an address line)."""
    toks = F.split(F.lower(F.regexp_replace(col, r"[^\p{L}\p{N}]+", " ")), " ")
    return F.filter(toks, lambda t: (F.length(t) >= 2) | t.rlike(r"^\p{N}+$"))


# -- per feed -------------------------------------------------------------------------------------
def _parsed(df: DataFrame, feed: str) -> DataFrame:
    keep = [c for c in (*KEY, *PROVENANCE) if c in df.columns]
    return df.select(
        *keep,
        F.sha2(F.coalesce(F.col("payload"), F.lit("")), 256).alias("payload_hash"),
        F.from_json("payload", PAYLOADS[feed]).alias("p"),
    )


def person_identity(df: DataFrame, subject: str = "p") -> DataFrame:
    """Names, birth date, sex, nationalities, documents of a person-like struct column.

    Shared by persons and notice subjects so that both are compared by the same rules.
    """
    p = F.col(subject)
    df = with_names(df, p["primary_name"], p["aliases"])
    df = with_birth_date(df, p["birth_date"])
    sex = F.upper(F.trim(p["sex"]))
    return df.withColumns(
        {
            "sex": F.when(sex.isin("M", "F"), sex),
            "nationalities": iso3_array(p["nationalities"]),
            "documents": documents(p["documents"]),
        }
    ).withColumn("doc_keys", doc_keys(F.col("documents")))


def standardize_person(latest: DataFrame) -> DataFrame:
    """Silver persons: one row per current person record, standardized beside the original."""
    return person_body(_parsed(latest, "person"))


def person_body(parsed: DataFrame) -> DataFrame:
    """Standardize a frame with the person payload parsed into struct column `p`."""
    df = person_identity(parsed)
    p = F.col("p")
    forensic = F.transform(
        F.coalesce(p["forensic_refs"], F.array()),
        lambda r: F.concat_ws(
            ":", F.upper(r["kind"]), F.upper(F.trim(r["database"])), F.upper(F.trim(r["reference"]))
        ),
    )
    addresses = F.coalesce(p["addresses"], F.array())
    return df.withColumns(
        {
            "role": p["role"],
            "birth_country": iso3(p["birth_place"]["country"]),
            "birth_place": p["birth_place"]["place"],
            "forensic_keys": F.array_sort(F.array_distinct(forensic)),
            "phones": phones(p["phones"], F.col("source_country")),
            "emails": F.array_sort(
                F.array_distinct(
                    F.transform(F.coalesce(p["emails"], F.array()), lambda e: F.lower(F.trim(e)))
                )
            ),
            "address_countries": F.array_sort(
                F.array_distinct(F.transform(addresses, lambda a: iso3(a["country"])))
            ),
            # In written order (not sorted): the comparison glues adjacent fragments of a word
            # split by a stray space back together.
            "address_tokens": F.array_distinct(
                F.flatten(
                    F.transform(
                        addresses,
                        lambda a: _text_tokens(F.concat_ws(" ", a["locality"], a["line"])),
                    )
                )
            ),
            "case_refs": F.coalesce(p["case_refs"], F.array()),
            "description": p["description"],
        }
    ).drop("p")


def standardize_travel_document(latest: DataFrame) -> DataFrame:
    """Silver travel documents: (normalised number, issuing country) with status and holder."""
    df = _parsed(latest, "travel_document")
    p = F.col("p")
    holder = p["holder"]
    df = with_names(df, holder["name"], F.array())
    return (
        df.withColumn("doc_type", p["doc_type"])
        .withColumn("number_as_sent", p["number"])
        .withColumn("number", doc_number(p["number"]))
        .withColumn("issuing_country", iso3(p["issuing_country"]))
        .withColumn("doc_key", F.concat_ws(":", F.col("issuing_country"), F.col("number")))
        .withColumn("status", p["status"])
        .withColumn("status_date", F.try_to_date(p["status_date"]))
        .withColumn("holder_person_ref", holder["person_ref"])
        .withColumn("holder_birth_date", holder["birth_date"])
        .withColumn("mrz", p["mrz"])
        .drop("p")
    )


def standardize_case(latest: DataFrame) -> DataFrame:
    """Silver cases: dates, ISO3 route, E.164 phones, normalised plates and documents."""
    df = _parsed(latest, "case")
    p = F.col("p")
    vehicles = F.transform(
        F.coalesce(p["vehicles"], F.array()),
        lambda v: F.struct(
            F.regexp_replace(F.upper(v["plate"]), r"[^0-9A-Z]", "").alias("plate"),
            iso3(v["country"]).alias("country"),
        ),
    )
    return (
        df.withColumn("offence_type", p["offence_type"])
        .withColumn("start_date", F.try_to_date(p["start_date"]))
        .withColumn("end_date", F.try_to_date(p["end_date"]))
        .withColumn("location_country", iso3(p["location"]["country"]))
        .withColumn("location_place", p["location"]["place"])
        .withColumn("lat", p["location"]["lat"])
        .withColumn("lon", p["location"]["lon"])
        .withColumn("route_origin", iso3_array(p["route"]["origin"]))
        .withColumn("route_transit", iso3_array(p["route"]["transit"]))
        .withColumn("route_destination", iso3_array(p["route"]["destination"]))
        .withColumn("persons", F.coalesce(p["persons"], F.array()))
        .withColumn("phones", phones(p["phones"], F.col("source_country")))
        .withColumn("vehicles", vehicles)
        .withColumn(
            "vehicle_keys",
            F.array_sort(
                F.array_distinct(
                    F.transform(
                        F.filter("vehicles", lambda v: F.length(v["plate"]) > 0),
                        lambda v: F.concat_ws(":", v["country"], v["plate"]),
                    )
                )
            ),
        )
        .withColumn("documents", documents(p["documents"]))
        .withColumn("doc_keys", doc_keys(F.col("documents")))
        .withColumn("victims_count", p["victims_count"])
        .withColumn("modus_operandi", p["modus_operandi"])
        .drop("p")
    )


def standardize_notice(latest: DataFrame) -> DataFrame:
    """Silver notices: the subject standardized exactly like a person record."""
    df = _parsed(latest, "notice")
    df = df.withColumn("subject", F.col("p")["subject"])
    df = person_identity(df, "subject")
    p = F.col("p")
    return (
        df.withColumn("notice_type", p["notice_type"])
        .withColumn("notice_id", p["notice_id"])
        .withColumn("issuing_country", iso3(p["issuing_country"]))
        .withColumn("status", p["status"])
        .drop("p", "subject")
    )


STANDARDIZERS = {
    "person": standardize_person,
    "travel_document": standardize_travel_document,
    "case": standardize_case,
    "notice": standardize_notice,
}


def build_silver_frame(bronze: DataFrame, feed: str) -> DataFrame:
    """Bronze rows of one feed -> its silver table (latest versions, deletions applied)."""
    out = STANDARDIZERS[feed](latest_versions(bronze.where(F.col("feed") == feed)))
    return out.orderBy("source_country", "record_id")
