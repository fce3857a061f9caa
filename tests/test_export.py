"""The records list as Excel: the 下载 Excel button of the records page and `biaoge export`
give exactly the records the list shows, with the list's filters (services.export)."""
import io
from datetime import date
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from forms.numbering import format_number
from forms.submission import check
from renderers.xlsx import stream
from services.catalog import load_catalog

from .conftest import SCHEMAS
from .render_helpers import html_tree

ORDER = {"order_date": "2026-11-27", "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}
# (customer, pay method, day stored, quantity of the first line)
PEOPLE = [("华联超市", "现金", "2026-11-01", 3), ("东方商贸有限公司", "转账", "2026-11-03", 7),
          ("华联超市", "转账", "2026-11-05", 11), ("广州百货", "现金", "2026-11-08", 3),
          ("上海联华", "支票", "2026-11-12", 5), ("华联超市", "现金", "2026-11-20", 9)]
FILTERS = [{}, {"q": "华联"}, {"q": "东方商贸"}, {"q": "DH-202611-0004"}, {"q": "没有这个客户"},
           {"from": "2026-11-03", "to": "2026-11-08"}, {"from": "2026-11-12"}, {"to": "2026-11-01"},
           {"where": "pay_method=现金"}, {"where": "付款方式=转账"}, {"where": ["pay_method=现金", "customer_name=华联超市"]},
           {"q": "华联", "from": "2026-11-02", "where": "pay_method=转账"}]


def add_orders(store, form, key):
    for customer, pay, day, quantity in PEOPLE:
        data = check(form, {**ORDER, "customer_name": customer, "pay_method": pay,
                            "items": [{**ORDER["items"][0], "quantity": quantity}]}).data
        store.add(form.id, data, version=form.version, definition=key, created=f"{day}T10:00:00", period="2026-11",
                  make_number=lambda seq: format_number("DH-{yyyy}{mm}-{seq:4}", date(2026, 11, 1), seq))


@pytest.fixture
def stored(app):
    records = app.extensions["biaoge.records"]
    form = records.find_form("order_form")
    key, definition = records.definition_of(form)
    records.store.put_definition(form.id, key, definition)
    add_orders(records.store, form, key)
    return app


def sheet_numbers(content: bytes, sheet="记录") -> list:
    wb = load_workbook(io.BytesIO(content))
    assert wb[sheet]["A1"].value == "编号"
    return [row[0] for row in wb[sheet].iter_rows(min_row=2, values_only=True)]


def listed(client, params: dict):
    """(编号 the records page lists, the href of its 下载 Excel button)."""
    page = client.get("/forms/order_form/records?" + urlencode(params, doseq=True))
    assert page.status_code == 200
    tree = html_tree(page.data)
    numbers = [a.text_content() for a in tree.cssselect("table.list td:first-child a")]
    buttons = tree.cssselect("a#export-link")
    assert len(buttons) == 1 and buttons[0].text_content() == "下载 Excel"
    return numbers, buttons[0].get("href")


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: urlencode(p, doseq=True) or "all")
def test_the_button_exports_the_records_the_list_shows(stored, client, params):
    numbers, href = listed(client, params)
    r = client.get(href)
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E5%95%86%E5%93%81%E8%AE%A2%E8%B4%A7%E5%8D%95-%E8%AE%B0%E5%BD%95.xlsx" \
        in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    assert sheet_numbers(r.data) == numbers[::-1]                 # the list is newest first, the sheet oldest first
    assert sheet_numbers(r.data, "明细") == numbers[::-1]          # one line item each


