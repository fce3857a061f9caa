"""Batch archives: every record rendered into the zip, a manifest that matches it,
bookmarks in the merged PDF, failures reported without stopping the others,
byte-identical output for the same input, and names that stay inside the zip."""
import csv
import hashlib
import io
import zipfile

import pytest
from pypdf import PdfReader

from forms.definition import digest, frozen
from forms.numbering import format_number
from forms.sample import sample_submission
from forms.submission import check
from services.archive import write_archive
from services.archive_source import collect
from store import open_store

from .render_helpers import squash

EVIL = "../../etc/DH-evil"


def fill_store(form, root, n, broken_at=None, evil_at=None):
    store = open_store(str(root))
    definition = frozen(form)
    key = digest(definition)
    store.put_definition(form.id, key, definition)
    from datetime import date
    for i in range(n):
        data = check(form, {**sample_submission(form, seed=i, rows=3), "order_date": "2026-11-27",
                             "delivery_date": "2026-11-30"}).data
        assert data is not None
        make = (lambda seq: EVIL) if i == evil_at else (
            lambda seq: format_number("DH-{yyyy}{mm}-{seq:4}", date(2026, 11, 27), seq))
        store.add(form.id, data, version=1, definition="0" * 16 if i == broken_at else key,
                  created=f"2026-11-{1 + i % 27:02d}T10:00:00", period="2026-11", make_number=make)
    return store


@pytest.fixture(scope="module")
def archive_of_200(catalog, tmp_path_factory):
    form = catalog.require("order_form")
    root = tmp_path_factory.mktemp("store") / "data"
    store = fill_store(form, root, 200, broken_at=57, evil_at=90)
    entries, definitions, titles, keys = collect(catalog, store, [(catalog.require("order_form"), None)])
    buf = io.BytesIO()
    summary = write_archive(entries, definitions, buf, titles=titles, merge=True, jobs=2, key_fields=keys)
    return form, store, entries, summary, buf.getvalue()


def manifest(zf):
    text = zf.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_record_is_a_pdf_that_matches_it(archive_of_200):
    form, store, entries, summary, content = archive_of_200
    zf = zipfile.ZipFile(io.BytesIO(content))
    pdfs = [n for n in zf.namelist() if n.endswith(".pdf") and n != "合并.pdf"]
    assert summary.records == 200 and summary.failed == 1 and len(pdfs) == 199
    rows = {r["编号"]: r for r in manifest(zf)}
    for entry in entries:
        rec = entry.record
        row = rows[rec["number"]]
        if row["状态"] == "失败":
            continue
        text = squash(PdfReader(io.BytesIO(zf.read(row["文件名"]))).pages[0].extract_text())
        assert squash(rec["number"]) in text
        assert squash(rec["data"]["customer_name"]) in text
        assert squash(f"{rec['data']['total']:,.2f}") in text
        assert rec["data"]["total_in_words"] in text


def test_manifest_matches_the_zip(archive_of_200):
    *_, content = archive_of_200
    zf = zipfile.ZipFile(io.BytesIO(content))
    rows = manifest(zf)
    assert len(rows) == 200
    assert {"清单.xlsx", "manifest.csv", "合并.pdf"} <= set(zf.namelist())
    listed = set()
    for row in rows:
        if row["状态"] == "成功":
            data = zf.read(row["文件名"])
            assert hashlib.sha256(data).hexdigest() == row["SHA-256"]
            assert len(PdfReader(io.BytesIO(data)).pages) == int(row["页数"])
            assert "客户名称:" in row["主要内容"]
            listed.add(row["文件名"])
    assert listed == {n for n in zf.namelist() if n.endswith(".pdf") and n != "合并.pdf"}
    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(zf.read("清单.xlsx"))).active
    assert [c.value for c in ws[1]][:3] == ["序号", "编号", "表单"] and ws.max_row == 201


def test_broken_record_is_reported_and_the_rest_are_there(archive_of_200):
    *_, summary, content = archive_of_200
    rows = manifest(zipfile.ZipFile(io.BytesIO(content)))
    failed = [r for r in rows if r["状态"] == "失败"]
    assert len(failed) == 1 and "表单定义" in failed[0]["错误"] and failed[0]["文件名"] == ""
    assert summary.failures and summary.line().endswith("失败 1 条。")


def test_merged_pdf_has_a_bookmark_per_record(archive_of_200):
    *_, content = archive_of_200
    zf = zipfile.ZipFile(io.BytesIO(content))
    merged = PdfReader(io.BytesIO(zf.read("合并.pdf")))
    marks = [(o.title, merged.get_destination_page_number(o)) for o in merged.outline]
    assert len(marks) == 199
    for title, page in marks[:20]:
        number = title.split()[-1]
        assert squash(number) in squash(merged.pages[page].extract_text())


def test_a_number_with_dot_dot_stays_inside(archive_of_200):
    *_, content = archive_of_200
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert all(".." not in n and not n.startswith("/") and "\\" not in n for n in names)
    assert any("etc_DH-evil" in n for n in names)


def test_same_records_same_bytes(catalog, tmp_path):
    form = catalog.require("order_form")
    store = fill_store(form, tmp_path / "data", 12)
    entries, definitions, titles, keys = collect(catalog, store, [(form, None)])
    runs = []
    for jobs in (1, 2):
        buf = io.BytesIO()
        write_archive(entries, definitions, buf, titles=titles, merge=True, fmt="both", jobs=jobs, key_fields=keys)
        runs.append(buf.getvalue())
    assert runs[0] == runs[1]
    names = zipfile.ZipFile(io.BytesIO(runs[0])).namelist()
    assert sum(n.endswith(".xlsx") for n in names) == 13  # 12 records + 清单.xlsx


def test_cli_archive_exit_status_and_filters(catalog, tmp_path):
    from click.testing import CliRunner

    from cli import main

    from .conftest import SCHEMAS
    form = catalog.require("order_form")
    fill_store(form, tmp_path / "data", 6, broken_at=2)
    out = tmp_path / "a.zip"
    args = ["archive", "order_form", "--schemas", str(SCHEMAS), "--data", str(tmp_path / "data"), "-o", str(out),
            "--jobs", "1"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "失败 1 条" in r.output
    assert len([n for n in zipfile.ZipFile(out).namelist() if n.endswith(".pdf")]) == 5
    r = CliRunner().invoke(main, args + ["--from", "2026-11-04", "--to", "2026-11-05"])
    assert r.exit_code == 0, r.output
    assert len([n for n in zipfile.ZipFile(out).namelist() if n.endswith(".pdf")]) == 2
    r = CliRunner().invoke(main, args + ["--where", "customer_name=没有这个客户"])
    assert r.exit_code == 1 and "没有符合条件的记录" in r.output
