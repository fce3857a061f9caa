"""Compile one definition (already parsed) into a `Form`, collecting every problem.

No I/O here: `compile_definition(source, shared)` takes a parsed `Source` and
the shared fields, and returns (Form or None, problems). The walker gives
each problem its file, line and column from the source positions.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import re
from dataclasses import dataclass, field
from importlib import resources

import jsonschema

from . import expr as ex
from . import limits, numbering, standard, standard_conditions, standard_values
from .errors import Problem, suggestion
from .flow import compile_flow
from .kinds import KINDS, Kind, infer_kind
from .paper import PAPER_CHARS, paper_label

META_SCHEMA = json.loads(resources.files("forms").joinpath("metaschema.json").read_text("utf-8"))
_META = jsonschema.Draft202012Validator(META_SCHEMA)
_SHARED_META = jsonschema.Draft202012Validator({**META_SCHEMA, "$ref": "#/$defs/sharedFile",
                                                "required": [], "properties": {}, "additionalProperties": True})
EXCEL_CELL_CHARS = 32767   # characters one spreadsheet cell holds
FIELD_KEY = re.compile(r"^[A-Za-z_\u3400-\u9fff][A-Za-z0-9_\u3400-\u9fff]*$")

LAYOUT_DEFAULTS = {"paper": "A4", "orientation": "portrait", "columns": 2, "header": [], "intro": [],
                   "closing": [], "signatures": [], "notes": [], "copies": []}


@dataclass(eq=False)
class Field:
    key: str
    title: str
    kind: str
    spec: dict                       # the field's definition, shared fields merged in
    path: tuple                      # data path; a row field's path is table.path + (key,)
    def_path: tuple                  # path inside the definition document
    table: "Field | None" = None     # enclosing table, for row fields
    children: dict = field(default_factory=dict)
    compute: tuple | None = None     # bound formula tree
    when: tuple | None = None        # bound condition tree
    deps: set = field(default_factory=set)
    required: bool = False           # named in its owner's `required` (see `must_fill`)
    open: bool = False               # a section / table row keeps keys beyond its fields (see `extras_open`)
    nullable: bool = False           # typed [T, "null"] in a standard schema: null means not filled in

    @property
    def kind_def(self) -> Kind:
        """The field's kind: everything a layer needs to know of it (forms.kinds)."""
        return KINDS[self.kind]

    @property
    def computed(self) -> bool:
        return self.compute is not None or "x-compute" in self.spec

    @property
    def must_fill(self) -> bool:
        """Required whatever else is filled: declared required, not computed, no condition."""
        return self.required and not self.computed and self.when is None

    @property
    def is_table(self) -> bool:
        return self.kind_def.container == "table"

    @property
    def is_section(self) -> bool:
        return self.kind_def.container == "section"

    @property
    def is_value(self) -> bool:
        """A field holding one value (not a section or a table)."""
        return self.kind_def.container is None

    @property
    def choices(self) -> list:
        return self.kind_def.choices(self)

    @property
    def form_options(self) -> list:
        """(label, posted text, value) of each browser option (forms/kinds.py)."""
        return self.kind_def.form_options(self)

    sensitive: str | None = None     # its x-sensitive class, or its table's or section's (set when compiled)
    unique: tuple | None = None      # x-unique: (sibling keys held together, {sibling key: values that free it})

    def display(self, value) -> str:
        return self.kind_def.display(self, value)

    def coerce(self, value):
        return self.kind_def.coerce(self, value)

    def walk(self):
        yield self
        for child in self.children.values():
            yield from child.walk()


@dataclass(eq=False)
class Rule:
    """A cross-field rule (x-rules): `check` must hold, else `message` beside `field`."""
    text: str
    check: tuple                     # bound, typed formula tree
    message: str
    field: Field                     # where the message goes
    table: Field | None = None       # a rule of each row of this table
    deps: set = field(default_factory=set)


