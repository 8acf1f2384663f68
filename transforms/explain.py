"""`interlink explain ENTITY_ID`: why these records are one person, in words an analyst reads.

For an entity: its records (country, record id, name as sent, birth date, provenance), the
accepted pairs that hold it together with each field's contribution in bits (positive = evidence
for, negative = against), the generic values ignored, and the entity's merge/split history.
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from transforms import lake_io
from transforms.errors import EntityNotFound, LakeNotBuilt
from transforms.lake_io import LakeRoot


def _fmt_contrib(contrib: dict[str, float], levels: dict[str, str]) -> str:
    parts = []
    for field, bits in sorted(contrib.items(), key=lambda kv: -abs(kv[1])):
        if field == "prior":
            continue
        level = levels.get(field, "")
        parts.append(f"{field} {level} {bits:+.1f}")
    return ", ".join(parts)


def explain_entity(spark: SparkSession, lake_root: LakeRoot, entity_id: str) -> str:
    """A readable explanation of one entity from gold (raises EntityNotFound / LakeNotBuilt)."""
    where = lake_io.as_lake(lake_root).root
    entities = lake_io.read_table(spark, lake_root, "gold", "person_entities")
    if entities is None:
        raise LakeNotBuilt(
            f"no gold/person_entities under {where}: run the pipeline first "
            "(`interlink run` or `interlink demo`)"
        )
    events = lake_io.read_table(spark, lake_root, "gold", "entity_events")
    rows = (
        entities.where(F.col("entity_id") == entity_id)
        .orderBy("source_country", "record_id")
        .collect()
    )
    history = []
    if events is not None:
        history = (
            events.where(
                (F.col("entity_id") == entity_id)
                | F.array_contains("related_entity_ids", entity_id)
            )
            .orderBy("run_seq", "event")
            .collect()
        )
    if not rows:
        retired = [h for h in history if h["event"] == "retired" and h["entity_id"] == entity_id]
        if retired:
            now = ", ".join(retired[-1]["related_entity_ids"]) or "no current entity"
            return (
                f"Entity {entity_id} was retired in run {retired[-1]['run_seq']}; "
                f"its records are now in: {now}"
            )
        raise EntityNotFound(
            f"entity {entity_id!r} is not in {where}/gold/person_entities: check the id "
            "(ids look like P-0123456789ABCDEF) or run the pipeline"
        )
    countries = sorted({r["source_country"] for r in rows})
    lines = [
        f"Entity {entity_id}: {len(rows)} record(s) from {len(countries)} country(ies) "
        f"({', '.join(countries)})",
    ]
    if rows[0]["guard"]:
        lines.append(
            f"  ! giant-component guard applied ({rows[0]['guard']}): review before relying on it"
        )
    lines.append("Records:")
    for r in rows:
        names = "; ".join(
            f"{n['original']} [{n['script'] or '?'}→{n['latin']}]" for n in (r["names"] or [])
        )
        lines.append(
            f"  {r['source_country']}/{r['record_id']} v{r['record_version']} ({r['role']}): "
            f"{names}; born {r['birth_date'] or '?'} ({r['birth_precision'] or '-'}); "
            f"sex {r['sex'] or '?'}; documents {', '.join(r['doc_keys']) or '-'} "
            f"[topic {r['topic']} partition {r['partition']} offset {r['offset']}]"
        )
    pairs_df = lake_io.read_table(spark, lake_root, "gold", "person_pairs")
    pairs = []
    if pairs_df is not None:
        pairs = (
            pairs_df.where(
                (F.col("l_entity_id") == entity_id) & (F.col("r_entity_id") == entity_id)
            )
            .orderBy(F.col("match_weight").desc())
            .collect()
        )
    if len(rows) > 1:
        lines.append(f"Held together by {len(pairs)} accepted pair(s) (weights in bits):")
        for p in pairs:
            lines.append(
                f"  {p['l_source_country']}/{p['l_record_id']} ~ "
                f"{p['r_source_country']}/{p['r_record_id']}: weight {p['match_weight']:.1f}, "
                f"probability {p['match_probability']:.3f}, blocked by {', '.join(p['rules'])}"
            )
            lines.append(f"      {_fmt_contrib(p['contributions'], p['levels'])}")
    else:
        lines.append("Single record: no other record matched above the threshold.")
    if history:
        lines.append("History:")
        for h in history:
            rel = ", ".join(h["related_entity_ids"])
            lines.append(
                f"  run {h['run_seq']}: {h['event']} {h['entity_id']}"
                + (f" ({rel})" if rel else "")
            )
    return "\n".join(lines)
