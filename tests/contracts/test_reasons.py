"""The error classes (contracts/reasons.py) against docs/operations.md and against the code that
sends them: a class added on either side without the other fails here."""

from __future__ import annotations

import re
from pathlib import Path

from contracts.reasons import ERROR_CLASSES, markdown_table

ROOT = Path(__file__).resolve().parents[2]

# Classes of errors met by files and the command line (`interlink contracts validate`,
# `publish`) or by the warehouse (`gold.schema`), never sent by the ingest in a receipt or a
# dead letter.
NOT_FROM_THE_INGEST = {
    "contract",
    "decode",
    "file.format",
    "feed.unknown",
    "schema_version.unknown",
    "gold.schema",
}

_NAMED = re.compile(
    r"""(?:Rejected\(\s*|error_class\s*=\s*|error_class=|ErrorClass\w*\(\s*)["']([a-z_]+(?:\.[a-z_0-9]+)*)["']"""
)


def test_operations_md_lists_exactly_the_declared_error_classes() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate the table: contracts.reasons.markdown_table()"
    section = doc.split("\n## Error classes\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)
    assert listed == list(ERROR_CLASSES)


def test_every_error_class_the_code_names_is_documented() -> None:
    named: dict[str, set[str]] = {}
    for package in ("contracts", "streams", "interlink"):
        for path in (ROOT / package).rglob("*.py"):
            for name in _NAMED.findall(path.read_text(encoding="utf-8")):
                named.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    # The scan finds the classes the ingest raises itself (it would find nothing if broken).
    assert {"signature.missing", "decode.number", "kafka.header_key", "kafka.timestamp"} <= set(
        named
    )
    undocumented = {
        name: files
        for name, files in named.items()
        if name not in ERROR_CLASSES and name not in NOT_FROM_THE_INGEST
    }
    assert undocumented == {}
