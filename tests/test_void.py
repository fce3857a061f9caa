"""作废, never delete: a permitted role voids a record with a reason; it keeps its 编号 and every
revision, prints 作废 across every PDF page and beside its number in Excel and the list export,
shows on its page and in the list, cannot be revised, and the act is in the audit chain."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from forms.sample import sample_submission
from tests.people import client_as, person
from tests.render_helpers import html_tree, pdf_pages, squash


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """People are made with a cheap Argon2 (the real one takes about a second each here): what
    these tests check is not the password hash."""
    from argon2 import PasswordHasher
    monkeypatch.setattr("services.accounts._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": f"洗衣粉{i}", "quantity": 3, "unit_price": 12.5} for i in range(1, 27)]}


def _world(app):
    rep = person(app, "ywy", roles=["业务员"], department="上海办事处", real_name="张业务")
    boss = person(app, "jingli", roles=["销售部经理"], department="华东大区", real_name="王经理")
    finance = person(app, "caiwu", roles=["财务"], department="财务部", real_name="钱财务")
    r = client_as(app, rep).post("/api/forms/order_form/submissions", json=ORDER)
    assert r.status_code == 201, r.get_json()
    return client_as(app, rep), client_as(app, boss), client_as(app, finance), r.get_json()


def test_a_voided_record_keeps_its_number_and_says_so_everywhere(app):
    from services.voiding import VoidError
    rep, boss, finance, rec = _world(app)
    rid, number = rec["id"], rec["number"]
    url = f"/forms/order_form/records/{rid}"
    # only a role with void on the form may: 业务员 and 财务 (sales forms) may not
    assert rep.post(url + "/void", data={"reason": "客户取消"}).status_code == 403
    assert finance.post(url + "/void", data={"reason": "客户取消"}).status_code == 403
    # the reason is required and bounded
    r = boss.post(url + "/void", data={"reason": "  "})
    assert r.status_code == 422 and "作废原因" in r.get_data(as_text=True)
    r = boss.post(url + "/void", data={"reason": "长" * 201})
    assert r.status_code == 422 and "200" in r.get_data(as_text=True)
    assert not any("作废" in squash(p) for p in pdf_pages(boss.get(url + ".pdf").data))    # live: no stamp
    page = html_tree(boss.get(url).data)
    assert page.xpath("//*[@id='void-form']//textarea[@name='reason']")
    assert not page.xpath("//*[@id='void-badge']")

    r = boss.post(url + "/void", data={"reason": "客户取消订单"})
    assert r.status_code == 303 and r.headers["Location"].endswith(url)
    # twice: the second is told who did it
    r = boss.post(f"/api/forms/order_form/submissions/{rid}/void", json={"reason": "再来一次"})
    assert r.status_code == 409 and "王经理" in r.get_json()["error"]["message"]

    # still there, same number; its page says 作废 with who, when and why, and offers no edit
    got = rep.get(f"/api/forms/order_form/submissions/{rid}").get_json()
    assert got["number"] == number and got["data"]["customer_name"] == "华联超市"
    page = html_tree(rep.get(url).data)
    assert page.xpath("//*[@id='void-badge']/text()") == ["作废"]
    notice = page.xpath("string(//*[@id='void-notice'])")
    assert "王经理" in notice and "客户取消订单" in notice and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", notice)
    assert not page.xpath("//a[contains(@href, '/edit')]") and not page.xpath("//*[@id='void-form']")
    listing = html_tree(boss.get("/forms/order_form/records").data)
    row = listing.xpath(f"//tr[.//a[text()='{number}']]")[0]
    assert "作废" in row.text_content()

    # cannot be revised (page and service)
    assert boss.get(url + "/edit").status_code == 409
    assert "不能再修改" in boss.get(url + "/edit").get_data(as_text=True)
    records = app.extensions["biaoge.records"]
    with pytest.raises(VoidError, match="客户取消订单") as refused:
        records.save_revision(records.catalog.require("order_form"), rid, got["data"], by="jingli")
    assert refused.value.status == 409 and len(records.store.history("order_form", rid)) == 1

    # the PDF says 作废 across every page; Excel beside the number; the list export too
    pdf = boss.get(url + ".pdf")
    pages = pdf_pages(pdf.data)
    assert len(pages) >= 2 and all("作废" in squash(p) for p in pages), [squash(p)[:80] for p in pages]
    book = openpyxl.load_workbook(io.BytesIO(boss.get(url + ".xlsx").data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert f"{number}（作废）" in cells
    listed = openpyxl.load_workbook(io.BytesIO(boss.get("/forms/order_form/records.xlsx").data))
    assert listed.worksheets[0].cell(2, 1).value == f"{number}（作废）"
    archive = zipfile.ZipFile(io.BytesIO(boss.get("/forms/order_form/archive.zip").data))
    [name] = [n for n in archive.namelist() if n.endswith(".pdf") and n != "合并.pdf"]
    assert all("作废" in squash(p) for p in pdf_pages(archive.read(name)))

    # the audit chain has it, with the reason
    entries = app.extensions["biaoge.audit"].search(action="void")
    assert [(e["user"], e["record"], e["detail"]["reason"]) for e in entries] == [("jingli", rid, "客户取消订单")]
    assert app.extensions["biaoge.audit"].verify() == []

    # 财务 voids the finance forms' records (not the sales ones, above)
    form = records.catalog.require("collection_notice")
    other = records.save_new(form, sample_submission(form, seed=1, rows=1), creator="ywy", department="上海办事处")
    r = finance.post(f"/api/forms/collection_notice/submissions/{other['id']}/void", json={"reason": "金额有误，重开"})
    assert r.status_code == 200 and r.get_json()["voided"]["by_name"] == "钱财务"
