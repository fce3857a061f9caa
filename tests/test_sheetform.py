"""Forms designed in a spreadsheet: the two hand-written workbooks of tests/sheets/, every spreadsheet
error by sheet, row and column, and the commands."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from forms.sheetform import compile_sheets, definition_to_sheets, sheets_to_definition
from forms.submission import check
from renderers import base
from renderers.sheetform_xlsx import read_sheets
from services.sheetform import import_workbook, shared_fields

HERE = Path(__file__).resolve().parent
SHEETS = HERE / "sheets"
SCHEMAS = HERE.parent / "schemas"


def _imported(name):
    result = import_workbook((SHEETS / name).read_bytes(), SCHEMAS, name)
    assert result.problems == []
    return result


def _renders(form, record=None):
    html = base.get("html").render(form, record)
    html = html.decode("utf-8") if isinstance(html, bytes) else html
    pdf = base.get("pdf").render(form, record)
    xlsx = base.get("xlsx").render(form, record)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
    wb = load_workbook(io.BytesIO(xlsx))
    cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    return html, text, cells


def test_line_items_and_daxie_total():
    result = _imported("expense_claim.xlsx")
    form = result.form
    assert form.id == "expense_claim" and form.title == "费用报销单"
    assert "# 费用报销单" in result.text.splitlines()[0] and "expense_claim.xlsx" in result.text.splitlines()[0]
    lines = form.fields["lines"]
    assert lines.is_table and list(lines.children) == ["spent_on", "category", "note", "amount"]
    assert lines.children["category"].choices == ["差旅费", "交通费", "招待费", "办公费"]
    assert form.fields["total"].spec["x-compute"] == "sum(lines.amount)"
    assert form.layout["signatures"] == [{"label": "部门主管", "blank": "line"}, {"label": "财务", "blank": "line"},
                                         {"label": "出纳", "blank": "line"}]
    data = {"claimant": "张三", "claim_date": "2026-11-20",
            "lines": [{"category": "差旅费", "amount": 100}, {"category": "交通费", "amount": 23.5}]}
    checked = check(form, data)
    assert checked.ok, checked.errors
    assert checked.data["total"] == 123.5
    assert checked.data["total_in_words"] == "壹佰贰拾叁元伍角"
    refused = check(form, {**data, "lines": [{"category": "差旅费", "amount": -1}]})
    assert not refused.ok and any("金额应大于零" in e["message"] for e in refused.errors)
    html, pdf_text, cells = _renders(form, base.Filled(checked.data, number="BX-202611-001", created="2026-11-20"))
    for out in (html, pdf_text, cells):
        assert "费用报销单" in out
    assert "壹佰贰拾叁元伍角" in pdf_text
    assert "[DBNum2]" in cells      # the workbook computes the 大写 itself
    assert "合计金额（大写）" in html


def test_conditions():
    result = _imported("visit_request.xlsx")
    form = result.form
    assert form.fields["purpose_other"].spec["x-when"] == 'purpose == "其他"'
    assert form.fields["pickup_place"].when is not None and form.fields["reception"].is_section
    assert form.fields["purpose"].spec["default"] == "洽谈"
    assert form.fields["phone"].spec["description"] == "手机或座机"
    assert [r.message for r in form.rules] == ["来访人数至少为 1"]
    assert not check(form, {"visitor": "李四", "visit_date": "2026-12-01", "purpose": "参观", "people": 0}).ok
    checked = check(form, {"visitor": "李四", "visit_date": "2026-12-01", "purpose": "参观", "people": 2})
    assert checked.ok, checked.errors
    html, pdf_text, cells = _renders(form)
    assert 'purpose == \\"其他\\"' in html or "purpose_other" in html
    for out in (html, pdf_text, cells):
        assert "来访申请单" in out and "接站地点" in out


# ------------------------------------------------------------------ errors, by sheet, row and column

FIELD_HEAD = ["类型", "名称", "标题", "选项", "计算"]
SETTINGS = [["设置项", "值"], ["表单id", "tiny"], ["标题", "小表"]]


def _problems(rows, choices=None):
    sheets = {"字段": [FIELD_HEAD] + rows, "选项": choices or [["选项表", "值"]], "设置": SETTINGS}
    return compile_sheets(sheets, shared_fields(SCHEMAS)).problems


def test_a_good_tiny_sheet_compiles():
    assert _problems([["文字", "name", "姓名"]]) == []


def test_unknown_type_with_did_you_mean():
    [p] = _problems([["文字", "a", "甲"], ["文字", "b", "乙"], ["文字", "c", "丙"], ["singel", "d", "丁"]])
    assert (p.sheet, p.row, p.column) == ("字段", 5, "类型")
    assert p.message == "「字段」表第 5 行「类型」列：未知的类型「singel」，是不是「单选」？" \
        "（提示：类型写 单选、多选、金额、日期 等，或 begin group / begin repeat。）"
    assert p.code.code == "E803"


def test_unknown_type_suggests_a_chinese_kind():
    [p] = _problems([["单旋", "d", "丁"]])
    assert "是不是「单选」" in p.message and (p.row, p.column) == (2, "类型")


def test_missing_choice_list():
    [p] = _problems([["文字", "a", "甲"], ["单选", "pay", "付款方式", "付款"]],
                    [["选项表", "值"], ["付款方式", "现金"]])
    assert (p.sheet, p.row, p.column) == ("字段", 3, "选项") and p.code.code == "E804"
    assert "选项表「付款」在「选项」表中不存在，是不是「付款方式」？" in p.message


def test_bad_formula():
    [p] = _problems([["金额", "a", "甲"], ["金额", "b", "乙", "", "a * (2"]])
    assert (p.sheet, p.row, p.column) == ("字段", 3, "计算") and p.code.code == "E810"
    assert "E301 公式有误" in p.message


def test_unknown_field_in_formula_maps_to_its_row():
    [p] = _problems([["金额", "a", "甲"], ["金额", "b", "乙", "", "aa * 2"]])
    assert (p.row, p.column) == (3, "计算") and "E302" in p.message


def test_duplicate_name():
    [p] = _problems([["文字", "a", "甲"], ["文字", "b", "乙"], ["文字", "a", "丙"]])
    assert (p.sheet, p.row, p.column) == ("字段", 4, "名称") and p.code.code == "E805"
    assert "名称「a」与第 2 行重复" in p.message


def test_unknown_header_with_did_you_mean():
    sheets = {"字段": [["类型", "名称", "lable"], ["文字", "a", "甲"]], "设置": SETTINGS}
    problems = sheets_to_definition(sheets).problems
    [p] = problems
    assert (p.sheet, p.row, p.column) == ("字段", 1, "lable") and p.code.code == "E802"
    assert "未知的列名「lable」，是不是「label」？" in p.message


def test_unbalanced_repeat():
    [p] = _problems([["begin repeat", "t", "明细"], ["文字", "a", "甲"]])
    assert (p.row, p.column) == (2, "类型") and p.code.code == "E806"


def test_missing_title_maps_to_the_title_column():
    [p] = _problems([["文字", "a"]])
    assert (p.row, p.column) == (2, "标题") and "E202" in p.message


# ------------------------------------------------------------------ bounds and bad bytes

def test_not_a_workbook():
    result = import_workbook(b"not a zip", SCHEMAS)
    assert result.form is None and result.problems[0].code.code == "E811"


def test_too_many_rows():
    wb = Workbook()
    ws = wb.active
    ws.title = "字段"
    for r in range(1, 2100):
        ws.cell(row=r, column=1, value="文字")
    out = io.BytesIO()
    wb.save(out)
    result = import_workbook(out.getvalue(), SCHEMAS)
    assert result.problems[0].code.code == "E809" and result.problems[0].sheet == "字段"


def test_read_sheets_reads_what_was_written_by_hand():
    sheets = read_sheets((SHEETS / "visit_request.xlsx").read_bytes())
    assert list(sheets) == ["survey", "choices", "settings"]
    assert sheets["survey"][4][:2] == ["choice", "purpose"]


# ------------------------------------------------------------------ the commands

def test_import_and_export_commands(tmp_path):
    from click.testing import CliRunner

    from cli import main
    runner = CliRunner()
    out = tmp_path / "order.xlsx"
    r = runner.invoke(main, ["export-form", "order_form", "-o", str(out), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert load_workbook(out).sheetnames == ["字段", "选项", "设置"]
    yml = tmp_path / "order.yaml"
    r = runner.invoke(main, ["import-form", str(out), "-o", str(yml), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert "order_form" in yml.read_text("utf-8")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    r = runner.invoke(main, ["import-form", str(bad), "-o", str(tmp_path / "x.yaml")])
    assert r.exit_code == 1 and "E811" in r.output and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("alias", ["type", "TYPE", "类型"])
def test_header_aliases(alias):
    sheets = {"字段": [[alias, "name", "label"], ["integer", "n", "数量"]], "设置": SETTINGS}
    imported = sheets_to_definition(sheets)
    assert imported.problems == [] and imported.data["properties"]["n"] == {"x-kind": "integer", "title": "数量"}


def test_no_fields_sheet():
    [p] = sheets_to_definition({"Sheet1": [["a"]]}).problems
    assert p.code.code == "E801" and p.message.startswith("「字段」表：工作簿里没有「字段」表")


def test_empty_name():
    [p] = _problems([["文字", None, "甲"]])
    assert (p.row, p.column) == (2, "名称") and p.code.code == "E807"


def test_bad_other_cell():
    sheets = {"字段": [["类型", "名称", "标题", "其他"], ["文字", "a", "甲", "{x-width: [6"]], "设置": SETTINGS}
    [p] = sheets_to_definition(sheets).problems
    assert (p.row, p.column) == (2, "其他") and p.code.code == "E808"


def test_bad_required_cell():
    sheets = {"字段": [["类型", "名称", "标题", "必填"], ["文字", "a", "甲", "也许"]], "设置": SETTINGS}
    [p] = sheets_to_definition(sheets).problems
    assert (p.row, p.column) == (2, "必填") and "「也许」写得不对" in p.message


def test_a_repeated_choice_label_is_refused():
    [p] = _problems([["单选", "sex", "性别", "sexes"]],
                    [["选项表", "值", "选项标题"], ["sexes", "m", "男"], ["sexes", "f", "男"]])
    assert (p.sheet, p.row, p.column) == ("选项", 3, "选项标题") and p.code.code == "E812"
    assert "选项表「sexes」里的选项标题「男」重复" in p.message


def test_choice_labels_become_x_labels_and_come_back():
    """A label other than its value is the choice's label (x-labels), printed and read back by forms.kinds."""
    sheets = {"字段": [FIELD_HEAD[:4], ["单选", "trip", "出差类型", "trips"]],
              "选项": [["选项表", "值", "选项标题"], ["trips", "domestic", "国内出差"], ["trips", "abroad", "出国"]],
              "设置": SETTINGS}
    got = sheets_to_definition(sheets)
    assert not got.problems
    trip = got.data["properties"]["trip"]
    assert trip["enum"] == ["domestic", "abroad"] and trip["x-labels"] == ["国内出差", "出国"]
    again = definition_to_sheets(got.data)
    assert again["选项"][1:] == [["trip", "domestic", "国内出差"], ["trip", "abroad", "出国"]]


