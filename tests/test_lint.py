"""Every code of the error catalogue: its message and its location (file:line, JSON path).

Each case is a definition with one mistake; the line marked `# <-` is where
the problem must be reported."""
import pytest

from services.catalog import load_catalog
from forms.errors import CATALOGUE

BASE = """
x-form:
  id: demo
  title: 演示表
properties:
  name:
    title: 名称
  qty:
    title: 数量
    x-kind: integer
"""

TABLE = """
x-form:
  id: demo
  title: 演示表
properties:
  items:
    title: 明细
    x-kind: table
    items:
      properties:
        qty:
          title: 数量
          x-kind: integer
        price:
          title: 单价
          x-kind: money
        amount:
          title: 金额
          x-kind: money
          x-compute: qty * price
"""

CASES = {
    "syntax": ("x-form:\n  id: demo\n  title: 演示表\n properties:  # <-\n  name: {title: 名称}\n", "/", None),
    "tab-indent": ("x-form:\n\tid: demo  # <-\n", "/", None),
    "empty-file": ("", "/", None),
    "duplicate-key": (BASE + "  name:  # <-\n    title: 名称二\n", "/properties/name", "name"),
    "not-mapping": ("- 名称  # <-\n- 数量\n", "/", None),
    "unknown-keyword": (TABLE.replace("    x-kind: table\n", "    x-kind: table\n    x-rwos: 5  # <-\n"),
                        "/properties/items/x-rwos", "是否想写 'x-rows'"),
    "unknown-value": (BASE.replace("x-kind: integer", "x-kind: nubmer  # <-"), "/properties/qty/x-kind",
                      "未知的字段类型 'nubmer'，是否想写 'number'？"),
    "wrong-type": (BASE.replace("title: 名称", "title: [名称]  # <-"), "/properties/name/title", "应为文字"),
    "missing-keyword": (BASE.replace("  title: 演示表\n", "", 1).replace("x-form:", "x-form:  # <-"), "/x-form",
                        "'title'"),
    "bad-value": (BASE.replace("  title: 演示表\n", "  title: 演示表\n  version: 0  # <-\n", 1),
                  "/x-form/version", "不能小于 1"),
    "bad-field-key": (BASE.replace("  qty:", "  1qty:  # <-"), "/properties/1qty", "1qty"),
    "bad-id": (BASE.replace("id: demo", "id: Demo-1  # <-"), "/x-form/id", "Demo-1"),
    "missing-title": (BASE.replace("    title: 名称\n", "    x-kind: text\n").replace("  name:", "  name:  # <-"),
                      "/properties/name", "'name'"),
    "unknown-shared": (BASE + "  customer:\n    x-use: custmer_name  # <-\n", "/properties/customer/x-use",
                       "是否想写 'customer_name'"),
    "kind-type-conflict": (BASE.replace("x-kind: integer", "x-kind: date\n    type: integer  # <-"),
                           "/properties/qty/type", "date"),
    "choices-missing": (BASE + "  level:  # <-\n    title: 等级\n    x-kind: choice\n", "/properties/level", "level"),
    "default-not-choice": (BASE + "  level:\n    title: 等级\n    enum: [甲, 乙]\n    default: 丙  # <-\n",
                           "/properties/level/default", "'丙'"),
    "score-range": (BASE + "  score:  # <-\n    title: 得分\n    x-kind: score\n", "/properties/score", "score"),
    "bad-range": (BASE.replace("x-kind: integer", "x-kind: integer\n    minimum: 10  # <-\n    maximum: 1"),
                  "/properties/qty/minimum", "10"),
    "table-needs-columns": (BASE + "  rows:  # <-\n    title: 明细\n    x-kind: table\n", "/properties/rows", "rows"),
    "required-unknown": (BASE + "required: [name, nmae]  # <-\n", "/required/1", "是否想写 'name'"),
    "bad-width": (BASE.replace("x-kind: integer", "x-kind: integer\n    x-width: 0  # <-"),
                  "/properties/qty/x-width", "0"),
    "table-too-wide": (TABLE.replace("  items:\n    title: 明细", "  items:  # <-\n    title: 明细")
                       .replace("title: 单价", "title: 单价\n          x-width: 40")
                       .replace("title: 金额", "title: 金额\n          x-width: 20"),
                       "/properties/items", "60"),
    "layout-unknown-field": (BASE + "x-layout:\n  header:\n    - field: nmae  # <-\n", "/x-layout/header/0/field",
                             "是否想写 'name'"),
    "list-unknown-field": (BASE.replace("  title: 演示表\n", "  title: 演示表\n  list:\n    - name\n    - qyt  # <-\n"),
                           "/x-form/list/1", "是否想写 'qty'"),
    "line-item-empty": (BASE + "x-layout:\n  signatures:\n    - blank: line  # <-\n", "/x-layout/signatures/0", None),
    "bad-compute-kind": (BASE + "  tel:\n    title: 电话\n    x-kind: phone\n    x-compute: qty + 1  # <-\n",
                         "/properties/tel/x-compute", "phone"),
    "expr-date": (BASE + "  d1: {title: 开始日期, x-kind: date}\n  n:\n    title: 天数\n    x-kind: integer\n"
                  "    x-compute: d1 * 2  # <-\n", "/properties/n/x-compute", "日期不能用来乘除"),
    "expr-result-type": (BASE + "  d1: {title: 开始日期, x-kind: date}\n  d2: {title: 结束日期, x-kind: date}\n"
                         "  due:\n    title: 到期日\n    x-kind: date\n    x-compute: d2 - d1  # <-\n",
                         "/properties/due/x-compute", "公式算出的是数字"),
    "rule-unknown-field": (BASE + "x-rules:\n  - check: qty > 0\n    field: qyt  # <-\n    message: 数量要大于 0\n",
                           "/x-rules/0/field", "是否想写 'qty'"),
    "compute-required": (BASE + "  double:\n    title: 两倍\n    x-kind: integer\n    x-compute: qty * 2\n"
                         "required: [name, double]  # <-\n", "/required/1", "double"),
    "limit-too-big": (TABLE.replace("    x-kind: table\n", "    x-kind: table\n    maxItems: 9000  # <-\n"),
                      "/properties/items/maxItems", "5,000"),
    "no-paper-meaning": (BASE.replace("    title: 名称\n", "    title: 名称\n    not: {const: 无}  # <-\n"),
                         "/properties/name/not", "关键字 'not' 在纸面表格上没有对应"),
    "condition-unsupported": (BASE + "then: {required: [name]}  # <-\n", "/then", "then/else 要与 if 一起写"),
    "bad-pattern": (BASE.replace("    title: 名称\n", "    title: 名称\n    pattern: '([a-z]'  # <-\n"),
                    "/properties/name/pattern", None),
    "expr-syntax": (TABLE.replace("x-compute: qty * price", "x-compute: qty * * price  # <-"),
                    "/properties/items/items/properties/amount/x-compute", "公式有误"),
    "expr-unknown-field": (TABLE.replace("x-compute: qty * price", "x-compute: qty * prcie  # <-"),
                           "/properties/items/items/properties/amount/x-compute", "是否想写 'price'"),
    "expr-unknown-function": (TABLE + "  total:\n    title: 合计\n    x-kind: money\n"
                              "    x-compute: summ(items.amount)  # <-\n", "/properties/total/x-compute",
                              "是否想写 'sum'"),
    "expr-arity": (TABLE + "  total:\n    title: 合计\n    x-kind: money\n    x-compute: round()  # <-\n",
                   "/properties/total/x-compute", "round"),
    "expr-column-scalar": (TABLE + "  total:\n    title: 合计\n    x-kind: money\n"
                           "    x-compute: items.amount * 2  # <-\n", "/properties/total/x-compute", "sum"),
    "expr-too-complex": (BASE + "  big:\n    title: 大\n    x-kind: integer\n    x-compute: " + "+".join(["qty"] * 130)
                         + "  # <-\n", "/properties/big/x-compute", "太长"),
    "expr-not-value": (TABLE + "  total:\n    title: 合计\n    x-kind: money\n    x-compute: items + 1  # <-\n",
                       "/properties/total/x-compute", "表格"),
    "compute-cycle": (BASE + "  a:\n    title: 甲\n    x-kind: integer\n    x-compute: b + 1  # <-\n"
                      "  b:\n    title: 乙\n    x-kind: integer\n    x-compute: a + qty\n",
                      "/properties/a/x-compute", "「甲」 → 「乙」 → 「甲」"),
    "expr-row-outside": (TABLE + "  total:\n    title: 合计\n    x-kind: money\n    x-compute: amount * 2  # <-\n",
                         "/properties/total/x-compute", "sum(items.amount)"),
    "numbering-pattern": (BASE + "x-numbering:\n  pattern: DH-{yyyy}-{sq:4}  # <-\n", "/x-numbering/pattern", "{sq:4}"),
    "numbering-date-field": (BASE + "x-numbering:\n  pattern: DH-{yyyy}{mm}-{seq:4}\n  reset: month\n"
                             "  date-field: name  # <-\n", "/x-numbering/date-field", "name"),
}


