"""The warehouse: curated tables in DuckDB (embedded) or PostgreSQL (production), with governance.

Public API (the pipeline, the DAGs and `interlink warehouse …` call only these): `migrate`,
`load`, `table_counts`, `grant_recipient`, `revoke_recipient`, `set_networks`, `purge_expired`,
`retention_report`, `check_connection`, `render_data_dictionary`. The tables and their meaning
are in `catalog.py` (and docs/data-dictionary.md, generated from it).
"""

from infra.warehouse.connection import check_connection
from infra.warehouse.dictionary import render_data_dictionary
from infra.warehouse.errors import (
    BadWarehouseURL,
    LoadFailed,
    MigrationFailed,
    NotMigrated,
    WarehouseBusy,
    WarehouseError,
)
from infra.warehouse.gold_sources import check_gold_sources
from infra.warehouse.governance import (
    InvalidRecipient,
    grant_recipient,
    revoke_recipient,
    set_networks,
)
from infra.warehouse.loader import LoadReport, TableLoad, load, table_counts
from infra.warehouse.migrate import migrate
from infra.warehouse.retention import (
    PurgeReport,
    RetentionReport,
    purge_expired,
    retention_report,
)

__all__ = [
    "BadWarehouseURL",
    "InvalidRecipient",
    "LoadFailed",
    "LoadReport",
    "MigrationFailed",
    "NotMigrated",
    "PurgeReport",
    "RetentionReport",
    "TableLoad",
    "WarehouseBusy",
    "WarehouseError",
    "check_connection",
    "grant_recipient",
    "load",
    "migrate",
    "purge_expired",
    "render_data_dictionary",
    "retention_report",
    "revoke_recipient",
    "set_networks",
    "table_counts",
]

# The catalog and contracts/gold.py agree, or nothing here is usable.
check_gold_sources()
