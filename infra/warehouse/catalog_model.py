"""The vocabulary of the warehouse catalog: a column, a table, and the shared column sets.

`catalog.py` assembles the curated tables from `catalog_records.py` (one table per source feed and
its identities) and `catalog_derived.py` (tables built across records: links, networks, hits,
explanations, trends and the operational tables). The split is by size only: every table is still
declared once and reached through `catalog.TABLES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.gold import GoldTable, gold_table
from contracts.registry import FEEDS

# Europol SIENA-style handling codes: the text that must travel with the data.
CAVEATS: dict[str, str] = {
    "H0": "",
    "H1": "H1: not to be used as evidence in judicial proceedings without the permission of "
    "the provider.",
    "H2": "H2: not to be disseminated without the permission of the provider.",
    "H3": "H3: other restrictions apply (see the handling note).",
}


@dataclass(frozen=True)
class Column:
    """A warehouse column: name, logical type, meaning, and how it is read from gold."""

    name: str
    type: str
    """text | int | bigint | double | bool | date | timestamptz | text[] | json"""
    description: str
    alts: tuple[tuple[tuple[str, ...], str], ...] = ()
    """(needed gold columns, DuckDB expression over `g`), tried in order before the default."""
    technical: bool = False
    """Filled by the loader (keys, hashes, caveat, derived handling), never read from gold."""


@dataclass(frozen=True)
class Table:
    """A curated table: its lake source, key, columns, and how its rows are governed."""

    name: str
    description: str
    sources: tuple[str, ...]
    """Lake prefixes read together (union by column name): `gold/<table>`, `silver/<feed>`, or
    `bronze` / `reports/quality/results` for the operational tables."""
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    record_keys: str
    """DuckDB expression over the mapped row `c` listing the source records it is built from."""
    entity_refs: str | None = None
    """DuckDB expression over the source row `g` listing entity ids the row depends on: each
    stands for all the person records resolved into it (added to record_keys)."""
    record_keys_from: str | None = None
    """Another table whose rows (joined on this table's single key column) supply record_keys."""
    governance: str = "own"
    """own: RLS on the row's own dissemination; derived: visible only when every source record in
    record_keys is visible, and none is a victim's person record unless the reader has victim
    access (its handling is the strictest of theirs); identity: own + a victim's row hidden from
    recipients without victim access (person_records, person_identities); holder: own + a row
    whose holder (`holder_ref`) is a victim hidden from recipients without victim access."""
    holder_ref: tuple[str, str] | None = None
    """(country column, record id column) of the mapped row naming the person record it is
    about (a document's holder): the loader copies that record's role into `holder_role`."""
    default_dissemination: str | None = None
    """DuckDB expression used when the source carries no dissemination (operational tables);
    None means the row is visible to no recipient until the source carries one (fail closed)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def gold(self) -> str:
        """The sources, as the load report names them."""
        return ", ".join(self.sources)

    @property
    def gold_tables(self) -> tuple[GoldTable, ...]:
        """The declarations (contracts/gold.py) of the gold tables this table reads."""
        return tuple(gold_table(s.removeprefix("gold/")) for s in self.sources if is_gold(s))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


HOLDER_UNKNOWN = "unknown"
"""`holder_role` of a row whose holder's person record the warehouse does not hold."""


def is_gold(source: str) -> bool:
    return source.startswith("gold/")


def record_key(country: str, feed: str, record_id: str) -> str:
    return f"{country} || '/' || {feed} || '/' || {record_id}"


ROW_KEY = Column(
    "row_key", "text", "Stable key of the row (hash of the table's key columns).", technical=True
)
ROW_HASH = Column(
    "row_hash",
    "text",
    "Hash of the row's content: a reload moves only rows whose hash changed.",
    technical=True,
)
RECORD_KEYS = Column(
    "record_keys",
    "text[]",
    "Source records the row is built from, as "
    "`<source_country>/<feed>/<record_id>`: deletion and retention remove every "
    "row that names a removed record.",
    technical=True,
)
LOAD_ID = Column(
    "load_id", "bigint", "The load (load_log.load_id) that last wrote the row.", technical=True
)


def handling(derived: bool = False) -> tuple[Column, ...]:
    if derived:
        return (
            Column(
                "dissemination",
                "text[]",
                "Union of the restricted dissemination lists of the "
                "source records (informative; visibility requires every source record to be "
                "visible). Empty: all members.",
                technical=True,
            ),
            Column(
                "handling_code",
                "text",
                "Strictest handling code (H0-H3) of the source records.",
                technical=True,
            ),
            Column(
                "caveat",
                "text",
                "Caveats of the source records' handling codes (H1/H2/H3), "
                "carried into every export; NULL for H0.",
                technical=True,
            ),
        )
    return (
        Column(
            "dissemination",
            "text[]",
            "The source's dissemination list: ISO3 countries and/or "
            "network names allowed to see the row; empty = all members.",
        ),
        Column("handling_code", "text", "The source's handling code H0-H3."),
        Column("handling_note", "text", "The source's handling note (required with H3)."),
        Column(
            "caveat",
            "text",
            "Caveat text of the handling code (H1/H2/H3), carried into every export; NULL for H0.",
            technical=True,
        ),
    )


def technical() -> tuple[Column, ...]:
    return (ROW_KEY, ROW_HASH, RECORD_KEYS, LOAD_ID)


def provenance(
    name: str, type_: str, description: str, *alts: tuple[tuple[str, ...], str]
) -> Column:
    return Column(name, type_, description, tuple(alts))


def one_record(feed: str) -> str:
    return "[" + record_key("c.source_country", f"'{feed}'", "c.record_id") + "]"


def split_record_key(col: str, part: int) -> str:
    """Part 1 (country) or 2 (record id) of a transforms record key `<country>|<record_id>`."""
    return f"split_part(g.{col}, '|', {part})"


SILVER = tuple(f"silver/{feed}" for feed in FEEDS)
