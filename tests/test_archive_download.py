"""The archive download of the records list: a failure midway is visible to the client and
said on the page; record failures are listed in the manifest and counted on the page."""
import io
import json
import zipfile
from pathlib import Path

import pytest

from server.archive_download import ArchiveFailed

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}


def fill(client, n):
    for i in range(n):
        assert client.post("/api/forms/order_form/submissions", json={**ORDER, "customer_name": f"客户{i}"}) \
            .status_code == 201


@pytest.fixture
def second_batch_fails(monkeypatch):
    """The archive itself fails after its first batch of 25 records (as a full disk or a lost
    worker would make it): not a record the manifest can list."""
    from services import archive
    real, calls = archive._render_batch, []

    def flaky(task):
        calls.append(task)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(task)
    monkeypatch.setattr(archive, "_render_batch", flaky)
    yield calls
    monkeypatch.setattr(archive, "_render_batch", real)


def test_a_failure_midway_cuts_the_download_short(client, second_batch_fails):
    fill(client, 30)
    r = client.get("/forms/order_form/archive.zip")
    assert r.status_code == 200   # headers went out before the failure
    received = bytearray()
    with pytest.raises(ArchiveFailed, match="归档生成失败"):
        for chunk in r.response:   # what the WSGI server sends until the app raises, then aborts
            received += chunk
    assert len(second_batch_fails) == 2 and received[:2] == b"PK"   # 25 PDFs were sent
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(bytes(received)))
    # the slot is free again: the next archive (no failure now: calls go on from 3) completes
    zf = zipfile.ZipFile(io.BytesIO(client.get("/forms/order_form/archive.zip").data))
    assert sum(n.endswith(".pdf") for n in zf.namelist()) == 30 and zf.comment == b"biaoge archive: records=30 failed=0"


def test_the_page_says_the_archive_failed(live_server, page, client, second_batch_fails):
    fill(client, 30)
    page.goto(f"{live_server}/forms/order_form/records")
    page.click("#archive-link")
    page.wait_for_selector("#archive-status.failed")
    text = page.text_content("#archive-status")
    assert text.startswith("归档失败：") and "不完整" in text
    assert page.get_attribute("#archive-status", "role") == "alert"
    assert page.errors == []


def test_the_page_downloads_and_counts_failed_records(live_server, page, app, client):
    fill(client, 3)
    chunk = Path(app.config["DATA"]) / "order_form" / "records-000001.json"
    raw = json.loads(chunk.read_text("utf-8"))
    raw["records"]["2"]["revisions"][-1]["definition"] = "0" * 16   # a definition the store does not have
    chunk.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    page.goto(f"{live_server}/forms/order_form/records")
    with page.expect_download() as info:
        page.click("#archive-link")
    zf = zipfile.ZipFile(info.value.path())
    assert sum(n.endswith(".pdf") for n in zf.namelist()) == 2
    page.wait_for_selector("#archive-status.failed")
    assert page.text_content("#archive-status") == "归档已下载，共 3 条记录，其中 1 条生成失败，详见归档中的清单。"
