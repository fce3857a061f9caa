"""Issue 14 in the browser (Debian's chromium) on a phone's width: an overdue step stands out (red
已超时 in the inbox row and the timeline, no horizontal scroll, 44 px tap targets), and a signature
drawn on the decision form's pad with the pointer is posted with the decision."""
from __future__ import annotations

from dataclasses import replace

from tests.people import client_as, person
from tests.test_a11y import AXE
from tests.test_approval_browser import signed_in
from tests.test_approval_http import application

FORM = "business_approval_application"


def fits(page, width) -> None:
    """No horizontal scroll, the red 已超时 badge, and nothing serious for axe-core."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    red = page.eval_on_selector("span.overdue", "e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(180, 35, 24)"
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    assert not [(v["id"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]


def test_overdue_stands_out_and_a_drawn_signature_is_posted(app, live_server, browser, monkeypatch):
    applicant = client_as(app, person(app, "shenqing", roles=["业务员"], department="上海办事处", real_name="王申请"))
    person(app, "jingli", roles=["销售部经理"], department="华东大区", real_name="李经理")
    r = applicant.post(f"/api/forms/{FORM}/submissions", json=application(app))
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    form = app.extensions["biaoge.records"].catalog.require(FORM)       # the first step: 1 day, entered in 2020
    monkeypatch.setattr(form, "flow", replace(form.flow, steps=(replace(form.flow.steps[0], days=1),)
                                              + form.flow.steps[1:]))
    store = app.extensions["biaoge.records"].store
    store.update_doc("flow", f"{FORM}:{rid}", lambda d: dict(d, since="2020-01-01T09:00:00"))

    for width in (1280, 390):
        page = signed_in(browser, live_server, "jingli", width, bypass_csp=True)
        page.goto(f"{live_server}/approvals")
        assert page.locator("#approval-list tr.overdue").count() == 1
        fits(page, width)
        assert min(page.eval_on_selector_all("nav.tabs a", "es => es.map(e => e.getBoundingClientRect().height)")) >= 44
        page.goto(f"{live_server}/forms/{FORM}/records/{rid}")
        assert "已超时" in page.inner_text("#approval-timeline li.current")
        fits(page, width)
    page = signed_in(browser, live_server, "jingli", 390)       # the pad under the site's own CSP
    page.goto(f"{live_server}/forms/{FORM}/records/{rid}")
    page.locator("#signature-pad").scroll_into_view_if_needed()
    box = page.locator("#signature-pad").bounding_box()
    assert box["width"] <= 390 and box["height"] >= 100
    page.mouse.move(box["x"] + 20, box["y"] + 80)
    page.mouse.down()
    for k in range(1, 12):
        page.mouse.move(box["x"] + 20 + k * 25, box["y"] + 80 + (30 if k % 2 else -30), steps=2)
    page.mouse.up()
    page.fill('[name="comment"]', "同意")
    page.click('button[name="action"][value="同意"]')
    page.wait_for_selector("#approval-state")
    last = applicant.get(f"/api/forms/{FORM}/submissions/{rid}/approval").get_json()["log"][-1]
    assert last["name"] == "李经理" and last["action"] == "同意" and len(last["signature"]) == 64
    png = store.get_doc("flow_sig", f"{FORM}:{rid}:{last['signature']}")[0]["png"]
    assert len(png) > 1000       # strokes, not an empty canvas
