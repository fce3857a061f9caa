"""A small, safe formula language for computed fields and conditions.

    amount:  quantity * unit_price
    total:   sum(items.amount)
    grade:   if(score >= 90, "优秀", "合格")
    words:   daxie(total)

Text is tokenised and parsed by hand (no Python eval, no attribute access,
bounded length, depth and size) into a tree of tuples. `bind` resolves names
against a scope supplied by the definition; the bound tree is then evaluated
in Python, or translated one-to-one into JavaScript (for live totals in the
browser, with forms/js/expr-runtime.js) and into an Excel formula.

Shared semantics, identical in the three targets: an empty value counts as
0 (or "" beside text); text compares without regard to case; a multiple-choice value
`==` a text means it includes that choice;
min/max skip empty cells and give 0 when nothing is left; round() rounds
half away from zero after cutting to 15 significant digits (as Excel does).

Dates (typed when the definition compiles, `typecheck`): date − date is the number of days
between them, date ± n is the date n days later or earlier; nothing else computes with a date
(the linter says so). A formula that needs a date, or a divisor, that is empty gives an empty
result — never a number computed as if the date were 0. Dividing by 0 is an error that names
the divisor (in Excel: #DIV/0!).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .daxie import daxie

MAX_LENGTH = 500
MAX_DEPTH = 20
MAX_NODES = 200


class ExprError(Exception):
    """A problem in a formula; `name` is an error-catalogue code."""

    def __init__(self, name: str, /, **params):
        super().__init__(name, params)
        self.name, self.params = name, params


# ---------------------------------------------------------------- tokens
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>"[^"\n]*"|'[^'\n]*'|“[^”\n]*”)
  | (?P<name>[A-Za-z_\u3400-\u9fff][A-Za-z0-9_\u3400-\u9fff]*(?:\.[A-Za-z_\u3400-\u9fff][A-Za-z0-9_\u3400-\u9fff]*)*)
  | (?P<op>==|!=|<=|>=|<>|≤|≥|≠|[-+*/×÷()<>=,，（）−－＋＊／＝＜＞])
""", re.VERBOSE)
_OP_ALIASES = {"×": "*", "÷": "/", "<>": "!=", "=": "==", "，": ",", "（": "(", "）": ")", "−": "-", "－": "-",
               "＋": "+", "＊": "*", "／": "/", "＝": "==", "＜": "<", "＞": ">", "≤": "<=", "≥": ">=", "≠": "!="}


def tokenize(text: str):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError("expr-syntax", detail=f"第 {pos + 1} 个字符 '{text[pos]}' 无法识别")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "num":
            out.append(("num", float(value) if "." in value else int(value), pos))
        elif kind == "str":
            out.append(("str", value[1:-1], pos))
        elif kind == "name":
            out.append(("name", value, pos))
        elif kind == "op":
            out.append(("op", _OP_ALIASES.get(value, value), pos))
        pos = m.end()
    out.append(("end", None, pos))
    return out


# ---------------------------------------------------------------- parser
_BINARY = {"==": 1, "!=": 1, "<": 1, "<=": 1, ">": 1, ">=": 1, "+": 2, "-": 2, "*": 3, "/": 3}


