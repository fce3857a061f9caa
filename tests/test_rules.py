"""Rules that hold: cross-field rules on submit, in the browser and in the Excel template; dates in
formulas; constraints on computed fields; division by zero; the catalog declares its natural rules."""
import csv
import io
import re
import shutil
import subprocess

import openpyxl
import pytest

from forms.definition import compile_definition
from forms.sample import sample_submission
from forms.source import parse
from forms.submission import check

DEMO = """
x-form: {id: rules_demo, title: 规则演示表, chapter: 第一章 销售管理}
properties:
  start: {title: 开始日期, x-kind: date}
  end: {title: 结束日期, x-kind: date}
  days:
    title: 天数
    x-kind: integer
    x-compute: end - start + 1
  due:
    title: 到期日
    x-kind: date
    x-compute: start + 30
  price: {title: 原价, x-kind: money}
  new_price: {title: 新价, x-kind: money}
  change:
    title: 调整幅度
    x-kind: percent
    x-compute: round((new_price - price) / price * 100, 1)
  weighted:
    title: 加权得分
    x-kind: number
    minimum: 0
    maximum: 100
    x-compute: price * 2
  phone: {title: 联系电话, x-kind: phone}
  email: {title: 电子邮箱, x-kind: email}
  items:
    title: 收款明细
    x-kind: table
    items:
      x-rules:
        - check: received <= receivable
          field: received
          message: 已收金额不能大于应收金额
      properties:
        receivable: {title: 应收金额, x-kind: money}
        received: {title: 已收金额, x-kind: money}
x-rules:
  - check: end >= start
    field: end
    message: 结束日期不能早于开始日期
  - check: phone != "" or email != ""
    field: phone
    message: 联系电话和电子邮箱至少填一项
"""


@pytest.fixture(scope="module")
def demo():
    form, problems = compile_definition(parse(DEMO.lstrip(), "rules_demo.yaml"), {})
    assert not problems, problems
    return form


def messages(result) -> dict:
    return {e["path"]: e["message"] for e in result.errors}


# ---------------------------------------------------------------- on submit
def test_cross_field_rules_on_submit(demo):
    ok = {"start": "2026-05-20", "end": "2026-05-22", "phone": "13800138000"}
    assert check(demo, ok).ok
    assert messages(check(demo, {**ok, "end": "2026-05-19"})) == {"/end": "结束日期不能早于开始日期"}
    assert messages(check(demo, {"start": "2026-05-20"})) == {"/phone": "联系电话和电子邮箱至少填一项"}
    assert check(demo, {"email": "a@b.cn"}).ok     # an empty date: the date rule is not checked yet
    r = check(demo, {**ok, "items": [{"receivable": 100, "received": 100}, {"receivable": 100, "received": 120}]})
    assert messages(r) == {"/items/1/received": "收款明细第 2 行：已收金额不能大于应收金额"}


def test_dates_in_formulas(demo):
    r = check(demo, {"start": "2026-05-20", "end": "2026-05-22", "phone": "13800138000"})
    assert (r.data["days"], r.data["due"]) == (3, "2026-06-19")    # not 1: dates are not 0
    r = check(demo, {"start": "2024-02-28", "end": "2024-03-01", "phone": "13800138000"})
    assert (r.data["days"], r.data["due"]) == (3, "2024-03-29")    # a leap year
    r = check(demo, {"start": "2026-05-20", "phone": "13800138000"})
    assert "days" not in r.data and r.data["due"] == "2026-06-19"   # an end date not filled: no day count


@pytest.mark.parametrize("formula,code,fragment", [
    ("start + end", "expr-date", "两个日期不能相加"), ("start * 2", "expr-date", "日期不能用来乘除"),
    ("sum(start, 1)", "expr-date", "日期不能用于sum()"), ("start > 3", "expr-date", "日期只能和日期比较"),
])
def test_date_arithmetic_without_a_meaning_is_refused(formula, code, fragment):
    text = DEMO.replace("x-compute: end - start + 1", f"x-compute: {formula}")
    _, problems = compile_definition(parse(text.lstrip(), "d.yaml"), {})
    assert [p.name for p in problems] == [code] and fragment in str(problems[0]), problems