def test_the_filters_select_what_they_say(stored, client):
    def exported(params):
        return sheet_numbers(client.get("/forms/order_form/records.xlsx?" + urlencode(params, doseq=True)).data)
    assert exported({}) == [f"DH-202611-{i:04d}" for i in range(1, 7)]
    assert exported({"q": "华联"}) == ["DH-202611-0001", "DH-202611-0003", "DH-202611-0006"]
    assert exported({"from": "2026-11-03", "to": "2026-11-08"}) == ["DH-202611-0002", "DH-202611-0003",
                                                                    "DH-202611-0004"]
    assert exported({"where": "付款方式=现金"}) == ["DH-202611-0001", "DH-202611-0004", "DH-202611-0006"]
    assert exported({"q": "没有这个客户"}) == []                    # an empty list is an empty workbook
    wb = load_workbook(io.BytesIO(client.get("/forms/order_form/records.xlsx?q=东方商贸").data))
    head = [c.value for c in wb["记录"][1]]
    row = dict(zip(head, next(wb["记录"].iter_rows(min_row=2, values_only=True))))
    assert row["客户名称"] == "东方商贸有限公司" and row["付款方式"] == "转账" and row["合计"] == 87.5
    assert row["提交日期"].date().isoformat() == "2026-11-03"


def test_bad_filters_and_unknown_forms(stored, client):
    r = client.get("/forms/order_form/records.xlsx?from=2026-13-40")
    assert r.status_code == 400 and "不是有效的日期" in r.get_data(as_text=True)
    r = client.get("/forms/order_form/records.xlsx?where=no_such_field=1")
    assert r.status_code == 400 and "没有可筛选的字段" in r.get_data(as_text=True)
    assert client.get("/forms/no_such_form/records.xlsx").status_code == 404


def test_too_many_rows_for_excel_is_a_clear_error(stored, client, monkeypatch):
    monkeypatch.setattr(stream, "MAX_ROWS", 4)               # a header and three records
    assert client.get("/forms/order_form/records.xlsx?q=华联").status_code == 200
    r = client.get("/forms/order_form/records.xlsx")
    assert r.status_code == 422 and "「记录」超过了 Excel 一张工作表的上限" in r.get_data(as_text=True)


# ---------------------------------------------------------------- biaoge export
@pytest.fixture
def folder(tmp_path):
    from services.records import Records
    from store import open_store
    cat = load_catalog(SCHEMAS)
    records = Records(open_store(str(tmp_path / "data")), cat)
    form = cat.require("order_form")
    key, definition = records.definition_of(form)
    records.store.put_definition(form.id, key, definition)
    add_orders(records.store, form, key)
    return tmp_path


def export(folder, *args):
    return CliRunner().invoke(main, ["export", "order_form", "--schemas", str(SCHEMAS), "--data",
                                     str(folder / "data"), *args])


def test_cli_export_with_filters(folder):
    out = folder / "out" / "订货.xlsx"
    r = export(folder, "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "已导出 6 条记录" in r.output and sheet_numbers(out.read_bytes()) == [f"DH-202611-{i:04d}" for i in range(1, 7)]
    r = export(folder, "--from", "2026-11-03", "--to", "2026-11-12", "--where", "pay_method=现金", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert sheet_numbers(out.read_bytes()) == ["DH-202611-0004"]
    r = export(folder, "--where", "付款方式=转账", "--where", "customer_name=华联超市", "-o", str(out))
    assert sheet_numbers(out.read_bytes()) == ["DH-202611-0003"]
    r = export(folder, "-q", "东方", "-o", str(out))
    assert sheet_numbers(out.read_bytes()) == ["DH-202611-0002"]
    assert not list(out.parent.glob("*.part"))


def test_cli_export_refuses_what_it_cannot_do(folder, monkeypatch):
    out = folder / "x.xlsx"
    r = export(folder, "--from", "昨天", "-o", str(out))
    assert r.exit_code == 1 and "不是有效的日期" in r.output
    r = export(folder, "--where", "没有=1", "-o", str(out))
    assert r.exit_code == 1 and "没有可筛选的字段" in r.output
    r = export(folder, "-o", str(folder / "x.csv"))
    assert r.exit_code == 1 and ".xlsx" in r.output
    r = CliRunner().invoke(main, ["export", "no_such_form", "--schemas", str(SCHEMAS), "--data",
                                  str(folder / "data"), "-o", str(out)])
    assert r.exit_code == 1 and "没有找到表单" in r.output
    monkeypatch.setattr(stream, "MAX_ROWS", 4)
    r = export(folder, "-o", str(out))
    assert r.exit_code == 1 and "超过了 Excel 一张工作表的上限" in r.output
    assert not out.exists() and not (folder / "x.xlsx.part").exists()
