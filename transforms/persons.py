"""Person entity resolution: blocking → comparison vectors → EM → weights → clusters.

`resolve_persons` is a pure function of the current person records and, in incremental mode, of
the previous run's state (record hashes, comparison vectors, unusable keys). Incremental and full
runs give the same clusters on the same data because:

- the candidate pairs of a full run = stored pairs between unchanged records ∪ pairs touching a
  *dirty* record (new or changed, or holding a key whose generic/oversized status flipped);
- the comparison vector of a pair depends only on its two records and the generic list, so a
  stored vector of two clean records is the vector a full run would compute;
- m, λ (EM over the vectors' pattern counts), u (deterministic sample) and term frequencies are
  re-estimated from all data every run: cheap aggregates, no pair is re-compared for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import blocking as B
from transforms import fellegi_sunter as FS
from transforms.clustering import guarded_components
from transforms.comparisons import Comparison, default_comparisons

RECORD_COLUMNS = (
    "name_keys",
    "canon_keys",
    "skel_keys",
    "name_tokens",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "nationalities",
    "doc_keys",
    "forensic_keys",
    "phones",
    "emails",
    "address_tokens",
)
_ARRAYS = {
    "name_keys",
    "canon_keys",
    "skel_keys",
    "name_tokens",
    "nationalities",
    "doc_keys",
    "forensic_keys",
    "phones",
    "emails",
    "address_tokens",
}
_TYPES = {"birth_year": "int", "birth_month": "int", "birth_day": "int"}


@dataclass(frozen=True)
class ResolutionConfig:
    """The few knobs of person resolution; defaults are the documented production values."""

    threshold: float = 0.95
    """The one match threshold: a pair is accepted when its match probability is at least this
    (match weight ≥ log2(0.95/0.05) ≈ 4.25 bits)."""
    blocking: B.BlockingConfig = field(default_factory=B.BlockingConfig)
    max_cluster_size: int = 50
    """Components larger than this are re-clustered on stronger edges (the giant guard)."""
    guard_steps: tuple[float, ...] = (4.0, 8.0, 12.0)
    """Extra bits above the threshold tried in turn on an oversized component."""

    @property
    def threshold_weight(self) -> float:
        return FS.probability_to_weight(self.threshold)


@dataclass
class PreviousState:
    """What an incremental run needs from the previous one (all optional for a first run)."""

    records: DataFrame  # rk, payload_hash
    vectors: DataFrame  # l_rk, r_rk, rules, g_*, tf_*
    unusable: DataFrame  # key, kind, records, persons, generic, oversized


@dataclass
class Resolution:
    records: DataFrame
    stats: DataFrame
    unusable: DataFrame
    vectors: DataFrame
    scored: DataFrame
    accepted: DataFrame
    clusters: DataFrame
    model: FS.Model
    dirty: int | None
    new_vectors: int
    summary: dict[str, Any] = field(default_factory=dict)


def record_key(country: F.Column, record_id: F.Column) -> F.Column:
    return F.concat_ws("|", country, record_id)


def to_records(persons: DataFrame, prefix: str = "") -> DataFrame:
    """The matching view of silver persons (or notice subjects): rk + comparison columns.

    Columns a source does not have (a notice subject has no phones) become empty, so every
    record type is compared by the same rules.
    """
    cols = []
    for c in RECORD_COLUMNS:
        if c in persons.columns:
            cols.append(F.col(c))
        elif c in _ARRAYS:
            cols.append(F.array().cast("array<string>").alias(c))
        else:
            cols.append(F.lit(None).cast(_TYPES.get(c, "string")).alias(c))
    hash_col = F.col("payload_hash") if "payload_hash" in persons.columns else F.lit(None)
    return persons.select(
        F.concat(F.lit(prefix), record_key(F.col("source_country"), F.col("record_id"))).alias(
            "rk"
        ),
        "source_country",
        "record_id",
        hash_col.cast("string").alias("payload_hash"),
        *cols,
    )


def _dirty_records(
    records: DataFrame, keys: DataFrame, unusable: DataFrame, previous: PreviousState
) -> DataFrame:
    changed = records.select("rk", "payload_hash").join(
        previous.records.select("rk", "payload_hash"), ["rk", "payload_hash"], "left_anti"
    )
    old = previous.unusable.select("key", "generic", "oversized")
    new = unusable.select("key", "generic", "oversized")
    flipped = old.exceptAll(new).unionByName(new.exceptAll(old)).select("key").distinct()
    via_keys = keys.join(flipped, "key").select("rk")
    return changed.select("rk").unionByName(via_keys).distinct()


def resolve_persons(
    records: DataFrame,
    *,
    config: ResolutionConfig | None = None,
    previous: PreviousState | None = None,
    comparisons: list[Comparison] | None = None,
) -> Resolution:
    """Score and cluster person records; `previous` switches to incremental mode."""
    config = config or ResolutionConfig()
    comparisons = comparisons or default_comparisons()
    records = records.cache()
    keys = B.record_keys(records).cache()
    stats = B.key_stats(keys, config.blocking)
    unusable = B.unusable_keys(stats).cache()
    generic = unusable.where("generic")
    rec = B.with_evidence_ids(records, generic).cache()

    if previous is None:
        dirty_df = None
        kept = None
    else:
        dirty_df = _dirty_records(records, keys, unusable, previous).cache()
        current = records.select("rk")
        kept = (
            previous.vectors.join(current.withColumnRenamed("rk", "l_rk"), "l_rk", "left_semi")
            .join(current.withColumnRenamed("rk", "r_rk"), "r_rk", "left_semi")
            .join(dirty_df.withColumnRenamed("rk", "l_rk"), "l_rk", "left_anti")
            .join(dirty_df.withColumnRenamed("rk", "r_rk"), "r_rk", "left_anti")
        )
    pairs = B.candidate_pairs(keys, unusable, dirty_df)
    fresh = FS.comparison_vectors(pairs, rec, comparisons)
    fresh = fresh.localCheckpoint(eager=True)
    new_count = fresh.count()
    vectors = fresh if kept is None else kept.select(*fresh.columns).unionByName(fresh)
    vectors = vectors.localCheckpoint(eager=True)

    u, sample_size = FS.estimate_u(rec, comparisons)
    model = FS.estimate_m(vectors, comparisons, u)
    model.u_sample_pairs = sample_size
    scored = FS.score(vectors, rec, comparisons, model).localCheckpoint(eager=True)
    accepted = scored.where(F.col("match_probability") >= F.lit(config.threshold))
    tiers = tuple(config.threshold_weight + s for s in config.guard_steps)
    clusters = guarded_components(
        records.select("rk"), accepted, max_size=config.max_cluster_size, tiers=tiers
    ).cache()
    return Resolution(
        records=rec,
        stats=stats,
        unusable=unusable,
        vectors=vectors,
        scored=scored,
        accepted=accepted,
        clusters=clusters,
        model=model,
        dirty=None if dirty_df is None else dirty_df.count(),
        new_vectors=new_count,
    )


def pairs_output(accepted: DataFrame, assignment: DataFrame | None = None) -> DataFrame:
    """Accepted pairs with both record keys split back into (source_country, record_id)."""
    l_parts = F.split("l_rk", r"\|", 2)
    r_parts = F.split("r_rk", r"\|", 2)
    out = accepted.select(
        l_parts[0].alias("l_source_country"),
        l_parts[1].alias("l_record_id"),
        r_parts[0].alias("r_source_country"),
        r_parts[1].alias("r_record_id"),
        "match_weight",
        "match_probability",
        "contributions",
        "levels",
        "rules",
        "l_rk",
        "r_rk",
    )
    if assignment is not None:
        out = out.join(
            assignment.select(F.col("rk").alias("l_rk"), F.col("entity_id").alias("l_entity_id")),
            "l_rk",
            "left",
        ).join(
            assignment.select(F.col("rk").alias("r_rk"), F.col("entity_id").alias("r_entity_id")),
            "r_rk",
            "left",
        )
    return out.drop("l_rk", "r_rk")


def generic_values_output(unusable: DataFrame) -> DataFrame:
    """The generic identifiers, in analyst terms: kind, value, how many persons share it."""
    parts = F.split("key", ":", 2)
    kinds = F.create_map(
        *[
            F.lit(x)
            for x in ("doc", "document", "for", "forensic_ref", "tel", "phone", "eml", "email")
        ]
    )
    return unusable.where("generic").select(
        F.element_at(kinds, parts[0]).alias("kind"),
        parts[1].alias("value"),
        F.col("persons").alias("distinct_persons"),
        "records",
    )
