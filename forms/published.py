"""The standard JSON Schema (2020-12) of a form's data, as published to clients: the OpenAPI
document (and, later, `biaoge schema FORM`).

It says what biaoge accepts in terms any JSON Schema tool understands: biaoge's own formats
(phone, ID card, month) and its date range become `pattern`s, numbers carry the bounds every
number has, and computed fields are present and `readOnly` (a client may leave them out; what
it sends for them is replaced by the engine's value). `record_data_schema` is the same data as
stored: computed fields included.
"""
from __future__ import annotations

import copy

from .kinds import NUMBER_LIMIT
from .submission import field_schema

# Patterns equivalent to the format checks where a standard tool has no such format.
PATTERNS = {
    "phone": r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$",
    "idcard": r"^\d{6}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$",
    "month": r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])$",
    "date": r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
}


def _standard(schema: dict) -> dict:
    """A field schema in standard keywords only."""
    s = {k: v for k, v in schema.items() if not k.startswith("x-")}
    fmt = s.get("format")
    if fmt in PATTERNS:
        s.setdefault("pattern", PATTERNS[fmt])
        if fmt != "date":
            del s["format"]
    if s.get("type") in ("number", "integer"):
        if "maximum" not in s and "exclusiveMaximum" not in s:
            s["exclusiveMaximum"] = NUMBER_LIMIT
        if "minimum" not in s and "exclusiveMinimum" not in s:
            s["exclusiveMinimum"] = -NUMBER_LIMIT
    for key in ("properties",):
        if isinstance(s.get(key), dict):
            s[key] = {k: _standard(v) for k, v in s[key].items()}
    if isinstance(s.get("items"), dict):
        s["items"] = _standard(s["items"])
    return s


def _object(fields: dict, with_computed: bool, stored: bool, open_: bool = False, conditions=None, at=()) -> dict:
    """`open_`: other keys are valid (a standard schema that leaves additionalProperties open);
    `conditions`: a standard schema's if/then/else and dependentRequired by level, stated as written
    (a field shown only under a condition is required only there, so it is not in `required`)."""
    conditions = conditions or {}
    props, required = {}, []
    for f in fields.values():
        if f.computed and not with_computed:
            continue
        if f.is_section:
            s = {"type": "object", **_object(f.children, with_computed, stored, f.open, conditions, f.def_path),
                 "title": f.title}
        elif f.is_table:
            s = _standard({k: v for k, v in field_schema(f).items() if k != "items"})
            s.update(type="array", title=f.title, items=_object(f.children, with_computed, stored, f.open, conditions,
                                                                f.def_path + ("items",)))
        else:
            s = _standard(field_schema(f))
            s["title"] = f.title
            if f.computed:
                s["readOnly"] = True
                s.pop("maxLength", None)
                if stored and s.get("type") in ("string",):
                    s["type"] = "string"
        if f.spec.get("description"):
            s["description"] = str(f.spec["description"])
        places = field_schema(f).get("x-decimals") if f.is_value and not f.computed else None
        if places is not None:     # multipleOf 0.01 would refuse 0.07 in floating point
            s["description"] = _joined(s.get("description"), DECIMALS_NOTE.format(places=places))
        if f.nullable and isinstance(s.get("type"), str):   # [T, "null"] as the standard schema wrote it
            s["type"] = [s["type"], "null"]
            if isinstance(s.get("enum"), list) and None not in s["enum"]:
                s["enum"] = s["enum"] + [None]
        if "default" in f.spec and not f.computed:
            s["default"] = copy.deepcopy(f.spec["default"])
        props[f.key] = s
        if f.must_fill and f.when is None:
            required.append(f.key)
    out = {"type": "object", "properties": props}
    if not open_:
        out["additionalProperties"] = False
    if required:
        out["required"] = required
    out.update(copy.deepcopy(conditions.get(at, {})))
    return out


def _joined(*parts) -> str:
    return "".join(p for p in parts if p)


# What the standard schema cannot say, said in its descriptions (tests/test_schema_out.py EXCEPTIONS).
DECIMALS_NOTE = "最多 {places} 位小数（标准 JSON Schema 无法精确表达，由 biaoge 校验）。"
RULES_NOTE = "另有跨字段规则，标准 JSON Schema 无法表达，由 biaoge 校验："


def _rules_note(form) -> str:
    if not form.rules:
        return ""
    return RULES_NOTE + "；".join(dict.fromkeys(r.message for r in form.rules)) + "。"


def submission_schema(form) -> dict:
    """What a client sends to create a record of this form."""
    description = _joined(form.description, _rules_note(form))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": form.title,
            **({"description": description} if description else {}),
            **_object(form.fields, with_computed=True, stored=False, open_=form.open,
                     conditions=form.conditions)}


def record_data_schema(form) -> dict:
    """The data of a stored record of this form (computed fields filled in)."""
    return {"title": form.title, **_object(form.fields, with_computed=True, stored=True, open_=form.open,
                     conditions=form.conditions)}
