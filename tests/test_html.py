"""The fillable web form: controls by selectors, server errors beside fields,
and in a real browser: live totals, rows added and removed, conditional fields."""
import pytest

from renderers import base
from renderers.base import Filled

from .render_helpers import html_tree


@pytest.fixture
def order_page(order_form):
    return html_tree(base.get("html").render(order_form))


def test_controls_follow_field_kinds(order_page):
    assert order_page.cssselect('input[name="customer_name"][required][maxlength="100"]')
    assert order_page.cssselect('input[type="date"][name="order_date"][required]')
    assert order_page.cssselect('input[type="tel"][name="phone"]')
    assert order_page.cssselect('input[type="number"][name="items.0.quantity"][step="1"][min="0"]')
    assert order_page.cssselect('input[type="number"][name="items.0.unit_price"][step="0.01"]')
    assert len(order_page.cssselect('input[type="radio"][name="pay_method"]')) == 3
    assert order_page.cssselect('input[type="radio"][name="pay_method"][value="转账"][checked]')
    assert order_page.cssselect('textarea[name="remark"]')
    assert order_page.cssselect('output.computed[name="items.0.amount"]')
    assert order_page.cssselect('output.computed[name="total"]')
    assert order_page.cssselect('output.computed[name="total_in_words"]')
    assert not order_page.cssselect('input[name="total"]'), "computed fields are not inputs"
    assert order_page.cssselect('table.items[data-table="items"] button.remove-row')
    assert order_page.cssselect('button.add-row[data-table="items"]')
    assert order_page.cssselect('template[data-row-template="items"]')
    assert order_page.cssselect('[data-when] input[name="bank_account"]')
    assert order_page.cssselect('form[method="post"] button[type="submit"]')


def test_sections_choices_and_checkboxes(catalog):
    tree = html_tree(base.get("html").render(catalog.require("customer_complaint_register")))
    legends = [l.text_content() for l in tree.cssselect("fieldset.section > legend")]
    assert "客户信息" in legends and "处理情况" in legends
    assert tree.cssselect('input[type="checkbox"]')
    assert tree.cssselect("select option")


def test_no_external_resources_and_no_eval(order_form):
    page = base.get("html").render(order_form).decode()
    tree = html_tree(page.encode())
    assert not tree.cssselect("script[src], link[href], img[src]")
    assert "eval(" not in page and "new Function" not in page


def test_server_errors_shown_beside_fields(order_form):
    errors = [{"path": "/customer_name", "field": "客户名称", "message": "「客户名称」为必填项"},
              {"path": "/items/0/quantity", "field": "数量", "message": "订货明细第 1 行「数量」必须是不小于 0 的整数"}]
    values = {"items": [{"quantity": -1}]}
    tree = html_tree(base.get("html").page(order_form, values=values, errors=errors).encode())
    assert tree.cssselect('p.error#e-customer_name')[0].text_content() == "「客户名称」为必填项"
    cell = tree.cssselect('input[name="items.0.quantity"]')[0].getparent()
    assert "必须是不小于 0 的整数" in cell.text_content()
    assert tree.cssselect('input[name="items.0.quantity"][value="-1"]')
    assert "2 处错误" in tree.cssselect(".error-summary")[0].text_content()


def test_values_escaped(order_form):
    page = base.get("html").render(order_form, Filled({"customer_name": '"><script>alert(1)</script>'}))
    tree = html_tree(page)
    assert tree.cssselect('input[name="customer_name"]')[0].get("value") == '"><script>alert(1)</script>'
    assert b"<script>alert(1)" not in page


def test_live_totals_rows_and_conditions_in_browser(order_form, page, tmp_path):
    path = tmp_path / "order.html"
    path.write_bytes(base.get("html").render(order_form))
    page.goto(path.as_uri())
    page.fill('[name="items.0.quantity"]', "3")
    page.fill('[name="items.0.unit_price"]', "12.5")
    page.fill('[name="items.1.quantity"]', "10")
    page.fill('[name="items.1.unit_price"]', "2.05")
    assert page.text_content('output[name="items.0.amount"]') == "37.50"
    assert page.text_content('output[name="total"]') == "58.00"
    assert page.text_content('output[name="total_in_words"]') == "伍拾捌元整"
    page.click("button.add-row")
    page.fill('[name="items.3.quantity"]', "1")
    page.fill('[name="items.3.unit_price"]', "0.45")
    assert page.text_content('output[name="total"]') == "58.45"
    assert page.text_content('output[name="total_in_words"]') == "伍拾捌元肆角伍分"
    page.click("tr:nth-child(1) button.remove-row")
    assert page.input_value('[name="items.0.quantity"]') == "10", "rows renumbered after removal"
    assert page.text_content('output[name="total"]') == "20.95"
    assert page.is_visible('[name="bank_account"]')
    page.check('input[name="pay_method"][value="现金"]')
    assert not page.is_visible('[name="bank_account"]')
    assert page.errors == []
