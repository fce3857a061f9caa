"""Generating a report from the records: one streaming pass over each source form's records.

    gen = generate(catalog, store, access, report_form, "2026-11")
    gen.data     # the report's data: its period, the tables' rows, the single figures, formulas computed
    gen.trace    # {"items": [{"delivery_note": [3, 7, …]} per row], "delivery_count": {"delivery_note": [3, 7]}}

Only the records the user may read count (services.records.scan with the user's Access, as the
list page and exports read them), and only those whose state counts (`state_of(form_id,
record)`: the approval flow's state; without one every stored record is 已提交). Memory holds the
report's rows and, per row, the ids of the records behind it — never the records themselves.
"""
from __future__ import annotations

import copy
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

from forms.limits import max_rows
from forms.report_source import COUNTED_STATES, compile_sources, fill_parameters, window
from forms.submission import compute
from store.base import Query, value_text

from .records import scan

TRACE_KIND = "report_trace"        # store document: the trace of a submitted generated report
RUN_KIND = "report_run"            # store document: a generated draft not yet submitted


class ReportError(ValueError):
    """A report that cannot be generated (a bad period, a broken source); the message is Chinese."""


def stored_state(form_id: str, record: dict) -> str:
    """The state of a stored record when no approval flow tells otherwise."""
    return "已提交"


def is_report(form) -> bool:
    return any("x-source" in f.spec for f in form.walk())


@dataclass
class Generated:
    data: dict
    trace: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)      # source form id -> records read


class _Acc:
    """One figure being accumulated (a subclass per aggregate: the hot loop does not branch on it)."""
    __slots__ = ("n", "total", "seen", "best")

    def __init__(self):
        self.n, self.total, self.seen, self.best = 0, 0, None, None

    def add(self, value):
        self.n += 1

    def merge(self, other):
        self.n += other.n
        self.total += other.total
        if other.seen:
            self.seen = (self.seen or set()) | other.seen
        if other.best is not None:
            self.add(other.best) if self.best is not None else setattr(self, "best", other.best)

    def result(self):
        return self.n


class _Sum(_Acc):
    __slots__ = ()

    def add(self, value):
        if value.__class__ is int or value.__class__ is float:
            self.total += value
            self.n += 1

    def result(self):
        return _tidy(self.total)


class _Avg(_Sum):
    __slots__ = ()

    def result(self):
        return _tidy(self.total / self.n) if self.n else None


class _CountValues(_Acc):
    __slots__ = ()

    def add(self, value):
        if value is not None and value != "" and value != []:
            self.n += 1


class _Distinct(_Acc):
    __slots__ = ()

    def add(self, value):
        if value is not None and value != "" and value != []:
            if self.seen is None:
                self.seen = set()
            self.seen.add(value if value.__class__ is str or value.__class__ is int else value_text(value))

    def result(self):
        return len(self.seen or ())


class _Min(_Acc):
    __slots__ = ()

    def add(self, value):
        if value is not None and value != "" and (self.best is None or value < self.best):
            self.best = value

    def result(self):
        return self.best


class _Max(_Min):
    __slots__ = ()

    def add(self, value):
        if value is not None and value != "" and (self.best is None or value > self.best):
            self.best = value


def _acc_class(agg, ref):
    if agg == "count":
        return _Acc if ref is None else _CountValues
    return {"sum": _Sum, "avg": _Avg, "count_distinct": _Distinct, "min": _Min, "max": _Max}[agg]


def _tidy(v):
    v = round(v, 6)
    return int(v) if isinstance(v, float) and v.is_integer() else v


