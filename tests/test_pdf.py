"""PDF specifics: text of a filled form, long tables across pages, copies,
fonts, and nothing fetched whatever the data contains."""
import http.server
import io
import re
import threading

import pytest
from pypdf import PdfReader

from services.catalog import load_catalog
from forms.submission import check
from renderers import base
from renderers.base import Filled
from renderers.pdf import FontMissingError, check_fonts

from .render_helpers import html_text, pdf_pages, squash

ORDER = {"customer_name": "华联超市", "contact": "王芳", "phone": "13812345678", "order_date": "2026-11-27",
         "address": "广州市天河区体育西路 1 号", "pay_method": "转账", "bank_account": "6222 0210 0102",
         "items": [{"product_name": "洗衣粉", "spec": "500g", "unit": "袋", "quantity": 3, "unit_price": 12.5},
                   {"product_name": "肥皂", "spec": "120g", "unit": "块", "quantity": 10, "unit_price": 2.05}]}


def render(form, data, number="DH-202611-0007"):
    result = check(form, data)
    assert result.ok, result.errors
    return base.get("pdf").render(form, Filled(result.data, number=number, created="2026-11-27")), result.data


def test_filled_order_has_title_labels_values_and_words(order_form):
    pdf, data = render(order_form, ORDER)
    [page] = pdf_pages(pdf)
    text = squash(page)
    for piece in ["商品订货单", "编号", "DH-202611-0007", "订货日期", "2026年11月27日", "华联超市", "王芳",
                  "洗衣粉", "500g", "37.50", "20.50", "58.00", "伍拾捌元整", "主管", "制表人", "☑转账",
                  "第1页共1页"]:
        assert squash(piece) in text, piece
    for f in order_form.walk():
        assert squash(f.title) in text, f.title


def test_blank_form_shows_empty_rows_date_blanks_and_options(order_form):
    pdf = base.get("pdf").render(order_form)
    [page] = pdf_pages(pdf)
    text = squash(page)
    assert "年月日" in text and "☐现金☐转账☐支票" in text
    assert "DH-" not in text
    rows = re.findall(r"(?m)^\s*(\d+)\s*$", page)
    assert not rows  # blank rows carry no numbers


def test_forty_rows_break_across_pages_with_header_and_page_subtotals(order_form):
    items = [{"product_name": f"商品{i:02d}", "unit": "件", "quantity": i, "unit_price": 10} for i in range(1, 41)]
    pdf, data = render(order_form, {**ORDER, "items": items})
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    seen = []
    for n, page in enumerate(pages, 1):
        text = squash(page)
        assert "商品名称" in text and "规格型号" in text, f"header not repeated on page {n}"
        assert f"第{n}页共{len(pages)}页" in text
        assert "本页小计" in text, f"no 本页小计 on page {n}"
        on_page = [int(m) for m in re.findall(r"商品(\d\d)", page)]
        subtotal = sum(i * 10 for i in on_page)
        assert squash(f"{subtotal:,.2f}") in text, f"page {n}: subtotal {subtotal} of rows {on_page}"
        seen += on_page
    assert seen == list(range(1, 41)), "a row is missing, repeated or split"
    assert "合计" in squash(pages[-1]) and squash(f"{data['total']:,.2f}") in squash(pages[-1])
    assert data["total_in_words"] in squash(pages[-1])


COPIES = """
x-form: {id: outbound, title: 出库单}
x-layout:
  copies: [第一联 仓库留存, 第二联 仓库记账, 第三联 财务, 第四联 销售部门, 第五联 客户]
  signatures:
    - {label: 仓管员, blank: line}
properties:
  customer: {title: 客户名称, x-kind: text}
"""


def test_copies_print_one_page_set_each_with_its_label(make_schemas):
    form = load_catalog(make_schemas({"outbound.yaml": COPIES})).require("outbound")
    pages = pdf_pages(base.get("pdf").render(form))
    assert len(pages) == 5
    labels = ["第一联仓库留存", "第二联仓库记账", "第三联财务", "第四联销售部门", "第五联客户"]
    for page, label in zip(pages, labels):
        text = squash(page)
        assert label in text and "一式五联" in text and "出库单" in text
        assert "第1页共1页" in text


def test_fonts_are_embedded_subsets_and_small(order_form):
    pdf, _ = render(order_form, ORDER)
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            desc = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            desc = desc.get_object()
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]))
    assert all(re.match(r"^/[A-Z]{6}\+", f) for f in fonts), fonts
    assert any("UMing" in f for f in fonts) and any("Micro-Hei" in f for f in fonts), fonts
    assert len(pdf) < 80_000, len(pdf)


def test_missing_font_names_the_package(monkeypatch, tmp_path):
    fake = tmp_path / "fc-list"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}")
    check_fonts.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="fonts-arphic-uming"):
            check_fonts()
    finally:
        check_fonts.cache_clear()


class Canary(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):
        Canary.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def canary():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Canary.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_hostile_values_are_text_and_nothing_is_fetched(order_form, make_schemas, canary):
    evil_img = '<img src="file:///etc/passwd">'
    evil_css = f"url({canary}/css)"
    data = {**ORDER, "customer_name": evil_img, "remark": evil_css,
            "address": f'<link rel=stylesheet href="{canary}/link"><style>@import "{canary}/imp";</style>',
            "items": [{"product_name": f'<img src="{canary}/img">', "quantity": 1, "unit_price": 1}]}
    pdf, _ = render(order_form, data)
    text = squash("".join(pdf_pages(pdf)))
    assert squash(evil_img) in text and squash(evil_css) in text
    for fmt in ("html", "print"):
        page = base.get(fmt).render(order_form, Filled(check(order_form, data).data))
        assert b"<img src=" not in page.replace(b"&lt;img", b"")
        assert squash(evil_img) in squash(html_text(page))
    hostile = make_schemas({"h.yaml": f"""
        x-form: {{id: h, title: '<img src="{canary}/title">'}}
        x-layout:
          notes: ['<link rel=stylesheet href="{canary}/note">']
        properties:
          a: {{title: '<style>body{{background:url({canary}/bg)}}</style>', x-kind: text}}
    """})
    form = load_catalog(hostile).require("h")
    base.get("pdf").render(form)
    base.get("pdf").render(form, Filled({"a": f"url({canary}/value)"}))
    assert Canary.hits == []


def test_warns_when_the_subsetter_is_missing(monkeypatch):
    import ctypes.util

    from renderers import pdf
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    pdf.harfbuzz_subset_available.cache_clear()
    pdf.check_fonts.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="libharfbuzz-subset0"):
            pdf.check_fonts()
    finally:
        pdf.harfbuzz_subset_available.cache_clear()
        pdf.check_fonts.cache_clear()
