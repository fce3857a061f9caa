"""Turn what a browser posts (flat name=value pairs, all text) into a submission.

Input names are data paths joined by dots: `customer_name`, `items.2.quantity`,
`visit.phone`; a multiple-choice field repeats its name. Text is converted to
each field's type where it can be; what cannot be converted stays text so that
validation reports it beside its field.
"""
from __future__ import annotations

import re

from .kinds import NUMERIC_KINDS

TRUE_WORDS = {"true", "1", "on", "yes", "是", "y"}
FALSE_WORDS = {"false", "0", "off", "no", "否", "n"}


def field_name(path) -> str:
    return ".".join(str(p) for p in path)


MAX_ROWS = 500


def unflatten(form, pairs) -> dict:
    """Build nested data from (name, value) pairs; unknown names are kept for validation to report."""
    data: dict = {}
    for name, value in pairs:
        parts = [int(p) if p.isdigit() else p for p in name.split(".")]
        if "" in parts or len(parts) > 6:
            continue
        f = form.field_at(parts)
        _set(data, parts, value, f is not None and f.kind == "multichoice")
    _drop_empty_rows(form.fields, data)
    return coerce(form, data)


def _set(container, parts, value, multi):
    head, rest = parts[0], parts[1:]
    if isinstance(container, dict) and isinstance(head, str):
        if not rest:
            if multi:
                container.setdefault(head, []).append(value)
            else:
                container[head] = value
            return
        child = container.get(head)
        if child is None:
            child = container[head] = [] if isinstance(rest[0], int) else {}
    elif isinstance(container, list) and isinstance(head, int) and head < MAX_ROWS and rest:
        while len(container) <= head:
            container.append({})
        child = container[head]
    else:
        return
    _set(child, rest, value, multi)


def _drop_empty_rows(fields, data):
    for f in fields.values():
        v = data.get(f.key)
        if f.kind == "table" and isinstance(v, list):
            data[f.key] = [r for r in v if isinstance(r, dict) and any(
                x not in (None, "", []) for k, x in r.items() if k in f.children and not f.children[k].computed)]
            for r in data[f.key]:
                _drop_empty_rows(f.children, r)
        elif f.kind == "section" and isinstance(v, dict):
            _drop_empty_rows(f.children, v)


def coerce(form, data: dict) -> dict:
    """Convert text values to the types their fields expect, where possible."""
    return _coerce_level(form.fields, data)


def _coerce_level(fields, obj):
    if not isinstance(obj, dict):
        return obj
    for key, value in list(obj.items()):
        f = fields.get(key)
        if f is not None:
            obj[key] = coerce_value(f, value)
    return obj


def coerce_value(f, value):
    if f.kind == "section":
        return _coerce_level(f.children, value)
    if f.kind == "table":
        return [_coerce_level(f.children, r) for r in value] if isinstance(value, list) else value
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    if f.kind in NUMERIC_KINDS:
        cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").rstrip("%元")
        if re.fullmatch(r"[-+]?\d+", cleaned):
            return int(cleaned)
        if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)", cleaned):
            return float(cleaned)
        return text
    if f.kind == "boolean":
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        return text
    if f.kind == "choice" and f.choices and not isinstance(f.choices[0], str):
        for c in f.choices:
            if str(c) == text:
                return c
    return text
