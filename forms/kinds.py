"""Field kinds: what each x-kind means as JSON Schema, and how a kind is
inferred when a definition gives only JSON Schema keywords."""
from __future__ import annotations

import re
from datetime import date

KINDS = {
    # kind: (JSON type, extra JSON Schema for submitted data)
    "text": ("string", {}),
    "textarea": ("string", {}),
    "signature": ("string", {}),
    "integer": ("integer", {}),
    "number": ("number", {}),
    "money": ("number", {"x-decimals": 2}),
    "percent": ("number", {}),
    "score": ("number", {}),
    "date": ("string", {"format": "date"}),
    "month": ("string", {"format": "month"}),
    "year": ("integer", {"minimum": 1900, "maximum": 2100}),
    "choice": (None, {}),
    "multichoice": ("array", {"uniqueItems": True}),
    "boolean": ("boolean", {}),
    "phone": ("string", {"format": "phone"}),
    "email": ("string", {"format": "email"}),
    "idcard": ("string", {"format": "idcard"}),
    "section": ("object", {}),
    "table": ("array", {}),
}
NUMERIC_KINDS = {"integer", "number", "money", "percent", "score", "year"}
COMPUTABLE_KINDS = NUMERIC_KINDS | {"text", "textarea", "boolean"}
_FORMAT_KINDS = {"date": "date", "month": "month", "phone": "phone", "email": "email", "idcard": "idcard"}


def infer_kind(spec: dict) -> str:
    """The kind of a field written with JSON Schema keywords only."""
    t = spec.get("type")
    if "enum" in spec:
        return "choice"
    if t == "array":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        if "properties" in items or items.get("type") == "object":
            return "table"
        return "multichoice" if "enum" in items else "table"
    if t == "object" or "properties" in spec:
        return "section"
    if t in ("integer", "number", "boolean"):
        return t
    return _FORMAT_KINDS.get(spec.get("format"), "text")


# ---------------------------------------------------------------- formats
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")
_IDCARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_IDCARD_CHECK = "10X98765432"


def is_month(v: str) -> bool:
    return bool(_MONTH.match(v))


def is_phone(v: str) -> bool:
    return bool(_PHONE.match(v.replace(" ", "")))


def is_idcard(v: str) -> bool:
    """18-digit resident ID (GB 11643): birth date and ISO 7064 check digit."""
    if not re.match(r"^\d{17}[\dXx]$", v):
        return False
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(v[:17], _IDCARD_WEIGHTS))
    return _IDCARD_CHECK[total % 11] == v[17].upper()


def is_date(v: str) -> bool:
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}$", v))
