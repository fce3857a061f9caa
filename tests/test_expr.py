"""The formula language: parsing, safety limits, semantics, and the agreement
of the Python evaluator, the JavaScript translation (run by Node.js) and the
Excel translation (recalculated by LibreOffice) on the same inputs."""
import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from forms import expr as ex
from forms.definition import compile_definition
from forms.source import parse

RUNTIME = Path(__file__).resolve().parent.parent / "forms" / "js" / "expr-runtime.js"

FORM = """
x-form: {id: calc, title: 计算}
properties:
  a: {title: 甲, x-kind: number}
  b: {title: 乙, x-kind: number}
  c: {title: 丙, x-kind: integer}
  s: {title: 付款方式, x-kind: text}
  t: {title: 代码, x-kind: text}
  items:
    title: 明细
    x-kind: table
    items:
      properties:
        qty: {title: 数量, x-kind: integer}
        price: {title: 单价, x-kind: money}
"""


class Scope:
    """Resolve names of the test form; row names when `row` is set; and their types."""
    TYPES = {"a": "number", "b": "number", "c": "number", "s": "text", "t": "text", "d1": "date", "d2": "date",
             "qty": "number", "price": "number"}
    TITLES = {"a": "甲", "b": "乙", "c": "丙", "d1": "开始日期", "d2": "结束日期", "qty": "数量", "price": "单价"}

    def __init__(self, row=False):
        self.row = row

    def resolve(self, dotted):
        if self.row and dotted in ("qty", "price"):
            return ex.Ref("row", ("items",), dotted)
        if dotted.startswith("items."):
            return ex.Ref("column", ("items",), dotted.split(".")[1])
        if dotted in ("a", "b", "c", "s", "t", "d1", "d2"):
            return ex.Ref("field", (dotted,))
        raise ex.ExprError("expr-unknown-field", name=dotted)

    def type_of(self, ref):
        return self.TYPES[ref.key or ref.path[-1]]

    def title_of(self, ref):
        return self.TITLES.get(ref.key or ref.path[-1], "?")


FORM_CASES = [
    "a + b * c", "(a + b) * c", "a - b - c", "a / b", "b / a", "-a + 2", "a × b ÷ 4", "a − b",
    "round(a, 2)", "round(a * 1.13, 1)", "round(-2.5)", "round(2.5)", "abs(c)",
    "sum(items.qty)", "sum(items.price)", "min(items.price)", "max(items.qty)",
    "sum(a, b, c)", "min(a, b)", "max(a, b, c)", "if(a > b, a, b)",
    'if(s == "转账", 1, 2)', 'if(s = "现金", 1, 2)', 'if(t == "ABC", "相同", "不同")', 'if(s != "", 1, 0)',
    "if(and(a > 0, b > 0), 1, 0)", 'if(or(c < 0, s == "现金"), 1, 0)', "if(not(a), 1, 0)",
    "if(c >= 100, 1, 0)", "if(a <= b, 1, 0)", "if(a <> b, 1, 0)", "if(a ≥ b, 1, 0)",
    "daxie(a)", "daxie(sum(items.price))", "daxie(a * b)", "daxie(c)", "大写(c + 0.5)",
    "sum(items.price) * 1.13", "round(sum(items.price) / 3, 2)",
    # dates: days between, days after, comparisons, emptiness
    "d2 - d1", "d2 - d1 + 1", "d1 + 30", "d1 - 7", "d1 + c", "round((d2 - d1) / 7, 1)",
    "if(d2 >= d1, 1, 0)", 'if(d1 == "", 1, 0)', "if(d2 - d1 > 1, 1, 0)",
    # cross-field rules (x-rules) are conditions like these: infix and/or, a date rule not checked while empty
    'if(s == "转账" or c > 5, 1, 0)', "if(a > 1 and b > 1, 1, 0)", 'if(s != "" 或 t != "", 1, 0)', "d2 >= d1",
]
ROW_CASES = ["qty * price", "if(qty > 2, price, 0)", "round(price * 1.13, 2)", "daxie(qty * price)",
             "qty * price / sum(items.price)"]