class _Row:
    __slots__ = ("values", "accs", "trace", "_last", "sort")

    def __init__(self, values: dict, sort):
        self.values, self.accs, self.trace, self._last, self.sort = values, {}, {}, None, sort

    def merge(self, other: "_Row") -> None:
        for k, v in other.values.items():
            self.values.setdefault(k, v)
        for k, acc in other.accs.items():
            if k in self.accs:
                self.accs[k].merge(acc)
            else:
                self.accs[k] = acc
        for form_id, ids in other.trace.items():
            mine = self.trace.setdefault(form_id, array("q"))
            known = set(mine)
            mine.extend(i for i in ids if i not in known)

    def traced(self, form_id, record_id):
        last = self._last
        if last is None or last[1] != record_id or last[0] != form_id:   # items of one record come together
            self._last = (form_id, record_id)
            ids = self.trace.get(form_id)   # ids as 8-byte integers
            if ids is None:
                ids = self.trace[form_id] = array("q")
            ids.append(record_id)


def generate(catalog, store, access, form, period_value, *, values=None, state_of=stored_state,
             counted=COUNTED_STATES, trace=True) -> Generated:
    """The report `form` for the period `period_value` (a date, a month or a year as the
    report's period field holds it), from the records `access` may read (None: every record).
    `values`: the report's own fields its filters name (forms.report_source.parameters).
    `trace=False` keeps no record ids behind summed rows (`biaoge report` without --trace): the
    trace is the one part of a generation that grows with the records read, 8 bytes per id."""
    sources, problems = compile_sources(form, catalog.forms)
    if problems or not sources:
        raise ReportError(f"「{form.title}」没有可用的数据来源（x-source），请先运行 biaoge validate 检查定义。")
    period_fields = {s.period for s in sources}
    windows = {}
    for s in sources:
        for w in s.windows():
            rng = window(s.calendar, period_value, w)
            if rng is None:
                raise ReportError(f"期间 '{period_value}' 不是有效的{ {'day': '日期', 'month': '年月', 'year': '年份'}[s.calendar] }"
                                  "，例如 2026-11-27、2026-11 或 2026。")
            windows[(id(s), w)] = rng
    tables: dict = defaultdict(dict)          # id(source) -> {key: _Row}
    singles: dict = {}                        # target path -> _Row
    counts: dict = {}
    by_form: dict = defaultdict(list)
    for s in sources:
        by_form[s.form].append(s)
    for form_id, group in by_form.items():
        source_form = catalog.forms[form_id]
        lo = min(windows[(id(s), w)][0] for s in group for w in s.windows())
        hi = max(windows[(id(s), w)][1] for s in group for w in s.windows())
        counts[form_id] = _pass(store, access, source_form, group, windows, (lo, hi), tables, singles,
                                state_of, counted, values or {}, trace)
    data = dict(values or {}, **{key: period_value for key in period_fields})
    trace: dict = {}
    for path in dict.fromkeys(s.target for s in sources if s.table):
        table = form.field_at(path)
        rows = _merged([(s, tables[id(s)]) for s in sources if s.target == path])
        ordered = sorted(rows.values(), key=lambda r: r.sort)
        if len(ordered) > max_rows(table):
            raise ReportError(f"「{table.title}」生成了 {len(ordered)} 行，超过这张表最多的 {max_rows(table)} 行；"
                              "请缩短期间或增加分组条件。")
        figures = {c.target: _acc_class(c.agg, c.ref) for s in sources if s.target == path for c in s.columns if c.agg}
        data[path[0]] = [dict(r.values, **{c: (r.accs[c] if c in r.accs else make()).result()
                                           for c, make in figures.items()}) for r in ordered]
        trace[path[0]] = [{f: ids.tolist() for f, ids in r.trace.items()} for r in ordered]
    for path, row in singles.items():
        data[path[0]] = next(iter(row.accs.values())).result()
        trace[path[0]] = {f: ids.tolist() for f, ids in row.trace.items()}
    out = copy.deepcopy(data)
    compute(form, out)
    return Generated(out, trace, counts)


def _merged(parts) -> dict:
    """The rows of a table's sources merged by their group (a `join` source adds to rows only)."""
    out: dict = {}
    for s, rows in parts:
        for key, r in rows.items():
            if key in out:
                out[key].merge(r)
            elif not s.join:
                out[key] = r
    return out


