"""List export (renderers.xlsx.list_export, written by renderers.xlsx.stream) and byte-reproducible
workbooks (renderers.xlsx.determinism).

A handful of records each; the 100,000-record figures come from bench/export.py.
"""
import csv
import io
import shutil
import subprocess
import tempfile
import time
import weakref
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from renderers.base import Filled
from renderers.xlsx import XlsxRenderer, stream
from renderers.xlsx.determinism import deterministic_xlsx
from renderers.xlsx.importer import import_workbook
from renderers.xlsx.list_export import FONT, RESERVED_SHEETS, export_list, fill_book, write_list
from renderers.xlsx.names import SheetNames

from .test_xlsx import engine

INJECTIONS = ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\t=1+2", "\r=1+3", "=HYPERLINK(\"http://x\",\"y\")"]
MONEY = '"¥"#,##0.00'


def orders(form, n=3):
    return [Filled(engine(form, i), number=f"DH-202603-000{i + 1}", created=f"2026-03-0{i + 1}") for i in range(n)]


def load(content):
    return load_workbook(io.BytesIO(content))


def grid(ws):
    """Every cell as (value shown, data type, number format, quote prefix, bold)."""
    return [[(shown(c.value), c.data_type, c.number_format, bool(c.quotePrefix), bool(c.font.b)) for c in row]
            for row in ws.iter_rows()]


def shown(value):
    """A text cell's value as Excel shows it (openpyxl leaves inline strings' _xHHHH_ escapes in)."""
    return unescape(value) if isinstance(value, str) else value


def column(ws, title):
    head = [c.value for c in ws[1]]
    return [row[head.index(title)] for row in ws.iter_rows(min_row=2)]


# ---------------------------------------------------------------- content
def test_sheets_columns_values_and_types(order_form):
    records = orders(order_form)
    wb = load(export_list(order_form, iter(records)))
    assert wb.sheetnames == ["记录", "明细"]
    main, detail = wb["记录"], wb["明细"]
    head = [c.value for c in main[1]]
    assert head == ["编号", "提交日期", "客户名称", "联系人", "联系电话", "交货日期", "送货地址", "订货日期", "合计",
                    "合计金额(大写)", "付款方式", "付款账号", "备注"]
    assert main.max_row == 4

    numbers = column(main, "编号")
    assert [c.value for c in numbers] == ["DH-202603-0001", "DH-202603-0002", "DH-202603-0003"]
    assert {c.data_type for c in numbers} == {"s"}
    created = column(main, "提交日期")
    assert [c.value.date().isoformat() for c in created] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert {c.number_format for c in created} == {"yyyy-mm-dd"}
    total = column(main, "合计")
    assert [c.value for c in total] == [r.data["total"] for r in records]
    assert {(c.data_type, c.number_format) for c in total} == {("n", MONEY)}
    order_date = column(main, "订货日期")
    assert [c.value.date().isoformat() for c in order_date] == [r.data["order_date"] for r in records]
    for title, key in (("客户名称", "customer_name"), ("合计金额(大写)", "total_in_words"), ("付款方式", "pay_method"),
                       ("联系电话", "phone")):
        cells = column(main, title)
        assert [c.value for c in cells] == [r.data[key] for r in records]
        assert {c.data_type for c in cells} == {"s"}, title

    dhead = [c.value for c in detail[1]]
    assert dhead == ["编号", "行号", "商品名称", "规格型号", "单位", "数量", "单价", "金额", "备注"]
    lines = list(detail.iter_rows(min_row=2))
    expected = [(r.number, i, item) for r in records for i, item in enumerate(r.data["items"], 1)]
    assert len(lines) == len(expected)
    for row, (number, i, item) in zip(lines, expected):
        assert row[0].value == number and row[1].value == i and row[1].data_type == "n"
        assert row[2].value == item["product_name"]
        assert (row[5].value, row[5].number_format) == (item["quantity"], "0")
        assert (row[6].value, row[6].number_format) == (item["unit_price"], MONEY)
        assert (row[7].value, row[7].number_format) == (item["amount"], MONEY)


