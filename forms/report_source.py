"""Where a report's figures come from: the `x-source` of a table or a field (no I/O).

A report table declares the source form, the period, filters, grouping and what each column is:

    items:
      x-kind: table
      x-source:
        form: delivery_note          # the source form (id or title)
        date: ship_date              # the source's date field
        period: period               # the report's date / month / year field: the period reported on
        rows: items                  # optional: one item per row of this table of the source
        where: [ship_method = 快递]   # optional: 字段 = 值 / 字段 != 值 (状态 = 已通过: the record's state)
        group: [product_name, spec]  # optional: one report row per distinct value (list or 报表列: 来源字段)
        columns:
          quantity: sum(quantity)              # sum count count_distinct avg min max
          last_quantity: sum(quantity) 上期     # 本期 (default) 上期 本月累计 本年累计 期初 至今
          delivery_no: 编号                     # without group: one report row per source item

`where` values may name the report's own fields: `活动名称 = {activity_name}`. A source with
`join: true` only adds figures to the rows the other sources of the table made; `-sum(x)`
subtracts (期初余额 from deliveries and receipts). A field (one value) declares
`x-source: {like: items, value: count_distinct(编号)}` (the
table's source, period and filters) or a whole source of its own with `value:`. A table may
list several sources grouped on the same columns; their rows are merged by the group.

`compile_source(report_form, field, spec, find_form)` checks one declaration against the
source form and yields bare problems (name, path inside the x-source, params); `Source` is the
compiled declaration the engine (services.reports) runs. `Window` gives the date range of a
period (本期 / 上期 / 本月累计 / 本年累计) for the period field's value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from .errors import suggestion

AGGREGATES = {"sum": "合计", "count": "计数", "count_distinct": "去重计数", "avg": "平均", "min": "最小",
              "max": "最大"}
NUMERIC_AGGREGATES = {"sum", "avg"}
WINDOWS = {"本期": "current", "上期": "previous", "本月累计": "month_to_date", "本年累计": "year_to_date",
           "期初": "before", "至今": "to_date"}
META_FIELDS = {"编号": "number", "部门": "department", "提交人": "creator", "状态": "state", "记录号": "id"}
COUNTED_STATES = frozenset({"已提交", "已通过"})   # a record counts in a report only in these states
KEYWORDS = {"form", "date", "period", "rows", "where", "group", "columns", "like", "value", "join"}
_AGG = re.compile(r"^\s*(-?)\s*([a-z_]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*(本期|上期|本月累计|本年累计|期初|至今)?\s*$")
_PARAM = re.compile(r"\{([^{}]+)\}")
_WHERE = re.compile(r"^\s*([^=!]+?)\s*(!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Ref:
    """A value of a source item: ("row", key) of the row, ("rec", path) of the record, ("meta", name)."""
    where: str
    path: tuple
    repeated: bool = False            # a multiple choice: a list of values
    numeric: bool = False
    calendar: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "get", _getter(self.where, self.path))

    def get(self, record: dict, data: dict, row: dict | None, state: str):   # replaced per instance
        raise NotImplementedError


def _getter(where: str, path: tuple):
    """The value of a source item as a small function (the report's inner loop calls it)."""
    if where == "meta":
        name = path[0]
        if name == "number":              # a form without 编号: the record's id stands for it
            return lambda record, data, row, state: record.get("number") or f"#{record.get('id')}"
        if name == "state":
            return lambda record, data, row, state: state
        return lambda record, data, row, state: record.get(name)
    if len(path) == 1:
        key = path[0]
        if where == "row":
            return lambda record, data, row, state: row.get(key)
        return lambda record, data, row, state: data.get(key)

    def deep(record, data, row, state):
        node = row if where == "row" else data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        return node
    return deep


@dataclass(frozen=True)
class Column:
    target: str                        # the report column (or field) it fills
    agg: str | None                    # None: the source value itself (a detail row)
    ref: Ref | None                    # None: count of items
    window: str = "current"
    sign: int = 1                      # -1: subtracted (期初余额 = 应收 − 收回 from two sources)


@dataclass
class Source:
    form: str                          # source form id
    date: Ref
    period: str                        # the report's period field key
    calendar: str                      # "day", "month" or "year"
    rows: str | None = None            # source table key
    where: list = field(default_factory=list)     # (Ref, op, value)
    group: list = field(default_factory=list)     # (report column, Ref)
    columns: list = field(default_factory=list)   # Column
    join: bool = False                 # only adds figures to the rows other sources made
    target: tuple = ()                 # the report table's (or field's) data path
    table: bool = False                # fills a table (rows), else one value

    @property
    def detail(self) -> bool:
        return not self.group and any(c.agg is None for c in self.columns)

    def windows(self) -> set:
        return {c.window for c in self.columns} | {"current"}


# ---------------------------------------------------------------- periods
def period_bounds(calendar: str, value) -> tuple[date, date] | None:
    """(first day, last day) of the period a report field's value names, or None when it names none."""
    try:
        if calendar == "day":
            d = date.fromisoformat(str(value))
            return d, d
        if calendar == "month":
            y, m = (int(x) for x in str(value)[:7].split("-"))
            first = date(y, m, 1)
            return first, _month_end(first)
        if calendar == "year":
            y = int(value)
            return date(y, 1, 1), date(y, 12, 31)
    except (TypeError, ValueError):
        return None
    return None


def _month_end(first: date) -> date:
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def window(calendar: str, value, which: str) -> tuple[str, str] | None:
    """ISO (from, to) of 本期 / 上期 / 本月累计 / 本年累计 for the period's value."""
    bounds = period_bounds(calendar, value)
    if bounds is None:
        return None
    lo, hi = bounds
    if which == "previous":
        if calendar == "day":
            lo = hi = lo - timedelta(days=1)
        elif calendar == "month":
            hi = lo - timedelta(days=1)
            lo = hi.replace(day=1)
        else:
            lo, hi = lo.replace(year=lo.year - 1), hi.replace(year=hi.year - 1)
    elif which == "before":
        lo, hi = date(1, 1, 1), lo - timedelta(days=1)
    elif which == "to_date":
        lo = date(1, 1, 1)
    elif which == "month_to_date":
        lo = hi.replace(day=1) if calendar != "year" else lo
    elif which == "year_to_date":
        lo = hi.replace(month=1, day=1)
    return lo.isoformat(), hi.isoformat()


# ---------------------------------------------------------------- compiling a declaration
class _Bad(Exception):
    def __init__(self, name, path=(), /, **params):
        self.name, self.path, self.params = name, path, params


def _level_names(fields: dict) -> list:
    return [f.key for f in fields.values()] + [f.title for f in fields.values()]


def _find(level: dict, name: str):
    if name in level:
        return level[name]
    titled = [f for f in level.values() if f.title == name]
    return titled[0] if len(titled) == 1 else None


def resolve(form, name, rows_table=None) -> Ref:
    """A source value by name: a row column first (rows mode), then a top-level field or a
    section's field (dotted, key or title), or 编号 / 部门 / 提交人 / 状态."""
    if not isinstance(name, str) or not name.strip():
        raise _Bad("source-unknown-field", value=name, form=form.title, suggestion="")
    name = name.strip()
    if name in META_FIELDS:
        return Ref("meta", (META_FIELDS[name],))
    if rows_table is not None and "." not in name:
        f = _find(rows_table.children, name)
        if f is not None and f.is_value:
            return _ref("row", (f.key,), f)
    level, f = form.fields, None
    for part in name.split("."):
        f = _find(level, part)
        if f is None:
            break
        level = f.children
    if f is None or not f.is_value or f.table is not None:
        names = _level_names(form.fields) + list(META_FIELDS)
        if rows_table is not None:
            names += _level_names(rows_table.children)
        for sec in (x for x in form.fields.values() if x.is_section):
            names += [f"{sec.key}.{k}" for k in sec.children]
        hint = suggestion(name, names)
        if rows_table is None:
            table = next((t for t in form.fields.values() if t.is_table and _find(t.children, name)), None)
            if table is not None:
                hint = f"；它是明细表「{table.title}」的列，请在 x-source 中加上 rows: {table.key}"
        raise _Bad("source-unknown-field", value=name, form=form.title, suggestion=hint)
    return _ref("rec", f.path, f)


def _ref(where, path, f) -> Ref:
    k = f.kind_def
    return Ref(where, tuple(path), repeated=bool(k.repeated), numeric=bool(k.numeric), calendar=k.calendar)


def parse_column(text, form, rows_table) -> tuple:
    """(aggregate or None, Ref or None, window) of a column's declaration."""
    if not isinstance(text, str):
        raise _Bad("source-bad-column", value=text, detail="应写成 sum(字段) 这样的文字")
    m = _AGG.match(text)
    if m and m.group(2) in AGGREGATES:
        sign, agg, arg, win = -1 if m.group(1) else 1, m.group(2), m.group(3), WINDOWS[m.group(4) or "本期"]
        if sign < 0 and agg != "sum":
            raise _Bad("source-bad-column", value=text, detail="只有 sum 可以写成减去（-sum(…)）")
        ref = resolve(form, arg, rows_table) if arg else None
        if agg == "count_distinct" and ref == Ref("meta", ("number",)):
            ref = Ref("meta", ("id",))       # one 编号 per record: count the ids (small integers)
        if ref is None and agg != "count":
            raise _Bad("source-bad-column", value=text, detail=f"{agg} 需要写出字段，例如 {agg}(数量)")
        if agg in NUMERIC_AGGREGATES and not ref.numeric:
            raise _Bad("source-not-numeric", value=text, agg=agg, name=arg)
        return agg, ref, win, sign
    head = re.match(r"^\s*([a-z_]+)\s*\(", text)
    if head:
        raise _Bad("source-bad-column", value=text,
                   detail=f"未知的汇总方式 '{head.group(1)}'{suggestion(head.group(1), AGGREGATES)}；"
                          "可用 sum、count、count_distinct、avg、min、max")
    return None, resolve(form, text, rows_table), "current", 1


def find_form(forms: dict, name):
    """The compiled form of an id (or a title) among `forms` (id -> Form), or None."""
    if not isinstance(name, str):
        return None
    return forms.get(name) or next((f for f in forms.values() if f.title == name), None)


def compile_source(report, target, spec, forms: dict, base: Source | None = None):
    """(Source or None, [(problem name, path inside the spec, params)]) of one declaration.
    `target`: the report Field it fills; `forms`: id -> compiled Form; `base`: the table's
    Source a field's `like` names."""
    problems = []

    def bad(name, path=(), /, **params):
        problems.append((name, tuple(path), params))

    if not isinstance(spec, dict):
        bad("source-bad", (), detail="x-source 应为「关键字：值」的形式")
        return None, problems
    for key in spec:
        if key not in KEYWORDS:
            bad("unknown-keyword", (key,), key=key, suggestion=suggestion(key, KEYWORDS))
    value_mode = not target.is_table
    if value_mode and "value" not in spec:
        bad("missing-keyword", (), key="value")
    if not value_mode and "columns" not in spec:
        bad("missing-keyword", (), key="columns")
    if "like" in spec:
        if base is None:
            bad("source-like", ("like",), value=spec["like"])
            return None, problems
        src = Source(base.form, base.date, base.period, base.calendar, base.rows, list(base.where), [], [],
                     False, target.path)
        form = forms[base.form]
    else:
        for key in ("form", "date", "period"):
            if key not in spec:
                bad("missing-keyword", (), key=key)
        if problems:
            return None, problems
        form = find_form(forms, spec["form"])
        if form is None:
            bad("source-unknown-form", ("form",), value=spec["form"], suggestion=suggestion(spec["form"], forms))
            return None, problems
        period = report.fields.get(spec["period"]) if isinstance(spec["period"], str) else None
        calendar = "year" if period is not None and period.kind == "year" else \
            (period.kind_def.calendar if period is not None else None)
        if calendar is None:
            cands = [k for k, f in report.fields.items() if f.kind_def.calendar or f.kind == "year"]
            bad("source-bad-period", ("period",), value=spec["period"], suggestion=suggestion(spec["period"], cands))
        rows_table = None
        if "rows" in spec:
            rows_table = form.fields.get(spec["rows"]) if isinstance(spec["rows"], str) else None
            if rows_table is None or not rows_table.is_table:
                bad("source-bad-rows", ("rows",), value=spec["rows"], form=form.title,
                    suggestion=suggestion(spec["rows"], [k for k, f in form.fields.items() if f.is_table]))
                rows_table = None
        try:
            dref = resolve(form, spec["date"], rows_table)
            if dref.calendar != "day":
                bad("source-bad-date", ("date",), value=spec["date"], form=form.title)
        except _Bad as exc:
            bad(exc.name, ("date",), **exc.params)
            dref = None
        src = Source(form.id, dref, spec["period"], calendar, rows_table.key if rows_table else None, [], [], [],
                     spec.get("join") is True, target.path)
        for i, item in enumerate(spec.get("where") or []):
            m = _WHERE.match(item) if isinstance(item, str) else None
            if not m:
                bad("source-bad-where", ("where", i), value=item)
                continue
            for name in _PARAM.findall(m.group(3)):
                if report.fields.get(name) is None or not report.fields[name].is_value:
                    bad("source-unknown-column", ("where", i), value=name, table=report.title,
                        suggestion=suggestion(name, report.fields))
            try:
                src.where.append((resolve(form, m.group(1), rows_table), m.group(2), m.group(3)))
            except _Bad as exc:
                bad(exc.name, ("where", i), **exc.params)
    src.table = not value_mode
    rows_table = form.fields.get(src.rows) if src.rows else None
    if value_mode:
        _value_column(src, spec, form, rows_table, target, bad)
    else:
        _table_columns(src, spec, form, rows_table, target, bad)
    return (src if not problems else None), problems


def _value_column(src, spec, form, rows_table, target, bad):
    try:
        agg, ref, win, sign = parse_column(spec.get("value"), form, rows_table)
    except _Bad as exc:
        bad(exc.name, ("value",), **exc.params)
        return
    if agg is None:
        bad("source-needs-aggregate", ("value",), value=spec.get("value"), title=target.title)
        return
    _check_target(target, agg, ref, ("value",), bad)
    src.columns.append(Column(target.key, agg, ref, win, sign))


def _table_columns(src, spec, form, rows_table, table, bad):
    group = spec.get("group") or []
    pairs = list(group.items()) if isinstance(group, dict) else [(g, g) for g in group] if isinstance(group, list) \
        else None
    if pairs is None:
        bad("wrong-type", ("group",), key="group", expected="列表或「报表列：来源字段」", actual="其他")
        pairs = []
    for i, (col, name) in enumerate(pairs):
        at = ("group", col if isinstance(group, dict) else i)
        f = table.children.get(col) if isinstance(col, str) else None
        if f is None or not f.is_value:
            bad("source-unknown-column", at, value=col, table=table.title, suggestion=suggestion(col, table.children))
            continue
        try:
            src.group.append((col, resolve(form, name, rows_table)))
        except _Bad as exc:
            bad(exc.name, at, **exc.params)
    columns = spec.get("columns")
    if not isinstance(columns, dict):
        if "columns" in spec:
            bad("wrong-type", ("columns",), key="columns", expected="「报表列：汇总方式」", actual="其他")
        return
    grouped = {c for c, _ in src.group}
    for col, text in columns.items():
        at = ("columns", col)
        f = table.children.get(col)
        if f is None or not f.is_value:
            bad("source-unknown-column", at, value=col, table=table.title, suggestion=suggestion(col, table.children))
            continue
        if f.computed:
            bad("source-computed-column", at, value=col, title=f.title)
            continue
        if col in grouped:
            bad("source-group-column", at, value=col)
            continue
        try:
            agg, ref, win, sign = parse_column(text, form, rows_table)
        except _Bad as exc:
            bad(exc.name, at, **exc.params)
            continue
        if agg is None and src.group:
            bad("source-needs-aggregate", at, value=text, title=f.title)
            continue
        _check_target(f, agg, ref, at, bad)
        src.columns.append(Column(col, agg, ref, win, sign))
    if src.columns and not src.group and any(c.agg for c in src.columns) and any(c.agg is None for c in src.columns):
        bad("source-mixed", ("columns",), table=table.title)


def _check_target(f, agg, ref, at, bad):
    """A count fills a number column; a sum, average, min or max fills a column of its kind."""
    k = f.kind_def
    if agg in ("count", "count_distinct") or (agg and ref is not None and ref.numeric):
        if not k.numeric:
            bad("source-target-kind", at, title=f.title, kind=k.label, what="数字")
    elif agg in ("min", "max") and ref is not None and ref.calendar and not k.calendar:
        bad("source-target-kind", at, title=f.title, kind=k.label, what="日期")


def parameters(sources) -> list:
    """The report's own fields that the sources' filters name (asked for before generating)."""
    return sorted({name for s in sources for _, _, value in s.where for name in _PARAM.findall(value)})


def fill_parameters(value: str, values: dict) -> str:
    return _PARAM.sub(lambda m: str(values.get(m.group(1), "")), value)


def declarations(form):
    """(report Field, x-source spec, the spec's path in the definition) of a form: tables first
    (a field's `like` names one of them)."""
    found = [(f, f.spec["x-source"]) for f in form.walk() if "x-source" in f.spec]
    found.sort(key=lambda p: not p[0].is_table)
    out = []
    for f, spec in found:
        specs = spec if isinstance(spec, list) and f.is_table else [spec]
        for i, one in enumerate(specs):
            out.append((f, one, f.def_path + (("x-source", i) if isinstance(spec, list) else ("x-source",))))
    return out


def check_chart(form) -> list:
    """Problems of a form's x-chart: its table, its label column and its numeric value columns."""
    spec = form.definition.get("x-chart")
    if not isinstance(spec, dict):
        return []
    table = form.fields.get(spec.get("table"))
    if table is None or not table.is_table:
        return [("source-unknown-column", ("x-chart", "table"),
                 {"value": spec.get("table"), "table": form.title,
                  "suggestion": suggestion(spec.get("table"), [k for k, f in form.fields.items() if f.is_table])})]
    out = []
    if table.children.get(spec.get("label")) is None:
        out.append(("source-unknown-column", ("x-chart", "label"),
                    {"value": spec.get("label"), "table": table.title,
                     "suggestion": suggestion(spec.get("label"), table.children)}))
    for i, name in enumerate(spec.get("values") or []):
        f = table.children.get(name)
        if f is None or not f.kind_def.numeric:
            out.append(("source-unknown-column", ("x-chart", "values", i),
                        {"value": name, "table": table.title,
                         "suggestion": suggestion(name, [k for k, c in table.children.items() if c.kind_def.numeric])}))
    return out


def compile_sources(form, forms: dict):
    """([Source], [(problem name, definition path, params)]) of every declaration of a report
    (and of its chart)."""
    sources, problems, by_table = [], check_chart(form), {}
    declared = {f.key for f, _, _ in declarations(form) if f.is_table}
    for f, spec, here in declarations(form):
        base = by_table.get(spec.get("like")) if isinstance(spec, dict) else None
        if base is None and isinstance(spec, dict) and spec.get("like") in declared:
            continue                   # the table's own source is broken (reported there)
        src, found = compile_source(form, f, spec, forms, base)
        problems += [(name, here + path, params) for name, path, params in found]
        if src is not None:
            sources.append(src)
            if f.is_table:
                by_table.setdefault(f.key, src)
    tables: dict = {}
    for src in sources:
        if len(src.target) == 1 and form.fields[src.target[0]].is_table:
            tables.setdefault(src.target, []).append(src)
    for path, group in tables.items():
        keys = {tuple(c for c, _ in s.group) for s in group}
        if len(group) > 1 and len(keys) > 1 or any(s.join and not s.group for s in group):
            problems.append(("source-merge", form.fields[path[0]].def_path + ("x-source",),
                             {"table": form.fields[path[0]].title}))
    return sources, problems