@dataclass(eq=False)
class Form:
    id: str
    title: str
    chapter: str
    description: str
    version: int
    layout: dict
    numbering: dict | None
    fields: dict                   # top-level fields by key
    definition: dict               # the document, shared fields merged in
    filename: str = ""
    computed_order: list = field(default_factory=list)
    rules: list = field(default_factory=list)      # Rule, top level then per table
    flow: object = None                            # forms.flow.Flow of x-approval, or None
    list_columns: list | None = None               # x-form list: the records list's declared key columns
    open: bool = False                             # the top level keeps keys beyond its fields (`extras_open`)
    conditions: dict = field(default_factory=dict)  # a standard schema's if/then/else by level (forms.published)

    def walk(self):
        for f in self.fields.values():
            yield from f.walk()

    def summary_fields(self) -> list:
        """Top-level fields that hold one short value: the columns of a records list, a manifest's key fields."""
        return [f for f in self.fields.values() if f.is_value and not f.kind_def.wide]

    def field_at(self, path) -> Field | None:
        """The field of a data path like ('items', 2, 'quantity') (indices skipped)."""
        level, found = self.fields, None
        for part in path:
            if isinstance(part, int):
                continue
            found = level.get(part)
            if found is None:
                return None
            level = found.children
        return found


# ---------------------------------------------------------------- entry point
def compile_definition(src, shared: dict | None = None, shared_src=None):
    """Compile a parsed definition. Returns (Form or None, [Problem]). `shared`: the shared fields,
    or None when there is no _shared.yaml for this definition at all."""
    problems: list[Problem] = list(src.problems)
    if src.data is None:
        return None, problems
    c = _Compiler(src, shared, shared_src)
    form = c.run()
    problems.extend(c.problems)
    return (form if not problems else None), problems


def check_shared(src):
    """Problems of schemas/_shared.yaml itself. Returns (fields dict, problems)."""
    problems = list(src.problems)
    if src.data is None:
        return {}, problems
    c = _Compiler(src, {}, None)
    c.meta_check(_SHARED_META)
    fields = src.data.get("fields") if isinstance(src.data, dict) else None
    if isinstance(fields, dict):
        for key, spec in fields.items():
            if isinstance(spec, dict) and "x-use" in spec:
                c.add("unknown-keyword", ("fields", key, "x-use"), key="x-use",
                      suggestion="，共享字段里不能再用 x-use")
    problems.extend(c.problems)
    return (fields if isinstance(fields, dict) else {}), problems


class _Scope:
    """Name resolution for formulas of one field (a row's fields come first), and what each
    name is (its kind's type in formulas, its title)."""

    def __init__(self, form_fields: dict, table: Field | None, section: Field | None = None):
        self.fields, self.table, self.section = form_fields, table, section

    def field_of(self, ref: ex.Ref) -> Field:
        if ref.kind == "field":
            level, f = self.fields, None
            for part in ref.path:
                f = level[part]
                level = f.children
            return f
        table = self.fields
        for part in ref.path:
            table_field = table[part]
            table = table_field.children
        return table[ref.key]

    def type_of(self, ref: ex.Ref) -> str:
        return self.field_of(ref).kind_def.expr_type(self.field_of(ref))

    def title_of(self, ref: ex.Ref) -> str:
        return self.field_of(ref).title

    @staticmethod
    def _match(level: dict, name: str):
        if name in level:
            return level[name]
        by_title = [f for f in level.values() if f.title == name]
        return by_title[0] if len(by_title) == 1 else None

    def resolve(self, dotted: str) -> ex.Ref:
        parts = dotted.split(".")
        if self.table is not None and len(parts) == 1:
            f = self._match(self.table.children, parts[0])
            if f is not None:
                return ex.Ref("row", self.table.path, f.key)
        if self.section is not None and self.table is None:
            f = self._match(self.section.children, parts[0])
            if f is not None and len(parts) == 1 and f.is_value:
                return ex.Ref("field", f.path)
        level, f = self.fields, None
        for i, part in enumerate(parts):
            f = self._match(level, part)
            if f is None:
                break
            if f.is_table and i + 1 < len(parts):
                col = self._match(f.children, parts[i + 1])
                if col is None or i + 2 != len(parts):
                    f = None
                    break
                return ex.Ref("column", f.path, col.key)
            level = f.children
        if f is None:
            for tf in (x for x in _iter(self.fields) if x.is_table):
                if len(parts) == 1 and self._match(tf.children, parts[0]):
                    raise ex.ExprError("expr-row-outside", name=dotted, table=tf.key, title=tf.title)
            names = [x.key for x in _iter(self.fields)] + [x.title for x in _iter(self.fields)]
            if self.table:
                names += list(self.table.children)
            raise ex.ExprError("expr-unknown-field", name=dotted, suggestion=suggestion(parts[-1], names))
        if not f.is_value:
            raise ex.ExprError("expr-not-value", name=dotted, what=f.kind_def.label)
        return ex.Ref("field", f.path)


