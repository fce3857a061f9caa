"""Screenshots of the phone pages (390×844) into docs/phone/: the fill page of 商品订货单, its records
list and a record view. Run: PYTHONPATH=. python scripts/phone_screenshots.py"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(out=ROOT / "docs" / "phone"):
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from server.app import create_app
    from tests.browser_helpers import fill_line_items
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.people import admin_token
    tmp = Path(tempfile.mkdtemp())
    try:
        app = create_app({"SCHEMAS": str(ROOT / "schemas"), "DATA": str(tmp), "SECRET_KEY": "shots"})
        token = admin_token(app)
        server = create_server(app, host="127.0.0.1", port=0, threads=2)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                 extra_http_headers={"Authorization": f"Bearer {token}"}).new_page()
            page.goto(f"{base}/forms/order_form")
            page.fill('[name="customer_name"]', "华联超市")
            page.fill('[name="contact"]', "王芳")
            page.fill('[name="order_date"]', "2026-11-27")
            fill_line_items(page)
            page.locator("table.items").scroll_into_view_if_needed()
            page.screenshot(path=str(out / "fill.png"))
            page.screenshot(path=str(out / "fill-full.png"), full_page=True)
            page.click("#biaoge-form button[type=submit]")
            page.wait_for_selector("#record-number")
            page.screenshot(path=str(out / "record.png"), full_page=True)
            page.goto(f"{base}/forms/order_form/records")
            page.screenshot(path=str(out / "records.png"), full_page=True)
            page.goto(f"{base}/")
            page.screenshot(path=str(out / "catalog.png"))
            page.goto(f"{base}/forms/dealer_inspection")
            page.evaluate("window.scrollTo(0, 2400)")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / "long-form.png"))
            page.click("details.section-index summary")
            page.screenshot(path=str(out / "long-form-menu.png"))
            desk = b.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                 extra_http_headers={"Authorization": f"Bearer {token}"}).new_page()
            desk.goto(f"{base}/forms/dealer_inspection")
            desk.evaluate("window.scrollTo(0, 2400)")
            desk.wait_for_timeout(300)
            desk.screenshot(path=str(out / "long-form-desktop.png"))
            b.close()
        server.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
