"""Standard JSON Schema written without biaoge's dialect, brought to what the compiler reads (no I/O).

`normalize` returns a copy of a parsed definition with
- every local `$ref` (`#/$defs/NAME`, `#/definitions/NAME`) replaced by the schema it names, its sibling
  keywords kept over it, and the source positions of the named schema given to the inlined paths, so an error
  inside a `$defs` schema points at the line where it is written;
- every nullable type array (`["string", "null"]`) written as its one type, with the definition paths of those
  fields: on paper a field that may be null may be left blank, so the compiler treats it as optional even where
  `required` names it.
A `$ref` that names nothing, or one that refers back to itself, is left as it is (the meta-schema refuses it)."""
from __future__ import annotations

import copy

from . import standard_conditions
from .standard_choices import label_choices
from . import standard_values


REF_ROOTS = ("$defs", "definitions")
MAX_REF_DEPTH = 16


def normalize(data: dict, positions: dict | None = None) -> tuple[dict, set, dict]:
    """(the normalized copy, nullable field paths, positions of inlined paths)."""
    doc = copy.deepcopy(data)
    aliases: dict = {}
    doc["properties"] = _inline(doc.get("properties"), ("properties",), data, positions or {}, aliases, ())
    if doc["properties"] is None:
        del doc["properties"]
    if "$schema" in data:
        standard_values.fill_titles(doc.get("properties"))
    label_choices(doc.get("properties"))     # oneOf/anyOf of const + title -> enum + x-labels
    standard_conditions.translate(doc)   # if/then/else, dependentRequired -> x-when + required
    nullable: set = set()
    _fields(doc.get("properties"), ("properties",), nullable)
    return doc, nullable, aliases


def _target(ref, data):
    """(definition path, schema) of a local $ref, or None."""
    if not isinstance(ref, str):
        return None
    for root in REF_ROOTS:
        prefix = f"#/{root}/"
        defs = data.get(root)
        if ref.startswith(prefix) and isinstance(defs, dict) and isinstance(defs.get(ref[len(prefix):]), dict):
            name = ref[len(prefix):]
            return (root, name), defs[name]
    return None


def _inline(node, path: tuple, data: dict, positions: dict, aliases: dict, seen: tuple):
    if isinstance(node, list):
        return [_inline(x, path + (i,), data, positions, aliases, seen) for i, x in enumerate(node)]
    if not isinstance(node, dict):
        return node
    found = _target(node.get("$ref"), data)
    if found and found[0] not in seen and len(seen) < MAX_REF_DEPTH:
        where, schema = found
        for at, pos in positions.items():
            if at[:len(where)] == where and at != where:
                aliases.setdefault(path + at[len(where):], pos)
        merged = {**copy.deepcopy(schema), **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, path, data, positions, aliases, seen + (where,))
    return {k: _inline(v, path + (k,), data, positions, aliases, seen) for k, v in node.items()}


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