def _field_named(level: dict, name) -> Field | None:
    """The field a rule names: a key of this level, or a dotted path into its sections."""
    if not isinstance(name, str):
        return None
    f = None
    for part in name.split("."):
        f = level.get(part)
        if f is None:
            return None
        level = f.children
    return f


def _iter(level: dict):
    for f in level.values():
        yield from f.walk()


# Standard JSON Schema keywords a paper form cannot show: each is refused with its reason (E108).
# oneOf/anyOf mean something on paper only as labelled choices (forms/standard_choices.py rewrites those).
LABELLED_ONLY = "纸面表格上只能印出一组选项，请把每一项写成「const: 值，title: 标签」，或改用 enum"
NO_PAPER_MEANING = {
    "patternProperties": "纸面表格的每一栏都有固定的名字，不能按名字的规律接受任意多栏",
    "propertyNames": "纸面表格的栏目由定义列出，不能由填表人自拟栏名",
    "not": "「不符合某个条件」无法印成一栏让人填写，请改写成具体的取值范围或 enum",
    "allOf": "多个 schema 的任意组合无法排成一张表，请把各部分的字段直接写进 properties",
    "oneOf": LABELLED_ONLY,
    "anyOf": LABELLED_ONLY,
}


def extras_open(obj_schema, standard: bool) -> bool:
    """Whether an object level keeps keys beyond its fields: its `additionalProperties` as written; unsaid,
    open in a standard schema (one that declares `$schema`) and closed in biaoge's own dialect (no `$schema`)."""
    said = obj_schema.get("additionalProperties") if isinstance(obj_schema, dict) else None
    return said if isinstance(said, bool) else standard


def standard_title(doc: dict, meta: dict) -> tuple[str, str]:
    """The form's title and description: x-form's, else the standard top-level title/description."""
    def pick(key):
        for where in (meta, doc):
            value = where.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return ""
    return pick("title"), pick("description")