def test_a_date_formula_in_a_number_field_is_refused():
    text = DEMO.replace("x-compute: end - start + 1", "x-compute: start + 1")
    _, problems = compile_definition(parse(text.lstrip(), "d.yaml"), {})
    assert [p.name for p in problems] == ["expr-result-type"] and "公式算出的是日期" in str(problems[0])


def test_constraints_on_computed_fields_are_enforced(demo):
    base = {"start": "2026-05-20", "phone": "13800138000"}
    assert check(demo, {**base, "price": 50}).ok
    r = check(demo, {**base, "price": 52.5})
    assert messages(r) == {"/weighted": "「加权得分」必须是 0 到 100 之间的数字（计算结果为 105）"}


def test_division_by_zero_is_an_error_the_person_sees(demo):
    base = {"start": "2026-05-20", "phone": "13800138000"}
    r = check(demo, {**base, "price": 0, "new_price": 10})
    assert messages(r) == {"/change": "「调整幅度」无法计算：「原价」为 0"}
    r = check(demo, {**base, "new_price": 10})
    assert r.ok and "change" not in r.data   # no 原价 yet: no 调整幅度, and no 0%
    assert check(demo, {**base, "price": 8, "new_price": 10}).data["change"] == 25


def test_exclusive_minimum_reads_greater_than():
    form, _ = compile_definition(parse("x-form: {id: x, title: 甲}\nproperties:\n"
                                       "  a: {title: 原价, x-kind: money, exclusiveMinimum: 0}\n"
                                       "  b: {title: 比例, x-kind: number, exclusiveMinimum: 0, maximum: 100}\n", "x.yaml"), {})
    assert messages(check(form, {"a": 0, "b": 0})) == {"/a": "「原价」必须是大于 0 的数字",
                                                     "/b": "「比例」必须是大于 0 且不大于 100 的数字"}


def test_the_minus_sign_of_chinese_documents():
    form, problems = compile_definition(parse(DEMO.replace("end - start + 1", "end − start ＋ 1").lstrip(), "m.yaml"), {})
    assert not problems
    assert check(form, {"start": "2026-05-20", "end": "2026-05-22", "phone": "13800138000"}).data["days"] == 3


# ---------------------------------------------------------------- the catalog
def test_promotion_application_refuses_an_end_before_the_start(client):
    from server import context
    with client.application.app_context():
        form = context.find_form("promotion_application")
    data = {**sample_submission(form, seed=1), "start": "2026-11-20", "end": "2026-11-10"}
    r = client.post("/api/forms/promotion_application/submissions", json=data)
    assert r.status_code == 422
    [e] = r.get_json()["error"]["errors"]
    assert (e["path"], e["field"], e["message"]) == ("/end", "活动结束日期", "活动结束日期不能早于活动开始日期")


DATE_PAIRS = re.compile(r"(开始|起始|开工|订货)")


def test_every_catalog_form_with_a_start_and_an_end_declares_the_rule(catalog):
    """A form with a start and an end date (or month) at one level says the end comes after it."""
    missing = []
    for form in catalog.forms.values():
        ruled = {r.field.path for r in form.rules}
        for f in form.walk():
            if not f.kind_def.calendar:
                continue
            siblings = (f.table.children if f.table else
                        (form.field_at(f.path[:-1]).children if len(f.path) > 1 else form.fields))
            ends = [g for g in siblings.values() if g.kind_def.calendar and g is not f
                    and re.search(r"(结束|截止|完工|交货|终止)", g.title) and DATE_PAIRS.search(f.title)]
            missing += [f"{form.id}.{'.'.join(g.path)}" for g in ends if g.path not in ruled]
    assert not missing, missing


