"""Validate a submission against its form and compute its computed fields.

`check(form, data)` returns a `Result`: either the normalized submission
(defaults applied, hidden conditional fields dropped, computed fields
recomputed by the engine whatever the client sent) or every error as
{path, field, message} with a Chinese message naming the field (and the
table row). The JSON Schema validator is built once per form.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

import jsonschema
from jsonschema import FormatChecker

from . import expr as ex
from .kinds import KINDS, NUMERIC_KINDS, is_date, is_idcard, is_month, is_phone

_FORMATS = FormatChecker()
_FORMATS.checks("date")(lambda v: not isinstance(v, str) or is_date(v))
_FORMATS.checks("month")(lambda v: not isinstance(v, str) or is_month(v))
_FORMATS.checks("phone")(lambda v: not isinstance(v, str) or is_phone(v))
_FORMATS.checks("idcard")(lambda v: not isinstance(v, str) or is_idcard(v))
_FORMATS.checks("email")(lambda v: not isinstance(v, str) or
                         ("@" in v and "." in v.rsplit("@", 1)[-1] and " " not in v))


def _decimals(validator, places, instance, schema):
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if -Decimal(repr(float(instance))).normalize().as_tuple().exponent > places:
            yield jsonschema.ValidationError(f"more than {places} decimals")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-decimals": _decimals})
_COPY_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                  "maxLength", "pattern", "minItems", "maxItems", "format")


def data_schema(fields: dict) -> dict:
    """Strict JSON Schema of the data entered for these fields (no computed fields)."""
    props = {}
    for f in fields.values():
        if f.computed:
            continue
        props[f.key] = _field_schema(f)
    return {"type": "object", "properties": props, "additionalProperties": False}


def _field_schema(f) -> dict:
    json_type, extra = KINDS[f.kind]
    s = {k: f.spec[k] for k in _COPY_KEYWORDS if k in f.spec}
    s.update(extra)
    if json_type:
        s["type"] = json_type
    if f.kind == "choice":
        s["enum"] = f.choices
    elif f.kind == "multichoice":
        s["items"] = {"enum": f.choices}
    elif f.kind in ("section", "table"):
        obj = data_schema(f.children)
        obj["required"] = _required(f)
        if f.kind == "section":
            s.update(obj)
        else:
            s["items"] = obj
    if f.kind == "integer" or (f.kind == "score" and f.spec.get("type") == "integer"):
        s["type"] = "integer"
    return s


def _required(owner) -> list:
    spec = owner.spec["items"] if owner.kind == "table" else owner.spec
    return [k for k in (spec.get("required") or []) if k in owner.children
            and not owner.children[k].computed and owner.children[k].when is None]


def build_validator(form):
    schema = data_schema(form.fields)
    schema["required"] = [k for k in (form.definition.get("required") or []) if k in form.fields
                          and not form.fields[k].computed and form.fields[k].when is None]
    return _Validator(schema, format_checker=_FORMATS)


@dataclass
class Result:
    data: dict | None = None
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(form, data) -> Result:
    """Validate and normalize one submission."""
    if not isinstance(data, dict):
        return Result(errors=[{"path": "", "field": "", "message": "提交的内容必须是一个对象(JSON 对象)"}])
    data = _clean(copy.deepcopy(data))
    _strip_computed(form.fields, data)
    _apply_defaults(form.fields, data)
    compute(form, data)  # conditions may read computed values
    hidden = _apply_conditions(form, data)
    _strip_computed(form.fields, data)
    errors = []
    for err in form.validator.iter_errors(data):
        errors.extend(e for e in _translate(form, err) if e not in errors)
    errors.extend(_conditional_required(form, data, hidden))
    if errors:
        errors.sort(key=lambda e: e["path"])
        return Result(errors=errors)
    compute(form, data)
    return Result(data=data)


def _clean(value):
    """Empty strings and nulls mean 'not filled in'."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def _rows(fields, data):
    """(fields, object) pairs for the top level, every section and every table row."""
    yield fields, data
    for f in fields.values():
        v = data.get(f.key)
        if f.kind == "section" and isinstance(v, dict):
            yield from _rows(f.children, v)
        elif f.kind == "table" and isinstance(v, list):
            for row in v:
                if isinstance(row, dict):
                    yield from _rows(f.children, row)