def test_layout_header_panes_filter_widths(order_form):
    wb = load(export_list(order_form, orders(order_form)))
    for ws in wb.worksheets:
        assert all(c.font.b and c.font.name == "宋体" for c in ws[1])
        assert all(not c.font.b and c.font.name == "宋体" for c in ws[2] if c.value is not None)
        assert ws.freeze_panes == "C2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
        assert all(8 <= w <= 60 for w in widths.values()), widths
    widths = {c.value: wb["记录"].column_dimensions[c.column_letter].width for c in wb["记录"][1]}
    assert widths["合计金额(大写)"] > widths["付款方式"]      # sized by the values, not only the titles
    assert widths["编号"] >= len("DH-202603-0001") * 1.1


def test_no_records_and_odd_values(order_form, catalog):
    wb = load(export_list(order_form, iter(())))
    assert [ws.max_row for ws in wb.worksheets] == [1, 1] and wb["记录"].auto_filter.ref is None

    data = {"customer_name": "甲", "total": float("nan"), "order_date": "2026-02-30", "delivery_date": 20260301,
            "items": [{}, "x", {"quantity": True}], "pay_method": ["a", "b"]}
    wb = load(export_list(order_form, [Filled(data, number="", created="昨天"), Filled("not a dict", "N-2")]))
    main = wb["记录"]
    row = {c.value: main.cell(2, c.column).value for c in main[1]}
    assert row["编号"] is None and row["提交日期"] == "昨天" and row["合计"] == "nan"
    assert row["订货日期"] == "2026-02-30" and row["交货日期"] == 20260301 and row["付款方式"] == "a、b"
    assert main.cell(3, 1).value == "N-2" and main.max_row == 3
    lines = list(wb["明细"].iter_rows(min_row=2, values_only=True))
    assert [line[:2] for line in lines] == [(None, 1), (None, 2), (None, 3)]
    assert lines[2][5] == "是"


def test_text_stays_text(order_form):
    data = engine(order_form, 7)        # stored text is written as it is, whatever check() would make of it
    data.update(customer_name=INJECTIONS[0], contact=INJECTIONS[2], remark=INJECTIONS[1], address=INJECTIONS[6],
                phone=INJECTIONS[5])
    for i, text in enumerate(INJECTIONS[3:6]):
        data["items"][i % len(data["items"])]["remark"] = text
    content = export_list(order_form, [Filled(data, number="=2+2", created="2026-03-05")])
    wb = load(content)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, str) and shown(c.value)[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate, c.value)
                    seen.add(shown(c.value))
    assert set(INJECTIONS) | {"=2+2"} <= seen
    package = zipfile.ZipFile(io.BytesIO(content))
    for name in package.namelist():
        if name.startswith("xl/worksheets/"):
            assert "<f>" not in package.read(name).decode()


def test_special_characters(order_form):
    texts = {"customer_name": "a&b<c>\"d'", "contact": " 前后空格 ", "remark": "第一行\n第二行\r\n第三行",
             "address": "控制\x01字符\x1f", "bank_account": "_x0041_ 不是 A", "phone": "坏\ud800字"}
    wb = load(export_list(order_form, [Filled(dict(engine(order_form, 1), **texts), "T-1")]))
    main = wb["记录"]
    row = {c.value: shown(main.cell(2, c.column).value) for c in main[1]}
    assert row["客户名称"] == "a&b<c>\"d'" and row["联系人"] == " 前后空格 "
    assert row["备注"] == "第一行\n第二行\r\n第三行" and row["送货地址"] == "控制字符"
    assert row["付款账号"] == "_x0041_ 不是 A" and row["联系电话"] == "坏\ufffd字"


