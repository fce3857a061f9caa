"""A QR code on every printed record (issue 15): zbarimg (Debian's zbar-tools) reads, from the PDF's
rasterised first page, the record's link (at the configured public address) and its 编号."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
from urllib.parse import quote

import pytest

from forms.sample import sample_submission
from tests.browser_helpers import fast_passwords  # noqa: F401  (cheap hashes for the test people)

pytestmark = pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"),
                                reason="zbar-tools and poppler-utils are installed by `make test`")


def _decode(pdf: bytes, tmp_path) -> list[str]:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    return out.stdout.split()


def _record(app, form_id):
    records = app.extensions["biaoge.records"]
    form = records.catalog.require(form_id)
    return records.save_new(form, sample_submission(form, seed=2, rows=3), creator="admin", department="总经理办公室")


def _the_pdf_carries_a_qr_code_of_the_records_link_and_number(app, client, tmp_path, form_id="order_form"):
    app.config["PUBLIC_URL"] = "https://biaoge.example.cn/"
    rec = _record(app, form_id)
    r = client.get(f"/forms/{form_id}/records/{rec['id']}.pdf")
    assert r.status_code == 200
    link = f"https://biaoge.example.cn/forms/{form_id}/records/{rec['id']}"
    codes = _decode(r.data, tmp_path)
    assert codes, "no QR code found on the first page"
    want = link + (f"?no={quote(rec['number'])}" if rec.get("number") else "")
    assert codes == [want]
    assert rec["number"].startswith("DH-") and rec["number"] in codes[0]


def _without_a_public_address_the_code_says_where_the_request_came(app, client, tmp_path):
    app.config["PUBLIC_URL"] = None
    rec = _record(app, "order_form")
    r = client.get(f"/forms/order_form/records/{rec['id']}.pdf", base_url="http://10.0.0.8:8000")
    assert _decode(r.data, tmp_path) == [f"http://10.0.0.8:8000/forms/order_form/records/{rec['id']}?no={rec['number']}"]


def test_a_blank_form_has_no_code_and_a_filled_one_has_it_on_its_first_page_only(order_form):
    from lxml import html

    from renderers import base
    from renderers.base import Filled
    blank = html.fromstring(base.get("print").render(order_form))
    assert blank.cssselect("div.qr") == []
    data = sample_submission(order_form, seed=1, rows=60)      # several pages
    filled = html.fromstring(base.get("print").render(order_form, Filled(data, "DH-1", "2026-11-27", link="http://h/r/1")))
    sheets = filled.cssselect("section.sheet")
    assert len(sheets) > 1 and len(sheets[0].cssselect("div.qr svg")) == 1
    assert all(not s.cssselect("div.qr") for s in sheets[1:])


def _the_excel_carries_the_same_code_in_its_print_area(app, client, tmp_path):
    import io

    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries
    app.config["PUBLIC_URL"] = "https://biaoge.example.cn"
    rec = _record(app, "order_form")
    r = client.get(f"/forms/order_form/records/{rec['id']}.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert len(ws._images) == 1
    image = ws._images[0]
    _, _, max_col, _ = range_boundaries(ws.print_area.split("!")[-1].replace("$", ""))
    marker = image.anchor._from
    assert marker.row == 0 and marker.col + 1 <= max_col            # inside the print area, first row
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "qr.png").write_bytes(image._data())
    out = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True)
    assert out.stdout.split() == [f"https://biaoge.example.cn/forms/order_form/records/{rec['id']}?no={rec['number']}"]


def _records_in_an_archive_carry_their_code(app, client, tmp_path):
    """The zip's PDFs (the two-layer engine, pdf2) carry each record's link and 编号; the manifest lists it."""
    import csv
    import io
    import zipfile
    app.config["PUBLIC_URL"] = "https://biaoge.example.cn"
    rec = _record(app, "order_form")
    r = client.get("/forms/order_form/archive.zip")
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    link = f"https://biaoge.example.cn/forms/order_form/records/{rec['id']}"
    assert _decode(zf.read(f"{rec['number']}.pdf"), tmp_path) == [f"{link}?no={quote(rec['number'])}"]
    rows = {row["编号"]: row for row in csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig")))}
    assert rows[rec["number"]]["二维码链接"] == link
    assert client.get(link.removeprefix("https://biaoge.example.cn")).status_code == 200   # the link opens it


def test_an_archive_without_a_public_address_says_so_and_prints_no_wrong_link(catalog, tmp_path):
    import csv
    import io
    import zipfile

    from click.testing import CliRunner

    from cli import main
    from services.archive import NO_LINK
    from tests.conftest import SCHEMAS
    from tests.test_archive import fill_store
    schemas = tmp_path / "schemas"          # the order form alone: the CLI parses only what it needs
    schemas.mkdir()
    for name in ("_shared.yaml", "_org.yaml", "01-sales/05-order_form.yaml"):
        if (SCHEMAS / name).exists():
            shutil.copy(SCHEMAS / name, schemas / pathlib.Path(name).name)
    fill_store(catalog.require("order_form"), tmp_path / "data", 1)
    args = ["archive", "order_form", "--schemas", str(schemas), "--data", str(tmp_path / "data"), "--jobs", "1"]
    r = CliRunner(env={"BIAOGE_PUBLIC_URL": ""}).invoke(main, args + ["-o", str(tmp_path / "a.zip")])
    assert r.exit_code == 0, r.output
    zf = zipfile.ZipFile(tmp_path / "a.zip")
    rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    assert [row["二维码链接"] for row in rows] == [NO_LINK] and "PUBLIC_URL" in NO_LINK
    first = rows[0]["文件名"]
    assert _decode(zf.read(first), tmp_path / "none") == []
    r = CliRunner().invoke(main, args + ["-o", str(tmp_path / "b.zip"), "--public-url", "http://10.0.0.8:8000/"])
    assert r.exit_code == 0, r.output
    zf = zipfile.ZipFile(tmp_path / "b.zip")
    rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    codes = _decode(zf.read(rows[0]["文件名"]), tmp_path / "cli")
    assert len(codes) == 1 and codes[0].startswith(f"{rows[0]['二维码链接']}?no=")
    assert rows[0]["二维码链接"].startswith("http://10.0.0.8:8000/forms/order_form/records/")


def test_printed_records_carry_their_qr_code(app, client, tmp_path):
    _the_pdf_carries_a_qr_code_of_the_records_link_and_number(app, client, tmp_path / "a")
    _the_excel_carries_the_same_code_in_its_print_area(app, client, tmp_path / "b")
    _without_a_public_address_the_code_says_where_the_request_came(app, client, tmp_path / "c")
    _records_in_an_archive_carry_their_code(app, client, tmp_path / "d")
