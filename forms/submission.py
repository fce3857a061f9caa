"""Validate a submission against its form and compute its computed fields.

`check(form, data)` returns a `Result`: either the normalized submission
(defaults applied, hidden conditional fields dropped, computed fields
recomputed by the engine whatever the client sent) or every error as
{path, field, message} with a Chinese message naming the field (and the
table row). The JSON Schema validator is built once per form.

Every submission is bounded before anything else looks at it (`forms.limits`):
nesting depth, number of values, line items per table, characters per text,
size and finiteness of numbers, text that UTF-8 cannot hold. A computed value
that overflows is an error on that field, not a crash.
"""
from __future__ import annotations

import copy
import math
import weakref
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import jsonschema
from jsonschema import FormatChecker

from . import expr as ex
from . import limits
from .kinds import FORMAT_CHECKS, NUMBER_LIMIT

_FORMATS = FormatChecker()
for _name, _check in FORMAT_CHECKS.items():
    _FORMATS.checks(_name)(lambda v, _check=_check: not isinstance(v, str) or _check(v))


def _decimals(validator, places, instance, schema):
    if isinstance(instance, (int, float)) and not isinstance(instance, bool) and math.isfinite(instance):
        try:
            exponent = Decimal(repr(float(instance))).normalize().as_tuple().exponent
        except (InvalidOperation, OverflowError, ValueError):
            return
        if isinstance(exponent, int) and -exponent > places:
            yield jsonschema.ValidationError(f"more than {places} decimals")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-decimals": _decimals})
_COPY_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                  "maxLength", "pattern", "minItems", "maxItems", "format", "const")


def data_schema(fields: dict, open_: bool = False) -> dict:
    """JSON Schema of the data entered for these fields (no computed fields); `open_`: other keys are
    valid and kept with the record, else refused."""
    props = {}
    for f in fields.values():
        if f.computed:
            continue
        props[f.key] = field_schema(f)
    out = {"type": "object", "properties": props}
    if not open_:
        out["additionalProperties"] = False
    return out


def field_schema(f) -> dict:
    s = {k: f.spec[k] for k in _COPY_KEYWORDS if k in f.spec}
    s.update(f.kind_def.json_schema(f))
    if f.is_section:
        s.update(data_schema(f.children, f.open))
        s["required"] = [c.key for c in f.children.values() if c.must_fill]
    elif f.is_table:
        items = data_schema(f.children, f.open)
        items["required"] = [c.key for c in f.children.values() if c.must_fill]
        s["items"] = items
        s["maxItems"] = limits.max_rows(f)
    return s


def form_schema(form) -> dict:
    """The JSON Schema of what a client submits to this form."""
    schema = data_schema(form.fields, form.open)
    schema["required"] = [f.key for f in form.fields.values() if f.must_fill]
    return schema


_validators: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def validator_of(form):
    """The form's JSON Schema validator, built once per compiled form."""
    v = _validators.get(form)
    if v is None:
        v = _validators[form] = _Validator(form_schema(form), format_checker=_FORMATS)
    return v


def computed_schema(fields: dict) -> dict:
    """JSON Schema of the constraints a definition states on computed fields (checked after computing)."""
    props = {}
    for f in fields.values():
        if f.computed:
            s = {k: f.spec[k] for k in _COPY_KEYWORDS + ("enum",) if k in f.spec}
            if s:
                props[f.key] = s
        elif f.is_section:
            inner = computed_schema(f.children)
            if inner["properties"]:
                props[f.key] = inner
        elif f.is_table:
            inner = computed_schema(f.children)
            if inner["properties"]:
                props[f.key] = {"type": "array", "items": inner}
    return {"type": "object", "properties": props}


_computed_validators: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def computed_validator_of(form):
    v = _computed_validators.get(form)
    if v is None:
        v = _computed_validators[form] = _Validator(computed_schema(form.fields), format_checker=_FORMATS)
    return v


