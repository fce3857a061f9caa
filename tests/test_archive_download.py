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


def test_the_list_and_its_archive_select_the_same_records(app, client, tmp_path):
    """One query for the records page, its archive and `biaoge archive`: a key name (matches
    nothing: keys are not values), a value, a date range, a where."""
    from click.testing import CliRunner

    from cli import main
    from forms.submission import check
    from server import context
    with app.app_context():
        form = context.find_form("order_form")
        for i, (day, pay) in enumerate([("2026-11-02", "现金"), ("2026-11-05", "转账"), ("2026-11-05", "现金"),
                                        ("2026-11-09", "支票"), ("2026-11-12", "现金")]):
            data = check(form, {**ORDER, "customer_name": f"客户{i}", "pay_method": pay}).data
            key = context.records().definition_of(form)[0]
            context.store().put_definition("order_form", key, context.records().definition_of(form)[1])
            context.store().add("order_form", data, version=1, definition=key, created=f"{day}T10:00:00",
                                period="2026-11", make_number=lambda s: f"DH-202611-{s:04d}")

    def listed(args):
        from .render_helpers import html_tree
        tree = html_tree(client.get(f"/forms/order_form/records?{args}").data)
        return {a.text_content() for a in tree.cssselect("table.list tbody td:first-child a")}

    def archived(args):
        r = client.get(f"/forms/order_form/archive.zip?{args}")
        if r.status_code == 404:
            return set()
        rows = zipfile.ZipFile(io.BytesIO(r.data)).read("manifest.csv").decode("utf-8-sig").splitlines()[1:]
        return {row.split(",")[1] for row in rows}

    def cli(options):
        out = tmp_path / "a.zip"
        r = CliRunner().invoke(main, ["archive", "order_form", "--schemas", str(app.schemas_path), "--data",
                                      app.config["DATA"], "-o", str(out), "--jobs", "1", *options])
        if "没有符合条件的记录" in r.output:
            return set()
        assert r.exit_code == 0, r.output
        return {row.split(",")[1] for row in zipfile.ZipFile(out).read("manifest.csv").decode("utf-8-sig")
                .splitlines()[1:]}

    cases = [("q=customer_name", ["-q", "customer_name"], set()), ("q=客户3", ["-q", "客户3"], {"DH-202611-0004"}),
             ("from=2026-11-04&to=2026-11-10", ["--from", "2026-11-04", "--to", "2026-11-10"],
              {"DH-202611-0002", "DH-202611-0003", "DH-202611-0004"}),
             ("where=pay_method%3D现金", ["--where", "pay_method=现金"], {"DH-202611-0001", "DH-202611-0003",
                                                                      "DH-202611-0005"}),
             ("where=付款方式%3D现金&to=2026-11-06", ["--where", "付款方式=现金", "--to", "2026-11-06"],
              {"DH-202611-0001", "DH-202611-0003"})]
    for args, options, want in cases:
        assert listed(args) == want, args
        assert archived(args) == want, args
        if options is not None:
            assert cli(options) == want, options
