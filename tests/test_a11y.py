"""Accessibility (issue 15): axe-core, from the npm registry (tests/js, installed by `make test`), finds
no serious or critical violation on the catalog, five fill pages, the records list and a record view,
at 1280 px and at 390 px."""
from __future__ import annotations

from pathlib import Path

import pytest

from forms.sample import sample_submission
from tests.browser_helpers import shared_site  # noqa: F401  (a fixture)

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
FILL = ("order_form", "dealer_inspection", "salesperson_weekly_report", "weekly_action_plan", "performance_bonus_approval")


@pytest.fixture
def record_id(shared_site):
    app = shared_site[1]
    form = app.extensions["biaoge.records"].catalog.require("order_form")
    return app.extensions["biaoge.records"].save_new(form, sample_submission(form, seed=3, rows=2),
                                                     creator="admin", department="总经理办公室")["id"]


def test_axe_finds_no_serious_violation_and_the_keyboard_follows_the_paper(shared_site, browser, record_id):
    live_server, app = shared_site
    assert AXE.exists(), "axe-core is installed by `make test` (npm ci in tests/js)"
    urls = ["/", *[f"/forms/{f}" for f in FILL], "/forms/order_form/records", f"/forms/order_form/records/{record_id}"]
    found = []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", bypass_csp=True,
                                      service_workers="block",
                                      extra_http_headers={"Authorization": f"Bearer {app.admin_token}"})
        context.add_init_script(path=str(AXE))          # in every page once, not injected page by page
        page = context.new_page()
        for url in urls:
            assert page.goto(live_server + url).status == 200, url
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            for v in result["violations"]:
                if v["impact"] in ("serious", "critical"):
                    found.append((width, url, v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]))
        context.close()
    assert not found, "\n".join(map(str, found))
    page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN", extra_http_headers={
        "Authorization": f"Bearer {app.admin_token}"}).new_page()
    _keyboard_order_is_the_paper_order_and_errors_are_announced(live_server, page)
    page.context.close()


def _keyboard_order_is_the_paper_order_and_errors_are_announced(live_server, page):
    page.goto(f"{live_server}/forms/order_form")
    # the fields in the order the definition (the paper) lists them
    paper = page.evaluate("""() => [...document.querySelectorAll('#biaoge-form input:not([type=hidden]), '
        + '#biaoge-form select, #biaoge-form textarea')].filter(e => !e.closest('template')).map(e => e.name)""")
    assert page.evaluate("document.querySelectorAll('[tabindex]:not([tabindex=\"-1\"]):not([tabindex=\"0\"])').length") == 0
    page.focus('[name="customer_name"]')
    seen = ["customer_name"]
    for _ in range(14):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.name || ''")
        if name and name != seen[-1]:
            seen.append(name)
    fields = [n for n in dict.fromkeys(paper)]
    assert seen == fields[:len(seen)], (seen, fields[:len(seen)])
    # an error the server finds is tied to its field and announced
    typed = {"customer_name": "华联超市", "order_date": "2026-11-27", "phone": "12345678",
             "items.0.product_name": "洗衣粉", "items.0.quantity": "1", "items.0.unit_price": "1"}
    for name, value in typed.items():
        page.fill(f'[name="{name}"]', value)
    page.click("#biaoge-form button[type=submit]")
    page.wait_for_selector("#e-phone")
    assert page.get_attribute('[name="phone"]', "aria-describedby") == "e-phone"
    assert page.get_attribute('[name="phone"]', "aria-invalid") == "true"
    assert page.get_attribute(".error-summary", "role") == "alert"