def _broken_rules(form, data) -> list:
    """Errors of the cross-field rules (x-rules) that do not hold: the author's message, at the
    rule's field (of each row, for a table's rule). A rule over an empty date is not checked."""
    errors = []
    for rule in form.rules:
        if rule.table is None:
            if not _holds(rule.check, data, None):
                errors.append(_rule_error(form, rule.field.path, rule.message))
            continue
        for i, row in enumerate(ex.get_path(data, rule.table.path) or []):
            if isinstance(row, dict) and not _holds(rule.check, data, row):
                errors.append(_rule_error(form, rule.table.path + (i, rule.field.key), rule.message))
    return errors


def _holds(check, data, row) -> bool:
    try:
        value = ex.value_of(check, data, row)
    except ex.DivisionByZero:
        return True   # the computed field that divides says so already
    return value is ex.EMPTY or ex.truthy(value)


def _rule_error(form, path, message) -> dict:
    """The rule's own message; on a table row, after 「表名」第 N 行."""
    err = _error(form, path, "detail", "")
    if len(path) >= 3 and isinstance(path[-2], int):
        table = form.field_at(path[:-2])
        message = f"{table.title}第 {path[-2] + 1} 行：{message}"
    return {**err, "message": message}


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
        return Result(errors=[{"path": "", "field": "", "message": "提交的内容必须是一个对象（JSON 对象）"}])
    bounded = bounds(form, data)
    if bounded:
        return Result(errors=bounded)
    data = _clean(copy.deepcopy(data))
    _strip_computed(form.fields, data)
    _strip_read_only(form.fields, data)
    _apply_defaults(form.fields, data)
    compute(form, data)  # conditions may read computed values
    hidden = _apply_conditions(form, data)
    _strip_computed(form.fields, data)
    errors = []
    for err in validator_of(form).iter_errors(data):
        errors.extend(e for e in _translate(form, err) if e not in errors)
    errors.extend(_conditional_required(form, data, hidden))
    if not errors:
        errors.extend(_error(form, path, "detail", detail) for path, detail in compute(form, data))
    if not errors:
        for err in computed_validator_of(form).iter_errors(data):
            errors.extend(e for e in _translate(form, err, computed=True) if e not in errors)
        errors.extend(_broken_rules(form, data))
    if errors:
        errors.sort(key=lambda e: e["path"])
        return Result(errors=errors)
    return Result(data=data)


# ---------------------------------------------------------------- bounds
def bounds(form, data) -> list:
    """Errors for a submission that goes beyond what any form may hold, found without recursion
    (so a 10,000-deep document is an error, not a crash)."""
    errors, cells, chars = [], 0, 0
    stack = [((), data, 1)]
    while stack:
        path, v, depth = stack.pop()
        if depth > limits.MAX_DEPTH:
            return [_error(form, path, "detail", f"嵌套太深（最多 {limits.MAX_DEPTH} 层）")]
        cells += 1
        if cells > limits.MAX_CELLS:
            return [{"path": "", "field": "", "message": f"提交的内容太多：一份表单最多 {limits.MAX_CELLS:,} 个值"}]
        if isinstance(v, dict):
            for k, x in v.items():
                if not _encodable(k):
                    errors.append(_error(form, path, "detail", "中有无法保存的字符"))
                    continue
                stack.append((path + (k,), x, depth + 1))
        elif isinstance(v, list):
            f = form.field_at(path) if path else None
            cap = limits.max_rows(f) if f is not None and f.is_table else limits.MAX_LIST
            if len(v) > cap:
                what = "行" if f is not None and f.is_table else "项"
                errors.append(_error(form, path, "detail", f"最多只能填 {cap:,} {what}（这里有 {len(v):,} {what}）"))
                continue
            stack.extend((path + (i,), x, depth + 1) for i, x in enumerate(v))
        elif isinstance(v, str):
            chars += len(v)
            f = form.field_at(path)
            cap = f.kind_def.text_limit(f) if f is not None else None
            if not _encodable(v):
                errors.append(_error(form, path, "detail", "含有无法保存的字符（如不成对的代理字符）"))
            elif len(v) > (cap or limits.MAX_TEXT):
                errors.append(_error(form, path, "detail", f"不能超过 {cap or limits.MAX_TEXT:,} 个字"))
        elif isinstance(v, float) and not math.isfinite(v):
            errors.append(_error(form, path, "detail", "必须是有限的数字"))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= NUMBER_LIMIT:
            errors.append(_error(form, path, "detail", f"数值过大（绝对值须小于 {NUMBER_LIMIT:,.0f}）"))
    if chars > limits.MAX_CHARS and not errors:
        errors.append({"path": "", "field": "", "message": f"提交的文字太多：一份表单最多 {limits.MAX_CHARS:,} 个字"})
    errors.sort(key=lambda e: e["path"])
    return errors


