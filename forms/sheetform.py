"""A form designed in a spreadsheet: workbook sheets (lists of rows) <-> a definition dict.

No I/O here: `renderers/sheetform_xlsx.py` reads and writes the workbook with openpyxl.
The workbook follows XLSForm (survey / choices / settings) in Chinese:

- 字段 (fields): one row per field; `begin group` / `end group` around a section and
  `begin repeat` / `end repeat` around a table's columns.
- 选项 (choices): list name, value, label.
- 设置 (settings): one row per setting: a name (表单id, 标题, 章, 纸张 … or a dotted key such
  as `x-layout.columns`) and its value.

Whatever a column does not say about a field goes in its 其他 column as compact JSON (YAML
flow style is read too), so YAML -> workbook -> YAML is lossless.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import yaml

from .definition import compile_definition
from .errors import CATALOGUE, closest
from .kinds import KINDS
from .source import parse

FIELDS, CHOICES, SETTINGS = "字段", "选项", "设置"
SHEET_ALIASES = {FIELDS: ("survey", "fields"), CHOICES: ("choices",), SETTINGS: ("settings",)}

# column -> (Chinese header, English aliases)
FIELD_COLUMNS = {
    "type": ("类型", ("type",)),
    "name": ("名称", ("name",)),
    "label": ("标题", ("label", "title")),
    "hint": ("提示", ("hint", "description")),
    "required": ("必填", ("required",)),
    "constraint": ("约束", ("constraint",)),
    "constraint_message": ("约束提示", ("constraint_message",)),
    "relevant": ("条件", ("relevant", "condition")),
    "calculation": ("计算", ("calculation", "calculate")),
    "default": ("默认值", ("default",)),
    "choices": ("选项", ("choice_list", "choices", "list_name")),
    "use": ("共享字段", ("use", "x-use")),
    "other": ("其他", ("other", "extra")),
}
CHOICE_COLUMNS = {
    "list_name": ("选项表", ("list_name", "list")),
    "value": ("值", ("value", "name")),
    "label": ("选项标题", ("label",)),
}
SETTING_COLUMNS = {
    "key": ("设置项", ("setting", "key")),
    "value": ("值", ("value",)),
}
COLUMNS = {FIELDS: FIELD_COLUMNS, CHOICES: CHOICE_COLUMNS, SETTINGS: SETTING_COLUMNS}

# friendly settings -> where they go in the definition
SETTING_NAMES = {
    "表单id": (("x-form", "id"), ("id", "form_id")),
    "标题": (("x-form", "title"), ("title", "form_title")),
    "章": (("x-form", "chapter"), ("chapter",)),
    "说明": (("x-form", "description"), ("description",)),
    "纸张": (("x-layout", "paper"), ("paper",)),
    "方向": (("x-layout", "orientation"), ("orientation",)),
    "编号规则": (("x-numbering", "pattern"), ("number_pattern", "numbering")),
    "签字栏": (("x-layout", "signatures"), ("signatures", "signature_line")),
}
BEGIN_GROUP, END_GROUP, BEGIN_REPEAT, END_REPEAT = "begin group", "end group", "begin repeat", "end repeat"
CONTAINER_TYPES = {BEGIN_GROUP: ("section", END_GROUP), BEGIN_REPEAT: ("table", END_REPEAT),
                   "开始分组": ("section", END_GROUP), "开始表格": ("table", END_REPEAT)}
END_TYPES = {END_GROUP: END_GROUP, END_REPEAT: END_REPEAT, "结束分组": END_GROUP, "结束表格": END_REPEAT}
YES, NO = "是", "否"
TRUE_WORDS = {"是", "yes", "true", "1", "必填", "y", "true()"}
FALSE_WORDS = {"", "否", "no", "false", "0", "n", "false()"}

MAX_ROWS = 2000          # rows per sheet
MAX_COLUMNS = 40         # columns per sheet
MAX_CELL = 10_000        # characters per cell
MAX_BYTES = 2_000_000    # bytes of one uploaded workbook
MAX_UNPACKED = 50_000_000   # bytes of its unzipped parts


# XLSForm's names of a few kinds
XLSFORM_TYPES = {"select_one": "choice", "single": "choice", "select_multiple": "multichoice",
                 "multiple": "multichoice", "decimal": "number", "string": "text"}


def kind_names() -> dict:
    """Every accepted spelling of a kind (its name, its Chinese label, XLSForm's name) -> the kind's name."""
    names = {}
    for name, kind in KINDS.items():
        if kind.container:
            continue
        names[name] = name
        names[kind.label] = name
    names.update(XLSFORM_TYPES)
    return names


@dataclass
class SheetProblem:
    """One problem of a workbook: which sheet, row (1-based, as Excel shows it) and column."""
    name: str
    sheet: str
    row: int = 0
    column: str = ""
    params: dict = field(default_factory=dict)

    @property
    def code(self):
        return CATALOGUE[self.name]

    @property
    def message(self) -> str:
        where = f"「{self.sheet}」表"
        if self.row:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        text = self.code.template.format_map(_Missing(self.params))
        hint = self.code.hint.format_map(_Missing(self.params))
        return f"{where}：{text}" + (f"（提示：{hint}）" if hint else "")

    def __str__(self) -> str:
        return f"{self.code.code} {self.message}"

    def as_dict(self) -> dict:
        return {"code": self.code.code, "type": self.name, "sheet": self.sheet, "row": self.row,
                "column": self.column, "message": self.message}


class _Missing(dict):
    def __missing__(self, key):
        return ""


def did_you_mean(word, candidates, shown=None) -> str:
    """"，是不是「x」？" for the closest candidate (short Chinese words too); `shown` maps it to what to print."""
    found = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.5)
    match = found[0] if found else closest(word, candidates)
    if match and shown:
        match = shown(match)
    return f"，是不是「{match}」？" if match else ""


# ------------------------------------------------------------------ definition -> sheets

def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _cell(value):
    """A value as a cell: strings that read back as themselves stay plain, the rest is JSON."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return _compact(value)
    if isinstance(value, (int, float)):
        return value
    try:
        same = yaml.safe_load(value) == value
    except yaml.YAMLError:
        same = False
    return value if same and value.strip() == value and value else _compact(value)


def definition_to_sheets(data: dict) -> dict:
    """The three sheets of a definition, each a list of rows (the first is the header)."""
    data = json.loads(json.dumps(data))     # a deep copy that plain types survive
    rules = data.get("x-rules") if isinstance(data.get("x-rules"), list) else None
    constraints = _constraint_rules(rules, data)
    choices: list = [[CHOICE_COLUMNS[c][0] for c in CHOICE_COLUMNS]]
    fields: list = [[FIELD_COLUMNS[c][0] for c in FIELD_COLUMNS]]
    _field_rows(data, "", fields, choices, constraints)
    if rules is not None:
        data["x-rules"] = [r for r in rules if id(r) not in constraints["taken"]]
        if not data["x-rules"]:
            del data["x-rules"]
    settings: list = [[SETTING_COLUMNS[c][0] for c in SETTING_COLUMNS]]
    said = set()        # the parts a friendly setting already names
    for key, (path, _aliases) in SETTING_NAMES.items():
        top = data.get(path[0])
        if isinstance(top, dict) and path[1] in top:
            said.add(path[0])
            value = top.pop(path[1])
            settings.append([key, _signatures_cell(value) if key == "签字栏" else _cell(value)])
    for key in list(data):
        if key in ("properties", "required"):
            continue
        value = data[key]
        if key in ("x-form", "x-layout", "x-numbering") and isinstance(value, dict):
            for sub, v in value.items():
                settings.append([f"{key}.{sub}", _cell(v)])
            if not value and key not in said:
                settings.append([key, "{}"])
        else:
            settings.append([key, _cell(value)])
    return {FIELDS: fields, CHOICES: choices, SETTINGS: settings}


def _signatures_cell(value):
    """Signature lines that are all `label` + `blank: line` read as 主管、制表人."""
    if isinstance(value, list) and value and all(
            isinstance(s, dict) and set(s) == {"label", "blank"} and s["blank"] == "line"
            and isinstance(s["label"], str) and "、" not in s["label"] and s["label"].strip() == s["label"]
            and s["label"] and not s["label"].startswith(("[", "{", '"'))
            for s in value):
        return "、".join(s["label"] for s in value)
    return _compact(value)


def _constraint_rules(rules, data) -> dict:
    """Top-level rules of just check/field/message, one per field: they go in that field's row."""
    by_field: dict = {}
    if rules:
        counts: dict = {}
        for r in rules:
            if isinstance(r, dict) and isinstance(r.get("field"), str):
                counts[r["field"]] = counts.get(r["field"], 0) + 1
        for r in rules:
            if isinstance(r, dict) and set(r) <= {"check", "field", "message"} and "check" in r \
                    and isinstance(r.get("field"), str) and counts[r["field"]] == 1 \
                    and isinstance(r["check"], str) and isinstance(r.get("message", ""), str):
                by_field[r["field"]] = r
    return {"by_field": by_field, "taken": set()}


def _field_rows(spec: dict, prefix: str, rows: list, choices: list, constraints: dict) -> None:
    props = spec.get("properties")
    if not isinstance(props, dict):
        return
    required = spec.get("required") if isinstance(spec.get("required"), list) else []
    if "required" in spec:
        del spec["required"]
    del spec["properties"]
    for name, f in props.items():
        path = f"{prefix}{name}"
        req = name in required
        if not isinstance(f, dict):
            rows.append(_row(type="", name=name, required=YES if req else "", other=_compact({"=": f})))
            continue
        f = dict(f)
        row = {"name": name, "required": YES if req else ""}
        for col, key in (("label", "title"), ("hint", "description"), ("relevant", "x-when"),
                         ("calculation", "x-compute"), ("use", "x-use")):
            if isinstance(f.get(key), str) and _cell(f[key]) == f[key]:
                row[col] = f.pop(key)
        if "default" in f and not isinstance(f["default"], (dict, list, bool)) and f["default"] is not None \
                and not (isinstance(f["default"], str) and _cell(f["default"]) != f["default"]):
            row["default"] = f.pop("default")
        rule = constraints["by_field"].get(path)
        if rule is not None:
            row["constraint"] = rule["check"]
            if "message" in rule:
                row["constraint_message"] = rule["message"] or '""'
            constraints["taken"].add(id(rule))
        kind = f.get("x-kind")
        items = f.get("items")
        sub = None
        if isinstance(f.get("properties"), dict):
            row["type"], end, implied, sub = BEGIN_GROUP, END_GROUP, "section", f
        elif isinstance(items, dict) and isinstance(items.get("properties"), dict):
            sub = dict(items)
            f["items"] = sub
            row["type"], end, implied = BEGIN_REPEAT, END_REPEAT, "table"
        if sub is not None:
            if kind == implied:
                del f["x-kind"]
            elif kind is None:
                f["x-kind"] = None      # read back as "no x-kind"
            rows.append(None)
            at = len(rows) - 1
            _field_rows(sub, f"{path}.", rows, choices, constraints)
            if sub is not f and not sub:
                del f["items"]
            if f:
                row["other"] = _compact(f)
            rows[at] = _row(**row)
            rows.append(_row(type=end, name=name))
            continue
        if isinstance(kind, str) and kind in KINDS and not KINDS[kind].container:
            row["type"] = f.pop("x-kind")
        _take_choices(f, name, path, row, choices)
        if f:
            row["other"] = _compact(f)
        rows.append(_row(**row))


def _take_choices(f: dict, name: str, path: str, row: dict, choices: list) -> None:
    holder, key = f, "enum"
    if f.get("x-kind") == "multichoice" or row.get("type") == "multichoice":
        holder = f.get("items") if isinstance(f.get("items"), dict) else None
    if holder is None or not isinstance(holder.get("enum"), list):
        return
    values = holder["enum"]
    labels = holder.get("x-labels")
    if not isinstance(labels, list) or len(labels) != len(values) or not all(isinstance(t, str) for t in labels):
        labels = None
    if not values or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                             and _cell(v) == v for v in values):
        return
    del holder[key]
    if labels is not None:
        del holder["x-labels"]
    if holder is not f and not holder:
        del f["items"]
    list_name = path
    row["choices"] = list_name
    for i, v in enumerate(values):
        choices.append([list_name, v, labels[i] if labels is not None else v])


