"""The curated tables: every table and column with its meaning, in one place.

This module is the single source of the warehouse's descriptions. The migrations create the tables
(numbered SQL files), `migrate()` writes these descriptions as `COMMENT ON` in both dialects,
`docs/data-dictionary.md` is generated from them (`render_data_dictionary`), and a test fails when
the database, this catalog or the page drift apart.

Each column also says where its value comes from in the gold Parquet that `transforms/` writes
(`<lake>/gold/<gold>/`): by default the gold column of the same name; `alts` lists DuckDB
expressions over the gold row `g`, tried in order, each with the gold columns it needs. The gold
columns are declared once, in `contracts/gold.py`; `gold_sources.check_gold_sources` (run when
`infra.warehouse` is imported) fails unless every gold column named here is declared there and
every warehouse column finds its source.
"""

from __future__ import annotations

from infra.warehouse.catalog_derived import DERIVED_TABLES
from infra.warehouse.catalog_model import CAVEATS, Column, Table
from infra.warehouse.catalog_records import RECORD_TABLES

__all__ = ["CAVEATS", "META_TABLES", "TABLES", "TABLES_BY_NAME", "VIEWS", "Column", "Table"]

TABLES: tuple[Table, ...] = (*RECORD_TABLES, *DERIVED_TABLES)

TABLES_BY_NAME = {t.name: t for t in TABLES}

# Tables the loader and migrations manage besides the curated ones, with their descriptions.
META_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "schema_migrations": (
        "Migrations applied to this warehouse.",
        {
            "version": "Migration number.",
            "name": "Migration file stem.",
            "checksum": "SHA-256 of the SQL applied.",
            "applied_at": "When it was applied.",
        },
    ),
    "load_log": (
        "One row per load: when, full or incremental, rows moved per table.",
        {
            "load_id": "Load number.",
            "started_at": "When the load started.",
            "finished_at": "When it committed.",
            "full_reload": "Whether every row was reloaded.",
            "summary": "JSON: per table rows inserted, updated, deleted and notes.",
        },
    ),
    "load_state": (
        "Fingerprint of the sources the last load read: an unchanged lake loads nothing.",
        {
            "name": "What the fingerprint covers (`sources`).",
            "fingerprint": "SHA-256 of the source files (name, size, modification time), the "
            "tombstones and the catalog.",
            "load_id": "The load that read them.",
            "updated_at": "When.",
        },
    ),
    "audit_log": (
        "Deletions and purges: what, whose, when, why. Never purged.",
        {
            "audit_id": "Audit entry number.",
            "logged_at": "When it happened (UTC).",
            "action": "source_delete | retention_purge | lake_erasure | rejected_erasure.",
            "record_key": "The record (`<source_country>/<feed>/<record_id>`).",
            "source_country": "Whose record it was (the source country).",
            "feed": "Feed of the record.",
            "record_id": "The source's record id.",
            "record_version": "Version removed.",
            "reason": "Why (source delete, review_by passed without extension, …).",
            "actor": "Database user or process that did it.",
            "details": "JSON: tables and lake files touched, row counts.",
        },
    ),
    "purged_records": (
        "Records removed for retention or deletion: a load never brings a version "
        "at or below this back.",
        {
            "record_key": "The record.",
            "record_version": "Highest version removed; a later version (an extension) may load.",
            "action": "retention_purge | source_delete.",
            "purged_at": "When.",
        },
    ),
    "rejected_rows": (
        "Rows the latest load of a table could not store (a U+0000 in text, an unknown handling "
        "code): set aside so that the rest loads. Only the row's key and the reason are kept; "
        "the warehouse keeps the row's previous version, if any. A row leaves this table when a "
        "load stores it.",
        {
            "load_id": "The load that set the row aside.",
            "table_name": "Curated table the row was for.",
            "row_key": "The row's row_key in that table.",
            "row_identity": "The row's key columns as JSON (NUL shown as \\u0000).",
            "reason": "Why the warehouse cannot store it; the source must resend the record.",
            "rejected_at": "When.",
            "record_keys": "Source records the row was built from: erasing one of them (a "
            "deletion, a retention purge) removes the entry, with an audit row.",
        },
    ),
    "recipients": (
        "Recipient roles: a database role reading as a country or a network. A recipient "
        "reads its own row only.",
        {
            "role_name": "PostgreSQL role.",
            "scope": "The country (ISO3) or network (HTEG, ISON, …) it reads as.",
            "victim_access": "Whether it may see victims' identities.",
            "granted_at": "When it was granted.",
        },
    ),
    "recipient_networks": (
        "Which networks each member country belongs to. A recipient reads its own country's "
        "rows only.",
        {
            "country": "ISO3 member country.",
            "network": "Network name (HTEG, ISON, …).",
        },
    ),
}

VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "persons": (
        "Person records with provenance and identity; to recipients without victim access a "
        "victim's record shows its provenance only: identity `[masked]`, its person attributes "
        "and entity empty (so that resolution links it to nothing they see).",
        {
            "identity_masked": "True when the identity is hidden from the reader.",
        },
    ),
    "entities": (
        "Each entity as the reader may see it: only the records (and attributes) "
        "visible to the reader contribute; a victim's record only with victim access.",
        {},
    ),
}