class _Compiler:
    def __init__(self, src, shared, shared_src):
        self.src, self.shared_src = src, shared_src
        self.shared_found = shared is not None
        self.shared = shared or {}
        self.problems: list[Problem] = []
        self.standard = isinstance(src.data, dict) and "$schema" in src.data
        self.nullable: set = set()   # definition paths of fields typed [T, "null"]: optional (forms.standard)

    def add(self, name, path, /, **params):
        line, col = self.src.locate(path)
        self.problems.append(Problem(name, path, self.src.filename, line, col, **params))

    # ------------------------------------------------------------ meta-schema
    def meta_check(self, validator=_META, instance=None):
        for err in validator.iter_errors(self.src.data if instance is None else instance):
            self._meta_problem(err)

    def _meta_problem(self, err):
        path = tuple(err.absolute_path)
        key = (f"{path[-2]} 的第 {path[-1] + 1} 项" if len(path) > 1 else f"第 {path[-1] + 1} 项") \
            if path and isinstance(path[-1], int) else (str(path[-1]) if path else "定义")
        v, schema = err.validator, err.schema
        if v == "additionalProperties" and isinstance(err.instance, dict):
            known = list(schema.get("properties", {}))
            for extra in err.instance:
                if extra in NO_PAPER_MEANING:
                    self.add("no-paper-meaning", path + (extra,), key=extra, why=NO_PAPER_MEANING[extra])
                elif extra not in known:
                    self.add("unknown-keyword", path + (extra,), key=extra, suggestion=suggestion(extra, known))
        elif v == "enum":
            what = "未知的" + {"x-kind": "字段类型", "type": "数据类型", "paper": "纸张大小",
                              "orientation": "纸张方向", "blank": "空白类型", "reset": "编号重置周期",
                              "x-widget": "控件", "format": "格式"}.get(key, f" '{key}' 取值")
            self.add("unknown-value", path, what=what, value=err.instance,
                     suggestion=suggestion(err.instance, err.validator_value),
                     choices=", ".join(str(c) for c in err.validator_value))
        elif v == "const":
            self.add("bad-value", path, key=key, detail=f"只能是 {err.validator_value}")
        elif v == "type":
            self.add("wrong-type", path, key=key, expected=_TYPE_NAMES.get(str(err.validator_value), err.validator_value),
                     actual=_type_name(err.instance))
        elif v == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance:
                    self.add("missing-keyword", path, key=name)
        elif v == "pattern" and len(path) >= 2 and path[-2:] == ("x-form", "id"):
            self.add("bad-id", path, value=err.instance)
        elif v == "pattern" and err.validator_value == META_SCHEMA["$defs"]["fieldMap"]["propertyNames"]["pattern"]:
            if standard_values.key_ok(err.instance, self.standard, FIELD_KEY):
                return
            self.add("bad-field-key", path + (err.instance,), key=err.instance)
        else:
            self.add("bad-value", path, key=key, detail=_meta_detail(err))

    # ------------------------------------------------------------ compile
    def run(self):
        data = self.src.data
        if not isinstance(data, dict):
            self.add("not-mapping", ())
            return None
        doc, self.nullable, aliases = standard.normalize(data, self.src.positions)
        if aliases:   # errors inside an inlined $defs schema point at where it is written
            self.src = dataclasses.replace(self.src, positions={**aliases, **self.src.positions})
        conditions = doc.pop(standard_conditions.ORIGINALS, {})
        for path, params in doc.pop(standard_conditions.REFUSALS, ()):
            self.add("condition-unsupported", path, **params)
        self.meta_check(instance=doc)
        meta = doc.get("x-form") if isinstance(doc.get("x-form"), dict) else {}
        layout = {**LAYOUT_DEFAULTS, **(doc.get("x-layout") if isinstance(doc.get("x-layout"), dict) else {})}
        props = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
        fields = self.build_fields(props, doc.get("required"), ("properties",), (), None)
        title, description = standard_title(doc, meta)
        if not title and isinstance(data.get("x-form"), dict):
            self.add("missing-keyword", ("x-form",), key="title")
        form = Form(id=str(meta.get("id", "")), title=title, chapter=str(meta.get("chapter", "")),
                    description=description, version=meta.get("version", 1)
                    if isinstance(meta.get("version", 1), int) else 1, layout=layout,
                    numbering=doc.get("x-numbering") if isinstance(doc.get("x-numbering"), dict) else None,
                    fields=fields, definition=doc, filename=self.src.filename)
        form.open = extras_open(doc, self.standard)
        form.conditions = conditions
        self.check_fields(form)
        self.check_layout(form)
        self.check_numbering(form)
        self.check_list(form, meta.get("list"))
        self.compile_formulas(form)
        form.flow = compile_flow(doc.get("x-approval"), form, self.add, lambda text, at: self.condition(form, text, at))
        return form

    def build_fields(self, props: dict, required, def_path, data_path, table) -> dict:
        out = {}
        if isinstance(required, list):
            for i, name in enumerate(required):
                if isinstance(name, str) and name not in props:
                    self.add("required-unknown", def_path[:-1] + ("required", i), value=name,
                             suggestion=suggestion(name, props))
        for key, spec in props.items():
            if not isinstance(spec, dict) or not standard_values.key_ok(key, self.standard, FIELD_KEY):
                continue
            here = def_path + (key,)
            spec, shared_ok = self.merge_shared(spec, here)
            props[key] = spec
            kind = spec.get("x-kind") if spec.get("x-kind") in KINDS else infer_kind(spec)
            title = spec.get("title")
            if not isinstance(title, str) or not title.strip():
                if shared_ok:   # a failed x-use is reported once, not again as a missing title
                    self.add("missing-title", here, key=key)
                title = str(key)
            f = Field(key=key, title=title, kind=kind, spec=spec, path=data_path + (key,), def_path=here, table=table,
                      required=isinstance(required, list) and key in required and here not in self.nullable,
                      nullable=here in self.nullable)
            f.open = extras_open(spec.get("items") if f.is_table else spec, self.standard)
            if f.is_section and isinstance(spec.get("properties"), dict):
                f.children = self.build_fields(spec["properties"], spec.get("required"), here + ("properties",),
                                               f.path, table)
            elif f.is_table:
                items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
                cols = items.get("properties") if isinstance(items.get("properties"), dict) else {}
                if not cols:
                    self.add("table-needs-columns", here, key=key)
                f.children = self.build_fields(cols, items.get("required"), here + ("items", "properties"), f.path, f)
            out[key] = f
        for i, name in enumerate(required if isinstance(required, list) else []):
            if name in out and "x-compute" in out[name].spec:
                self.add("compute-required", def_path[:-1] + ("required", i), key=name)
        return out

    def merge_shared(self, spec, here):
        """(the field with its shared field merged in, whether its x-use worked)."""
        name = spec.get("x-use")
        if name is None:
            return spec, True
        if not self.shared_found:
            self.add("no-shared-file", here + ("x-use",), value=name)
            return spec, False
        base = self.shared.get(name) if isinstance(name, str) else None
        if not isinstance(base, dict):
            self.add("unknown-shared", here + ("x-use",), value=name, suggestion=suggestion(name, self.shared))
            return spec, False
        return {**copy.deepcopy(base), **spec}, True

    def check_fields(self, form):
        for f in form.walk():
            spec, here = f.spec, f.def_path
            declared = spec.get("type")
            kind_type = f.kind_def.json_type
            if "x-kind" in spec and declared and kind_type and declared != kind_type and \
                    not (kind_type == "number" and declared == "integer"):
                self.add("kind-type-conflict", here + ("type",), kind=f.kind, type=declared)
            if f.kind_def.enumerated and not f.choices:
                self.add("choices-missing", here, key=f.key)
            labels = f.kind_def.choice_spec(f).get("x-labels") if f.kind_def.enumerated else None
            if isinstance(labels, list) and len(labels) != len(f.choices):
                at = here + (("items",) if f.kind_def.repeated else ()) + ("x-labels",)
                self.add("bad-value", at, key="x-labels",
                         detail=f"要与 enum 一一对应：enum 有 {len(f.choices)} 项，这里有 {len(labels)} 项")
            if "default" in spec and f.choices:
                defaults = spec["default"] if f.kind_def.repeated and isinstance(spec["default"], list) \
                    else [spec["default"]]
                for d in defaults:
                    if d not in f.choices:
                        self.add("default-not-choice", here + ("default",), value=d,
                                 choices="、".join(map(str, f.choices)))
            if f.kind_def.needs_range and not ("minimum" in spec and "maximum" in spec):
                self.add("score-range", here, key=f.key)
            lo, hi = spec.get("minimum"), spec.get("maximum")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                self.add("bad-range", here + ("minimum",), minimum=lo, maximum=hi)
            key, limit, why = (("maxItems", limits.MAX_ROWS, "一份表单的明细表最多能有这么多行（PDF 和 Excel 都要能印出）。")
                               if f.is_table else ("maxLength", EXCEL_CELL_CHARS,
                                                   "Excel 一个单元格最多放这么多字，超出的文字无法导出。"))
            value = spec.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > limit:
                self.add("limit-too-big", here + (key,), key=key, value=value, limit=f"{limit:,}", why=why)
            width = spec.get("x-width")
            if isinstance(width, (int, float)) and not 1 <= width <= 60:
                self.add("bad-width", here + ("x-width",), value=width)
            if isinstance(spec.get("pattern"), str):
                try:
                    re.compile(spec["pattern"])
                except re.error as exc:
                    self.add("bad-pattern", here + ("pattern",), detail=str(exc))
            if "x-compute" in spec and not f.kind_def.computable:
                self.add("bad-compute-kind", here + ("x-compute",), key=f.key, kind=f.kind)
            if f.is_table:
                total = sum(c.spec.get("x-width", 0) for c in f.children.values()
                            if isinstance(c.spec.get("x-width"), (int, float)))
                paper = (form.layout.get("paper"), form.layout.get("orientation"))
                limit = PAPER_CHARS.get(paper)
                if limit and total > limit:
                    self.add("table-too-wide", here, key=f.key, total=total, paper=paper_label(*paper),
                             limit=limit)

    def check_layout(self, form):
        raw = form.definition.get("x-layout") if isinstance(form.definition.get("x-layout"), dict) else {}
        for part in ("header", "signatures"):
            for i, item in enumerate(raw.get(part) or []):
                if not isinstance(item, dict):
                    continue
                here = ("x-layout", part, i)
                if not ({"field", "text", "label"} & set(item)):
                    self.add("line-item-empty", here)
                name = item.get("field")
                if isinstance(name, str) and name not in form.fields:
                    self.add("layout-unknown-field", here + ("field",), value=name,
                             suggestion=suggestion(name, form.fields))
        for part in ("intro", "closing"):
            for i, text in enumerate(raw.get(part) or []):
                for name in re.findall(r"\{([^{}]+)\}", text if isinstance(text, str) else ""):
                    if name not in form.fields:
                        self.add("layout-unknown-field", ("x-layout", part, i), value=name,
                                 suggestion=suggestion(name, form.fields))

    def check_list(self, form, names):
        """x-form list: each name a top-level field with one short value (what a list column can show)."""
        if not isinstance(names, list):
            return
        short = {f.key for f in form.summary_fields()}
        for i, name in enumerate(names):
            if isinstance(name, str) and name not in short:
                self.add("list-unknown-field", ("x-form", "list", i), value=name, suggestion=suggestion(name, short))
        form.list_columns = [n for n in dict.fromkeys(names) if isinstance(n, str) and n in short]

    def check_numbering(self, form):
        n = form.numbering
        if not n or not isinstance(n.get("pattern"), str):
            return
        try:
            numbering.parse_pattern(n["pattern"])
            numbering.check_reset(n["pattern"], n.get("reset") if n.get("reset") in numbering.RESETS else "never")
        except ValueError as exc:
            self.add("numbering-pattern", ("x-numbering", "pattern"), value=n["pattern"], detail=str(exc))
        df = n.get("date-field")
        if df is not None:
            f = form.fields.get(df) if isinstance(df, str) else None
            if f is None or f.kind_def.calendar != "day":
                self.add("numbering-date-field", ("x-numbering", "date-field"), value=df,
                         suggestion=suggestion(df, [k for k, v in form.fields.items() if v.kind_def.calendar == "day"]))

    def compile_formulas(self, form):
        computed = {}
        parents = {id(c): p for p in form.walk() for c in p.children.values()}
        for f in form.walk():
            parent = parents.get(id(f))
            scope = _Scope(form.fields, f.table, parent if parent is not None and parent.is_section else None)
            for kw, attr in (("x-compute", "compute"), ("x-when", "when")):
                text = f.spec.get(kw)
                if not isinstance(text, str):
                    continue
                try:
                    tree, deps = ex.bind(ex.parse(text), scope)
                    tree, result = ex.typecheck(tree, scope)
                except ex.ExprError as exc:
                    self.add(exc.name, f.def_path + (kw,), **exc.params)
                    continue
                if kw == "x-compute" and not f.kind_def.accepts(result):
                    self.add("expr-result-type", f.def_path + (kw,), got=_RESULT_NAMES.get(result, result),
                             title=f.title, kind=f.kind_def.label,
                             hint="相隔天数是数字：写 结束日期 - 开始日期，并把字段设为 x-kind: integer。"
                             if result == "date" or f.kind_def.calendar else "检查公式，或改字段的 x-kind。")
                    continue
                setattr(f, attr, tree)
                if kw == "x-compute":
                    f.deps = deps
                    computed[f.path] = f
        form.computed_order = self.order_computed(computed)
        self.compile_rules(form)
        self.check_sensitive(form)
        self.compile_unique(form)

    def compile_unique(self, form):
        """x-unique: true, or {with: [sibling keys that form the key with it], unless: {sibling
        choice field: [options under which the value is not held, e.g. 已取消]}}."""
        parents = {id(c): p for p in form.walk() for c in p.children.values()}
        for f in form.walk():
            spec = f.spec.get("x-unique")
            if spec is None or spec is False:
                continue
            here = f.def_path + ("x-unique",)
            if not f.is_value:
                self.add("unique-not-value", here, key=f.key, what="表格" if f.is_table else "分组")
                continue
            parent = parents.get(id(f))
            level = parent.children if parent is not None else form.fields
            spec = spec if isinstance(spec, dict) else {}
            together, unless, ok = [], {}, True
            for i, name in enumerate(spec.get("with") or []):
                if name not in level or name == f.key or not level[name].is_value:
                    self.add("unique-unknown-field", here + ("with", i), where="with", value=name,
                             suggestion=suggestion(str(name), [k for k in level if k != f.key]))
                    ok = False
                else:
                    together.append(name)
            for name, values in (spec.get("unless") or {}).items():
                other = level.get(name)
                if other is None or not other.is_value:
                    self.add("unique-unknown-field", here + ("unless", name), where="unless", value=name,
                             suggestion=suggestion(str(name), list(level)))
                    ok = False
                    continue
                options = other.choices
                for i, v in enumerate(values if isinstance(values, list) else [values]):
                    if v not in options:
                        self.add("unique-unknown-choice", here + ("unless", name, i), title=other.title, value=v,
                                 suggestion=suggestion(str(v), [str(o) for o in options]))
                        ok = False
                unless[name] = tuple(values if isinstance(values, list) else [values])
            if ok:
                f.unique = (tuple(together), unless)

    def condition(self, form, text, at):
        """A bound condition over the form's top-level fields (an approval step's `when`)."""
        scope = _Scope(form.fields, None)
        try:
            tree, _ = ex.bind(ex.parse(text), scope)
            tree, _ = ex.typecheck(tree, scope)
        except ex.ExprError as exc:
            self.add(exc.name, at, **exc.params)
            return None
        return tree

    def check_sensitive(self, form):
        """A field's class covers what it holds; a value computed from a sensitive field is as
        sensitive (else the total of 奖金 would show what the 奖金 column hides)."""
        def mark(level, inherited):
            for f in level.values():
                own = f.spec.get("x-sensitive")
                f.sensitive = own if isinstance(own, str) else inherited
                mark(f.children, f.sensitive)
        mark(form.fields, None)
        scope = _Scope(form.fields, None)
        for f in form.computed_order:
            for ref in f.deps:
                try:
                    g = scope.field_of(ref) if ref.kind != "row" else f.table.children[ref.key]
                except KeyError:
                    continue
                if g.sensitive and g.sensitive != f.sensitive:
                    self.add("sensitive-derived", f.def_path + ("x-compute",), title=f.title, source=g.title,
                             value=g.sensitive)
                    break

    def compile_rules(self, form):
        """x-rules at the top level (over the form's fields) and in a table's items (over each row)."""
        places = [(form.definition, ("x-rules",), form.fields, None)]
        places += [(t.spec.get("items") or {}, t.def_path + ("items", "x-rules"), t.children, t)
                   for t in form.walk() if t.is_table]
        for owner, here, level, table in places:
            rules = owner.get("x-rules") if isinstance(owner, dict) else None
            for i, item in enumerate(rules if isinstance(rules, list) else []):
                if not isinstance(item, dict) or not isinstance(item.get("check"), str):
                    continue
                at = here + (i,)
                name = item.get("field")
                f = _field_named(level, name)
                if f is None or not f.is_value or (table is None and f.table is not None):
                    names = [".".join(x.path[len(table.path) if table else 0:]) for x in _iter(level)
                             if x.is_value and x.table is table]
                    self.add("rule-unknown-field", at + ("field",), value=name, suggestion=suggestion(name, names))
                    continue
                scope = _Scope(form.fields, table)
                try:
                    tree, deps = ex.bind(ex.parse(item["check"]), scope)
                    tree, _ = ex.typecheck(tree, scope)
                except ex.ExprError as exc:
                    self.add(exc.name, at + ("check",), **exc.params)
                    continue
                message = str(item.get("message") or f"「{f.title}」不符合规则：{item['check']}")
                form.rules.append(Rule(item["check"], tree, message, f, table, deps))

    def order_computed(self, computed: dict) -> list:
        """Topological order of computed fields; reports cycles."""
        def dep_paths(f):
            for ref in f.deps:
                p = ref.path if ref.kind == "field" else ref.path + (ref.key,)
                if p in computed:
                    yield p

        order, state = [], {}
        reported = set()

        def visit(p, stack):
            if state.get(p) == "done":
                return
            if state.get(p) == "active":
                cycle = stack[stack.index(p):] + [p]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    f = computed[p]
                    self.add("compute-cycle", f.def_path + ("x-compute",),
                             cycle=" → ".join(f"「{computed[x].title}」" for x in cycle))
                return
            state[p] = "active"
            for d in dep_paths(computed[p]):
                visit(d, stack + [p])
            state[p] = "done"
            order.append(computed[p])

        for p in computed:
            visit(p, [])
        return order