DATA = [
    {"a": 12.5, "b": 4, "c": 3, "s": "转账", "t": "abc", "d1": "2026-05-20", "d2": "2026-05-22",
     "items": [{"qty": 3, "price": 12.5}, {"qty": 10, "price": 2.05}, {"qty": 1, "price": 0.1}]},
    {"a": 0, "b": 0, "c": -7, "t": "ABC", "d1": "2024-02-28", "d2": "2024-03-01",
     "items": [{"qty": 2, "price": 1.005}, {"price": 3}, {"qty": 4}]},
    {"a": -1234.565, "b": 3, "c": 100, "s": "现金", "t": "xyz", "d1": "2026-12-31",
     "items": [{"qty": 1, "price": 10010.05}, {"qty": 0, "price": 0}, {"qty": 7, "price": 99.99}]},
    {"b": -2.5, "s": "转账", "items": [{}, {}, {}]},
]
COLS = {"a": "A", "b": "B", "c": "C", "s": "D", "t": "E", "d1": "H", "d2": "I"}
ROWCOLS = {"qty": "F", "price": "G"}
DIV0 = "#DIV/0!"


def compiled():
    """(form trees, row trees, their result types)."""
    forms = [ex.typecheck(ex.bind(ex.parse(t), Scope())[0], Scope()) for t in FORM_CASES]
    rows = [ex.typecheck(ex.bind(ex.parse(t), Scope(row=True))[0], Scope(row=True)) for t in ROW_CASES]
    return [t for t, _ in forms], [t for t, _ in rows], [k for _, k in forms + rows]


def outcome(tree, data, row=None):
    """What a formula comes to: a value, None (an empty reference), ex.EMPTY (empty: a date or a
    divisor it needs is empty) or DIV0."""
    try:
        return ex.value_of(tree, data, row)
    except ex.DivisionByZero:
        return DIV0


def python_results():
    forms, rows, _ = compiled()
    return [[outcome(t, d) for t in forms] + [outcome(t, d, d["items"][0]) for t in rows] for d in DATA]


def normal(v):
    if v is ex.EMPTY:
        return None
    if isinstance(v, str) and v in ("TRUE", "FALSE"):   # a spreadsheet's booleans
        return float(v == "TRUE")
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return round(float(v), 6)
    return v


def test_javascript_agrees_with_python():
    forms, rows, _ = compiled()
    fns = [f"function(d, r) {{ return {ex.to_js(t)}; }}" for t in forms + rows]
    script = (f"const B = require({json.dumps(str(RUNTIME))});\n"
              f"const fns = [{', '.join(fns)}];\n"
              f"const data = {json.dumps(DATA, ensure_ascii=False)};\n"
              "const one = (f, d) => { const x = B.run(f, d, d.items[0]); return x.error ? '#DIV/0!' : x.value; };\n"
              "console.log(JSON.stringify(data.map(d => fns.map(f => one(f, d)))));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    js = json.loads(out)
    py = python_results()
    for k, (prow, jrow) in enumerate(zip(py, js)):
        for case, p, j in zip(FORM_CASES + ROW_CASES, prow, jrow):
            assert normal(p) == normal(j), f"data set {k}, {case}: python {p!r}, javascript {j!r}"


class Cells:
    def __init__(self, top):
        self.top = top

    def field(self, path):
        return f"{COLS[path[0]]}{self.top}"

    def row(self, key):
        return f"{ROWCOLS[key]}{self.top + 1}"

    def column(self, path, key):
        return f"{ROWCOLS[key]}{self.top + 1}:{ROWCOLS[key]}{self.top + 3}"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
def test_excel_agrees_with_python(tmp_path):
    from datetime import date
    forms, rows, types = compiled()
    wb = openpyxl.Workbook()
    ws = wb.active
    for k, d in enumerate(DATA):
        top = 1 + k * 5
        for key, col in COLS.items():
            v = d.get(key)
            ws[f"{col}{top}"] = date.fromisoformat(v) if key in ("d1", "d2") and v else v
        for i, item in enumerate(d["items"]):
            for key, col in ROWCOLS.items():
                ws[f"{col}{top + 1 + i}"] = item.get(key)
        for i, (tree, kind) in enumerate(zip(forms + rows, types)):
            cell = ws.cell(top, 10 + i, "=" + ex.excel_empty_when_missing(tree, ex.to_excel(tree, Cells(top))))
            if kind == "date":
                cell.number_format = "yyyy-mm-dd"
    integers = [1, 10, 11, 101, 110, 1001, 1010, 10010, 100000, 100010, 1000010, 10000000, 100000000, 100010000,
                100000001, 123456789, 200300, 101010101, 300000000000]
    for i, n in enumerate(integers):
        ws.cell(40 + i, 1, n)
        ws.cell(40 + i, 2, f'=TEXT(A{40 + i},"[DBNum2][$-804]0")')
    wb.save(tmp_path / "calc.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "calc.xlsx")], check=True, capture_output=True,
                   timeout=120)
    table = list(csv.reader((tmp_path / "calc.csv").open(encoding="utf-8")))
    from forms.daxie import integer_words
    for i, n in enumerate(integers):
        assert table[39 + i][1] == integer_words(n), f"{n}: spreadsheet {table[39 + i][1]}, python {integer_words(n)}"
    for k, prow in enumerate(python_results()):
        excel = table[k * 5][9:9 + len(prow)]
        for case, p, x in zip(FORM_CASES + ROW_CASES, prow, excel):
            p = 0 if p is None else "" if p is ex.EMPTY else p  # a spreadsheet shows an empty reference as 0
            if isinstance(p, bool):
                assert normal(x) == float(p), f"data set {k}, {case}: python {p!r}, excel {x!r}"
            elif isinstance(p, str):
                assert x == p, f"data set {k}, {case}: python {p!r}, excel {x!r}"
            else:
                assert float(x) == pytest.approx(float(p), abs=1e-6), f"data set {k}, {case}: {p!r} vs {x!r}"


# ---------------------------------------------------------------- semantics
def value(text, data=None, row=None):
    tree, _ = ex.compile_expr(text, Scope(row=row is not None))
    return ex.evaluate(tree, data or {}, row)


@pytest.mark.parametrize("text,expected", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("1 / a", None), ("-3 + 1", -2), ("2 × 3 ÷ 4", 1.5),
    ("5 − 2", 3), ("5 － 2", 3),
    ("round(2.5)", 3), ("round(-2.5)", -3), ("round(1.005, 2)", 1.01), ("abs(-4)", 4),
    ('if(1 > 2, "是", "否")', "否"), ('"ABC" == "abc"', True), ("a + 1", 1), ("min(items.qty)", 0),
    ("sum(items.qty)", 0), ("max(1, 5, 3)", 5), ("and(1, 0)", False), ("or(0, 1)", True), ("not(0)", True),
    ("daxie(100)", "壹佰元整"), ("1 = 1", True), ("2 >= 3", False),
])
def test_semantics(text, expected):
    assert value(text) == expected


