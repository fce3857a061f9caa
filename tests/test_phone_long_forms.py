"""Long forms (issue 15): 经销商资讯考察表 has a section index that follows the scroll and counts the
required fields each part still lacks, and an action bar (提交 / 保存草稿) that stays on screen."""
from __future__ import annotations
from tests.browser_helpers import shared_site  # noqa: F401  (a fixture)


def test_the_section_index_follows_and_counts(shared_site, browser):
    live_server, app = shared_site
    for width in (1280, 390):
        _at_width(live_server, browser, app, width)


def _at_width(live_server, browser, app, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN",
                                  extra_http_headers={"Authorization": f"Bearer {app.admin_token}"})
    page = context.new_page()
    page.goto(f"{live_server}/forms/dealer_inspection")
    index = page.locator("details.section-index")
    if width < 700:                                   # a menu on a phone: closed until tapped
        assert index.get_attribute("open") is None
        index.locator("summary").click()
    entry = index.locator("a", has_text="考察结论")
    assert entry.locator(".missing").text_content() == "2 项未填"
    entry.click()
    page.wait_for_function("document.querySelector('details.section-index a[aria-current]') !== null")
    assert page.locator("details.section-index a[aria-current]").text_content().startswith("考察结论")
    page.check('input[name="conclusion.rating"][value="良"]')
    assert entry.locator(".missing").text_content() == "1 项未填"
    page.check('input[name="conclusion.recommendation"][value="建议合作"]')
    assert entry.locator(".missing").is_hidden()
    # the bar and the index stay on screen wherever the page is scrolled
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    bar = page.locator(".submit-bar").bounding_box()
    assert bar["y"] + bar["height"] <= 800 + 1 and bar["y"] > 600
    assert page.locator("details.section-index").bounding_box()["y"] == 0
    assert page.locator(".submit-bar button.save-draft").is_visible()
    context.close()
