"""Generate a valid sample submission for any form (tests, demos, benchmarks).

Deterministic for a given seed. Values respect each kind's constraints
(ranges, lengths, choices, formats: each kind's `sample`); computed fields are
left to the engine.
"""
from __future__ import annotations

import random

from . import expr as ex


def sample_submission(form, seed: int = 0, rows: int = 3) -> dict:
    rng = random.Random(seed)
    data = _object(form.fields, rng, rows)
    _keep_rules(form, data)
    return data


def _keep_rules(form, data) -> None:
    """Make the sample keep the form's x-rules of the shape `a >= b` (end date after start …):
    where one does not hold, the two values change places."""
    for rule in form.rules:
        tree = rule.check
        if tree[0] not in ("cmp", "datecmp") or tree[2][0] != "ref" or tree[3][0] != "ref":
            continue
        a, b = tree[2][1], tree[3][1]
        owners = [(data, None)] if rule.table is None else \
            [(data, r) for r in ex.get_path(data, rule.table.path) or [] if isinstance(r, dict)]
        for top, row in owners:
            value = ex.value_of(tree, top, row)
            if value is ex.EMPTY or ex.truthy(value):
                continue
            (ha, ka), (hb, kb) = _slot(top, row, a), _slot(top, row, b)
            if ka in ha and kb in hb:
                ha[ka], hb[kb] = hb[kb], ha[ka]


def _slot(data, row, ref):
    """(the dict holding a ref's value, its key)."""
    if ref.kind == "row":
        return row, ref.key
    owner = ex.get_path(data, ref.path[:-1]) if len(ref.path) > 1 else data
    return owner, ref.path[-1]


def _object(fields: dict, rng, rows) -> dict:
    out = {}
    for f in fields.values():
        if f.computed:
            continue  # conditional fields get a value too; check() drops it when hidden
        out[f.key] = _value(f, rng, rows)
    return out


def _value(f, rng, rows):
    s = f.spec
    if isinstance(s.get("examples"), list) and s["examples"]:
        return s["examples"][rng.randrange(len(s["examples"]))]
    if f.is_section:
        return _object(f.children, rng, rows)
    if f.is_table:
        n = max(rows, s.get("minItems", 0))
        if "maxItems" in s:
            n = min(n, s["maxItems"])
        return [_object(f.children, rng, rows) for _ in range(n)]
    return f.kind_def.sample(f, rng)
