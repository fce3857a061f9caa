"""Generate a valid sample submission for any form (tests, demos, benchmarks).

Deterministic for a given seed. Values respect each kind's constraints
(ranges, lengths, choices, formats); computed fields are left to the engine.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

_WORDS = ["华联超市", "张伟", "李娜", "王芳", "东方商贸有限公司", "洗衣粉", "联系客户", "按时交货", "广州", "上海"]


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
    s, kind = f.spec, f.kind
    if isinstance(s.get("examples"), list) and s["examples"]:
        return s["examples"][rng.randrange(len(s["examples"]))]
    if kind == "section":
        return _object(f.children, rng, rows)
    if kind == "table":
        n = max(rows, s.get("minItems", 0))
        if "maxItems" in s:
            n = min(n, s["maxItems"])
        return [_object(f.children, rng, rows) for _ in range(n)]
    if kind == "choice":
        return s.get("default", f.choices[rng.randrange(len(f.choices))])
    if kind == "multichoice":
        k = max(1, min(len(f.choices), s.get("minItems", 1)))
        return rng.sample(f.choices, k)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number", "money", "percent", "score", "year"):
        lo = s.get("minimum", s.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in s else 0))
        hi = s.get("maximum", s.get("exclusiveMaximum", lo + 1000) - (1 if "exclusiveMaximum" in s else 0))
        if kind == "year":
            lo, hi = max(lo, 2020), min(s.get("maximum", 2030), 2030)
        lo, hi = (lo, hi) if lo <= hi else (hi, lo)
        if kind in ("integer", "year") or s.get("type") == "integer":
            import math
            value = rng.randint(math.ceil(lo), math.floor(hi))
            step = s.get("multipleOf")
            return value - value % step if isinstance(step, int) and step > 0 else value
        value = round(rng.uniform(lo, hi), 2)
        if s.get("multipleOf"):
            step = s["multipleOf"]
            value = round(round(value / step) * step, 6)
        return min(max(value, lo), hi)
    if kind == "date":
        return (date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat()
    if kind == "month":
        return f"2026-{rng.randint(1, 12):02d}"
    if kind == "phone":
        return "13" + "".join(str(rng.randrange(10)) for _ in range(9))
    if kind == "email":
        return f"user{rng.randrange(1000)}@example.com"
    if kind == "idcard":
        from .kinds import _IDCARD_CHECK, _IDCARD_WEIGHTS
        body = "11010519491231002"
        return body + _IDCARD_CHECK[sum(int(c) * w for c, w in zip(body, _IDCARD_WEIGHTS)) % 11]
    text = rng.choice(_WORDS)
    if "maxLength" in s:
        text = text[: s["maxLength"]]
    if "minLength" in s and len(text) < s["minLength"]:
        text = text + "文" * (s["minLength"] - len(text))
    return text
