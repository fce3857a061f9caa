"""A standard schema's `if`/`then` on the fill page (Debian's chromium): the dependent box appears only while
the condition holds, as for any x-when."""
from tests.test_standard_conditions import _form
from renderers import base


def test_in_a_browser_the_box_appears_when_the_condition_holds(page):
    page.set_content(base.get("html").render(_form("cond_if_then")).decode("utf-8"))
    tracking = page.locator('[name="tracking"]')
    page.select_option('select[name="ship"]', "自提")
    assert not tracking.is_visible()
    page.select_option('select[name="ship"]', "快递")
    assert tracking.is_visible()
    assert page.errors == []
