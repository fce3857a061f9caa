"""`if`/`then`/`else` and `dependentRequired` of a standard JSON Schema read as biaoge conditions (no I/O).

`translate(doc)` rewrites, in place, every object level (the top, a section, a table's row object) that holds
these keywords into what biaoge says with `x-when` + `required`:
- `if: {properties: {ship: {const: "快递"}}, required: ["ship"]}, then: {required: ["tracking"]}` gives
  `tracking` the condition `ship == "快递"` and puts it in the level's `required` — shown, and required, only
  while the condition holds (a hidden field's value is dropped, as for any `x-when`); `else` the negation;
- constraints a branch puts on a field it makes required (`enum`, `minimum`, `maxLength` …) are merged into that
  field: it is only shown, hence only checked, while the branch applies;
- `dependentRequired: {a: [b, c]}`: b and c shown and required while a is filled.
What does not map cleanly (other keywords in `if`, a constraint on a field the branch does not make required,
a number tested for being left empty, …) is refused with one problem at the keyword (E109), listed under
`REFUSALS` in the document for the compiler to report (it pops the key before anything else reads the doc)."""
from __future__ import annotations

import copy

import json
import re

REFUSALS = "x-condition-refusals"
ORIGINALS = "x-condition-originals"   # {level's definition path: its if/then/else, dependentRequired as written}
BRANCH_CONSTRAINTS = ("enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                      "minLength", "maxLength", "pattern", "format")
_NAME = re.compile(r"^[A-Za-z_\u3400-\u9fff][A-Za-z0-9_\u3400-\u9fff]*$")
_WORDS = {"and", "or", "not", "if", "且", "或"}


class _Refuse(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def translate(doc: dict) -> None:
    refusals: list = []
    originals: dict = {}
    _level(doc, (), refusals, originals)
    if refusals:
        doc[REFUSALS] = refusals
    if originals:
        doc[ORIGINALS] = originals


def _level(obj: dict, at: tuple, refusals: list, originals: dict) -> None:
    """One object level, then the sections and table rows below it."""
    props = obj.get("properties") if isinstance(obj.get("properties"), dict) else {}
    kept = {k: copy.deepcopy(obj[k]) for k in ("if", "then", "else", "dependentRequired") if k in obj}
    if kept:     # the published schema states them as written (forms.published)
        originals[at] = kept
    wanted: dict = {}   # field key: [(condition text, constraints or None, the keyword it comes from)]
    if any(k in obj for k in ("if", "then", "else")):
        _if_then_else(obj, at, props, wanted, refusals)
    if "dependentRequired" in obj:
        _dependent(obj.pop("dependentRequired"), at, props, wanted, refusals)
    _apply(obj, at, props, wanted, refusals)
    for key, spec in props.items():
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get("properties"), dict):
            _level(spec, at + ("properties", key), refusals, originals)
        items = spec.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            _level(items, at + ("properties", key, "items"), refusals, originals)


def _if_then_else(obj, at, props, wanted, refusals):
    parts = {k: obj.pop(k) for k in ("if", "then", "else") if k in obj}
    try:
        if "if" not in parts:
            raise _Refuse("then/else 要与 if 一起写")
        if len(parts) == 1:
            raise _Refuse("if 要与 then 或 else 一起写")
        cond = _condition(parts["if"], props)
    except _Refuse as exc:
        key = "if" if "if" in parts else next(iter(parts))
        refusals.append((at + (key,), {"key": key, "why": exc.why}))
        return
    for branch, text in (("then", cond), ("else", f"not({cond})")):
        if branch not in parts:
            continue
        try:
            for key, constraints in _branch(parts[branch], props).items():
                wanted.setdefault(key, []).append((text, constraints, branch))
        except _Refuse as exc:
            refusals.append((at + (branch,), {"key": branch, "why": exc.why}))


def _field(props, name, keyword, tested: bool = False) -> dict:
    """The spec of a field of this level a keyword names; `tested`: one a condition reads (one value)."""
    spec = props.get(name)
    if not isinstance(spec, dict):
        raise _Refuse(f"{keyword} 说到的 '{name}' 不是这一层的字段")
    if not isinstance(name, str) or not _NAME.match(name) or name in _WORDS:
        raise _Refuse(f"字段名 '{name}' 不能写进条件")
    if tested and (spec.get("type") in ("object", "array") or "properties" in spec or "items" in spec):
        raise _Refuse(f"'{name}' 是分组或表格，条件只能判断一个值")
    return spec


def _is_text(spec) -> bool:
    enum = spec.get("enum")
    return spec.get("type") == "string" or ("type" not in spec and isinstance(enum, list) and bool(enum)
                                            and all(isinstance(v, str) for v in enum))


def _literal(value) -> str:
    if isinstance(value, str) and value and '"' not in value and "\n" not in value:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
        return repr(value)
    raise _Refuse(f"条件里的值 {json.dumps(value, ensure_ascii=False)} 无法写成 biaoge 的条件（只能是非空文字或非零数字）")


def _parts(schema, only: str) -> tuple:
    """(required, properties) of an `if`/`then`/`else` schema, which may say nothing else."""
    if not isinstance(schema, dict) or set(schema) - {"properties", "required"}:
        extra = sorted(set(schema) - {"properties", "required"}) if isinstance(schema, dict) else []
        raise _Refuse(only + (f"，这里有 {'、'.join(extra)}" if extra else ""))
    return schema.get("required", []), schema.get("properties", {})


def _condition(schema, props) -> str:
    """The `if` schema as a biaoge condition: `properties` of `const`/`enum` tests, and `required`."""
    required, tests = _parts(schema, "if 里只能写 properties（每个字段用 const 或 enum）和 required")
    if not isinstance(required, list) or not isinstance(tests, dict):
        raise _Refuse("if 的 properties 要写成「字段：条件」，required 要写成列表")
    out = []
    for name, test in tests.items():
        spec = _field(props, name, "if", tested=True)
        if not isinstance(test, dict) or len(test) != 1 or not ({"const", "enum"} & set(test)):
            raise _Refuse(f"if 对字段 '{name}' 只能用 const 或 enum 判断")
        values = [test["const"]] if "const" in test else test["enum"]
        if not isinstance(values, list) or not values:
            raise _Refuse(f"if 对字段 '{name}' 的 enum 要是非空列表")
        same = " or ".join(f"{name} == {_literal(v)}" for v in values)
        if name in required:
            out.append(f"({same})" if len(values) > 1 else same)
        elif _is_text(spec) and all(isinstance(v, str) for v in values):   # unfilled also passes
            out.append(f'({name} == "" or {same})')
        else:
            raise _Refuse(f"if 判断数字字段 '{name}' 时要把它写进 required（空着的数字无法与 0 区分）")
    for name in required:
        if name not in tests:
            spec = _field(props, name, "if", tested=True)
            if not _is_text(spec):
                raise _Refuse(f"if 的 required 只能判断文字字段是否已填，'{name}' 不是文字字段")
            out.append(f'{name} != ""')
    if not out:
        raise _Refuse("if 没有说任何条件")
    return " and ".join(out)


def _branch(schema, props) -> dict:
    """{field key: constraints or None} that a `then`/`else` makes required."""
    required, constraints = _parts(schema, "then/else 里只能写 required 和 properties（对所列字段的取值限制）")
    if not isinstance(required, list) or not isinstance(constraints, dict):
        raise _Refuse("then/else 的 required 要写成列表，properties 要写成「字段：限制」")
    out = {}
    for name in required:
        _field(props, name, "required")
        out[name] = None
    for name, rule in constraints.items():
        _field(props, name, "properties")
        if name not in out:
            raise _Refuse(f"then/else 只能限制同一分支 required 列出的字段，'{name}' 不在其中"
                          "（否则它在条件不成立时也要显示，限制无处可放）")
        if not isinstance(rule, dict) or set(rule) - set(BRANCH_CONSTRAINTS):
            bad = sorted(set(rule) - set(BRANCH_CONSTRAINTS)) if isinstance(rule, dict) else []
            raise _Refuse(f"then/else 对字段 '{name}' 只能写 {'、'.join(BRANCH_CONSTRAINTS)}"
                          + (f"，这里有 {'、'.join(bad)}" if bad else ""))
        out[name] = rule
    return out


def _dependent(spec, at, props, wanted, refusals):
    here = at + ("dependentRequired",)
    try:
        if not isinstance(spec, dict):
            raise _Refuse("dependentRequired 要写成「字段：[要一起填的字段]」")
        for name, names in spec.items():
            if not _is_text(_field(props, name, "dependentRequired", tested=True)):
                raise _Refuse(f"dependentRequired 只能按文字字段是否已填来判断，'{name}' 不是文字字段")
            if not isinstance(names, list):
                raise _Refuse(f"dependentRequired 的 '{name}' 要写成字段列表")
            for other in names:
                _field(props, other, "dependentRequired")
                wanted.setdefault(other, []).append((f'{name} != ""', None, "dependentRequired"))
    except _Refuse as exc:
        refusals.append((here, {"key": "dependentRequired", "why": exc.why}))


def _apply(obj, at, props, wanted, refusals):
    always = obj.get("required") if isinstance(obj.get("required"), list) else []
    for key, items in wanted.items():
        spec, keyword = props[key], items[0][2]
        constrained = [c for _, c, _ in items if c]
        why = None
        if key in always and constrained:
            why = f"字段 '{key}' 总是必填，条件分支里对它的限制无处可放"
        elif key in always:
            continue
        elif "x-when" in spec:
            why = f"字段 '{key}' 已有 x-when"
        elif constrained and len(items) > 1:
            why = f"字段 '{key}' 受多个条件约束，又在分支里加了限制"
        else:
            merged = {k: v for c in constrained for k, v in c.items()}
            clash = [k for k, v in merged.items() if k in spec and spec[k] != v]
            if clash:
                why = f"字段 '{key}' 自己已写了 {'、'.join(clash)}，分支里又写了不同的值"
        if why:
            keyword = next((kw for _, c, kw in items if c), keyword)
            refusals.append((at + (keyword,), {"key": keyword, "why": why}))
            continue
        texts = list(dict.fromkeys(t for t, _, _ in items))
        spec["x-when"] = texts[0] if len(texts) == 1 else " or ".join(f"({t})" for t in texts)
        spec.update(merged)
        obj["required"] = [*always, key] if key not in always else always
        always = obj["required"]