class XlsxwriterBook:
    """The StreamBook interface over xlsxwriter's public API in its constant_memory mode (inline strings,
    as the stream writes them): the reference the stream is held to."""

    def __init__(self, buf, tmpdir):
        import xlsxwriter
        self.wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "tmpdir": str(tmpdir), "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False,
                                            "default_format_properties": {"font_name": FONT, "font_size": 11}})
        self.sheets = []

    def style(self, *, number_format=None, bold=False, center=False, wrap=False, quote_prefix=False):
        props = {"num_format": number_format} if number_format else {}
        props.update({"bold": True} if bold else {}, **({"align": "center", "valign": "vcenter"} if center else {}))
        props.update({"text_wrap": True} if wrap else {}, **({"quote_prefix": True} if quote_prefix else {}))
        return self.wb.add_format(props)

    def add_sheet(self, name):
        sheet = ApiSheet(self.wb.add_worksheet(name))
        self.sheets.append(sheet)
        return sheet

    def close(self):
        for sheet in self.sheets:
            sheet.finish()
        self.wb.close()


class ApiSheet:
    def __init__(self, ws):
        self.ws, self.rows, self.columns, self.widths, self.filter = ws, 0, 0, [], False

    def freeze(self, rows, columns):
        self.ws.freeze_panes(rows, columns)

    def row(self, cells):
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            is_number, value, style = cell
            if is_number:
                self.ws.write_number(self.rows, i, int(value) if value.lstrip("-").isdigit() else float(value), style)
            else:
                self.ws.write_string(self.rows, i, value, style)
        self.rows, self.columns = self.rows + 1, max(self.columns, len(cells))

    def finish(self):
        for i, w in enumerate(self.widths):
            self.ws.set_column(i, i, w)
        if self.filter and self.rows > 1:
            self.ws.autofilter(0, 0, self.rows - 1, self.columns - 1)


def widths(ws):
    """Column index -> width (xlsxwriter writes equal neighbours as one range)."""
    return {i: d.width for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)}


def test_stream_writes_what_the_xlsxwriter_api_writes(order_form, tmp_path):
    data = engine(order_form, 4, customer_name="=1+1", remark=" a&b ", contact="_x0041_")
    data["items"][0]["remark"] = "-3"
    records = orders(order_form) + [Filled(data, "=N", "2026-03-09T08:00:00"), Filled({}, "", "")]
    buf = io.BytesIO()
    book = XlsxwriterBook(buf, tmp_path)
    fill_book(book, order_form, iter(records))
    book.close()
    streamed, api = load(export_list(order_form, records)), load(buf.getvalue())
    assert streamed.sheetnames == api.sheetnames
    for a, b in zip(streamed.worksheets, api.worksheets):
        assert grid(a) == grid(b)
        assert (a.freeze_panes, a.auto_filter.ref) == (b.freeze_panes, b.auto_filter.ref)
        assert widths(a) == widths(b) and len(widths(a)) == a.max_column


def test_rows_cross_the_write_chunk(order_form, monkeypatch):
    """Rows gathered in memory and written to the sheet's file in chunks come out whole and in order."""
    datas = [engine(order_form, i) for i in range(3)]
    n = stream.ROW_CHUNK + 7                             # 记录 crosses one chunk, 明细 several
    records = [Filled(datas[i % 3], number=f"N-{i:05d}", created="2026-03-01") for i in range(n)]
    wb = load_workbook(io.BytesIO(export_list(order_form, iter(records))), read_only=True)
    numbers = [row[0] for row in wb["记录"].iter_rows(min_row=2, values_only=True)]
    assert numbers == [r.number for r in records]
    lines = [row[:3] for row in wb["明细"].iter_rows(min_row=2, values_only=True)]
    assert lines == [(r.number, i, item["product_name"]) for r in records
                     for i, item in enumerate(r.data["items"], 1)]
    monkeypatch.setattr(stream, "ROW_CHUNK", 3)          # a chunk boundary inside every few rows
    assert export_list(order_form, iter(records[:10])) == export_list(order_form, iter(records[:10])) != b""
    small = load(export_list(order_form, iter(records[:10])))
    assert [c.value for c in small["记录"]["A"][1:]] == [r.number for r in records[:10]]


