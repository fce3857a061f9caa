"""Phone-first pages (issue 15): every fill page at 390×844 fits the screen, every tap target is big
enough; 商品订货单 is filled on a phone with three line items."""
from __future__ import annotations

import re

import pytest

from .browser_helpers import fill_line_items, shared_site  # noqa: F401  (shared_site: a fixture)

PHONE = {"width": 390, "height": 844}

# what the page measures of itself: its scroll width and the visible controls lower than 40 px
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll('input, button, a, select, textarea')) {
    if (el.type === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;          // not shown (a hidden section)
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    if (el.closest('[hidden], template, .sr')) continue;
    let h = r.height;
    const label = el.closest('label');
    if ((el.type === 'radio' || el.type === 'checkbox') && label) h = label.getBoundingClientRect().height;
    if (h < 40) small.push((el.name || el.id || el.textContent.trim().slice(0, 12) || el.tagName) + ':' + Math.round(h));
  }
  return {width: document.documentElement.scrollWidth, small: small.slice(0, 8)};
}"""


@pytest.fixture
def phone(browser, shared_site):
    app = shared_site[1]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1, has_touch=True,
                                  service_workers="block",           # the sweep measures layout, not offline
                                  extra_http_headers={"Authorization": f"Bearer {app.admin_token}"})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def test_every_fill_page_fits_a_phone_and_an_order_is_filled_on_one(shared_site, phone, catalog):
    live_server, app = shared_site
    forms = [f for fs in catalog.by_chapter().values() for f in fs]
    assert len(forms) == 84
    bad = []
    for form in forms:
        phone.goto(f"{live_server}/forms/{form.id}", wait_until="load")
        got = phone.evaluate(MEASURE)
        if got["width"] > PHONE["width"] or got["small"]:
            bad.append((form.id, got["width"], got["small"]))
    assert not bad, f"{len(bad)} pages do not fit:\n" + "\n".join(map(str, bad))
    assert phone.errors == []
    _an_order_on_a_phone(live_server, phone, app)


def _fits(page, url):
    page.goto(url, wait_until="load")
    got = page.evaluate(MEASURE)
    assert got["width"] <= PHONE["width"] and not got["small"], (url, got)


def _an_order_on_a_phone(live_server, phone, app):
    """商品订货单 at 390×844 with three line items: totals and 大写 update, the 编号 comes back."""
    phone.goto(f"{live_server}/forms/order_form")
    phone.fill('[name="customer_name"]', "华联超市")
    phone.fill('[name="order_date"]', "2026-11-27")

    def labelled(i):          # each row is a card: its fields are labelled on the card itself
        card = phone.locator("table.items tbody tr").nth(i)
        assert card.locator("label.cell-label", has_text="商品名称").is_visible()
    fill_line_items(phone, each_row=labelled)
    assert phone.text_content('output[name="items.2.amount"]') == "17.60"
    assert phone.text_content('output[name="total"]') == "75.60"
    assert phone.text_content('output[name="total_in_words"]') == "柒拾伍元陆角"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.text_content(".submit-bar .bar-total") == "合计：75.60"      # the total stays on screen
    # reorder: the third row moves up, its values with it
    phone.locator("table.items tbody tr").nth(2).locator("button.move-up").click()
    assert phone.input_value('[name="items.1.product_name"]') == "牙膏"
    assert phone.text_content('output[name="total"]') == "75.60"
    phone.click("#biaoge-form button[type=submit]")
    phone.wait_for_selector("#record-number")
    number = phone.text_content("#record-number")          # the app is shared: not always the month's first
    record_url = phone.url.split("?")[0]
    stored = app.extensions["biaoge.records"].store.get("order_form", int(record_url.rsplit("/", 1)[1]))
    assert re.fullmatch(r"DH-202611-\d{4}", number) and stored["number"] == number
    assert stored["data"]["customer_name"] == "华联超市" and len(stored["data"]["items"]) == 3
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _fits(phone, record_url)
    _fits(phone, f"{live_server}/forms/order_form/records")
    _fits(phone, f"{live_server}/")
    assert phone.errors == []
