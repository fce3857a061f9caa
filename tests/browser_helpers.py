"""Helpers for the browser tests (Playwright pages)."""
from __future__ import annotations

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
