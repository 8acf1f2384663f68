"""Blocking and identifier status: which record pairs are worth comparing at all.

Every record emits *keys*, one family per blocking rule (a union of rules):

| prefix | rule | also evidence? |
| --- | --- | --- |
| `doc:` | document number + issuing country | yes |
| `for:` | forensic reference (kind, database, reference) | yes |
| `tel:` / `eml:` | phone (E.164) / e-mail | yes |
| `nty:` | a name token (canonical or bare) + birth year | no |
| `ntd:` | a name token + day and month of birth (the year misreported) | no |
| `sky:` | consonant skeleton of a whole name + birth year | no |
| `nk:` | a whole name (two tokens or more) sorted, also its canonical and bare forms | no |
| `dob:` | a full birth date (day precision) | no |
| `adr:` | an address word (four letters or more) + a number of the same address | no |

Two records are a candidate pair when they share a usable key. Key status (`key_stats`):

- *generic*: an identifier held by more than `generic_min_persons` distinct persons (a hotline, a
  placeholder passport), or a document number no authority issues (`000000000`, `123456789`,
  `UNKNOWN`: see `implausible_document`). Listed in gold/generic_values, ignored as evidence and
  as a blocking key;
- *oversized*: a name block of more than `max_block_size` records (a very common name in one
  year): skipped, those pairs still meet through rarer keys;
- *shared*: a phone held by at least `shared_min_persons` distinct persons but not generic: a
  network's or a family's line. It still blocks and counts, at its own comparison level.

"Distinct persons" is approximated without resolution (which these statuses feed into) by the
*signature* of a record: the skeleton of its first spelling and its birth year.

Besides the candidates, EM needs *training pairs* that were not chosen by the fields it learns
(Splink's training blocking rules): pairs sharing a whole name (any birth date) teach the birth
date's m, pairs sharing a full birth date (any name) teach the name's. `training_pairs` draws a
bounded, deterministic sample of each.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.config import BlockingConfig

IDENTIFIER_PREFIXES = ("doc", "for", "tel", "eml")
NAME_PREFIXES = ("nty", "ntd", "sky", "nk")
RECORD_PREFIXES = ("dob", "adr")
"""Blocking on other evidence than names: a record whose name was mistyped beyond recognition,
swapped for another or left out still meets its duplicates through its full birth date, or
through its street or locality with its house number or postcode."""
PLACEHOLDER_WORDS = (
    "UNKNOWN",
    "UNK",
    "NONE",
    "NA",
    "NIL",
    "NULL",
    "NOTKNOWN",
    "UNBEKANNT",
    "INCONNU",
    "DESCONOCIDO",
    "SCONOSCIUTO",
    "NIEZNANY",
)
"""Words clerks type where a document number is unknown (after upper-casing and removing
separators: `N/A` is `NA`)."""
_RUN = "|".join(
    ["0123456789"[: i + 1] for i in range(5, 10)]
    + ["123456789"[: i + 1] for i in range(5, 9)]
    + ["9876543210"[: i + 1] for i in range(5, 10)]
)
_RUNS = f"^({_RUN})$"
"""A whole number that is a run of consecutive digits (123456, 987654321): a placeholder.
"FE123456" is not: a prefix and a run can be a real number."""

TRAINING_SESSIONS = ("names", "birth_date")


def implausible_document(number: Column) -> Column:
    """A normalised document number no authority issues: a placeholder word, at most two
    distinct characters (`000000000`, `XX0000000`) or nothing but a run of six or more
    consecutive digits (`123456789`)."""
    return (
        number.isin(*PLACEHOLDER_WORDS)
        | (F.size(F.array_distinct(F.split(number, ""))) <= 2)
        | number.rlike(_RUNS)
    )


def is_implausible_document(number: str) -> bool:
    """`implausible_document` for one normalised number in plain Python, on the same words and
    runs: for code that cleans documents outside Spark (the benchmark's Splink yardstick gets the
    same placeholder knowledge as the resolver)."""
    return (
        number in PLACEHOLDER_WORDS or len(set(number)) <= 2 or re.match(_RUNS, number) is not None
    )


def _prefixed(prefix: str, arr: Column) -> Column:
    return F.transform(F.coalesce(arr, F.array()), lambda v: F.concat(F.lit(prefix + ":"), v))


def _with_suffix(prefix: str, arr: Column, suffix: Column, when: Column) -> Column:
    return F.when(
        when,
        F.transform(arr, lambda v: F.concat(F.lit(prefix + ":"), v, F.lit("|"), suffix)),
    ).otherwise(F.array().cast("array<string>"))


def record_keys(records: DataFrame) -> DataFrame:
    """(rk, key, signature) for every blocking key of every record.

    `signature` (first name skeleton + birth year) approximates "a distinct person" for the
    generic and shared rules without needing the resolution that they feed into.
    """
    year = F.coalesce(F.col("birth_year").cast("string"), F.lit(""))
    has_year = F.col("birth_year").isNotNull()
    has_day = F.col("birth_day").isNotNull() & F.col("birth_month").isNotNull()
    month_day = F.format_string("%02d-%02d", F.col("birth_month"), F.col("birth_day"))
    tokens = F.filter(F.col("name_tokens"), lambda t: F.length(t) >= 2)
    keys = F.flatten(
        F.array(
            _prefixed("doc", F.col("doc_keys")),
            _prefixed("for", F.col("forensic_keys")),
            _prefixed("tel", F.col("phones")),
            _prefixed("eml", F.col("emails")),
            _with_suffix("nty", tokens, year, has_year),
            _with_suffix("ntd", tokens, month_day, has_day),
            _with_suffix("sky", F.col("skel_keys"), year, has_year),
            # A lone token ("nedu", "mohammad") is no whole name: a huge block, no evidence.
            _prefixed(
                "nk",
                F.filter(
                    F.array_union(F.col("name_keys"), F.col("canon_keys")),
                    lambda k: F.instr(k, " ") > 0,
                ),
            ),
        )
    )
    numbers = F.filter(F.col("address_tokens"), lambda t: t.rlike(r"^[0-9]+$"))
    words = F.filter(F.col("address_tokens"), lambda t: (F.length(t) >= 4) & ~t.rlike(r"[0-9]"))
    address_keys = F.flatten(
        F.transform(
            words,
            lambda w: F.transform(numbers, lambda n: F.concat(F.lit("adr:"), w, F.lit("|"), n)),
        )
    )
    keys = F.flatten(
        F.array(
            keys,
            F.when(has_day, F.array(F.concat(F.lit("dob:"), F.col("birth_date")))).otherwise(
                F.array().cast("array<string>")
            ),
            F.coalesce(address_keys, F.array().cast("array<string>")),
        )
    )
    signature = F.concat_ws("|", F.coalesce(F.get(F.col("skel_keys"), 0), F.lit("")), year)
    return records.select(
        "rk", F.explode(F.array_distinct(keys)).alias("key"), signature.alias("signature")
    )


def key_stats(keys: DataFrame, config: BlockingConfig) -> DataFrame:
    """Per key: records, distinct persons, and whether it is generic, oversized or shared."""
    parts = F.split(F.col("key"), ":", 2)
    prefix = parts[0]
    stats = keys.groupBy("key").agg(
        F.countDistinct("rk").alias("records"), F.countDistinct("signature").alias("persons")
    )
    is_identifier = prefix.isin(*IDENTIFIER_PREFIXES)
    doc_number = F.element_at(F.split(F.col("key"), ":"), -1)
    implausible = (prefix == "doc") & implausible_document(doc_number)
    generic = is_identifier & ((F.col("persons") > F.lit(config.generic_min_persons)) | implausible)
    return (
        stats.withColumn("kind", prefix)
        .withColumn("generic", generic)
        .withColumn("implausible", implausible)
        .withColumn("oversized", ~is_identifier & (F.col("records") > F.lit(config.max_block_size)))
        .withColumn(
            "shared",
            (prefix == "tel") & ~generic & (F.col("persons") >= F.lit(config.shared_min_persons)),
        )
    )


FLAGGED_COLUMNS = (
    "key",
    "kind",
    "records",
    "persons",
    "generic",
    "implausible",
    "oversized",
    "shared",
)


def flagged_keys(stats: DataFrame) -> DataFrame:
    """Keys with a status (generic, oversized or shared), with their counts: small next to all
    keys, and what decides both the candidate pairs and the identifier evidence."""
    return stats.where(F.col("generic") | F.col("oversized") | F.col("shared")).select(
        *FLAGGED_COLUMNS
    )


def unusable_keys(stats: DataFrame) -> DataFrame:
    """Keys that neither block nor count as evidence (generic or oversized), with the reason."""
    return stats.where(F.col("generic") | F.col("oversized")).select(*FLAGGED_COLUMNS)


def candidate_pairs(keys: DataFrame, flagged: DataFrame) -> DataFrame:
    """(l_rk, r_rk, rules) with l_rk < r_rk sharing a usable key; `rules` the key families."""
    unusable = flagged.where(F.col("generic") | F.col("oversized")).select("key")
    usable = keys.join(F.broadcast(unusable), "key", "left_anti").select("rk", "key")
    a = usable.withColumnRenamed("rk", "a")
    b = usable.withColumnRenamed("rk", "b")
    pairs = a.join(b, "key").where(F.col("a") < F.col("b"))
    return (
        pairs.select(
            F.col("a").alias("l_rk"),
            F.col("b").alias("r_rk"),
            F.split(F.col("key"), ":", 2)[0].alias("rule"),
        )
        .groupBy("l_rk", "r_rk")
        .agg(F.array_sort(F.collect_set("rule")).alias("rules"))
    )


def _block_pairs(blocks: DataFrame, session: str, per_block: int) -> DataFrame:
    """Pairs within each block (columns block, rk) among its first `per_block` records."""
    w = Window.partitionBy("block").orderBy(F.xxhash64("rk"), F.col("rk"))
    capped = (
        blocks.distinct().withColumn("_i", F.row_number().over(w)).where(F.col("_i") <= per_block)
    )
    a = capped.select("block", F.col("rk").alias("a"))
    b = capped.select("block", F.col("rk").alias("b"))
    return (
        a.join(b, "block")
        .where(F.col("a") < F.col("b"))
        .select(F.col("a").alias("l_rk"), F.col("b").alias("r_rk"), F.lit(session).alias("session"))
    )


def training_pairs(records: DataFrame, keys: DataFrame, config: BlockingConfig) -> DataFrame:
    """(l_rk, r_rk, session): the EM training samples, deterministic for the same data.

    `names`: pairs sharing a whole-name key (`nk:`), whatever their birth dates; `birth_date`:
    pairs sharing a full birth date, whatever their names. Each block contributes pairs among
    its first `training_block_records` records (by key hash), and each session is thinned by a
    hash of the pair to about `training_pairs`.
    """
    names = keys.where(F.col("key").startswith("nk:")).select(F.col("key").alias("block"), "rk")
    dates = records.where(F.col("birth_day").isNotNull()).select(
        F.col("birth_date").alias("block"), "rk"
    )
    k = config.training_block_records
    pairs = _block_pairs(names, "names", k).unionByName(_block_pairs(dates, "birth_date", k))
    pairs = pairs.distinct().localCheckpoint(eager=True)
    counts = {r["session"]: r["count"] for r in pairs.groupBy("session").count().collect()}
    keep = F.lit(False)
    bucket = F.abs(F.xxhash64("l_rk", "r_rk", "session")) % F.lit(1_000_000)
    for session, n in counts.items():
        rate = min(1.0, config.training_pairs / max(n, 1))
        keep = keep | ((F.col("session") == session) & (bucket < F.lit(int(rate * 1_000_000))))
    return pairs.where(keep)


def pair_set(candidates: DataFrame, training: DataFrame) -> DataFrame:
    """(l_rk, r_rk, rules, sessions): candidates and training pairs, each pair once."""
    sessions = training.groupBy("l_rk", "r_rk").agg(
        F.array_sort(F.collect_set("session")).alias("sessions")
    )
    empty = F.array().cast("array<string>")
    return (
        candidates.join(sessions, ["l_rk", "r_rk"], "full_outer")
        .withColumn("rules", F.coalesce("rules", empty))
        .withColumn("sessions", F.coalesce("sessions", empty))
    )


def with_evidence_ids(records: DataFrame, flagged: DataFrame) -> DataFrame:
    """Add the identifiers that count as evidence: ids_doc, ids_forensic, ids_phone, ids_email
    (the record's identifiers minus generic ones) and ids_phone_shared (its shared lines)."""
    ids = records.select(
        "rk",
        F.explode(
            F.flatten(
                F.array(
                    _prefixed("doc", F.col("doc_keys")),
                    _prefixed("for", F.col("forensic_keys")),
                    _prefixed("tel", F.col("phones")),
                    _prefixed("eml", F.col("emails")),
                )
            )
        ).alias("key"),
    )
    status = F.broadcast(flagged.where("generic or shared").select("key", "generic", "shared"))
    ids = ids.join(status, "key", "left").where(~F.coalesce(F.col("generic"), F.lit(False)))
    kind = F.split(F.col("key"), ":", 2)[0]

    def collect(condition: Column, name: str) -> Column:
        return F.array_sort(F.collect_set(F.when(condition, F.col("key")))).alias(name)

    grouped = ids.groupBy("rk").agg(
        collect(kind == "doc", "ids_doc"),
        collect(kind == "for", "ids_forensic"),
        collect(kind == "tel", "ids_phone"),
        collect((kind == "tel") & F.coalesce(F.col("shared"), F.lit(False)), "ids_phone_shared"),
        collect(kind == "eml", "ids_email"),
    )
    empty = F.array().cast("array<string>")
    out = records.drop(*EVIDENCE_COLUMNS).join(grouped, "rk", "left")
    for c in EVIDENCE_COLUMNS:
        out = out.withColumn(c, F.coalesce(c, empty))
    return out


EVIDENCE_COLUMNS = ("ids_doc", "ids_forensic", "ids_phone", "ids_phone_shared", "ids_email")