def _strip_computed(fields, data):
    for level, obj in _rows(fields, data):
        for f in level.values():
            if f.computed:
                obj.pop(f.key, None)


def _apply_defaults(fields, data):
    for level, obj in _rows(fields, data):
        for f in level.values():
            if "default" in f.spec and f.key not in obj and not f.computed:
                obj[f.key] = copy.deepcopy(f.spec["default"])


def compute(form, data: dict) -> dict:
    """Fill every computed field in place, in dependency order."""
    for f in form.computed_order:
        if f.table is None:
            _store(f, _owner(data, f.path[:-1]), ex.evaluate(f.compute, data))
        else:
            rows = ex.get_path(data, f.table.path)
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict):
                    _store(f, row, ex.evaluate(f.compute, data, row))
    return data


def _owner(data, path):
    cur = data
    for part in path:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    return cur


def _store(f, obj, value):
    if f.kind in NUMERIC_KINDS:
        value = ex.num(value)
        digits = f.spec.get("x-round", 0 if f.kind in ("integer", "year") else 2 if f.kind == "money" else None)
        if digits is not None:
            value = ex.round_half_away(value, digits)
        if f.kind in ("integer", "year") or (isinstance(value, float) and value.is_integer() and digits == 0):
            value = int(value)
    elif f.kind == "boolean":
        value = ex.truthy(value)
    else:
        value = "" if value is None else (_fmt(value) if not isinstance(value, str) else value)
    obj[f.key] = value


def _fmt(v):
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _apply_conditions(form, data) -> set:
    """Drop the values of fields whose x-when is false; returns their paths."""
    hidden = set()
    for f in form.walk():
        if f.when is None:
            continue
        if f.table is None:
            if not ex.truthy(ex.evaluate(f.when, data)):
                hidden.add(f.path)
                _owner(data, f.path[:-1]).pop(f.key, None)
        else:
            for i, row in enumerate(ex.get_path(data, f.table.path) or []):
                if isinstance(row, dict) and not ex.truthy(ex.evaluate(f.when, data, row)):
                    hidden.add(f.table.path + (i, f.key))
                    row.pop(f.key, None)
    return hidden


def _conditional_required(form, data, hidden):
    errors = []
    for f in form.walk():
        if f.when is None or f.computed:
            continue
        owner = f.table or _parent(form, f)
        spec = owner.spec.get("items", {}) if owner is not None and owner.kind == "table" else \
            (owner.spec if owner is not None else form.definition)
        if f.key not in (spec.get("required") or []):
            continue
        if f.table is None:
            if f.path not in hidden and ex.get_path(data, f.path) is None and \
                    isinstance(ex.get_path(data, f.path[:-1]) if f.path[:-1] else data, dict):
                errors.append(_error(form, f.path, "required"))
        else:
            for i, row in enumerate(ex.get_path(data, f.table.path) or []):
                if isinstance(row, dict) and f.table.path + (i, f.key) not in hidden and f.key not in row:
                    errors.append(_error(form, f.table.path + (i, f.key), "required"))
    return errors


def _parent(form, f):
    return form.field_at(f.path[:-1]) if len(f.path) > 1 else None


# ---------------------------------------------------------------- messages
def label(form, path) -> str:
    """「数量」, or 订货明细第 3 行「数量」 inside a table, or 客户信息 › 「电话」 in a section."""
    parts, level, out = list(path), form.fields, []
    i = 0
    while i < len(parts):
        f = level.get(parts[i]) if isinstance(parts[i], str) else None
        if f is None:
            out.append(f"'{parts[i]}'")
            break
        if f.kind == "table" and i + 1 < len(parts) and isinstance(parts[i + 1], int):
            row = parts[i + 1] + 1
            if i + 2 < len(parts):
                out.append(f"{f.title}第 {row} 行")
            else:
                out.append(f"「{f.title}」第 {row} 行")
            i += 2
        elif i + 1 < len(parts):
            out.append(f"{f.title} › " if f.kind == "section" else f.title)
            i += 1
        else:
            out.append(f"「{f.title}」")
            i += 1
        level = f.children
    return "".join(out)


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else ""


