"""Standard JSON Schema written without biaoge's dialect, brought to what the compiler reads (no I/O).

`normalize` returns a copy of a parsed definition with every nullable type array (`["string", "null"]`)
written as its one type, and the definition paths of those fields: on paper a field that may be null is a
field that may be left blank, so the compiler treats it as optional even where `required` names it."""
from __future__ import annotations

import copy


def normalize(data: dict) -> tuple[dict, set]:
    doc = copy.deepcopy(data)
    nullable: set = set()
    _fields(doc.get("properties"), ("properties",), nullable)
    return doc, nullable


def _fields(props, path: tuple, nullable: set) -> None:
    if not isinstance(props, dict):
        return
    for key, spec in props.items():
        if isinstance(spec, dict):
            _field(spec, path + (key,), nullable)


def _field(spec: dict, path: tuple, nullable: set) -> None:
    t = spec.get("type")
    if isinstance(t, list) and "null" in t:
        others = [x for x in t if x != "null"]
        if len(others) == 1 and isinstance(others[0], str):
            spec["type"] = others[0]
            nullable.add(path)
    _fields(spec.get("properties"), path + ("properties",), nullable)
    items = spec.get("items")
    if isinstance(items, dict):
        _fields(items.get("properties"), path + ("items", "properties"), nullable)