# every sheet code, each tested above (tests/test_lint.py counts them as covered)
SHEET_CODES = {"sheet-missing", "sheet-unknown-header", "sheet-unknown-type", "sheet-unknown-list",
               "sheet-duplicate-name", "sheet-unbalanced", "sheet-empty-cell", "sheet-bad-cell", "sheet-too-big",
               "sheet-compile", "sheet-unreadable", "sheet-choice-label"}


def test_a_title_or_file_name_cannot_break_out_of_the_comment():
    sheets = {"字段": [FIELD_HEAD, ["文字", "a", "甲"]],
              "设置": [["设置项", "值"], ["表单id", "tiny"], ["标题", "小表\nx-rules: oops"]]}
    result = compile_sheets(sheets, None, "a\nb.xlsx")
    # the title itself is kept (the compiler decides about it); the header comment stays one line
    first, second = result.text.splitlines()[:2]
    assert first.startswith("# 小表 x-rules: oops — ") and first.endswith(": a b.xlsx") and second.startswith("# ")
    assert result.form.title == "小表\nx-rules: oops" and result.form.rules == []


def test_a_zip_bomb_is_refused_before_it_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", "a" * 60_000_000)
    assert len(out.getvalue()) < 2_000_000
    [p] = import_workbook(out.getvalue(), SCHEMAS).problems
    assert p.code.code == "E809" and "解压后 50 MB" in p.message
