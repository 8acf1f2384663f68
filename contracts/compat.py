"""Schema compatibility: a new version may only add or drop optional fields.

Checked on the exported JSON Schemas (what publishers and consumers actually share), for every
version against *all* earlier ones of the same feed (full transitive compatibility): readers of
any version can read data written with any other. Anything else — a removed or new required
field, a changed type, an enum with values removed or added, a tightened or loosened constraint —
needs a new feed or an agreed migration, not a new version.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# Keywords that document a schema without changing what it accepts.
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "$comment", "$schema", "$id", "deprecated",
     "x-interlink-name", "x-interlink-version"}
)  # fmt: skip
_STRUCTURAL = frozenset(
    {"$ref", "$defs", "anyOf", "type", "enum", "const", "properties", "required", "items"}
)
_VERSION_FILE = re.compile(r"^v(\d+)\.json$")


class _Resolver:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = set()
        while "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"unsupported or cyclic $ref {ref!r}")
            seen.add(ref)
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            # Sibling keywords of a $ref (pydantic puts descriptions there) are annotations.
            node = target
        return node


def _variants(node: dict[str, Any], resolver: _Resolver) -> list[dict[str, Any]]:
    node = resolver.resolve(node)
    if "anyOf" in node:
        out = []
        for sub in node["anyOf"]:
            out.extend(_variants(sub, resolver))
        return out
    if isinstance(node.get("type"), list):
        rest = {k: v for k, v in node.items() if k != "type"}
        return [rest | {"type": t} for t in node["type"]]
    return [node]


def _kind(node: dict[str, Any]) -> str:
    if "type" in node:
        return str(node["type"])
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if values:
        names = {type(v).__name__ for v in values}
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}.get(
            names.pop() if len(names) == 1 else "mixed", "mixed"
        )
    return "any"


def _enum(node: dict[str, Any]) -> list[Any] | None:
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Comparer:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.old = _Resolver(old_root)
        self.new = _Resolver(new_root)
        self.problems: list[str] = []
        self._active: set[tuple[int, int]] = set()

    def refuse(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '<root>'}: {message}")

    def compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        key = (id(self.old.resolve(old)), id(self.new.resolve(new)))
        if key in self._active:  # recursive model: this pair is already being compared
            return
        self._active.add(key)
        try:
            self._compare_variants(old, new, path)
        finally:
            self._active.discard(key)

    def _compare_variants(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_vs, new_vs = _variants(old, self.old), _variants(new, self.new)
        old_kinds = sorted(_kind(v) for v in old_vs)
        new_kinds = sorted(_kind(v) for v in new_vs)
        if old_kinds != new_kinds:
            self.refuse(path, f"changed type {'|'.join(old_kinds)} -> {'|'.join(new_kinds)}")
            return
        by_kind_new: dict[str, list[dict[str, Any]]] = {}
        for variant in new_vs:
            by_kind_new.setdefault(_kind(variant), []).append(variant)
        for variant in old_vs:
            self._compare_node(variant, by_kind_new[_kind(variant)].pop(0), path)
        self._compare_default(old, new, path)

    def _compare_default(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if old.get("default", ...) != new.get("default", ...):
            self.refuse(
                path,
                f"changed default {old.get('default', '(none)')!r} -> "
                f"{new.get('default', '(none)')!r}",
            )

    def _compare_node(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_enum, new_enum = _enum(old), _enum(new)
        if old_enum is not None or new_enum is not None:
            if old_enum is None or new_enum is None:
                self.refuse(path, "changed from free values to an enum or back")
            else:
                removed = [v for v in old_enum if v not in new_enum]
                added = [v for v in new_enum if v not in old_enum]
                if removed:
                    self.refuse(path, f"narrowed enum: removed {removed}")
                if added:
                    self.refuse(path, f"widened enum: added {added} (old readers refuse them)")
        if _kind(old) == "object" or "properties" in old:
            self._compare_object(old, new, path)
        if "items" in old or "items" in new:
            if "items" in old and "items" in new:
                self.compare(old["items"], new["items"], f"{path}[]")
            else:
                self.refuse(path, "changed array item schema")
        skip = _ANNOTATIONS | _STRUCTURAL | {"additionalProperties", "default"}
        for keyword in sorted((set(old) | set(new)) - skip):
            if old.get(keyword) != new.get(keyword):
                self.refuse(
                    path,
                    f"changed constraint {keyword}: {old.get(keyword, '(none)')!r} -> "
                    f"{new.get(keyword, '(none)')!r}",
                )

    def _compare_object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if old.get("additionalProperties", True) != new.get("additionalProperties", True):
            self.refuse(path, "changed additionalProperties")
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        for name in old_props:
            where = _join(path, name)
            if name not in new_props:
                if name in old_req:
                    self.refuse(where, "removed required field")
                continue  # dropping an optional field is allowed
            if name in old_req and name not in new_req:
                self.refuse(where, "required field became optional (old readers need it)")
            elif name not in old_req and name in new_req:
                self.refuse(where, "optional field became required (old data lacks it)")
            self.compare(old_props[name], new_props[name], where)
        for name in new_props:
            if name not in old_props and name in new_req:
                self.refuse(_join(path, name), "new required field (old data lacks it)")


def check_compatibility(old_schema: dict[str, Any], new_schema: dict[str, Any]) -> list[str]:
    """Why `new_schema` is not fully compatible with `old_schema`; empty when it is.

    Allowed: adding or dropping optional fields, changing descriptions. Refused: everything
    else, each reported as `<field path>: <what changed>`.
    """
    comparer = _Comparer(old_schema, new_schema)
    comparer.compare(old_schema, new_schema, "")
    return comparer.problems


def schema_versions(feed_dir: Path) -> dict[int, Path]:
    """`{version: path}` of the `v<N>.json` files in one feed's schema directory."""
    found = {}
    for path in feed_dir.iterdir():
        match = _VERSION_FILE.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def check_all(schemas_dir: Path | str) -> list[str]:
    """Compatibility problems across every feed directory: each version vs all earlier ones."""
    root = Path(schemas_dir)
    if not root.is_dir():
        return [f"{root}: no such schema directory"]
    problems: list[str] = []
    for feed_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = schema_versions(feed_dir)
        loaded: dict[int, dict[str, Any]] = {}
        for version, path in versions.items():
            try:
                loaded[version] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                problems.append(f"{feed_dir.name} v{version}: cannot read {path}: {exc}")
        numbers = sorted(loaded)
        for i, new in enumerate(numbers):
            for old in numbers[:i]:
                for problem in check_compatibility(loaded[old], loaded[new]):
                    problems.append(f"{feed_dir.name} v{old} -> v{new}: {problem}")
    return problems