class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0
        self.nodes = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, op):
        tok = self.take()
        if tok[:2] != ("op", op):
            raise ExprError("expr-syntax", detail=f"第 {tok[2] + 1} 个字符处缺少 '{op}'")

    def count(self, depth):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise ExprError("expr-too-complex", limit=f"{MAX_NODES} 项、{MAX_DEPTH} 层")

    def expression(self, depth=0):
        """a or b (also 或), over a and b (also 且), over comparisons and arithmetic."""
        return self._logic(depth, ("or", "或"), lambda d: self._logic(d, ("and", "且"), self.comparison))

    def _logic(self, depth, words, operand):
        items = [operand(depth + 1)]
        while self.peek()[0] == "name" and self.peek()[1] in words:
            self.take()
            self.count(depth)
            items.append(operand(depth + 1))
        return items[0] if len(items) == 1 else ("call", words[0], items)

    def comparison(self, depth=0, min_prec=1):
        left = self.unary(depth + 1)
        while True:
            tok = self.peek()
            prec = _BINARY.get(tok[1]) if tok[0] == "op" else None
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.comparison(depth + 1, prec + 1)
            self.count(depth)
            kind = "cmp" if prec == 1 else "bin"
            left = (kind, tok[1], left, right)
            if kind == "cmp" and self.peek()[0] == "op" and _BINARY.get(self.peek()[1]) == 1:
                raise ExprError("expr-syntax", detail="比较不能连写,请用 and(a < b, b < c)")

    def unary(self, depth):
        self.count(depth)
        tok = self.peek()
        if tok[:2] == ("op", "-"):
            self.take()
            return ("neg", self.unary(depth + 1))
        if tok[:2] == ("op", "+"):
            self.take()
            return self.unary(depth + 1)
        return self.primary(depth)

    def primary(self, depth):
        tok = self.take()
        kind, value, pos = tok
        if kind == "num":
            return ("num", value)
        if kind == "str":
            return ("str", value)
        if kind == "name":
            if self.peek()[:2] == ("op", "("):
                self.take()
                args = []
                if self.peek()[:2] != ("op", ")"):
                    while True:
                        args.append(self.expression(depth + 1))
                        if self.peek()[:2] == ("op", ","):
                            self.take()
                            continue
                        break
                self.expect(")")
                return ("call", value, args)
            return ("name", value)
        if tok[:2] == ("op", "("):
            inner = self.expression(depth + 1)
            self.expect(")")
            return inner
        if kind == "end":
            raise ExprError("expr-syntax", detail="公式不完整")
        raise ExprError("expr-syntax", detail=f"第 {pos + 1} 个字符 '{value}' 用得不对")