def _row(**cols) -> list:
    return [cols.get(c, "") for c in FIELD_COLUMNS]


# ------------------------------------------------------------------ sheets -> definition

@dataclass
class Imported:
    data: dict | None
    problems: list
    rows: dict              # definition path (tuple) -> (sheet, row)


def _headers(sheet: str, header: list, problems: list) -> dict:
    """Column index -> column id, with did-you-mean for unknown headers."""
    spec = COLUMNS[sheet]
    names = {}
    for col, (zh, aliases) in spec.items():
        names[zh] = col
        for a in aliases:
            names[a.lower()] = col
    out = {}
    for i, h in enumerate(header):
        text = str(h).strip() if h is not None else ""
        if not text:
            continue
        col = names.get(text) or names.get(text.lower())
        if col is None:
            problems.append(SheetProblem("sheet-unknown-header", sheet, 1, text, {
                "value": text, "suggestion": did_you_mean(text, list(names)),
                "choices": "、".join(zh for zh, _ in spec.values())}))
            continue
        out[i] = col
    return out


def _records(sheets: dict, sheet: str, problems: list):
    rows = sheets.get(sheet) or []
    if not rows:
        return []
    cols = _headers(sheet, rows[0], problems)
    out = []
    for n, row in enumerate(rows[1:], start=2):
        rec = {}
        for i, v in enumerate(row):
            if i in cols and v is not None and not (isinstance(v, str) and not v.strip()):
                rec[cols[i]] = v.strip() if isinstance(v, str) else v
        if rec:
            out.append((n, rec))
    return out


