"""What can go wrong in the warehouse, as types: each message names the value and the fix."""

from __future__ import annotations

from infra.errors import ServiceError
from infra.errors import redact as redact  # the warehouse's messages redact with it


class WarehouseError(ServiceError):
    """A warehouse operation a user asked for cannot be done; the message says what to do."""


class BadWarehouseURL(WarehouseError):
    """The warehouse URL is neither a DuckDB nor a PostgreSQL URL."""


class NotMigrated(WarehouseError):
    """The warehouse has no Interlink schema yet."""


class LoadFailed(WarehouseError):
    """A load was rolled back; the previous state is intact and a rerun completes it."""


class WarehouseBusy(WarehouseError):
    """Another writer (a load or a purge) held the warehouse longer than the lock timeout."""


class MigrationFailed(WarehouseError):
    """A migration was rolled back: nothing of it was applied."""


class BadRetentionWindow(WarehouseError):
    """A retention notice window that is not a number of months ahead."""