def _pass(store, access, source_form, sources, windows, span, tables, singles, state_of, counted, values, trace):
    lo, hi = span
    n = 0
    # Read-only records (no copy): nothing here changes them, and what the report keeps of them
    # (group values, detail values) is deep-copied with the report's data at the end.
    records = scan(store, source_form, access, Query(), action="read", copy=False) if access is not None \
        else store.scan(source_form.id, Query(), copy=False)
    redacting = access is not None and any("x-sensitive" in f.spec for f in source_form.walk())
    plans = [_Plan(s, windows, tables, singles, source_form.id, values, trace) for s in sources]
    for rec in records:
        state = state_of(source_form.id, rec)
        if state not in counted:
            continue
        data = access.view(source_form, rec)[1] if redacting else rec.get("data")
        if not isinstance(data, dict):
            continue
        n += 1
        for plan in plans:
            plan.feed(rec, data, state, lo, hi)
    return n


class _Plan:
    """One source's work on each record, prepared once (the loop over 100,000 records × their
    lines runs here: what does not change per line is worked out per record or per plan)."""

    def __init__(self, s, windows, tables, singles, form_id, values, trace=True):
        self.s, self.form_id, self.tracing = s, form_id, trace
        self.windows = [(w, *windows[(id(s), w)]) for w in s.windows()]
        self.columns = [(c.target, c.window, c.ref, _acc_class(c.agg, c.ref), c.sign) for c in s.columns if c.agg]
        self.where = [(ref, op, fill_parameters(v, values)) for ref, op, v in s.where]
        self.rows = tables[id(s)] if s.table else None
        self.singles = singles
        self.detail = s.detail
        self.per_record = s.date.where != "row"        # the record's date: placed once, not per row
        self.date_get = s.date.get
        self.simple_group = not any(ref.repeated for _, ref in s.group)
        self.group_gets = [ref.get for _, ref in s.group]
        keys = [self._row_key(ref) for _, ref in s.group]
        self.group_keys = keys if keys and None not in keys else None   # every group value from the row
        self._active: dict = {}          # the windows an item falls in -> the columns they fill

    def active(self, inside) -> list:
        key = tuple(inside)
        found = self._active.get(key)
        if found is None:
            found = self._active[key] = [(t, self._row_key(ref), None if ref is None else ref.get, make, sign < 0)
                                         for t, win, ref, make, sign in self.columns if win in inside]
        return found

    def _row_key(self, ref):
        """The key of a value read straight from the source row (most columns): the loop reads
        row.get(key) instead of calling ref.get."""
        return ref.path[0] if ref is not None and self.s.rows and ref.where == "row" and len(ref.path) == 1 else None

    def feed(self, rec, data, state, lo, hi):
        s = self.s
        items = data.get(s.rows) if s.rows else (None,)
        if not isinstance(items, (list, tuple)):
            return
        per_record = self.per_record
        if per_record:
            found = self._place(self.date_get(rec, data, None, state), lo, hi)
            if found is None:
                return
            day, inside = found
            columns = self.active(inside)
        where, rows_kind, rid = self.where, s.rows, rec.get("id")
        for i, row in enumerate(items):
            if rows_kind and row.__class__ is not dict and not isinstance(row, dict):
                continue
            if not per_record:
                day, inside = self._place(self.date_get(rec, data, row, state), lo, hi) or (None, None)
                if not inside:
                    continue
                columns = self.active(inside)
            if where and not all(_holds(ref.get(rec, data, row, state), op, v) for ref, op, v in where):
                continue
            self.take(rec, rid, data, row, state, day, i, inside, columns)

    def _place(self, day, lo, hi):
        """(day, the windows it falls in) or None when it falls in none."""
        if day.__class__ is not str:
            return None
        day = day[:10]
        if day < lo or day > hi:
            return None
        inside = [w for w, a, b in self.windows if a <= day <= b]
        return (day, inside) if inside else None

    def take(self, rec, rid, data, row, state, day, index, inside, columns):
        s, form_id = self.s, self.form_id
        if self.detail:
            if "current" not in inside:
                return
            values = {c.target: c.ref.get(rec, data, row, state) for c in s.columns}
            r = _Row({k: v for k, v in values.items() if v is not None}, (day, form_id, rid, index))
            r.traced(form_id, rid)
            self.rows[(form_id, rid, index)] = r
            return
        if not s.table:
            r = self.singles.get(s.target)
            if r is None:
                r = self.singles[s.target] = _Row({}, ())
            self.add(r, rid, rec, data, row, state, columns)
            return
        rows = self.rows
        if self.simple_group:
            key = tuple([row.get(k) for k in self.group_keys] if self.group_keys is not None
                        else [get(rec, data, row, state) for get in self.group_gets])
            r = rows.get(key)
            if r is None:
                r = rows[key] = self._new_row(key)
            self.add(r, rid, rec, data, row, state, columns)
            return
        for key in _group_keys(s, rec, data, row, state):
            r = rows.get(key)
            if r is None:
                r = rows[key] = self._new_row(key)
            self.add(r, rid, rec, data, row, state, columns)

    def _new_row(self, key) -> _Row:
        return _Row({c: v for (c, _), v in zip(self.s.group, key) if v not in (None, "")},
                    tuple(value_text(v) if v is not None else "" for v in key))

    def add(self, r, rid, rec, data, row, state, columns):
        accs = r.accs
        for target, key, get, make, negative in columns:
            acc = accs.get(target)
            if acc is None:
                acc = accs[target] = make()
            value = row.get(key) if key is not None else None if get is None else get(rec, data, row, state)
            acc.add(-value if negative and value.__class__ in (int, float) else value)
        if columns and self.tracing:
            r.traced(self.form_id, rid)