def _header_of(sheet: str, col: str) -> str:
    return COLUMNS[sheet][col][0]


def _flow(text, sheet, row, col, problems):
    """A JSON / YAML flow cell read back."""
    if not isinstance(text, str):
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(SheetProblem("sheet-bad-cell", sheet, row, _header_of(sheet, col),
                                     {"value": text[:40], "detail": str(exc).splitlines()[0]}))
        return None


def canonical_sheet(name: str):
    for canon, aliases in SHEET_ALIASES.items():
        if name == canon or name.strip().lower() in aliases:
            return canon
    return None


def sheets_to_definition(sheets: dict) -> Imported:
    """The definition a workbook's sheets say, with every problem by sheet, row and column."""
    problems: list = []
    named = {}
    for name, rows in sheets.items():
        canon = canonical_sheet(name)
        if canon:
            named[canon] = rows
    if FIELDS not in named:
        problems.append(SheetProblem("sheet-missing", FIELDS, 0, "", {"value": FIELDS}))
        return Imported(None, problems, {})
    for canon, rows in named.items():
        if len(rows) > MAX_ROWS + 1:
            problems.append(SheetProblem("sheet-too-big", canon, MAX_ROWS + 2, "", {"limit": MAX_ROWS}))
            return Imported(None, problems, {})
    lists: dict = {}
    for n, rec in _records(named, CHOICES, problems):
        name = rec.get("list_name")
        value = rec.get("value", rec.get("label"))
        if name is None or value is None:
            problems.append(SheetProblem("sheet-empty-cell", CHOICES, n,
                                         _header_of(CHOICES, "list_name" if name is None else "value"), {}))
            continue
        label = rec.get("label")
        label = str(value) if label is None or "value" not in rec else str(label)
        same_list = lists.setdefault(str(name), [])
        if any(t == label for _, t in same_list):     # a filled form could not be read back
            problems.append(SheetProblem("sheet-choice-label", CHOICES, n, _header_of(CHOICES, "label"),
                                         {"list": name, "label": label}))
            continue
        same_list.append((value, label))
    data: dict = {}
    where: dict = {}
    for n, rec in _records(named, SETTINGS, problems):
        key = rec.get("key")
        if key is None or "value" not in rec:
            continue
        key = str(key)
        value = rec["value"]
        friendly = next((p for k, (p, aliases) in SETTING_NAMES.items() if key == k or key.lower() in aliases), None)
        if friendly and key in ("签字栏", "signatures", "signature_line") and isinstance(value, str) \
                and not value.startswith(("[", "{")):
            parsed = [{"label": s.strip(), "blank": "line"} for s in re.split("[、,，]", value) if s.strip()]
        elif friendly and isinstance(value, str) and value.startswith('"'):
            parsed = _flow(value, SETTINGS, n, "value", problems)
        elif friendly:
            parsed = value if not isinstance(value, str) else (_flow(value, SETTINGS, n, "value", problems)
                                                               if value.startswith(("[", "{")) else value)
        else:
            parsed = _flow(value, SETTINGS, n, "value", problems)
        path = friendly or tuple(key.split(".", 1))
        if path[0] not in data and len(path) == 2:
            data[path[0]] = {}
        if len(path) == 2:
            if not isinstance(data[path[0]], dict):
                continue
            data[path[0]][path[1]] = parsed
        else:
            data[path[0]] = parsed
        where[path] = (SETTINGS, n)
    root: dict = {}
    constraints = []
    _read_fields(_records(named, FIELDS, problems), root, lists, problems, where, constraints)
    out: dict = {}
    for k in ("x-form", "x-layout", "x-numbering"):
        if k in data:
            out[k] = data.pop(k)
    out.update({k: v for k, v in data.items() if k != "x-rules"})
    if root.get("required"):
        out["required"] = root["required"]
    out["properties"] = root.get("properties", {})
    rules = list(data.get("x-rules") or []) if isinstance(data.get("x-rules", []), list) else data["x-rules"]
    if constraints and isinstance(rules, list):
        for i, (rule, pos) in enumerate(constraints):
            where[("x-rules", len(rules))] = pos
            rules.append(rule)
    if rules:
        out["x-rules"] = rules
    return Imported(out, problems, where)


