"""Extra properties: the keys a record's data carries that its form does not define (a standard
JSON Schema that leaves `additionalProperties` open accepts them). They are kept with the record,
returned by the API as stored, listed on the record page under 其他字段 and carried over when the
record is revised through the page (which posts only the form's own fields)."""
from __future__ import annotations

import json

from . import limits


def extra_properties(form, data) -> list:
    """[(dotted path, value)] of the keys in `data` the form does not define: at the top level, in
    sections and in table rows (a row's path names the row from 1), in data order."""
    out: list = []
    _walk(form.fields, data, (), out)
    return out


def _walk(fields, data, path, out):
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            out.append((".".join(str(p) for p in path + (key,)), value))
        elif f.is_section:
            _walk(f.children, value, path + (key,), out)
        elif f.is_table and isinstance(value, list):
            for i, row in enumerate(value):
                _walk(f.children, row, path + (key, i + 1), out)


def shown_extras(form, data) -> tuple:
    """(the entries to list as (path, text), how many more there are): values as JSON text
    (strings as they are), each cut to limits.MAX_EXTRA_CHARS."""
    found = extra_properties(form, data)
    shown = []
    for path, value in found[:limits.MAX_EXTRAS_SHOWN]:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > limits.MAX_EXTRA_CHARS:
            text = text[:limits.MAX_EXTRA_CHARS] + "…"
        if len(path) > limits.MAX_EXTRA_CHARS:
            path = path[:limits.MAX_EXTRA_CHARS] + "…"
        shown.append((path, text))
    return shown, max(0, len(found) - limits.MAX_EXTRAS_SHOWN)


def keep_extras(form, stored, revised) -> dict:
    """`revised` with the extra properties of `stored` that it does not carry itself put back (at
    the top level, in sections and in the table rows that remain), so a revision loses none."""
    _merge(form.fields, stored, revised)
    return revised


def _merge(fields, stored, revised):
    if not isinstance(stored, dict) or not isinstance(revised, dict):
        return
    for key, value in stored.items():
        f = fields.get(key)
        if f is None:
            revised.setdefault(key, value)
        elif f.is_section:
            found: list = []
            _walk(f.children, value, (), found)
            if found:     # a section with none is left as the revision has it (perhaps absent)
                _merge(f.children, value, revised.setdefault(key, {}))
        elif f.is_table and isinstance(value, list) and isinstance(revised.get(key), list):
            for a, b in zip(value, revised[key]):
                _merge(f.children, a, b)