def _holds(got, op, value) -> bool:
    texts = [value_text(x) for x in got] if isinstance(got, list) else [] if got is None else [value_text(got)]
    found = value in texts
    return found if op == "=" else not found


def _group_keys(s, rec, data, row, state):
    """The group keys of one item: a multiple choice counts under each of its choices."""
    keys = [()]
    for _, ref in s.group:
        v = ref.get(rec, data, row, state)
        options = (v or [None]) if ref.repeated and isinstance(v, list) else [v]
        keys = [k + (o,) for k in keys for o in options]
    return keys


# ---------------------------------------------------------------- traces of stored reports
def trace_key(form_id: str, record_id: int) -> str:
    return f"{form_id}/{record_id}"


MAX_TRACE_IDS = 200_000      # record ids one report's trace keeps (a larger one is summarised by its count)
MAX_SHOWN = 500              # source records listed per row on a page


def trace_size(trace: dict) -> int:
    rows = [r for v in trace.values() for r in (v if isinstance(v, list) else [v])]
    return sum(len(ids) for r in rows for ids in r.values())


def keep_trace(store, form_id: str, record_id: int, trace: dict, period) -> None:
    """Remember which records a submitted generated report was computed from (bounded)."""
    n = trace_size(trace)
    doc = {"period": period, "trace": trace} if n <= MAX_TRACE_IDS else {"period": period, "trace": {}, "too_many": n}
    store.put_doc(TRACE_KIND, trace_key(form_id, record_id), doc)


def trace_of(store, form_id: str, record_id: int) -> dict | None:
    found = store.get_doc(TRACE_KIND, trace_key(form_id, record_id))
    return found[0] if found else None


def traced_records(catalog, store, access, entries: dict) -> list:
    """(source form, record) of one row's trace ({form id: [record ids]}), only those the user may
    read (others are not there)."""
    out = []
    for form_id, record_id in ((f, i) for f, ids in (entries or {}).items() for i in ids):
        if len(out) >= MAX_SHOWN:
            break
        source = catalog.forms.get(form_id)
        rec = store.get(form_id, record_id) if source is not None else None
        if rec is not None and (access is None or access.allows(source, "read", rec)):
            out.append((source, rec))
    return out