_RESULT_NAMES = {"number": "数字", "text": "文字", "bool": "是或否", "date": "日期", "month": "年月", "multi": "多选"}
_TYPE_NAMES = {"string": "文字", "number": "数字", "integer": "整数", "boolean": "true 或 false",
               "object": "「关键字：值」的形式", "array": "列表（每项以 - 开头）", "null": "空"}


def _type_name(v) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return f"数字 {v}"
    if isinstance(v, str):
        return f"文字 '{v}'"
    if isinstance(v, list):
        return "列表"
    if isinstance(v, dict):
        return "「关键字：值」"
    return "空值"


def _meta_detail(err) -> str:
    v, vv = err.validator, err.validator_value
    return {
        "minimum": f"不能小于 {vv}", "maximum": f"不能大于 {vv}", "exclusiveMinimum": f"必须大于 {vv}",
        "minLength": "不能为空", "maxLength": f"不能超过 {vv} 个字符", "minItems": f"至少要有 {vv} 项",
        "maxItems": f"最多 {vv} 项", "uniqueItems": "列表中有重复的项", "pattern": f"格式不符合 {vv}",
    }.get(v, err.message)


# ---------------------------------------------------------------- frozen versions
def frozen(form) -> dict:
    """The definition as compiled: shared fields merged in and `x-use` removed, so
    that it compiles again on its own, years later, whatever _shared.yaml becomes."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "x-use"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(form.definition)


def digest(definition: dict) -> str:
    import hashlib
    text = json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def compile_frozen(definition: dict, filename: str = "<stored>"):
    """A Form from a frozen definition; raises DefinitionError if it no longer compiles."""
    from .errors import DefinitionError
    from .source import Source
    form, problems = compile_definition(Source(filename, data=copy.deepcopy(definition)), {})   # frozen: shared merged in
    if form is None:
        raise DefinitionError(problems)
    return form
