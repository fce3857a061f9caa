"""Turn what a browser posts (flat name=value pairs, all text) into a submission.

Input names are data paths joined by dots: `customer_name`, `items.2.quantity`,
`visit.phone`; a multiple-choice field repeats its name. Text is converted to
each field's type where it can be; what cannot be converted stays text so that
validation reports it beside its field.
"""
from __future__ import annotations

from . import limits


def field_name(path) -> str:
    return ".".join(str(p) for p in path)


def dom_id(name: str) -> str:
    """The HTML id of the control named `name`: f- and the name, whitespace as ~ (an id holds no whitespace;
    a standard schema's property may, as in 联系 电话, and no field key holds ~: forms.standard_values)."""
    return "f-" + "".join("~" if c.isspace() else c for c in str(name))


def unflatten(form, pairs) -> dict:
    """Build nested data from (name, value) pairs; unknown names are kept for validation to report.
    Row numbers beyond a table's cap make the table one row too long, so that validation says so."""
    data: dict = {}
    for name, value in pairs:
        parts = [int(p) if p.isdigit() and len(p) <= 6 else p for p in name.split(".")]
        if "" in parts or len(parts) > 6:
            continue
        cap = _row_cap(form, parts)
        if cap is None:
            continue   # a row number where no table is
        f = form.field_at(parts)
        _set(data, parts, value, f is not None and f.kind_def.repeated, cap)
    _drop_empty_rows(form.fields, data)
    return coerce(form, data)


def _row_cap(form, parts) -> int | None:
    """The row cap of the table a name's first row number belongs to (0 when it has none;
    None when the number follows something that is not a table)."""
    for i, part in enumerate(parts):
        if isinstance(part, int):
            table = form.field_at(parts[:i]) if i else None
            return limits.max_rows(table) if table is not None and table.is_table else None
    return 0


def _set(container, parts, value, multi, cap):
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
    elif isinstance(container, list) and isinstance(head, int) and rest:
        head = min(head, cap)   # any row past the cap becomes row cap + 1: refused with its message
        while len(container) <= head:
            container.append({})
        child = container[head]
    else:
        return
    _set(child, rest, value, multi, cap)


def _drop_empty_rows(fields, data):
    for f in fields.values():
        v = data.get(f.key)
        if f.is_table and isinstance(v, list):
            data[f.key] = [r for r in v if isinstance(r, dict) and any(
                x not in (None, "", []) for k, x in r.items() if k in f.children and not f.children[k].computed)]
            for r in data[f.key]:
                _drop_empty_rows(f.children, r)
        elif f.is_section and isinstance(v, dict):
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
    if f.is_section:
        return _coerce_level(f.children, value)
    if f.is_table:
        return [_coerce_level(f.children, r) for r in value] if isinstance(value, list) else value
    return f.coerce(value)
