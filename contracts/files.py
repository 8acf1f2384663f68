"""Validate a publisher's file offline: JSON Lines, a JSON array (or one object), or CSV.

Each record may be a bare payload of the feed or a whole envelope (recognised by its `feed` and
`payload` keys). Every failure keeps the line it came from, so a publisher can fix the file
before sending a single message.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.errors import Failure, FileFormatError, ValidationFailure
from contracts.parsing import validate_envelope, validate_payload
from contracts.registry import LATEST_VERSION, PAYLOAD_MODELS, check_feed

FORMATS = ("jsonl", "json", "csv")
_INT_RE = re.compile(r"^[+-]?\d+$")


@dataclass
class RecordResult:
    """One record of the file: its first line and its failures (empty when valid)."""

    line: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class FileReport:
    """The outcome for a whole file."""

    path: Path
    feed: str
    format: str
    records: list[RecordResult]

    @property
    def failed(self) -> list[RecordResult]:
        return [r for r in self.records if not r.ok]

    @property
    def ok(self) -> bool:
        return bool(self.records) and not self.failed


def detect_format(path: Path, text: str) -> str:
    """`jsonl`, `json` or `csv`, from the extension, else from the first character."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    first = text.lstrip()[:1]
    if first == "[":
        return "json"
    if first == "{":
        return "jsonl"
    return "csv"


@dataclass(frozen=True)
class Unreadable:
    """A record that could not be decoded; its failures say why."""

    failures: list[Failure]


def _decode_failure(message: str) -> Unreadable:
    return Unreadable([Failure(path="", value=None, rule="decode.json", message=message)])


def _jsonl(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _decode_failure(f"not JSON: {exc.msg} at column {exc.colno}")
        except ValueError as exc:  # an integer of thousands of digits
            yield number, _decode_failure(f"not a JSON number we read: {exc}")


def _json(text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "{":
        try:
            yield text.count("\n", 0, start) + 1, json.loads(text)
        except json.JSONDecodeError as exc:
            yield exc.lineno, _decode_failure(f"not JSON: {exc.msg} at column {exc.colno}")
        except ValueError as exc:  # an integer of thousands of digits
            yield 1, _decode_failure(f"not a JSON number we read: {exc}")
        return
    if text[start : start + 1] != "[":
        raise FileFormatError("a .json file holds one object or an array of objects")
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise FileFormatError("the JSON array is not closed with ]")
        if text[pos] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            # Past a syntax error the array's structure is unknown: report it and stop.
            yield line, _decode_failure(f"not JSON: {exc.msg} at line {exc.lineno}")
            return
        except ValueError as exc:  # an integer of thousands of digits
            yield line, _decode_failure(f"not a JSON number we read: {exc}")
            return
        yield line, value


def _schema_at(schema: dict[str, Any], parts: list[str]) -> dict[str, Any] | None:
    """The (non-null) sub-schema at a dotted CSV column path, or None if there is none."""
    defs = schema.get("$defs", {})

    def concrete(node: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in node:
                node = defs[node["$ref"].rsplit("/", 1)[-1]]
            elif "anyOf" in node:
                non_null = [n for n in node["anyOf"] if n.get("type") != "null"]
                node = non_null[0] if len(non_null) == 1 else {}
            else:
                return node

    node: dict[str, Any] | None = concrete(schema)
    for part in parts:
        if node is None:
            return None
        if part.isdigit() and node.get("type") == "array":
            node = concrete(node.get("items", {}))
        else:
            prop = node.get("properties", {}).get(part)
            node = concrete(prop) if prop is not None else None
    return node


def _cell_value(cell: str, node: dict[str, Any] | None) -> Any:
    text = cell.strip()
    if text[:1] in ("[", "{"):
        return json.loads(text)
    kind = (node or {}).get("type")
    if kind == "array":
        item_kind = (node or {}).get("items", {}).get("type")
        items = [part.strip() for part in text.split(";") if part.strip()]
        return [_scalar(item, item_kind) for item in items]
    return _scalar(text, kind)


def _scalar(text: str, kind: Any) -> Any:
    # Longer digit strings stay text, refused by the contract as such (and Python would refuse
    # to convert thousands of digits anyway).
    if kind == "integer" and _INT_RE.fullmatch(text) and len(text) <= 20:
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _put(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt_is_index = not last and parts[i + 1].isdigit()
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append({})
            if last:
                node[index] = value
            else:
                if not isinstance(node[index], dict | list) or (
                    nxt_is_index and not isinstance(node[index], list)
                ):
                    node[index] = [] if nxt_is_index else {}
                node = node[index]
        else:
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_index else {})


def _csv(text: str, schema: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise FileFormatError("the CSV file has no header row")
    start = reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if None in row:
            extra = Failure("", row[None], "csv.columns", "more cells than header columns")
            yield line, Unreadable([extra])
            continue
        record: dict[str, Any] = {}
        failures: list[Failure] = []
        for column, cell in row.items():
            if cell is None or not cell.strip():
                continue  # an empty cell is an absent field
            parts = column.strip().split(".")
            try:
                value = _cell_value(cell, _schema_at(schema, parts))
            except json.JSONDecodeError as exc:
                failures.append(Failure(column, cell, "csv.json", f"cell is not JSON: {exc.msg}"))
                continue
            _put(record, parts, value)
        yield line, Unreadable(failures) if failures else record


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM tolerated) or a `FileFormatError` saying what to do."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileFormatError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path} is not UTF-8 (byte {exc.start}): re-save it as UTF-8"
        ) from None


def read_records(text: str, feed: str, fmt: str) -> Iterator[tuple[int, Any]]:
    """`(line, record)` pairs of a file's text; undecodable records come as `Unreadable`."""
    if fmt == "jsonl":
        yield from _jsonl(text)
    elif fmt == "json":
        yield from _json(text)
    elif fmt == "csv":
        model = PAYLOAD_MODELS[(feed, LATEST_VERSION[feed])]
        yield from _csv(text, model.model_json_schema(mode="validation"))
    else:
        raise FileFormatError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def validate_record(record: Any, feed: str, *, version: int | None = None) -> list[Failure]:
    """Failures of one decoded record (payload or whole envelope) against `feed`'s contract."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        return [Failure("", record, "decode.not_object", f"a record is a JSON object, not {kind}")]
    try:
        if "payload" in record and "feed" in record:
            if record["feed"] != feed:
                return [
                    Failure("feed", record["feed"], "feed.mismatch", f"this file is for {feed}")
                ]
            validate_envelope(record)
        else:
            validate_payload(feed, record, version=version)
    except ValidationFailure as exc:
        return exc.failures
    return []


def validate_file(
    path: Path | str, feed: str, *, version: int | None = None, fmt: str | None = None
) -> FileReport:
    """Validate every record of a publisher's file against `feed` (latest version by default)."""
    check_feed(feed)
    path = Path(path)
    text = read_text(path)
    chosen = fmt or detect_format(path, text)
    results = []
    for line, record in read_records(text, feed, chosen):
        if isinstance(record, Unreadable):
            results.append(RecordResult(line, record.failures))
        else:
            results.append(RecordResult(line, validate_record(record, feed, version=version)))
    return FileReport(path=path, feed=feed, format=chosen, records=results)