def _error(form, path, kind, detail=None) -> dict:
    f = form.field_at(path)
    text = {"required": "为必填项", "unknown": " 不是这个表单的字段"}.get(kind, detail or "")
    return {"path": _pointer(path), "field": f.title if f else str(path[-1] if path else ""),
            "message": f"{label(form, path)}{text}"}


def _number_phrase(f, integer: bool) -> str:
    s = f.spec
    lo = s.get("minimum", KINDS[f.kind][1].get("minimum"))
    hi = s.get("maximum", KINDS[f.kind][1].get("maximum"))
    what = "整数" if integer else "数字"
    if lo is not None and hi is not None:
        return f"必须是 {_n(lo)} 到 {_n(hi)} 之间的{what}"
    if lo is not None:
        return f"必须是不小于 {_n(lo)} 的{what}"
    if hi is not None:
        return f"必须是不大于 {_n(hi)} 的{what}"
    if "exclusiveMinimum" in s:
        return f"必须是大于 {_n(s['exclusiveMinimum'])} 的{what}"
    return f"必须是{what}"


def _n(v):
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


_FORMAT_TEXT = {"date": "不是有效的日期(例如 2026-11-27)", "month": "不是有效的月份(例如 2026-11)",
                "phone": "不是有效的电话号码(手机 11 位,座机如 010-12345678)", "email": "不是有效的电子邮箱",
                "idcard": "不是有效的身份证号码(18 位,出生日期和末位校验码须正确)"}


def _translate(form, err) -> list:
    path = tuple(err.absolute_path)
    v = err.validator
    if v == "required":
        inst = err.instance if isinstance(err.instance, dict) else {}
        return [_error(form, path + (k,), "required") for k in err.validator_value if k not in inst]
    if v == "additionalProperties":
        known = err.schema.get("properties", {})
        return [_error(form, path + (k,), "unknown") for k in err.instance if k not in known]
    f = form.field_at(path)
    if f is None:
        return [{"path": _pointer(path), "field": "", "message": f"{label(form, path)}格式不对"}]
    if f.kind in NUMERIC_KINDS and v in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        detail = _number_phrase(f, KINDS[f.kind][0] == "integer" or f.spec.get("type") == "integer")
    elif v == "x-decimals":
        detail = f"最多保留 {err.validator_value} 位小数"
    elif v == "multipleOf":
        detail = f"必须是 {_n(err.validator_value)} 的整数倍"
    elif v == "enum" and f.kind == "multichoice":
        detail = f"的选项 '{err.instance}' 无效,可选:{'、'.join(map(str, f.choices))}"
        path = path[:-1]
    elif v == "enum":
        detail = f"必须是以下选项之一:{'、'.join(map(str, f.choices))}"
    elif v == "format":
        detail = _FORMAT_TEXT.get(err.validator_value, "格式不对")
    elif v == "maxLength":
        detail = f"不能超过 {err.validator_value} 个字"
    elif v == "minLength":
        detail = f"至少要写 {err.validator_value} 个字"
    elif v == "pattern":
        detail = "的格式不对"
    elif v == "minItems":
        detail = f"至少要填 {err.validator_value} 行" if f.kind == "table" else f"至少要选 {err.validator_value} 项"
    elif v == "maxItems":
        detail = f"最多只能填 {err.validator_value} 行" if f.kind == "table" else f"最多只能选 {err.validator_value} 项"
    elif v == "uniqueItems":
        detail = "中有重复的选项"
    elif v == "type":
        detail = {"string": "必须是文字", "boolean": "只能是「是」或「否」", "array": "必须是列表",
                  "object": "格式不对"}.get(KINDS[f.kind][0] or "", "格式不对")
    else:
        detail = "的值不符合要求"
    return [_error(form, path, "detail", detail)]
