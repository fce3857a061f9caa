"""Labelled choices of standard JSON Schema, brought to biaoge's choice (no I/O).

A `oneOf` or `anyOf` whose every branch is `{"const": V, "title": "标签"}` (a `description` allowed) is how
standard JSON Schema names the options of a choice: the values V are stored, the titles are what a person
reads. `label_choices` rewrites such a field (or the `items` of a multi-choice array) in place as
`enum: [V, …]` plus `x-labels: [标签, …]`, the one form the compiler and forms/kinds.py read. Any other
`oneOf`/`anyOf` is left as written: the meta-schema refuses it (E108)."""
from __future__ import annotations

BRANCHES = ("oneOf", "anyOf")
BRANCH_KEYS = {"const", "title", "description"}


def _pairs(branches) -> list | None:
    """[(value, label)] when every branch is a titled constant with distinct values, else None."""
    if not isinstance(branches, list) or not branches:
        return None
    out = []
    for b in branches:
        if not (isinstance(b, dict) and "const" in b and isinstance(b.get("title"), str) and b["title"].strip()
                and set(b) <= BRANCH_KEYS):
            return None
        out.append((b["const"], b["title"]))
    values = [v for v, _ in out]
    if any(values.count(v) > 1 for v in values):
        return None
    return out


def _label(spec: dict) -> None:
    for key in BRANCHES:
        pairs = _pairs(spec.get(key))
        if pairs is not None and "enum" not in spec:
            del spec[key]
            spec["enum"] = [v for v, _ in pairs]
            spec["x-labels"] = [t for _, t in pairs]
            return


def label_choices(props) -> None:
    """Rewrite labelled choices under a `properties` mapping, at every depth (sections, rows, multi-choice)."""
    if not isinstance(props, dict):
        return
    for spec in props.values():
        if not isinstance(spec, dict):
            continue
        _label(spec)
        label_choices(spec.get("properties"))
        items = spec.get("items")
        if isinstance(items, dict):
            _label(items)
            label_choices(items.get("properties"))