def _encodable(text) -> bool:
    if not isinstance(text, str):
        return True
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


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
        if f.is_section and isinstance(v, dict):
            yield from _rows(f.children, v)
        elif f.is_table and isinstance(v, list):
            for row in v:
                if isinstance(row, dict):
                    yield from _rows(f.children, row)


def _strip_computed(fields, data):
    for level, obj in _rows(fields, data):
        for f in level.values():
            if f.computed:
                obj.pop(f.key, None)


def _strip_read_only(fields, data):
    """`readOnly: true`: shown, not filled in — what a post sends for it gives way to its default."""
    for level, obj in _rows(fields, data):
        for f in level.values():
            if f.spec.get("readOnly") is True:
                obj.pop(f.key, None)


def _has_default(fields) -> bool:
    return any("default" in f.spec or (f.is_section and _has_default(f.children)) for f in fields.values())


def _apply_defaults(fields, data):
    """Defaults at any depth: a section left out entirely still gets its fields' defaults."""
    for level, obj in _rows(fields, data):
        for f in level.values():
            if f.is_section and f.key not in obj and _has_default(f.children):
                obj[f.key] = {}
    for level, obj in _rows(fields, data):
        for f in level.values():
            if "default" in f.spec and f.key not in obj and not f.computed:
                obj[f.key] = copy.deepcopy(f.spec["default"])


def compute(form, data: dict) -> list:
    """Fill every computed field in place, in dependency order. Returns (data path, what went wrong)
    for each value that could not be computed (stored as None): too large, or not expressible."""
    problems = []
    for f in form.computed_order:
        if f.table is None:
            detail = _store(f, _owner(data, f.path[:-1]), lambda: ex.value_of(f.compute, data))
            if detail:
                problems.append((f.path, detail))
        else:
            rows = ex.get_path(data, f.table.path)
            for i, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, dict):
                    detail = _store(f, row, lambda: ex.value_of(f.compute, data, row))
                    if detail:
                        problems.append((f.table.path + (i, f.key), detail))
    return problems


def _owner(data, path):
    cur = data
    for part in path:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    return cur


OUT_OF_RANGE = f"的计算结果超出范围（绝对值须小于 {NUMBER_LIMIT:,.0f}）"


def _store(f, obj, evaluate) -> str | None:
    """Compute and store a value as its kind holds it; on failure store None and say why. An empty
    result (a date or divisor it needs is empty) leaves the field empty."""
    kd = f.kind_def
    try:
        value = evaluate()
    except ex.DivisionByZero as exc:
        obj[f.key] = None
        return f"无法计算：{exc.what}为 0"
    except (ValueError, ArithmeticError) as exc:   # 大写 of an amount beyond 一万亿, …
        obj[f.key] = None
        return f"无法计算：{str(exc).replace(',', '，')}"
    if value is ex.EMPTY:
        obj.pop(f.key, None)
        return None
    if kd.calendar:
        obj[f.key] = value if isinstance(value, str) else None
        return None
    if kd.numeric:
        value = ex.num(value)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) >= NUMBER_LIMIT:
            obj[f.key] = None
            return OUT_OF_RANGE
        digits = kd.round_digits(f)
        if digits is not None:
            value = ex.round_half_away(value, digits)
        if kd.is_integer(f) or (isinstance(value, float) and value.is_integer() and digits == 0):
            value = int(value)
    elif kd.json_type == "boolean":
        value = ex.truthy(value)
    else:
        value = "" if value is None else (_fmt(value) if not isinstance(value, str) else value)
    obj[f.key] = value
    return None


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
            if not ex.condition(f.when, data):
                hidden.add(f.path)
                owner = ex.get_path(data, f.path[:-1]) if f.path[:-1] else data
                if isinstance(owner, dict):   # a section left out stays out
                    owner.pop(f.key, None)
        else:
            for i, row in enumerate(ex.get_path(data, f.table.path) or []):
                if isinstance(row, dict) and not ex.condition(f.when, data, row):
                    hidden.add(f.table.path + (i, f.key))
                    row.pop(f.key, None)
    return hidden


