"""Never lose work (issue 15): a half-filled 经销商资讯考察表 survives a reload (kept in the browser at
once, and on the server as the person's 草稿, listed on 我的草稿); leaving with unsaved changes asks."""
from __future__ import annotations

import re

from tests.people import client_as
from tests.browser_helpers import fast_passwords  # noqa: F401  (cheap hashes for the test people)

HALF = {"inspect_date": "2026-11-20", "inspector": "张三", "dealer_name": "华联商贸有限公司",
        "contact": "王芳", "basic.organization": "总经理下设采购、销售、仓储三部", "basic.employees": "35"}


def _fill(page):
    for name, value in HALF.items():
        page.fill(f'[name="{name}"]', value)


def test_half_a_form_survives_a_reload_and_leaving_asks(live_server, page, app):
    page.goto(f"{live_server}/forms/dealer_inspection")
    _fill(page)
    page.wait_for_selector("#save-status:has-text('草稿已保存')", timeout=10000)
    page.reload()
    for name, value in HALF.items():
        assert page.input_value(f'[name="{name}"]') == value, name
    assert "已恢复" in page.text_content("#save-status")
    # leaving with unsubmitted changes: the browser asks; dismissing it stays on the page
    page.fill('[name="address"]', "上海市长宁区")
    asked = []

    def on_dialog(dialog):
        asked.append(dialog.type)
        dialog.dismiss()
    page.on("dialog", on_dialog)
    page.click("nav.top >> text=我的草稿", no_wait_after=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/forms/dealer_inspection")
    # the server kept it as the user's 草稿: 我的草稿 lists it and resumes it in a fresh browser
    page.wait_for_selector("#save-status:has-text('草稿已保存')", timeout=10000)
    drafts = app.extensions["biaoge.records"].store.docs("draft", prefix="admin:")
    assert len(drafts) == 1 and ["address", "上海市长宁区"] in drafts[0][1]["pairs"]
    other = page.context.browser.new_context(locale="zh-CN", extra_http_headers={
        "Authorization": f"Bearer {app.admin_token}"}).new_page()
    other.goto(f"{live_server}/drafts")
    other.click("text=经销商资讯考察表")
    assert re.search(r"/forms/dealer_inspection\?draft=\w+$", other.url)
    assert other.input_value('[name="basic.organization"]') == HALF["basic.organization"]
    assert other.input_value('[name="address"]') == "上海市长宁区"
    other.context.close()
    page.remove_listener("dialog", on_dialog)
    _submitting_forgets_the_draft_and_drafts_are_bounded(app, client_as(app, app.admin_token))


def _submitting_forgets_the_draft_and_drafts_are_bounded(app, client):
    from server import drafts
    pairs = [["customer_name", "华联超市"], ["order_date", "2026-11-27"], ["items.0.product_name", "洗衣粉"],
             ["items.0.quantity", "2"], ["items.0.unit_price", "3"]]
    store = app.extensions["biaoge.records"].store
    for i in range(drafts.DRAFTS_PER_USER + 3):
        r = client.post(f"/forms/order_form/drafts/draft{i:08d}", json={"pairs": pairs})
        assert r.status_code == 200, r.get_data(as_text=True)
    kept = store.docs("draft", prefix="admin:")
    assert len(kept) == drafts.DRAFTS_PER_USER
    assert "admin:order_form:draft00000000" not in {k for k, _, _ in kept}       # the oldest went
    assert client.post("/forms/order_form/drafts/short", json={"pairs": pairs}).status_code == 400
    assert client.post("/forms/order_form/drafts/draft99999999", json={"pairs": "x"}).status_code == 400
    huge = [["remark", "字" * (drafts.DRAFT_CHARS + 1)]]
    assert client.post("/forms/order_form/drafts/draft99999999", json={"pairs": huge}).status_code == 413
    last = f"draft{drafts.DRAFTS_PER_USER + 2:08d}"
    r = client.get(f"/forms/order_form?draft={last}")
    assert r.status_code == 200 and 'value="华联超市"' in r.get_data(as_text=True)
    r = client.post("/forms/order_form", data=dict(pairs, draft_id=last))
    assert r.status_code == 303
    assert store.get_doc("draft", f"admin:order_form:{last}") is None
    assert client.get(f"/forms/order_form?draft={last}").status_code == 404
