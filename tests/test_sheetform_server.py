"""The catalog page's upload of a form designed in a spreadsheet: administrators only."""
from __future__ import annotations

import io
from pathlib import Path

from forms.sheetform import definition_to_sheets
from renderers.sheetform_xlsx import write_sheets
from tests.people import admin_client, client_as, person

SHEETS = Path(__file__).resolve().parent / "sheets"


def _post(client, content, name="报销单.xlsx"):
    return client.post("/admin/forms/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_an_administrator_uploads_a_workbook_and_the_form_appears(app):
    client = admin_client(app)
    assert client.get("/api/forms/expense_claim").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert 'action="/admin/forms/import"' in page and "从电子表格导入表单" in page
    r = _post(client, (SHEETS / "expense_claim.xlsx").read_bytes())
    assert r.status_code == 303, r.get_data(as_text=True)[:800]
    written = app.schemas_path / "imported" / "expense_claim.yaml"
    assert written.is_file() and written.read_text("utf-8").startswith("# 费用报销单")
    assert client.get("/api/forms/expense_claim").status_code == 200
    assert "费用报销单" in client.get("/").get_data(as_text=True)
    # uploading it again replaces it; taking a catalog form's id is refused
    assert _post(client, (SHEETS / "expense_claim.xlsx").read_bytes()).status_code == 303
    sheets = definition_to_sheets({"x-form": {"id": "order_form", "title": "冒名"},
                                   "properties": {"a": {"title": "甲", "x-kind": "text"}}})
    r = _post(client, write_sheets(sheets))
    assert r.status_code == 409 and "order_form" in r.get_data(as_text=True)


def test_a_non_administrator_gets_403(app):
    rep = client_as(app, person(app, "ywy", roles=["业务员"], department="上海办事处"))
    r = _post(rep, (SHEETS / "expense_claim.xlsx").read_bytes())
    assert r.status_code == 403
    assert not (app.schemas_path / "imported" / "expense_claim.yaml").exists()
    assert 'action="/admin/forms/import"' not in rep.get("/").get_data(as_text=True)


def test_a_bad_workbook_gets_the_chinese_errors(app):
    client = admin_client(app)
    sheets = {"字段": [["类型", "名称", "标题"], ["文字", "a", "甲"], ["singel", "b", "乙"]],
              "设置": [["设置项", "值"], ["表单id", "bad_one"], ["标题", "坏表"]]}
    r = _post(client, write_sheets(sheets))
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "「字段」表第 3 行「类型」列：未知的类型「singel」，是不是「单选」？" in text
    assert not (app.schemas_path / "imported").exists()
    r = _post(client, b"x" * 10, "a.xlsx")
    assert r.status_code == 422 and "无法读取这个工作簿" in r.get_data(as_text=True)
    assert client.post("/admin/forms/import", data={}).status_code == 400