def test_min_skips_empty_cells():
    assert value("min(items.qty)", {"items": [{"qty": 5}, {}, {"qty": 2}]}) == 2


@pytest.mark.parametrize("text,code", [
    ("__import__('os')", "expr-unknown-function"),
    ("__import__('os').system('ls')", "expr-syntax"),
    ("a.__class__", "expr-unknown-field"),
    ("().__class__", "expr-syntax"),
    ('"x".upper()', "expr-syntax"),
    ("a[0]", "expr-syntax"),
    ("eval(\"1\")", "expr-unknown-function"),
    ("lambda: 1", "expr-syntax"),
    ("a ** 2", "expr-syntax"),
    ("1 < a < 3", "expr-syntax"),
    ("", "expr-syntax"),
    ("sum(", "expr-syntax"),
    ("1 +", "expr-syntax"),
    ("a " * 3, "expr-syntax"),
    ("1" + "+1" * 300, "expr-too-complex"),
    ("(" * 40 + "1" + ")" * 40, "expr-too-complex"),
    ("+".join(["a"] * 120), "expr-too-complex"),
    ("items.qty + 1", "expr-column-scalar"),
    ("round(1, 2, 3)", "expr-arity"),
])
def test_rejected(text, code):
    with pytest.raises(ex.ExprError) as info:
        ex.compile_expr(text, Scope())
    assert info.value.name == code


def test_names_may_be_chinese_titles():
    src = parse(FORM.lstrip() + "  total:\n    title: 合计\n    x-kind: number\n    x-compute: 甲 + 乙\n", "calc.yaml")
    form, problems = compile_definition(src, {})
    assert not problems
    from forms.submission import check
    assert check(form, {"a": 1, "b": 2}).data["total"] == 3


def test_multiple_choice_equals_means_includes():
    tree, _ = ex.compile_expr('if(s == "其他", 1, 0) + if(s != "价格", 10, 0)', Scope())
    cases = [{"s": ["产品质量", "其他"]}, {"s": ["价格"]}, {"s": []}]
    py = [ex.evaluate(tree, d) for d in cases]
    assert py == [11, 0, 10]
    script = (f"const B = require({json.dumps(str(RUNTIME))});"
              f"const f = function (d, r) {{ return {ex.to_js(tree)}; }};"
              f"console.log(JSON.stringify({json.dumps(cases, ensure_ascii=False)}.map(d => f(d, null))));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == py
