"""Helpers for the browser tests (Playwright pages)."""
from __future__ import annotations

import pytest

from tests.approval_helpers import fast_passwords  # noqa: F401  (autouse where imported: test people sign in by token)

ITEMS = [("洗衣粉", "3", "12.5"), ("肥皂", "10", "2.05"), ("牙膏", "2", "8.8")]   # 商品订货单: 75.60 in all


def fill_line_items(page, items=ITEMS, each_row=None):
    """Type (商品名称, 数量, 单价) rows into 商品订货单's line items, adding rows as needed; `each_row(i)` is
    called before row i is typed (to look at it)."""
    for i, (name, qty, price) in enumerate(items):
        if page.locator(f'[name="items.{i}.product_name"]').count() == 0:
            page.click("button.add-row")
        if each_row:
            each_row(i)
        page.fill(f'[name="items.{i}.product_name"]', name)
        page.fill(f'[name="items.{i}.quantity"]', qty)
        page.fill(f'[name="items.{i}.unit_price"]', price)


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory):
    """(live server URL, app) shared by the browser tests that only look at pages or add records of
    their own (one app and one server for them all: each app parses all 86 definitions)."""
    import shutil
    import threading

    from waitress.server import create_server

    import services.accounts
    from server.app import create_app
    from tests.conftest import SCHEMAS
    from tests.people import signed_in_by_default
    root = tmp_path_factory.mktemp("shared-site")
    shutil.copytree(SCHEMAS, root / "schemas")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(services.accounts, "hash_password", lambda password: "not-a-hash")
        app = signed_in_by_default(create_app({
            "SCHEMAS": str(root / "schemas"), "DATA": str(root / "data"), "SECRET_KEY": "test",
            "MAX_CONTENT_LENGTH": 256 * 1024, "TESTING": False, "API_RATE": "100000 per minute",
            "ARCHIVE_JOB_WORKERS": 1}))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", app
    server.close()