def _read_fields(records, root, lists, problems, where, constraints):
    kinds = kind_names()
    # (object spec, path, expected end, begin row, dotted prefix, the enclosing table's items and path)
    stack = [(root, (), None, 0, "", None, None)]
    for n, rec in records:
        spec, path, end, _begin, prefix, table, table_path = stack[-1]
        typ = str(rec.get("type", "")).strip()
        low = typ.lower()
        if low in END_TYPES or typ in END_TYPES:
            want = END_TYPES.get(low) or END_TYPES[typ]
            if end != want:
                problems.append(SheetProblem("sheet-unbalanced", FIELDS, n, _header_of(FIELDS, "type"),
                                             {"value": typ}))
                continue
            stack.pop()
            continue
        name = rec.get("name")
        if name is None:
            problems.append(SheetProblem("sheet-empty-cell", FIELDS, n, _header_of(FIELDS, "name"), {}))
            continue
        name = str(name)
        props = spec.setdefault("properties", {})
        if name in props:
            first = where.get(path + ("properties", name), (FIELDS, 0))[1]
            problems.append(SheetProblem("sheet-duplicate-name", FIELDS, n, _header_of(FIELDS, "name"),
                                         {"value": name, "other": first}))
            continue
        f: dict = {}
        fpath = path + ("properties", name)
        where[fpath] = (FIELDS, n)
        container = CONTAINER_TYPES.get(low) or CONTAINER_TYPES.get(typ)
        if container is None and typ:
            if typ in kinds or low in kinds:
                f["x-kind"] = kinds.get(typ) or kinds[low]
            else:
                problems.append(SheetProblem("sheet-unknown-type", FIELDS, n, _header_of(FIELDS, "type"), {
                    "value": typ, "suggestion": did_you_mean(
                        typ, list(kinds) + list(CONTAINER_TYPES),
                        lambda m: KINDS[kinds[m]].label if m in kinds else m)}))
        for col, key in (("label", "title"), ("hint", "description"), ("relevant", "x-when"),
                         ("calculation", "x-compute"), ("use", "x-use"), ("default", "default")):
            if col in rec:
                f[key] = rec[col] if col == "default" or not isinstance(rec[col], (int, float)) else str(rec[col])
        other = _flow(rec["other"], FIELDS, n, "other", problems) if "other" in rec else None
        if other is not None and not isinstance(other, dict):
            problems.append(SheetProblem("sheet-bad-cell", FIELDS, n, _header_of(FIELDS, "other"),
                                         {"value": str(rec["other"])[:40], "detail": "应写成 {关键字: 值} 的形式"}))
            other = None
        if other and "=" in other and len(other) == 1:
            props[name] = other["="]
            continue
        other = other or {}
        if container is not None and "x-kind" not in other:
            f["x-kind"] = container[0]      # implied by begin group / begin repeat
        # 其他 says the rest; `x-kind: null` marks a section or table written without x-kind
        f.update({k: v for k, v in other.items() if not (k == "x-kind" and v is None)})
        if "choices" in rec:
            list_name = str(rec["choices"])
            if list_name not in lists:
                problems.append(SheetProblem("sheet-unknown-list", FIELDS, n, _header_of(FIELDS, "choices"), {
                    "value": list_name, "suggestion": did_you_mean(list_name, list(lists))}))
            else:
                holder = f.setdefault("items", {}) if f.get("x-kind") == "multichoice" else f
                holder["enum"] = [v for v, _ in lists[list_name]]
                if any(t != str(v) for v, t in lists[list_name]):    # labels (forms.kinds ChoiceKind)
                    holder["x-labels"] = [t for _, t in lists[list_name]]
        req = rec.get("required")
        if req is not None and str(req).strip().lower() in TRUE_WORDS or req is True:
            spec.setdefault("required", []).append(name)
        elif req is not None and str(req).strip().lower() not in FALSE_WORDS and req is not False:
            problems.append(SheetProblem("sheet-bad-cell", FIELDS, n, _header_of(FIELDS, "required"),
                                         {"value": str(req), "detail": "必填列写「是」或留空"}))
        if "constraint" in rec:
            rule = {"check": str(rec["constraint"]), "field": prefix + name}
            if "constraint_message" in rec:
                msg = rec["constraint_message"]
                rule["message"] = "" if msg == '""' else str(msg)
            if table is None:
                constraints.append((rule, (FIELDS, n)))
            else:       # a rule of each row: the table's own x-rules
                rules = table.setdefault("x-rules", [])
                where[table_path + ("x-rules", len(rules))] = (FIELDS, n)
                rules.append(rule)
        props[name] = f
        if container is not None:
            if container[0] == "table":
                items = f.get("items") if isinstance(f.get("items"), dict) else {}
                f["items"] = items
                stack.append((items, fpath + ("items",), container[1], n, "", items, fpath + ("items",)))
            else:
                stack.append((f, fpath, container[1], n, prefix + name + ".", table, table_path))
    for _spec, _path, end, begin, *_rest in stack[1:]:
        problems.append(SheetProblem("sheet-unbalanced", FIELDS, begin, _header_of(FIELDS, "type"),
                                     {"value": f"缺少「{end}」"}))