def test_a_sheet_refuses_to_pass_excels_last_row(order_form, monkeypatch, tmp_path):
    message = str(stream.TooManyRows("明细"))
    assert "「明细」" in message and "1,048,576 行" in message and "分几次导出" in message
    monkeypatch.setattr(stream, "MAX_ROWS", 4)            # a header and three rows
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    bare = [Filled({"customer_name": f"客户{i}"}, number=f"N-{i}") for i in range(4)]
    assert load(export_list(order_form, bare[:3]))["记录"].max_row == 4
    with pytest.raises(stream.TooManyRows, match="「记录」超过了 Excel"):
        export_list(order_form, bare)
    items = [Filled(engine(order_form, i), number=f"N-{i}") for i in range(2)]    # two records, more lines
    assert sum(len(r.data["items"]) for r in items) > 3
    out = io.BytesIO()
    with pytest.raises(stream.TooManyRows, match="「明细」"):
        write_list(order_form, iter(items), out)
    assert list(tmp_path.iterdir()) == []                 # the sheets' files went with the error


def test_several_tables_sections_and_sheet_names(make_schemas):
    from services.catalog import load_catalog
    root = make_schemas({"two.yaml": """
        x-form: {id: two, title: 两表, version: 1}
        properties:
          who: {title: 填表人, x-kind: text}
          part: {title: 甲部分, x-kind: section, properties: {who: {title: 填表人, x-kind: text},
                 n: {title: 件数, x-kind: integer, x-unit: 件}}}
          a: {title: 记录, x-kind: table, items: {properties: {n: {title: 数量, x-kind: integer}}}}
          b: {title: "乙表:明细/第二张表,名字很长很长很长很长很长很长", x-kind: table,
              items: {properties: {t: {title: 内容, x-kind: text}}}}
    """})
    cat = load_catalog(root)
    assert cat.ok, cat.problems
    form = cat.require("two")
    data = {"who": "张三", "part": {"who": "李四", "n": 3}, "a": [{"n": 1}, {"n": 2}], "b": [{"t": "x"}]}
    wb = load(export_list(form, [Filled(data, "T-1")]))
    assert wb.sheetnames == ["记录", "记录(2)", "乙表明细第二张表,名字很长很长很长很长很长很长"[:31]]
    assert [c.value for c in wb["记录"][1]] == ["编号", "提交日期", "填表人", "甲部分·填表人", "件数"]
    assert [c.value for c in wb["记录"][2]] == ["T-1", None, "张三", "李四", 3]
    assert wb["记录"]["E2"].number_format == '0" 件"'
    assert wb["记录(2)"].max_row == 3 and wb.worksheets[2].max_row == 2


def test_sheet_names():
    names = SheetNames(RESERVED_SHEETS)
    assert [names.name(t, "明细") for t in ("记录", "记录", "明细", "History", "_biaoge", "'[a]'", "", "RECORD",
                                          "record")] == \
        ["记录", "记录(2)", "明细", "History(2)", "_biaoge(2)", "a", "明细(2)", "RECORD", "record(2)"]
    long = "长" * 40
    assert names.name(long) == "长" * 31 and names.name(long) == "长" * 28 + "(2)"
    assert len(SheetNames().name("😀" * 20).encode("utf-16-le")) <= 62


