"""The records list sorts on the server across all pages (issue 15): by a key column, 编号 or
提交时间, in either direction, within the user's scope and paging; a column sort over more records
than services.sorting.SORT_CAP is refused in Chinese; bad parameters are a 400. A definition may
declare its key columns (x-form list)."""
from __future__ import annotations

import pytest
from lxml import html

from server.listing import key_columns
from services.catalog import load_catalog
from tests.approval_helpers import fast_passwords  # noqa: F401  (autouse)
from tests.people import client_as, person

TOTALS = (30, 5, 12, 7, 20)


def _order(client, name, price):
    r = client.post("/api/forms/order_form/submissions", json={
        "customer_name": name, "order_date": "2026-11-27",
        "items": [{"product_name": "洗衣粉", "quantity": 1, "unit_price": price}]})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _page(client, **args):
    r = client.get("/forms/order_form/records", query_string=args)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return html.fromstring(r.get_data(as_text=True))


def _col(page, label):
    return [td.text_content().strip() for td in page.cssselect(f'table.list tbody td[data-label="{label}"]')]


@pytest.fixture(params=["embedded", "postgres"])
def either_app(request, app):
    """The app on the embedded store, or on a fresh PostgreSQL database."""
    if request.param == "embedded":
        yield app
        return
    from server.app import create_app
    from tests.pg_helpers import database
    with database() as url:
        other = create_app({**{k: app.config[k] for k in ("SCHEMAS", "SECRET_KEY", "API_RATE")},
                            "DATA": str(app.schemas_path.parent / "data-pg"), "STORE": url})
        yield other
        other.extensions["biaoge.records"].store.close()


def test_a_column_sort_runs_across_pages_in_both_directions(either_app):
    app = either_app
    client = client_as(app, app.admin_token)
    app.config["PER_PAGE"] = 2
    numbers = [_order(client, f"客户{i}", price)["number"] for i, price in enumerate(TOTALS)]
    up = [v for p in (1, 2, 3) for v in _col(_page(client, sort="total", dir="asc", page=p), "合计")]
    assert up == ["5.00", "7.00", "12.00", "20.00", "30.00"]
    down = [v for p in (1, 2, 3) for v in _col(_page(client, sort="total", dir="desc", page=p), "合计")]
    assert down == list(reversed(up))
    first = _page(client, sort="total", dir="asc")
    assert "sort=total" in first.cssselect(".pager a")[0].get("href")           # paging keeps the order
    assert first.cssselect('th[aria-sort="ascending"]')[0].text_content().startswith("合计")
    assert "共 5 条记录" in first.text_content()
    assert [o.get("value") for o in first.cssselect('.sort-form select[name="sort"] option')][:2] == ["created", "number"]
    oldest = [v for p in (1, 2, 3) for v in _col(_page(client, sort="created", dir="asc", page=p), "编号")]
    assert oldest == numbers
    newest = [v for p in (1, 2, 3) for v in _col(_page(client, page=p), "编号")]
    assert newest == list(reversed(numbers))
    by_number = [v for p in (1, 2, 3) for v in _col(_page(client, sort="number", dir="desc", page=p), "编号")]
    assert by_number == sorted(numbers, reverse=True)
    names = [v for p in (1, 2, 3) for v in _col(_page(client, sort="customer_name", page=p), "客户名称")]
    assert names == sorted(names) and len(names) == 5


def test_the_sort_keeps_the_users_scope_and_refuses_bad_parameters(app, client, monkeypatch):
    for i, price in enumerate(TOTALS):
        _order(client, f"总部{i}", price)
    rep = client_as(app, person(app, "ywy", roles=["业务员"], department="上海办事处"))
    _order(rep, "上海甲", 50)
    _order(rep, "上海乙", 1)
    mine = _page(rep, sort="total", dir="desc")
    assert _col(mine, "合计") == ["50.00", "1.00"] and "共 2 条记录" in mine.text_content()
    r = client.get("/forms/order_form/records?sort=password")
    assert r.status_code == 400 and "不能按「password」排序" in r.get_data(as_text=True)
    r = client.get("/forms/order_form/records?sort=total&dir=up")
    assert r.status_code == 400 and "排序方向" in r.get_data(as_text=True)
    import services.sorting
    monkeypatch.setattr(services.sorting, "SORT_CAP", 4)
    r = client.get("/forms/order_form/records?sort=total")
    assert r.status_code == 400 and "超过 4 条时不能按「合计」排序" in r.get_data(as_text=True)
    assert client.get("/forms/order_form/records?sort=total&q=总部1").status_code == 200     # narrowed: fine
    assert client.get("/forms/order_form/records?sort=created&dir=asc").status_code == 200   # the store's order


def test_a_definition_declares_its_list_columns(make_schemas):
    folder = make_schemas({"demo.yaml": """
        x-form:
          id: demo
          title: 演示表
          list: [amount, name]
        properties:
          name: {title: 名称}
          day: {title: 日期, x-kind: date}
          amount: {title: 金额, x-kind: money}
    """})
    catalog = load_catalog(folder)
    assert catalog.ok, catalog.problems
    assert [f.key for f in key_columns(catalog.require("demo"))] == ["amount", "name"]


def _all(client, **args):
    r = client.get("/records", query_string=args)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return html.fromstring(r.get_data(as_text=True))


def test_all_records_pages_with_a_total_in_the_users_scope(app, client):
    app.config["PER_PAGE"] = 2
    made = [_order(client, f"华联{i}", 3)["number"] for i in range(3)]
    r = client.post("/api/forms/dealer_inspection/submissions", json={
        "inspect_date": "2026-11-20", "inspector": "张三", "dealer_name": "华联商贸",
        "conclusion": {"rating": "良", "recommendation": "建议合作"}})
    assert r.status_code == 201
    rep = client_as(app, person(app, "ywy", roles=["业务员"], department="上海办事处"))
    _order(rep, "华联上海", 4)
    first = _all(client)
    assert "共 5 条" in first.text_content() and "第 1 / 3 页" in first.text_content()
    seen = [a.text_content() for p in (1, 2, 3) for a in _all(client, page=p).cssselect("table.list tbody td a")]
    assert len(seen) == len(set(seen)) == 5 and set(made) <= set(seen)
    searched = _all(client, q="华联商贸")
    assert "共 1 条" in searched.text_content() and "经销商资讯考察表" in searched.text_content()
    assert "q=" in _all(client, q="华联").cssselect(".pager a")[0].get("href")      # paging keeps the search
    mine = _all(rep)
    assert "共 1 条" in mine.text_content() and "华联上海" in mine.text_content()
    r = client.get("/records?page=51")
    assert r.status_code == 400 and "页码" in r.get_data(as_text=True)
