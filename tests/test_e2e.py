"""End to end in a real browser (Debian's chromium via Playwright) against the
server under waitress: fill 商品订货单, watch the totals, submit, download the PDF;
then an invalid form shows the Chinese error beside its field."""
from .browser_helpers import fill_line_items
from .render_helpers import pdf_pages, squash


def test_order_form_in_a_browser(live_server, page):
    page.goto(f"{live_server}/")
    page.click("text=商品订货单")
    page.fill('[name="customer_name"]', "华联超市")
    page.fill('[name="contact"]', "王芳")
    page.fill('[name="order_date"]', "2026-11-27")
    page.check('input[name="pay_method"][value="现金"]')
    fill_line_items(page)
    assert page.text_content('output[name="items.2.amount"]') == "17.60"
    assert page.text_content('output[name="total"]') == "75.60"
    assert page.text_content('output[name="total_in_words"]') == "柒拾伍元陆角"
    page.click("button[type=submit]")
    page.wait_for_selector("#record-number")
    number = page.text_content("#record-number")
    assert number == "DH-202611-0001"
    href = page.get_attribute("#pdf-link", "href")
    with page.expect_download() as info:
        page.click("#pdf-link")
    pdf = open(info.value.path(), "rb").read()
    text = squash("".join(pdf_pages(pdf)))
    for piece in (number, "华联超市", "洗衣粉", "牙膏", "17.60", "75.60", "柒拾伍元陆角"):
        assert squash(piece) in text, piece
    assert href.endswith(".pdf")

    page.goto(f"{live_server}/forms/order_form")
    page.fill('[name="customer_name"]', "华联超市")
    page.fill('[name="order_date"]', "2026-11-27")
    page.fill('[name="phone"]', "12345678")  # passes the browser's pattern, not the server's rule
    page.fill('[name="items.0.product_name"]', "洗衣粉")
    page.fill('[name="items.0.quantity"]', "1")
    page.fill('[name="items.0.unit_price"]', "1")
    page.click("button[type=submit]")
    error = page.wait_for_selector('[id="e-phone"]')
    assert "「联系电话」不是有效的电话号码" in error.text_content()
    assert page.input_value('[name="customer_name"]') == "华联超市"
    assert page.errors == []