# ---------------------------------------------------------------- streaming
def test_records_are_streamed_not_kept(order_form):
    datas = [engine(order_form, i) for i in range(3)]
    made, gone, most = 0, [], 0

    def gen():
        nonlocal made, most
        for i in range(300):
            most = max(most, made - len(gone))       # records still referenced somewhere
            rec = Filled(datas[i % 3], number=f"N-{i}", created="2026-03-01")
            weakref.finalize(rec, gone.append, i)
            made += 1
            yield rec
    wb = load(export_list(order_form, gen()))
    assert most <= 2 and wb["记录"].max_row == 301 and wb["明细"].max_row == 1 + 100 * sum(len(d["items"]) for d in datas)


def test_temporary_files_go_even_when_records_fail(order_form, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def gen():
        yield from orders(order_form)
        raise RuntimeError("store went away")
    with pytest.raises(RuntimeError, match="store went away"):
        export_list(order_form, gen())
    assert list(tmp_path.iterdir()) == []
    export_list(order_form, orders(order_form))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- determinism
def test_same_records_same_bytes(order_form):
    records = orders(order_form)
    first = export_list(order_form, iter(records))
    time.sleep(1.1)
    assert export_list(order_form, iter(records)) == first
    package = zipfile.ZipFile(io.BytesIO(first))
    assert len({info.date_time for info in package.infolist()}) == 1
    assert b"2000-01-01T00:00:00Z" in package.read("docProps/core.xml")
    later = export_list(order_form, iter(records), when=datetime(2026, 3, 1, 8, 30))
    assert later != first and b"2026-03-01T08:30:00Z" in zipfile.ZipFile(io.BytesIO(later)).read("docProps/core.xml")


def test_deterministic_xlsx(order_form):
    data = engine(order_form, 2)
    record = Filled(data, number="DH-202603-0007", created="2026-03-07")
    first = XlsxRenderer().render(order_form, record)
    time.sleep(1.1)                      # openpyxl dates the document and every zip member with the time
    second = XlsxRenderer().render(order_form, record)
    assert first != second               # (the seconds of dcterms:modified differ at least)
    a, b = deterministic_xlsx(first), deterministic_xlsx(second)
    assert a == b and deterministic_xlsx(a) == a
    assert deterministic_xlsx(first, datetime(2026, 1, 2, 3, 4, 5)) != a

    before, after = zipfile.ZipFile(io.BytesIO(first)), zipfile.ZipFile(io.BytesIO(a))
    assert before.namelist() == after.namelist()
    for old, new in zip(before.infolist(), after.infolist()):
        assert new.date_time == (2000, 1, 1, 0, 0, 0) and new.compress_type == zipfile.ZIP_DEFLATED
        assert new.external_attr == 0o100600 << 16
        if old.filename != "docProps/core.xml":
            assert before.read(old) == after.read(new)
    core = after.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2

    wb_old, wb_new = load(first), load(a)
    assert wb_old.sheetnames == wb_new.sheetnames
    for x, y in zip(wb_old.worksheets, wb_new.worksheets):
        assert [[c.value for c in row] for row in x.iter_rows()] == [[c.value for c in row] for row in y.iter_rows()]
    assert wb_new.properties.created == datetime(2000, 1, 1)
    assert import_workbook(order_form, a).data == data


# ---------------------------------------------------------------- LibreOffice reads it as Excel would
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
def test_libreoffice_reads_the_list(order_form, tmp_path):
    records = orders(order_form, 2)
    records[0].data["customer_name"] = "=1+1"
    records[0].data["remark"] = "_x0041_ & <b>"
    (tmp_path / "list.xlsx").write_bytes(export_list(order_form, records))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "list.xlsx")], check=True, capture_output=True,
                   timeout=180)
    rows = list(csv.reader((tmp_path / "list.csv").open(encoding="utf-8")))
    head = rows[0]
    first = dict(zip(head, rows[1]))
    assert first["编号"] == "DH-202603-0001" and first["提交日期"] == "2026-03-01"
    assert first["客户名称"] == "=1+1" and first["备注"] == "_x0041_ & <b>"
    assert first["合计"] == f"¥{records[0].data['total']:,.2f}"
    assert first["订货日期"] == records[0].data["order_date"]