# columns a compiler problem's path maps to (the key after the field's path)
KEY_COLUMN = {"x-kind": "type", "title": "label", "description": "hint", "x-when": "relevant",
              "x-compute": "calculation", "default": "default", "enum": "choices", "x-use": "use",
              "required": "required"}


PROBLEM_COLUMN = {"missing-title": "label", "choices-missing": "choices", "bad-field-key": "name",
                  "compute-required": "required"}


def place_problem(problem, imported: Imported):
    """(sheet, row, column header) of a compiler problem, from its definition path."""
    path = tuple(problem.path)
    for cut in range(len(path), 0, -1):
        hit = imported.rows.get(path[:cut])
        if hit is None:
            continue
        sheet, row = hit
        if sheet != FIELDS:
            return sheet, row, _header_of(SETTINGS, "value")
        if "x-rules" in path[:cut]:
            col = "constraint"
        else:
            rest = path[cut:]
            col = KEY_COLUMN.get(rest[0], "other") if rest else PROBLEM_COLUMN.get(problem.name, "name")
        return sheet, row, _header_of(FIELDS, col)
    return SETTINGS, 0, ""


def yaml_text(data: dict, source: str = "") -> str:
    """The definition as commented YAML: a header naming the workbook, a comment before each part."""
    meta = data.get("x-form") if isinstance(data.get("x-form"), dict) else {}
    head = [f"# {_comment(meta.get('title', ''))} — 由电子表格生成 / generated from a spreadsheet"
            + (f": {_comment(source)}" if source else ""),
            "# 改动请改表格后重新导入：biaoge import-form 表格.xlsx -o 本文件"]
    notes = {"x-form": "表单信息 / form metadata", "x-layout": "版面 / layout",
             "x-numbering": "编号 / serial numbers", "properties": "字段 / fields (字段 sheet)",
             "required": "必填字段 / required fields", "x-rules": "约束 / rules"}
    parts = []
    for key, value in data.items():
        note = notes.get(key, f"{key} (设置 sheet)")
        if key == "properties" and isinstance(value, dict):
            block = "properties:\n" + "".join(_field_block(k, v) for k, v in value.items())
        else:
            block = _dump({key: value})
        parts.append(f"# {note}\n{block}")
    return "\n".join(head) + "\n" + "\n".join(parts)