# ---------------------------------------------------------------- in the browser
def test_the_fill_page_says_the_rule_before_posting(live_server, page, client):
    page.goto(f"{live_server}/forms/promotion_application")
    page.fill('[name="start"]', "2026-11-20")
    page.fill('[name="end"]', "2026-11-10")
    message = page.wait_for_selector('[id="live-rule0-end"]')
    assert message.text_content() == "活动结束日期不能早于活动开始日期"
    assert page.evaluate("document.querySelector('[name=end]').validationMessage") == "活动结束日期不能早于活动开始日期"
    assert page.get_attribute('[name="end"]', "aria-invalid") == "true"
    page.fill('[name="end"]', "2026-11-25")
    page.wait_for_selector('[id="live-rule0-end"]', state="detached")
    assert page.evaluate("document.querySelector('[name=end]').validity.valid")
    assert page.errors == []


def test_the_fill_page_says_a_division_by_zero(tmp_path, page):
    import threading

    from waitress.server import create_server

    from server.app import create_app

    from .conftest import SCHEMAS
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "rules_demo.yaml").write_text(DEMO.lstrip(), "utf-8")
    app = create_app({"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "t"})
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    page.context.set_extra_http_headers({"Authorization": f"Bearer {app.admin_token}"})
    try:
        page.goto(f"http://127.0.0.1:{server.effective_port}/forms/rules_demo")
        page.fill('[name="price"]', "0")
        page.fill('[name="new_price"]', "10")
        assert page.wait_for_selector('[id="live-calc-change"]').text_content() == "「原价」为 0，无法计算"
        page.fill('[name="start"]', "2026-05-20")
        page.fill('[name="end"]', "2026-05-22")
        page.wait_for_function("document.querySelector('output[name=days]').value === '3'")
        assert page.evaluate("document.querySelector('output[name=due]').value") == "2026年6月19日"
        page.fill('[name="price"]', "8")
        page.wait_for_selector('[id="live-calc-change"]', state="detached")
        assert page.evaluate("document.querySelector('output[name=change]').value") == "25%"
    finally:
        server.close()


# ---------------------------------------------------------------- in the Excel template
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
def test_the_excel_template_refuses_an_end_before_the_start(client, tmp_path):
    """The template's validation of 活动结束日期 is the rule; LibreOffice evaluates its formula as the
    engine does (valid, invalid, and not checked while 活动开始日期 is empty)."""
    from datetime import date

    from renderers.xlsx.meta import read_map
    content = client.get("/forms/promotion_application/blank.xlsx").data
    wb = openpyxl.load_workbook(io.BytesIO(content))
    m = read_map(wb)
    ws = wb[m.sheet]
    end, start = m.fields["end"], m.fields["start"]
    [dv] = [dv for dv in ws.data_validations.dataValidation if end in str(dv.sqref)]
    assert dv.type == "custom" and dv.errorStyle == "stop" and dv.showErrorMessage
    assert "活动结束日期不能早于活动开始日期" in dv.error
    cases = [(date(2026, 11, 10), date(2026, 11, 20)), (date(2026, 11, 20), date(2026, 11, 10)),
             (None, date(2026, 11, 10))]
    formula = dv.formula1
    sheet = wb.create_sheet("cases", 0)   # the first sheet: what the CSV export holds
    for i, (s, e) in enumerate(cases, 1):   # the validation formula, over each case
        sheet[f"A{i}"], sheet[f"B{i}"] = s, e
        moved = re.sub(rf"\b{start}\b", f"A{i}", re.sub(rf"\b{end}\b", f"B{i}", formula))
        sheet[f"C{i}"] = "=" + moved
    wb.save(tmp_path / "rules.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "rules.xlsx")], check=True, capture_output=True,
                   timeout=120)
    rows = list(csv.reader((tmp_path / "rules.csv").open(encoding="utf-8")))
    for i, case in enumerate(cases):
        assert rows[i][2].upper() == ("TRUE" if check_rule(case) else "FALSE"), (case, rows[i], formula)


def check_rule(case):
    """The engine's verdict on 活动结束日期 ≥ 活动开始日期 (True: holds or not checked yet)."""
    s, e = case
    return s is None or e is None or e >= s
