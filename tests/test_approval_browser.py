"""The done-when of issue 14 in the browser (Debian's chromium): five people on 业务审批申请单.
申请人 submits (业务事项 价格管理) → 部门经理 同意 → 销售管理部 不同意 → 上一级 → 同意 → 已通过, and
the PDF prints each decision with its real name and date; when 销售管理部 agrees too, the request
passes without the extra step."""
from __future__ import annotations

import io

from pypdf import PdfReader

from tests.people import PASSWORD, person

FORM = "business_approval_application"
PEOPLE = {"shenqing": ("业务员", "上海办事处", "王申请"), "jingli": ("销售部经理", "华东大区", "李经理"),
          "guanli": ("销售管理部", "销售管理部", "赵管理"), "zongjingli": ("中心总经理", "营销中心", "钱总"),
          "tongshi": ("业务员", "上海办事处", "孙同事")}


def signed_in(browser, base, login, width=1280, bypass_csp=False):
    """A page of `login`, signed in with the password (`bypass_csp`: for injecting axe-core inline)."""
    page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                               bypass_csp=bypass_csp).new_page()
    page.goto(f"{base}/login")
    page.fill('[name="login"]', login)
    page.fill('[name="password"]', PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def apply(page, base) -> str:
    page.goto(f"{base}/forms/{FORM}")
    assert page.locator('[name="manager_review.result"]').count() == 0      # approvers' part is not the applicant's
    page.fill('[name="apply_date"]', "2026-12-02")
    page.fill('[name="applicant"]', "王申请")
    page.fill('[name="department"]', "上海办事处")
    page.check('input[name="category"][value="销售类"]')
    page.select_option('[name="business_item"]', "价格管理")
    page.fill('[name="subject"]', "调整华东区批发价")
    page.fill('[name="facts"]', "竞品降价百分之五")
    page.fill('[name="reason"]', "保持市场份额")
    page.click("button[type=submit]")
    page.wait_for_selector("#record-number")
    assert page.inner_text("#approval-state") == "审批中"
    return page.url.split("?")[0]


def decide(page, url, action, comment="", **fills):
    page.goto(url)
    for name, value in fills.items():
        page.select_option(f'[name="v:{name}"]', value)
    if comment:
        page.fill('[name="comment"]', comment)
    page.click(f'button[name="action"][value="{action}"]')
    page.wait_for_selector("#approval-state")


def test_five_people_and_the_veto_in_the_browser(app, live_server, browser):
    for login, (role, dept, name) in PEOPLE.items():
        person(app, login, roles=[role], department=dept, real_name=name)
    pages = {login: signed_in(browser, live_server, login) for login in PEOPLE}
    url = apply(pages["shenqing"], live_server)

    stranger = pages["tongshi"].request.post(url.replace("/forms/", "/api/forms/").replace("/records/", "/submissions/")
                                             + "/approval", data={"action": "同意"})
    assert stranger.status in (403, 404)
    decide(pages["jingli"], url, "同意", "情况属实，同意调价")
    decide(pages["guanli"], url, "不同意", "调价幅度超出预算", **{"admin_review.completeness": "完整",
                                                               "admin_review.reasonableness": "不合理"})
    upper = pages["zongjingli"]
    upper.goto(url)
    assert "上一级审批" in upper.inner_text(".approval-state")
    decide(upper, url, "同意", "二次审批通过")
    assert upper.inner_text("#approval-state") == "已通过"
    timeline = upper.inner_text("#approval-timeline")
    assert all(n in timeline for n in ("王申请", "李经理", "赵管理", "钱总")) and "不一致" in timeline

    pdf = pages["shenqing"].request.get(url + ".pdf")
    assert pdf.status == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    day = __import__("datetime").date.today().isoformat()
    for name, words in (("李经理", "情况属实，同意调价"), ("赵管理", "调价幅度超出预算"), ("钱总", "二次审批通过")):
        assert f"{name} {day}" in text and words in text
    assert "否决" in text and "价格管理" in text

    # the agreement case: no 上一级
    url = apply(pages["shenqing"], live_server)
    decide(pages["jingli"], url, "同意", "同意")
    decide(pages["guanli"], url, "同意", "资料完整合理")
    assert pages["guanli"].inner_text("#approval-state") == "已通过"
    assert "钱总" not in pages["guanli"].inner_text("#approval-timeline")
    inbox = pages["zongjingli"]
    inbox.goto(f"{live_server}/approvals")
    assert "待我审批（0）" in inbox.inner_text("nav.tabs") and "我已处理（1）" in inbox.inner_text("nav.tabs")