@dataclass
class Compiled:
    text: str | None        # the YAML definition, when the workbook reads and compiles
    form: object            # the compiled Form, or None
    problems: list          # SheetProblem, the compiler's mapped back to rows


def compile_sheets(sheets: dict, shared, source: str = "") -> Compiled:
    """Read the sheets, write the YAML and compile it; every problem by sheet, row and column."""
    imported = sheets_to_definition(sheets)
    if imported.problems or imported.data is None:
        return Compiled(None, None, imported.problems)
    text = yaml_text(imported.data, source)
    form, problems = compile_definition(parse(text, source or "表格"), shared)
    mapped = []
    for p in problems:
        sheet, row, col = place_problem(p, imported)
        detail = p.message + (f"（提示：{p.hint}）" if p.hint else "")
        mapped.append(SheetProblem("sheet-compile", sheet, row, col, {"detail": f"{p.code.code} {detail}"}))
    if mapped:
        return Compiled(None, None, mapped)
    return Compiled(text, form, [])


def _comment(text) -> str:
    """Text for a comment line: no line breaks or other control characters (they would end it)."""
    return re.sub(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+", " ", str(text))[:200]


def _dump(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)


def _field_block(key, spec) -> str:
    """One top-level field, indented; a section or table gets a comment line naming it."""
    body = "".join("  " + line + "\n" for line in _dump({key: spec}).splitlines())
    if isinstance(spec, dict) and ("properties" in spec or isinstance(spec.get("items"), dict)
                                   and "properties" in spec["items"]):
        what = "表格" if "items" in spec and "properties" not in spec else "分组"
        title = spec.get("title", key)
        return f"  # {what}：{_comment(title)}\n{body}"
    return body
