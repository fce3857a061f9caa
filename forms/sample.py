"""Generate a valid sample submission for any form (tests, demos, benchmarks).

Deterministic for a given seed. Values respect each kind's constraints
(ranges, lengths, choices, formats: each kind's `sample`); computed fields are
left to the engine.
"""
from __future__ import annotations

import random


def sample_submission(form, seed: int = 0, rows: int = 3) -> dict:
    rng = random.Random(seed)
    return _object(form.fields, rng, rows)


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