def _marked_line(text):
    for n, line in enumerate(text.lstrip("\n").splitlines(), 1):
        if "# <-" in line:
            return n
    return 1


@pytest.mark.parametrize("code", sorted(CASES))
def test_error_code_message_and_location(code, make_schemas):
    text, pointer, fragment = CASES[code]
    folder = make_schemas({"demo.yaml": text})
    cat = load_catalog(folder, display_root=folder)
    found = [p for p in cat.problems if p.name == code]
    assert found, f"expected {code}, got: " + "\n".join(map(str, cat.problems))
    p = found[0]
    assert p.file == "demo.yaml"
    assert p.line == _marked_line(text), str(p)
    assert p.pointer == pointer, str(p)
    if fragment:
        assert fragment in str(p), str(p)
    assert p.message and p.code.code.startswith("E")
    assert str(p).startswith(f"demo.yaml:{p.line}:{p.col}: ")


def test_duplicate_id_names_both_files(make_schemas):
    folder = make_schemas({"a.yaml": BASE, "b.yaml": BASE.replace("title: 演示表", "title: 另一个表")})
    cat = load_catalog(folder, display_root=folder)
    [p] = [p for p in cat.problems if p.name == "duplicate-id"]
    assert (p.file, p.line, p.pointer) == ("b.yaml", 2, "/x-form/id")
    assert "a.yaml" in p.message
    assert list(cat.forms) == ["demo"]