def _conditional_required(form, data, hidden):
    errors = []
    for f in form.walk():
        if f.when is None or f.computed or not f.required:
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


# ---------------------------------------------------------------- messages
def label(form, path) -> str:
    """「数量」, or 订货明细第 3 行「数量」 inside a table, or 客户信息 › 「电话」 in a section."""
    parts, level, out = list(path), form.fields, []
    i = 0
    while i < len(parts):
        f = level.get(parts[i]) if isinstance(parts[i], str) else None
        if f is None:
            out.append(f"'{str(parts[i])[:40]}'")
            break
        if (f.is_table or f.is_value) and i + 1 < len(parts) and isinstance(parts[i + 1], int):   # a list's line
            row = parts[i + 1] + 1
            if i + 2 < len(parts):
                out.append(f"{f.title}第 {row} 行")
            else:
                out.append(f"「{f.title}」第 {row} 行")
            i += 2
        elif i + 1 < len(parts):
            out.append(f"{f.title} › " if f.is_section else f.title)
            i += 1
        else:
            out.append(f"「{f.title}」")
            i += 1
        level = f.children
    return "".join(out) or "提交的内容"


def _pointer(path) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""


def _error(form, path, kind, detail=None) -> dict:
    f = form.field_at(path)
    text = {"required": "为必填项", "unknown": " 不是这个表单的字段"}.get(kind, detail or "")
    safe = tuple(p if _encodable(p) else "?" for p in path)
    return {"path": _pointer(safe), "field": f.title if f else str(safe[-1] if safe else "")[:40],
            "message": f"{label(form, safe)}{text}"}


def _translate(form, err, computed: bool = False) -> list:
    out = _translate_one(form, err)
    if computed:   # the value is the engine's: say what it came to
        shown = form.field_at(tuple(err.absolute_path))
        value = shown.display(err.instance) if shown is not None else str(err.instance)
        out = [{**e, "message": f"{e['message']}（计算结果为 {value}）"} for e in out]
    return out


def _translate_one(form, err) -> list:
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
    kd = f.kind_def
    if kd.numeric and v in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        detail = kd.phrase(f)
    elif v == "x-decimals":
        detail = f"最多保留 {err.validator_value} 位小数"
    elif v == "multipleOf":
        detail = f"必须是 {limits.number_text(err.validator_value)} 的整数倍"
    elif v == "enum" and kd.repeated:
        detail = f"的选项 '{err.instance}' 无效，可选：{'、'.join(map(str, f.choices))}"
        path = path[:-1]
    elif v in ("enum", "format") or (v == "type" and kd.container is None):
        detail = kd.phrase(f)
    elif v == "maxLength":
        detail = f"不能超过 {err.validator_value} 个字"
    elif v == "minLength":
        detail = f"至少要写 {err.validator_value} 个字"
    elif v == "pattern":
        detail = "的格式不对"
    elif v == "minItems":
        detail = f"至少要填 {err.validator_value} 行" if f.is_table else f"至少要选 {err.validator_value} 项"
    elif v == "maxItems":
        detail = f"最多只能填 {err.validator_value} 行" if f.is_table else f"最多只能选 {err.validator_value} 项"
    elif v == "uniqueItems":
        detail = "中有重复的选项"
    elif v == "type":
        detail = "必须是列表" if f.is_table else "格式不对"
    else:
        detail = "的值不符合要求"
    return [_error(form, path, "detail", detail)]
