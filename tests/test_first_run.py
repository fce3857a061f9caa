"""First run, as a new office would do it: `biaoge serve` on an empty store prints a one-time
setup link; in the browser the administrator is created, adds a 业务员, who signs in, fills
商品订货单 and sees only their own records."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT, SCHEMAS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fresh_server(tmp_path):
    """`biaoge serve` on an empty data folder; yields (base url, the setup link it printed, data)."""
    port, data = _free_port(), tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--schemas", str(SCHEMAS),
                             "--data", str(data)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        link, deadline = None, time.monotonic() + 60
        while link is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"(http://\S+/setup\?token=\S+)", line)
            link = m.group(1) if m else None
        assert link, "biaoge serve printed no setup link"
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield base, link, data
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_prints_the_setup_link_and_nothing_else_is_reachable(fresh_server):
    base, link, _ = fresh_server
    assert link.startswith(base + "/setup?token=")
    with urllib.request.urlopen(base + "/forms/order_form/records", timeout=10) as r:
        assert r.url.endswith("/setup")          # redirected to the setup page
    try:
        urllib.request.urlopen(base + "/api/forms", timeout=10)
        raise AssertionError("the API answered before an administrator existed")
    except urllib.error.HTTPError as e:
        assert e.code == 503


def _fill_order(page, base, customer):
    page.goto(f"{base}/forms/order_form")
    page.fill('[name="customer_name"]', customer)
    page.fill('[name="order_date"]', "2026-11-27")
    page.fill('[name="items.0.product_name"]', "洗衣粉")
    page.fill('[name="items.0.quantity"]', "2")
    page.fill('[name="items.0.unit_price"]', "12.5")
    page.click("button[type=submit]")
    page.wait_for_selector("#record-number")


def test_setup_then_a_sales_rep_sees_only_their_own_records(fresh_server, browser):
    base, link, _ = fresh_server
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    admin.goto(link)
    admin.fill('[name="login"]', "boss")
    admin.fill('[name="real_name"]', "王总")
    admin.select_option('[name="department"]', "总经理办公室")
    admin.fill('[name="password"]', "boss-password")
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{base}/admin/users")
    for login, name in (("zhang", "张三"), ("li", "李四")):
        admin.fill('#add-user [name="login"]', login)
        admin.fill('#add-user [name="real_name"]', name)
        admin.select_option('#add-user [name="department"]', "上海办事处")
        admin.check('#add-user input[name="roles"][value="业务员"]')
        admin.fill('#add-user [name="password"]', f"{login}-password")
        admin.click("#add-user button[type=submit]")
        assert f"已新增用户「{name}」" in admin.text_content(".notice")
    assert admin.locator("#people tbody tr").count() == 3
    _fill_order(admin, base, "总部的客户")          # a record the 业务员 must not see

    def signed_in(login, width):
        page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login")
        page.fill('[name="login"]', login)
        page.fill('[name="password"]', f"{login}-password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        return page

    li = signed_in("li", 1280)
    _fill_order(li, base, "李四的客户")
    zhang = signed_in("zhang", 390)                  # on a phone
    assert zhang.text_content("#who") == "张三"
    assert "员工调薪表" not in zhang.content()         # not on a sales rep's catalog
    _fill_order(zhang, base, "张三的客户")
    zhang.goto(f"{base}/forms/order_form/records")
    rows = zhang.locator("table.list tbody tr")
    assert rows.count() == 1 and "共 1 条记录" in zhang.content()
    assert "张三的客户" in rows.first.text_content()
    # another's record, typed into the address bar, is not there for them
    admin.goto(f"{base}/forms/order_form/records")
    admin_ids = re.findall(r"/forms/order_form/records/(\d+)\"", admin.content())
    assert len(admin_ids) == 3
    for rid in admin_ids:
        resp = zhang.goto(f"{base}/forms/order_form/records/{rid}")
        assert resp.status in (200, 404)
        assert (resp.status == 200) == ("张三的客户" in zhang.content())
    for p in (admin, li, zhang):
        p.context.close()
