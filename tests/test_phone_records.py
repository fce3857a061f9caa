"""Record view and lists (issue 15): 打印 opens the PDF, 再填一张, downloads; money right-aligned; each
form's key columns (date, customer or person, total) chosen from its definition and sortable; one list
across all forms with search, within the user's scope."""
from __future__ import annotations

from lxml import html

from tests.people import client_as, person
from tests.browser_helpers import fast_passwords  # noqa: F401  (cheap hashes for the test people)

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "items": [
    {"product_name": "洗衣粉", "quantity": 2, "unit_price": 12.5}]}


def _post(client, form_id, data):
    r = client.post(f"/api/forms/{form_id}/submissions", json=data)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _the_record_page_prints_downloads_and_fills_again(client):
    rec = _post(client, "order_form", ORDER)
    page = html.fromstring(client.get(f"/forms/order_form/records/{rec['id']}").get_data(as_text=True))
    (print_link,) = page.cssselect("#print-link")
    assert print_link.text_content() == "打印" and print_link.get("target") == "_blank"
    r = client.get(print_link.get("href"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("inline;")
    assert client.get(page.cssselect("#pdf-link")[0].get("href")).headers["Content-Disposition"].startswith("attachment;")
    assert page.cssselect("#xlsx-link") and page.cssselect("#again-link")[0].get("href") == "/forms/order_form"
    money = [dd.text_content() for dd in page.cssselect("dd.money")]
    assert "25.00" in money
    assert [td.text_content() for td in page.cssselect("td.money")][:3] == ["2", "12.50", "25.00"]


def _the_list_shows_key_columns_and_sorts(live_server, page, client):
    for name, price in (("乙超市", 30), ("甲超市", 5), ("丙超市", 12)):
        _post(client, "order_form", {**ORDER, "customer_name": name, "items": [
            {"product_name": "洗衣粉", "quantity": 1, "unit_price": price}]})
    page.goto(f"{live_server}/forms/order_form/records")
    heads = [h.strip() for h in page.locator("table.list thead th").all_text_contents()]
    assert heads[:6] == ["编号", "提交时间", "客户名称", "联系人", "订货日期", "合计"]
    assert page.locator("table.list tbody td.money").first.evaluate("e => getComputedStyle(e).textAlign") == "right"
    page.click("table.list th >> text=合计")                      # sorted on the server, across pages
    page.wait_for_url("**sort=total&dir=asc")
    totals = page.locator("table.list tbody td.money").all_text_contents()
    assert totals == sorted(totals, key=float) and {"5.00", "12.00", "30.00"} <= set(totals)
    page.click("table.list th >> text=合计")
    page.wait_for_url("**sort=total&dir=desc")
    assert page.locator("table.list tbody td.money").all_text_contents() == sorted(totals, key=float, reverse=True)
    assert page.get_attribute("table.list th:nth-child(6)", "aria-sort") == "descending"
    page.select_option('.sort-form select[name="sort"]', "customer_name")     # the phone's control
    page.select_option('.sort-form select[name="dir"]', "asc")
    page.click(".sort-form button")
    page.wait_for_url("**sort=customer_name**")
    names = page.locator('table.list tbody td[data-label="客户名称"]').all_text_contents()
    assert names == sorted(names) and "甲超市" in names


def _one_list_across_forms_with_search_in_the_users_scope(app, client):
    _post(client, "order_form", ORDER)
    rep = client_as(app, person(app, "ywy", roles=["业务员"], department="上海办事处"))
    _post(rep, "order_form", {**ORDER, "customer_name": "华联二店"})
    _post(client, "order_form", {**ORDER, "customer_name": "联华超市"})
    _post(client, "dealer_inspection", {"inspect_date": "2026-11-20", "inspector": "张三", "dealer_name": "华联商贸",
                                        "conclusion": {"rating": "良", "recommendation": "建议合作"}})
    page = html.fromstring(client.get("/records?q=华联").get_data(as_text=True))
    rows = [r.text_content() for r in page.cssselect("table.list tbody tr")]
    assert sum("经销商资讯考察表" in r and "华联商贸" in r for r in rows) == 1       # whatever its form
    assert sorted(n for r in rows for n in ("华联超市", "华联二店") if n in r) == ["华联二店", "华联超市", "华联超市"]
    assert len(rows) == 4
    assert all("联华超市" not in r for r in rows)
    mine = html.fromstring(rep.get("/records?q=华联").get_data(as_text=True)).cssselect("table.list tbody tr")
    assert len(mine) == 1 and "华联二店" in mine[0].text_content()
    assert "没有找到记录" in client.get("/records?q=不存在的客户").get_data(as_text=True)


def test_record_view_lists_and_search(live_server, page, app):
    client = client_as(app, app.admin_token)
    _the_list_shows_key_columns_and_sorts(live_server, page, client)
    _the_record_page_prints_downloads_and_fills_again(client)
    _one_list_across_forms_with_search_in_the_users_scope(app, client)
