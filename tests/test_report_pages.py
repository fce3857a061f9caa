"""The 生成 button: a prefilled draft, submitted with its 编号, then traced back row by row."""
from __future__ import annotations

import re

from tests.people import client_as, person


def _deliver(app, day, lines, department, creator):
    records = app.extensions["biaoge.records"]
    form = records.catalog.require("delivery_note")
    items = [{"product_name": p, "quantity": q, "unit_price": pr} for p, q, pr in lines]
    from forms.submission import check
    result = check(form, {"ship_date": day, "customer_name": "甲商贸", "address": "上海", "ship_method": "公司配送",
                          "items": items})
    assert result.ok, result.errors
    rec = records.save_new(form, result.data, creator=creator, department=department)
    # 商品发货单 has an approval flow: only approved shipments count in the 发货日报表
    records.store.put_doc("flow", f"delivery_note:{rec['id']}", {"state": "已通过"})
    return rec


def _pairs(page: str) -> dict:
    """The fill page's inputs with their values (what a browser would post back)."""
    out = {}
    for m in re.finditer(r'<input[^>]*\bname="([^"]+)"[^>]*>', page):
        value = re.search(r'\bvalue="([^"]*)"', m.group(0))
        if value and "type=\"hidden\"" not in m.group(0):
            out[m.group(1)] = value.group(1)
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', m.group(2))
        if chosen:
            out[m.group(1)] = chosen.group(1)
    return out


def test_generate_submit_trace_back_and_refuse(app, client):
    a = _deliver(app, "2026-11-27", [("苹果汁", 3, 10)], "上海办事处", "wang")
    b = _deliver(app, "2026-11-27", [("橙汁", 2, 5)], "北京办事处", "zhao")
    _deliver(app, "2026-11-26", [("苹果汁", 9, 10)], "上海办事处", "wang")
    listing = client.get("/forms/shipment_daily_report/records").get_data(as_text=True)
    assert 'id="generate-form"' in listing and ">生成</button>" in listing
    r = client.post("/forms/shipment_daily_report/generate", data={"period": "2026-11-27"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    values = _pairs(page)
    assert values["items.0.delivery_no"] == a["number"] and values["items.1.delivery_no"] == b["number"]
    assert values["items.0.quantity"] == "3" and values["delivery_count"] == "2" and not values.get("items.2.quantity")
    action = re.search(r'<form[^>]*action="([^"]*generated[^"]*)"', page).group(1).replace("&amp;", "&")
    values["pending"] = "北京仓缺货一单延后"
    r = client.post(action, data=values)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    record_url = r.headers["Location"]
    record_page = client.get(record_url).get_data(as_text=True)
    assert "北京仓缺货一单延后" in record_page and 'id="sources-link"' in record_page
    rows = re.findall(r'class="row-sources" href="([^"]+)"', record_page)
    assert len(rows) == 2 and rows[0].endswith("/sources#items-1")          # each row links to its records
    rid = int(re.search(r"/records/(\d+)", record_url).group(1))
    sources = client.get(f"/forms/shipment_daily_report/records/{rid}/sources").get_data(as_text=True)
    first = sources.split('id="items-1"')[1].split("</section>")[0]
    assert a["number"] in first and b["number"] not in first
    assert client.post(action, data=values).status_code == 400          # a draft is submitted once

    # a 销售主管 of 上海办事处 generates from their department's records only, and sees only those
    token = person(app, "zhu", roles=["销售主管"], department="上海办事处")
    mgr = client_as(app, token)
    page = mgr.post("/forms/shipment_daily_report/generate", data={"period": "2026-11-27"}).get_data(as_text=True)
    mine = _pairs(page)
    assert mine["items.0.delivery_no"] == a["number"] and not mine.get("items.1.delivery_no")
    assert mgr.get(f"/forms/shipment_daily_report/records/{rid}/sources").status_code == 404   # not their record

    # the approval flow's state function, where the app has one: a voided 发货单 no longer counts
    app.extensions["biaoge.record_state"] = lambda form_id, rec: "已作废" if rec["id"] == a["id"] else "已通过"
    page = client.post("/forms/shipment_daily_report/generate", data={"period": "2026-11-27"}).get_data(as_text=True)
    again = _pairs(page)
    assert again["items.0.delivery_no"] == b["number"] and not again.get("items.1.delivery_no")
    del app.extensions["biaoge.record_state"]
    # the real states: a 发货单 voided (its void mark) or still 审批中 no longer counts
    app.extensions["biaoge.records"].store.put_doc("void", f"delivery_note:{a['id']}", {"reason": "录错"})
    page = client.post("/forms/shipment_daily_report/generate", data={"period": "2026-11-27"}).get_data(as_text=True)
    assert _pairs(page)["items.0.delivery_no"] == b["number"] and not _pairs(page).get("items.1.delivery_no")

    # a bad period, a form without sources: said in Chinese, a 400
    r = client.post("/forms/shipment_monthly_report/generate", data={"period": "2026-13"})
    assert r.status_code == 400 and "不是有效的" in r.get_data(as_text=True)
    r = client.post("/forms/order_form/generate", data={"period": "2026-11"})
    assert r.status_code == 400 and "没有声明数据来源" in r.get_data(as_text=True)