def parse(text: str):
    """Parse formula text into a tree of tuples."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("expr-syntax", detail="公式是空的")
    if len(text) > MAX_LENGTH:
        raise ExprError("expr-too-complex", limit=f"{MAX_LENGTH} 个字符")
    p = _Parser(text)
    tree = p.expression()
    tok = p.peek()
    if tok[0] != "end":
        raise ExprError("expr-syntax", detail=f"第 {tok[2] + 1} 个字符 '{tok[1]}' 多余")
    return tree


# ---------------------------------------------------------------- binding
@dataclass(frozen=True)
class Ref:
    """A resolved name. kind: 'field' (absolute path), 'row' (field of the
    current table row) or 'column' (all values of a table column)."""
    kind: str
    path: tuple = ()      # field: path from the root; column/row: the table's path
    key: str = ""         # row/column: the column key


FUNCTIONS = {  # name: (min args, max args or None)
    "sum": (1, None), "min": (1, None), "max": (1, None), "round": (1, 2), "abs": (1, 1),
    "if": (3, 3), "and": (1, None), "or": (1, None), "not": (1, 1), "daxie": (1, 1),
}
_FUNCTION_ALIASES = {"大写": "daxie", "求和": "sum", "如果": "if", "四舍五入": "round"}
_AGGREGATES = {"sum", "min", "max"}


def bind(tree, scope):
    """Resolve names with `scope.resolve(dotted) -> Ref` (which raises ExprError).

    Returns (bound tree, set of Refs it reads)."""
    def walk(node, in_aggregate=False):
        kind = node[0]
        if kind in ("num", "str"):
            return node
        if kind == "name":
            ref = scope.resolve(node[1])
            if ref.kind == "column" and not in_aggregate:
                raise ExprError("expr-column-scalar", name=node[1])
            return ("ref", ref)
        if kind == "neg":
            return ("neg", walk(node[1]))
        if kind == "bin" and node[1] == "/":
            return ("div", walk(node[2]), walk(node[3]), "除数")
        if kind in ("bin", "cmp"):
            return (kind, node[1], walk(node[2]), walk(node[3]))
        if kind == "call":
            name = _FUNCTION_ALIASES.get(node[1], node[1])
            if name not in FUNCTIONS:
                from .errors import suggestion
                raise ExprError("expr-unknown-function", name=node[1], suggestion=suggestion(node[1], FUNCTIONS))
            lo, hi = FUNCTIONS[name]
            n = len(node[2])
            if n < lo or (hi is not None and n > hi):
                expected = str(lo) if lo == hi else (f"{lo} 到 {hi}" if hi else f"至少 {lo}")
                raise ExprError("expr-arity", name=name, expected=expected, actual=n)
            return ("call", name, [walk(a, name in _AGGREGATES) for a in node[2]])
        raise AssertionError(node)

    bound = walk(tree)
    return bound, set(refs(bound))


def refs(tree):
    """The Refs a bound tree reads, in the order they are written (a name used twice: twice)."""
    kind = tree[0]
    if kind == "ref":
        yield tree[1]
    elif kind == "neg":
        yield from refs(tree[1])
    elif kind in ("bin", "cmp", "datecmp"):
        yield from refs(tree[2])
        yield from refs(tree[3])
    elif kind in ("days", "dateadd", "div"):
        yield from refs(tree[1])
        yield from refs(tree[2])
    elif kind == "call":
        for arg in tree[2]:
            yield from refs(arg)


def compile_expr(text, scope):
    """Parse, bind and (when the scope knows the fields' types: `scope.type_of(ref)`) type a formula.
    Returns (tree, refs)."""
    tree, deps = bind(parse(text), scope)
    if hasattr(scope, "type_of"):
        tree = typecheck(tree, scope)[0]
    return tree, deps


# ---------------------------------------------------------------- types
# number, text, bool, date (a day), month, multi (a multiple choice), any (unknown: an empty string …)
_DATE_ONLY = "日期只能相减（得到相隔的天数）或加减天数"


def typecheck(tree, scope):
    """(typed tree, its type). Rewrites date arithmetic into ("days", a, b) and ("dateadd", d, n),
    a division into ("div", a, b, what the divisor is called); refuses what has no meaning for a
    date with ExprError('expr-date')."""
    kind = tree[0]
    if kind == "num":
        return tree, "number"
    if kind == "str":
        return tree, "any" if tree[1] == "" else "text"
    if kind == "ref":
        return tree, scope.type_of(tree[1])
    if kind == "neg":
        inner, t = typecheck(tree[1], scope)
        _numeric(t, "取负")
        return ("neg", inner), "number"
    if kind == "bin":
        op = tree[1]
        (a, ta), (b, tb) = typecheck(tree[2], scope), typecheck(tree[3], scope)
        if "month" in (ta, tb):
            raise ExprError("expr-date", detail="年月不能参与计算；请改用日期字段")
        if op == "+" and (ta, tb) == ("date", "date"):
            raise ExprError("expr-date", detail=f"两个日期不能相加，{_DATE_ONLY}")
        if op in "+-" and ta == "date" and tb in ("number", "any", "bool"):
            return ("dateadd", a, b if op == "+" else ("neg", b)), "date"
        if op == "+" and tb == "date" and ta in ("number", "any", "bool"):
            return ("dateadd", b, a), "date"
        if op == "-" and (ta, tb) == ("date", "date"):
            return ("days", a, b), "number"
        if "date" in (ta, tb):
            raise ExprError("expr-date", detail=f"{'日期不能用来乘除' if op in '*/' else _DATE_ONLY}")
        return ("bin", op, a, b), "number"
    if kind == "div":
        (a, ta), (b, tb) = typecheck(tree[1], scope), typecheck(tree[2], scope)
        if {ta, tb} & {"date", "month"}:
            raise ExprError("expr-date", detail="日期不能用来乘除")
        return ("div", a, b, _called(b, scope)), "number"
    if kind == "cmp":
        (a, ta), (b, tb) = typecheck(tree[2], scope), typecheck(tree[3], scope)
        dates = {ta, tb} & {"date", "month"}
        if dates and not ({ta, tb} <= dates | {"any"}):
            raise ExprError("expr-date", detail="日期只能和日期比较（或和空值 \"\" 比较，看它是否已填）")
        if dates and "any" not in (ta, tb):   # two dates: no answer while either is empty
            return ("datecmp", tree[1], a, b), "bool"
        return ("cmp", tree[1], a, b), "bool"
    name, args = tree[1], tree[2]
    typed = [typecheck(x, scope) for x in args]
    if name == "if":
        _, (then, t1), (other, t2) = typed
        result = t1 if t1 == t2 else ("any" if "any" in (t1, t2) and {t1, t2} - {"any"} else "mixed")
        if result == "mixed" and "date" in (t1, t2):
            raise ExprError("expr-date", detail="if() 的两个结果一个是日期、一个不是")
        return ("call", name, [x for x, _ in typed]), (result if result != "mixed" else "any")
    if name in ("sum", "min", "max", "round", "abs", "daxie"):
        for _, t in typed:
            _numeric(t, f"{name}()")
    return ("call", name, [x for x, _ in typed]), {"and": "bool", "or": "bool", "not": "bool",
                                                    "daxie": "text"}.get(name, "number")


def _numeric(t, what):
    if t in ("date", "month"):
        raise ExprError("expr-date", detail=f"日期不能用于{what}，{_DATE_ONLY}")


def _called(node, scope) -> str:
    """What a divisor is called in a message: 「原价」, or 除数."""
    if node[0] == "ref" and hasattr(scope, "title_of"):
        return f"「{scope.title_of(node[1])}」"
    return "除数"


class Empty(Exception):
    """A date or a divisor that the formula needs is empty: the result is empty."""


class DivisionByZero(ValueError):
    def __init__(self, what: str):
        super().__init__(f"{what}为 0")
        self.what = what


def may_be_empty(tree) -> bool:
    """Whether evaluating can give an empty result (it uses a date or divides)."""
    kind = tree[0]
    if kind in ("days", "dateadd", "div", "datecmp"):
        return True
    if kind == "neg":
        return may_be_empty(tree[1])
    if kind in ("bin", "cmp"):
        return may_be_empty(tree[2]) or may_be_empty(tree[3])
    if kind == "call":
        return any(may_be_empty(a) for a in tree[2])
    return False


# ---------------------------------------------------------------- Python
def num(v) -> float:
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0


def round_half_away(x, digits=0):
    """Round half away from zero after cutting to 15 significant digits, as
    spreadsheets do: 12.5 * 1.13 (14.124999999999998 in binary) gives 14.13."""
    d = Decimal(f"{float(num(x)):.15g}").quantize(Decimal(1).scaleb(-int(num(digits))), rounding=ROUND_HALF_UP)
    return float(d)


def _is_num(v):
    return isinstance(v, (int, float))  # bool included


def compare(op, a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):  # a multiple choice: == means "includes"
        items, value = (a, b) if isinstance(a, list) else (b, a)
        found = any(compare("==", item, value) for item in items)
        return {"==": found, "!=": not found}.get(op, False)
    if a is None or a == "":
        a = 0 if _is_num(b) else ""
    if b is None or b == "":
        b = 0 if _is_num(a) else ""
    if _is_num(a) and _is_num(b):
        x, y = num(a), num(b)
    elif isinstance(a, str) and isinstance(b, str):
        x, y = a.casefold(), b.casefold()
    else:  # number against text: numbers sort first, as in a spreadsheet
        x, y = (0 if _is_num(a) else 1), (0 if _is_num(b) else 1)
    return {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def truthy(v) -> bool:
    if isinstance(v, str):
        return v != ""
    return num(v) != 0


def _flatten(values):
    for v in values:
        if isinstance(v, list):
            yield from v
        else:
            yield v


EMPTY = object()   # what value_of() gives for a formula whose dates or divisor are empty


def evaluate(tree, data: dict, row: dict | None = None):
    """Evaluate a bound tree over a submission (and the current row). None when a date or a
    divisor it needs is empty; DivisionByZero when a divisor is 0."""
    try:
        return _eval(tree, data, row)
    except Empty:
        return None


def value_of(tree, data: dict, row: dict | None = None):
    """As evaluate(), but EMPTY (not None) for an empty result, so that a computed number is left
    empty rather than counted as 0."""
    try:
        return _eval(tree, data, row)
    except Empty:
        return EMPTY


def condition(tree, data: dict, row: dict | None = None) -> bool:
    """A condition's truth: false when it cannot be worked out (an empty date, a divisor of 0)."""
    try:
        return truthy(_eval(tree, data, row))
    except (Empty, DivisionByZero):
        return False


def _day(v):
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise Empty()


def _eval(tree, data: dict, row: dict | None = None):
    kind = tree[0]
    if kind == "days":
        return (_day(_eval(tree[1], data, row)) - _day(_eval(tree[2], data, row))).days
    if kind == "dateadd":
        d = _day(_eval(tree[1], data, row))
        n = int(round_half_away(_eval(tree[2], data, row)))
        try:
            return (d + timedelta(days=n)).isoformat()
        except OverflowError:
            raise Empty() from None
    if kind == "datecmp":
        a, b = _eval(tree[2], data, row), _eval(tree[3], data, row)
        if a in (None, "") or b in (None, ""):
            raise Empty()
        return compare(tree[1], a, b)
    if kind == "div":
        b = _eval(tree[2], data, row)
        if b is None or b == "":
            raise Empty()
        if num(b) == 0:
            raise DivisionByZero(tree[3])
        return num(_eval(tree[1], data, row)) / num(b)
    if kind in ("num", "str"):
        return tree[1]
    if kind == "ref":
        ref = tree[1]
        if ref.kind == "field":
            return get_path(data, ref.path)
        if ref.kind == "row":
            return (row or {}).get(ref.key)
        rows = get_path(data, ref.path)
        if not isinstance(rows, list):      # not a table (yet): bad input is the validator's to name
            rows = []
        return [r.get(ref.key) if isinstance(r, dict) else None for r in rows]
    if kind == "neg":
        return -num(_eval(tree[1], data, row))
    if kind == "bin":
        a, b = num(_eval(tree[2], data, row)), num(_eval(tree[3], data, row))
        op = tree[1]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        return a * b
    if kind == "cmp":
        return compare(tree[1], _eval(tree[2], data, row), _eval(tree[3], data, row))
    name, args = tree[1], tree[2]
    if name == "if":
        return _eval(args[1] if truthy(_eval(args[0], data, row)) else args[2], data, row)
    vals = [_eval(a, data, row) for a in args]
    if name == "sum":
        return sum(num(v) for v in _flatten(vals))
    if name in ("min", "max"):
        present = [num(v) for v in _flatten(vals) if v is not None and v != ""]
        return (min if name == "min" else max)(present) if present else 0
    if name == "round":
        return round_half_away(vals[0], vals[1] if len(vals) > 1 else 0)
    if name == "abs":
        return abs(num(vals[0]))
    if name == "and":
        return all(truthy(v) for v in vals)
    if name == "or":
        return any(truthy(v) for v in vals)
    if name == "not":
        return not truthy(vals[0])
    if name == "daxie":
        return daxie(num(vals[0]))
    raise AssertionError(name)


def get_path(data, path):
    cur = data
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# ---------------------------------------------------------------- JavaScript
def _js_str(value) -> str:
    """A JavaScript literal that is also safe inside an HTML <script> element."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def to_js(tree) -> str:
    """A JavaScript expression over `d` (the form data), `r` (the current row)
    and `B` (the runtime in forms/js/expr-runtime.js)."""
    kind = tree[0]
    if kind in ("num", "str"):
        return _js_str(tree[1])
    if kind == "ref":
        ref = tree[1]
        if ref.kind == "field":
            return f"B.get(d, {_js_str(list(ref.path))})"
        if ref.kind == "row":
            return f"B.get(r, {_js_str([ref.key])})"
        return f"B.col(d, {_js_str(list(ref.path))}, {_js_str(ref.key)})"
    if kind == "neg":
        return f"(-B.n({to_js(tree[1])}))"
    if kind == "days":
        return f"B.days({to_js(tree[1])}, {to_js(tree[2])})"
    if kind == "dateadd":
        return f"B.dateadd({to_js(tree[1])}, {to_js(tree[2])})"
    if kind == "div":
        return f"B.div({to_js(tree[1])}, {to_js(tree[2])}, {_js_str(tree[3])})"
    if kind == "bin":
        a, b = to_js(tree[2]), to_js(tree[3])
        return f"(B.n({a}) {tree[1]} B.n({b}))"
    if kind == "cmp":
        return f"B.cmp({_js_str(tree[1])}, {to_js(tree[2])}, {to_js(tree[3])})"
    if kind == "datecmp":
        return f"B.datecmp({_js_str(tree[1])}, {to_js(tree[2])}, {to_js(tree[3])})"
    name, args = tree[1], [to_js(a) for a in tree[2]]
    if name == "if":
        return f"(B.truthy({args[0]}) ? {args[1]} : {args[2]})"
    return f"B.{'not_' if name == 'not' else 'and_' if name == 'and' else 'or_' if name == 'or' else name}({', '.join(args)})"


# ---------------------------------------------------------------- Excel
_EXCEL_FUNCS = {"sum": "SUM", "min": "MIN", "max": "MAX", "abs": "ABS", "and": "AND", "or": "OR", "not": "NOT"}
_DBNUM = '"[DBNum2][$-804]0"'


def to_excel(tree, cells) -> str:
    """An Excel formula (without the leading '=') where `cells` maps refs to
    addresses: cells.field(path) -> 'C4', cells.row(key) -> 'E9' (the current
    row), cells.column(table_path, key) -> 'G9:G18'."""
    kind = tree[0]
    if kind == "num":
        return repr(tree[1]) if isinstance(tree[1], float) else str(tree[1])
    if kind == "str":
        return '"' + tree[1].replace('"', '""') + '"'
    if kind == "ref":
        return locate(tree[1], cells)
    if kind == "neg":
        return f"(-{to_excel(tree[1], cells)})"
    if kind == "days":
        a, b = to_excel(tree[1], cells), to_excel(tree[2], cells)
        return f'IF(OR(({a})="",({b})=""),NA(),({a})-({b}))'
    if kind == "dateadd":
        d, k = to_excel(tree[1], cells), to_excel(tree[2], cells)
        return f'IF(({d})="",NA(),({d})+ROUND({k},0))'
    if kind == "div":
        a, b = to_excel(tree[1], cells), to_excel(tree[2], cells)
        return f'IF(({b})="",NA(),({a})/({b}))'   # a 0 divisor shows #DIV/0!
    if kind == "bin":
        a, b = to_excel(tree[2], cells), to_excel(tree[3], cells)
        return f"({a}{tree[1]}{b})"
    if kind in ("cmp", "datecmp"):
        op = {"==": "=", "!=": "<>"}.get(tree[1], tree[1])
        a, b = to_excel(tree[2], cells), to_excel(tree[3], cells)
        if kind == "datecmp":
            return f'IF(OR(({a})="",({b})=""),NA(),({a}){op}({b}))'
        return f"({a}{op}{b})"
    name, args = tree[1], [to_excel(a, cells) for a in tree[2]]
    if name == "if":
        return f"IF({args[0]},{args[1]},{args[2]})"
    if name == "round":
        return f"ROUND({args[0]},{args[1] if len(args) > 1 else 0})"
    if name == "daxie":
        return excel_daxie(args[0])
    return f"{_EXCEL_FUNCS[name]}({','.join(args)})"


def excel_empty_when_missing(tree, formula: str) -> str:
    """A computed cell's formula that is empty ("") where the engine's value is empty."""
    return f'_xlfn.IFNA({formula},"")' if may_be_empty(tree) else formula   # IFNA: Excel 2013+


def locate(ref: Ref, cells):
    """What `cells` answers for a ref: cells.field(path), cells.row(key) (the current row) or
    cells.column(table_path, key), whichever the ref is."""
    if ref.kind == "field":
        return cells.field(ref.path)
    if ref.kind == "row":
        return cells.row(ref.key)
    return cells.column(ref.path, ref.key)


def excel_daxie(x: str) -> str:
    """Excel/LibreOffice formula text for daxie(x), built on TEXT(n, "[DBNum2]")."""
    r = f"ROUND({x},2)"
    a = f"ABS({r})"
    i = f"INT({a})"
    c = f"ROUND(({a}-{i})*100,0)"
    j = f"INT({c}/10)"
    f = f"MOD({c},10)"
    return (f'IF({r}=0,"零元整",IF({r}<0,"负","")&IF({i}>0,TEXT({i},{_DBNUM})&"元","")'
            f'&IF({c}=0,"整",IF({j}>0,TEXT({j},{_DBNUM})&"角",IF({i}>0,"零",""))'
            f'&IF({f}>0,TEXT({f},{_DBNUM})&"分","")))')