def test_unreadable_file_is_reported_and_others_load(make_schemas):
    folder = make_schemas({"bad.yaml": b"\xff\xfe\x00broken", "good.yaml": BASE})
    cat = load_catalog(folder, display_root=folder)
    [p] = [p for p in cat.problems if p.name == "read-failed"]
    assert (p.file, p.line) == ("bad.yaml", 1)
    assert "demo" in cat.forms


def test_x_use_without_a_shared_file(tmp_path):
    """A folder with no _shared.yaml: x-use says so, once per field (no knock-on missing titles);
    and `biaoge new` writes a starter that validates there."""
    from click.testing import CliRunner

    from cli import main
    (tmp_path / "y.yaml").write_text("x-form: {id: y, title: 乙表}\nproperties:\n  c:\n    x-use: customer_name\n"
                                     "  d:\n    x-use: phone\n", "utf-8")
    cat = load_catalog(tmp_path, display_root=tmp_path)
    assert [(p.name, p.line, p.pointer) for p in cat.problems] == [
        ("no-shared-file", 4, "/properties/c/x-use"), ("no-shared-file", 6, "/properties/d/x-use")]
    assert "没有 _shared.yaml" in str(cat.problems[0])
    (tmp_path / "y.yaml").unlink()
    r = CliRunner().invoke(main, ["new", "starter_x", "--schemas", str(tmp_path)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 0 and "全部通过" in r.output, r.output


def test_every_catalogue_code_is_tested():
    covered = set(CASES) | {"duplicate-id", "read-failed", "no-shared-file"} | \
        {"policy-duplicate", "policy-unknown", "sensitive-unknown", "sensitive-derived"} | \
        {"unique-not-value", "unique-unknown-field", "unique-unknown-choice"} | \
        {"flow-no-steps", "flow-unknown-role", "flow-unknown-field", "flow-unknown-step", "flow-unreachable",
         "flow-veto-no-then", "flow-duplicate-step", "flow-conclusion-words", "flow-required-approver"}
    # the policy's: tests/test_policy.py; holds: test_holds.py; the approval flows': tests/test_flow_lint.py
    from tests.test_report_sources import SOURCE_CASES
    covered |= set(SOURCE_CASES)                                                   # report sources
    from tests.test_sheetform import SHEET_CODES
    covered |= SHEET_CODES                                                         # forms in a spreadsheet
    assert covered == set(CATALOGUE)


def test_all_problems_of_all_files_in_one_run(make_schemas):
    folder = make_schemas({
        "a.yaml": CASES["unknown-keyword"][0],
        "b.yaml": CASES["syntax"][0],
        "c.yaml": CASES["expr-unknown-field"][0].replace("id: demo", "id: demo_c"),
        "d.yaml": CASES["compute-cycle"][0].replace("id: demo", "id: demo_d")
                  .replace("x-kind: integer\n    x-compute: b", "x-kind: nubmer\n    x-compute: b"),
        "ok.yaml": BASE.replace("id: demo", "id: fine"),
    })
    cat = load_catalog(folder, display_root=folder)
    names = {(p.file, p.name) for p in cat.problems}
    assert {("a.yaml", "unknown-keyword"), ("b.yaml", "syntax"), ("c.yaml", "expr-unknown-field"),
            ("d.yaml", "unknown-value"), ("d.yaml", "compute-cycle")} <= names
    assert "fine" in cat.forms


@pytest.mark.parametrize("line", ["  title:演示表", "  title：演示表"])
def test_colon_mistakes_point_at_their_line(make_schemas, line):
    folder = make_schemas({"demo.yaml": "x-form:\n  id: demo\n" + line + "\nproperties: {}\n"})
    [p] = load_catalog(folder, display_root=folder).problems
    assert (p.name, p.line) == ("syntax", 3)
    assert "半角冒号" in p.message


def test_formula_in_a_section_sees_its_neighbours(make_schemas):
    folder = make_schemas({"demo.yaml": """
        x-form: {id: demo, title: 演示表}
        properties:
          perf:
            title: 业绩
            x-kind: section
            properties:
              target: {title: 目标, x-kind: money}
              actual: {title: 实际, x-kind: money}
              rate:
                title: 完成率
                x-kind: percent
                x-compute: round(actual / target * 100, 1)
    """})
    cat = load_catalog(folder, display_root=folder)
    assert cat.ok, [str(p) for p in cat.problems]
    from forms.submission import check
    assert check(cat.require("demo"), {"perf": {"target": 200, "actual": 50}}).data["perf"]["rate"] == 25


def test_list_items_are_named_by_position(make_schemas):
    folder = make_schemas({"demo.yaml": BASE + "x-layout:\n  notes: [注:一, 2]\n"})
    [p] = load_catalog(folder, display_root=folder).problems
    assert "notes 的第 2 项" in p.message


def test_every_code_names_one_problem():
    """Two catalogues merged once gave E601–E609 two meanings each; an author looks a code up."""
    codes = [e.code for e in CATALOGUE.values()]
    assert len(codes) == len(set(codes)), sorted({c for c in codes if codes.count(c) > 1})
