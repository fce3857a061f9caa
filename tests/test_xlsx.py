"""Excel: the template renderer, the import of a filled template and the list export."""
import csv
import io
import shutil
import struct
import subprocess
import time
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import column_index_from_string, range_boundaries

from forms.sample import sample_submission
from forms.submission import check
from renderers.base import Filled
from renderers.xlsx import XlsxRenderer
from renderers.xlsx.cells import write_value
from renderers.xlsx.importer import import_workbook
from renderers.xlsx.list_export import export_list
from renderers.xlsx.meta import META_SHEET, read_map
from renderers.xlsx.sheet import sheet_title

XLSX = XlsxRenderer()
INJECTIONS = ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\t=1+2", "=HYPERLINK(\"http://x\",\"y\")"]
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")


def engine(form, seed=0, **changes):
    data = sample_submission(form, seed)
    data.update(changes)
    result = check(form, data)
    assert result.ok, result.errors
    return result.data


def load(content):
    return load_workbook(io.BytesIO(content))


def value_at(data, name):
    for part in name.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def fill(form, template: bytes, data: dict) -> bytes:
    """What a user does offline: type the submission into the blank template's input cells."""
    wb = load(template)
    meta = read_map(wb)
    ws = wb[meta.sheet]
    for name, coord in meta.fields.items():
        write_value(ws[coord], form.field_at(tuple(name.split("."))), value_at(data, name))
    for name, t in meta.tables.items():
        tf = form.field_at(tuple(name.split(".")))
        for i, row in enumerate(value_at(data, name) or []):
            for key, col in t.columns.items():
                write_value(ws[f"{col}{t.first_row + i}"], tf.children[key], row.get(key))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def texts(ws):
    return {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}


def prompts(ws):
    """{cell coordinate: prompt title} of the data validations (input messages)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            c1, r1, c2, r2 = range_boundaries(rng.coord)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[ws.cell(r, c).coordinate] = dv.promptTitle
    return out


# ---------------------------------------------------------------- contract, every form
def test_every_form_renders_blank_and_filled(catalog):
    assert catalog.forms
    for form in catalog.forms.values():
        for record in (None, Filled(engine(form, 1), number="NO-0001", created="2026-03-05")):
            content = XLSX.render(form, record)
            wb = load(content)
            assert wb.sheetnames[0] == sheet_title(form)
            assert wb[META_SHEET].sheet_state == "veryHidden"
            ws = wb.worksheets[0]
            meta = read_map(wb)
            assert meta.form == form.id and meta.version == form.version and meta.sheet == ws.title
            cells, tips = texts(ws), prompts(ws)
            for f in form.walk():
                if f.title in cells:
                    continue
                # fields inside the letter text and table totals carry their title as input prompt
                where = [c for c, t in tips.items() if t == f.title[:32]]
                assert where, f"{form.id}: title {f.title!r} appears nowhere"
            # every input cell is unlocked, every formula cell locked, the sheet protected
            assert ws.protection.sheet
            for name, coord in meta.fields.items():
                assert ws[coord].protection.locked is False, (form.id, name)
                assert ws[coord].data_type != "f"
            for name, coord in meta.computed.items():
                assert ws[coord].data_type == "f" and ws[coord].protection.locked, (form.id, name)
            for name, t in meta.tables.items():
                for key, col in t.columns.items():
                    assert ws[f"{col}{t.first_row}"].protection.locked is False
                for key, col in t.computed.items():
                    assert ws[f"{col}{t.first_row + t.rows - 1}"].data_type == "f"
                tf = form.field_at(tuple(name.split(".")))
                cap = tf.spec.get("maxItems", 10 ** 6)
                if record is None:
                    assert t.rows >= min(max(20, tf.spec.get("x-rows", 5)), cap)
                else:
                    assert t.rows == min(max(len(value_at(record.data, name)), tf.spec.get("x-rows", 5)), cap)
            # print set-up
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
            assert ws.page_setup.orientation == form.layout["orientation"]
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_area
            if meta.tables:
                assert ws.print_title_rows
            if record is not None and meta.number_cell:
                assert ws[meta.number_cell].value == "NO-0001"


def test_order_form_layout(order_form):
    wb = load(XLSX.render(order_form))
    ws = wb.worksheets[0]
    meta = read_map(wb)
    assert ws["A1"].value == "商品订货单" and ws["A1"].font.b and ws["A1"].font.sz == 16
    items = meta.tables["items"]
    first, last = items.first_row, items.first_row + items.rows - 1
    amount = items.computed["amount"]
    q, p = items.columns["quantity"], items.columns["unit_price"]
    formula = ws[f"{amount}{first}"].value
    assert formula.startswith("=") and f"{q}{first}" in formula and f"{p}{first}" in formula and "ROUND(" in formula
    total = ws[meta.computed["total"]].value
    assert f"SUM({amount}{first}:{amount}{last})" in total
    assert "[DBNum2]" in ws[meta.computed["total_in_words"]].value
    assert ws[f"{p}{first}"].number_format == '"¥"#,##0.00'
    assert ws[f"{q}{first}"].number_format == "0"
    assert ws[meta.fields["order_date"]].number_format == "yyyy-mm-dd"
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert '"现金,转账,支票"' in lists
    # Chinese text fits: each column is wide enough for its header
    for key, col in {**items.columns, **items.computed}.items():
        title = order_form.fields["items"].children[key].title
        assert ws.column_dimensions[col].width >= 2 * len(title)
    for side in ("left", "right", "top", "bottom"):
        assert getattr(ws[f"{q}{first}"].border, side).style == "thin"


def test_filled_values_are_typed(order_form):
    data = engine(order_form, 2)
    wb = load(XLSX.render(order_form, Filled(data, number="DH-202603-0007")))
    ws = wb.worksheets[0]
    meta = read_map(wb)
    date_cell = ws[meta.fields["order_date"]]
    assert date_cell.is_date and date_cell.value.date().isoformat() == data["order_date"]
    items = meta.tables["items"]
    assert ws[f"{items.columns['quantity']}{items.first_row}"].value == data["items"][0]["quantity"]
    assert items.rows == max(len(data["items"]), 8)
    # the engine's results are cached for viewers that do not calculate
    cached = load_workbook(io.BytesIO(XLSX.render(order_form, Filled(data))), data_only=True).worksheets[0]
    assert cached[meta.computed["total"]].value == pytest.approx(data["total"])
    assert cached[meta.computed["total_in_words"]].value == data["total_in_words"]


# ---------------------------------------------------------------- formulas, recalculated by LibreOffice
@needs_soffice
def test_libreoffice_recalculates_template_and_keeps_text(order_form, tmp_path):
    data = engine(order_form, 5)
    data["items"][1]["unit_price"] = 12.5
    data["items"][1]["quantity"] = 3
    data = check(order_form, data).data
    (tmp_path / "calc.xlsx").write_bytes(fill(order_form, XLSX.render(order_form), data))
    hostile = engine(order_form, 6, customer_name=INJECTIONS[0], remark=INJECTIONS[3], contact="-2")
    hostile["items"][0]["product_name"] = "+cmd"
    (tmp_path / "inject.xlsx").write_bytes(XLSX.render(order_form, Filled(hostile)))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "calc.xlsx"), str(tmp_path / "inject.xlsx")],
                   check=True, capture_output=True, timeout=180)
    meta = read_map(load((tmp_path / "calc.xlsx").read_bytes()))
    table = list(csv.reader((tmp_path / "calc.csv").open(encoding="utf-8")))

    def at(coord):
        col = "".join(ch for ch in coord if ch.isalpha())
        return table[int(coord[len(col):]) - 1][column_index_from_string(col) - 1]

    items = meta.tables["items"]
    amount = items.computed["amount"]
    for i, row in enumerate(data["items"]):
        assert at(f"{amount}{items.first_row + i}") == f"¥{row['amount']:,.2f}"
    assert at(f"{amount}{items.first_row + len(data['items'])}") == ""     # empty rows stay empty
    assert at(meta.computed["total"]) == f"¥{data['total']:,.2f}"
    assert at(meta.computed["total_in_words"]) == data["total_in_words"]

    injected = list(csv.reader((tmp_path / "inject.csv").open(encoding="utf-8")))
    flat = {v for row in injected for v in row}
    assert {INJECTIONS[0], INJECTIONS[3], "-2", "+cmd"} <= flat

    # a copy saved again by LibreOffice (as WPS / LibreOffice users do) still imports
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                    "--outdir", str(tmp_path / "saved"), str(tmp_path / "calc.xlsx")],
                   check=True, capture_output=True, timeout=180)
    result = import_workbook(order_form, (tmp_path / "saved" / "calc.xlsx").read_bytes())
    assert result.errors == [] and result.data == data


# ---------------------------------------------------------------- import
def test_round_trip_every_form(catalog):
    for form in catalog.forms.values():
        intended = engine(form, 3)
        result = import_workbook(form, fill(form, XLSX.render(form), intended))
        assert result.errors == [], form.id
        assert result.data == check(form, intended).data, form.id
        # a filled workbook made by the renderer reads back too
        again = import_workbook(form, XLSX.render(form, Filled(intended)))
        assert again.data == check(form, intended).data, form.id


def test_import_skips_empty_rows_and_converts_types(order_form):
    intended = engine(order_form, 4)
    wb = load(XLSX.render(order_form))
    meta = read_map(wb)
    ws = wb.worksheets[0]
    items = meta.tables["items"]
    cols = items.columns
    ws[meta.fields["customer_name"]] = intended["customer_name"]
    ws[meta.fields["order_date"]] = "2026/3/5"                       # typed as text
    r = items.first_row + 2                                          # rows 1 and 2 left empty
    ws[f"{cols['product_name']}{r}"] = "洗衣粉"
    ws[f"{cols['quantity']}{r}"] = 3.0
    ws[f"{cols['unit_price']}{r}"] = "¥1,200.50"
    buf = io.BytesIO()
    wb.save(buf)
    result = import_workbook(order_form, buf.getvalue())
    assert result.errors == []
    assert result.data["order_date"] == "2026-03-05"
    assert result.data["items"] == [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 1200.5, "amount": 3601.5}]
    assert result.data["total_in_words"] == "叁仟陆佰零壹元伍角"


@pytest.mark.parametrize("bad", [-3, "abc"])
def test_wrong_value_names_its_cell(order_form, bad):
    intended = engine(order_form, 3)
    wb = load(fill(order_form, XLSX.render(order_form), intended))
    meta = read_map(wb)
    items = meta.tables["items"]
    cell = f"{items.columns['quantity']}{items.first_row + 2}"
    wb.worksheets[0][cell] = bad
    buf = io.BytesIO()
    wb.save(buf)
    result = import_workbook(order_form, buf.getvalue())
    assert result.data is None
    assert result.errors == [{"path": "/items/2/quantity", "field": "数量", "cell": f"商品订货单!{cell}",
                              "message": f"订货明细第 3 行「数量」必须是不小于 0 的整数(商品订货单!{cell})"}]


def test_errors_name_the_sheet_line_and_missing_cells(order_form):
    wb = load(XLSX.render(order_form))
    meta = read_map(wb)
    ws = wb.worksheets[0]
    items = meta.tables["items"]
    r = items.first_row + 4                                          # the 5th line on paper
    ws[f"{items.columns['product_name']}{r}"] = "洗衣粉"
    ws[f"{items.columns['quantity']}{r}"] = "=1+1"                   # a formula in an input cell
    buf = io.BytesIO()
    wb.save(buf)
    result = import_workbook(order_form, buf.getvalue())
    messages = {e["cell"]: e["message"] for e in result.errors}
    name = meta.fields["customer_name"]
    assert messages[f"商品订货单!{name}"] == f"「客户名称」为必填项(商品订货单!{name})"
    price = f"{items.columns['unit_price']}{r}"
    assert messages[f"商品订货单!{price}"] == f"订货明细第 5 行「单价」为必填项(商品订货单!{price})"
    qty = f"{items.columns['quantity']}{r}"
    assert "不能填写公式" in messages[f"商品订货单!{qty}"]


# ---------------------------------------------------------------- refusals
def timed_import(form, content, **kw):
    start = time.perf_counter()
    result = import_workbook(form, content, **kw)
    assert time.perf_counter() - start < 3
    assert result.data is None and len(result.errors) == 1
    return result.errors[0]["message"]


def test_refuses_text_renamed_xlsx(order_form, tmp_path):
    assert timed_import(order_form, "客户名称,数量\n华联,3\n".encode()) == "文件不是 Excel 工作簿（.xlsx）"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert timed_import(order_form, buf.getvalue()) == "文件不是 Excel 工作簿（.xlsx）"
    assert timed_import(order_form, b"PK\x03\x04garbage") == "文件不是 Excel 工作簿（.xlsx）"


def test_refuses_big_file(order_form):
    assert timed_import(order_form, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024)) == "文件太大（超过 5 MB）"


def bomb(size=200 * 1024 * 1024) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * (4 * 1024 * 1024)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def test_refuses_zip_bomb(order_form):
    content = bomb()
    assert len(content) < 1024 * 1024
    assert timed_import(order_form, content) == "文件解压后过大，已拒绝"


def test_refuses_bomb_with_forged_sizes(order_form):
    """Sizes in the headers claim little: reading stops at the declared size, the file is broken."""
    content = bytearray(bomb(40 * 1024 * 1024))
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := content.find(sig, start)) >= 0:
            name_len = struct.unpack_from("<H", content, i + (26 if sig == b"PK\x03\x04" else 28))[0]
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            if content[name_at:name_at + name_len] == b"xl/worksheets/sheet1.xml":
                struct.pack_into("<I", content, i + offset, 1000)
            start = i + 4
    message = timed_import(order_form, bytes(content))
    assert message in ("文件已损坏，无法读取", "文件解压后过大，已拒绝", "文件不是 Excel 工作簿（.xlsx）")


def test_refuses_workbook_of_another_form(catalog, order_form):
    other = catalog.require("collection_notice")
    message = timed_import(order_form, XLSX.render(other))
    assert "催款通知单" in message and "商品订货单" in message
    wb = Workbook()
    wb.active["A1"] = "客户名称"
    buf = io.BytesIO()
    wb.save(buf)
    assert "不是从本系统下载的「商品订货单」Excel 模板" in timed_import(order_form, buf.getvalue())


def test_refuses_doctype(order_form):
    content = XLSX.render(order_form)
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><workbook', 1)
            dst.writestr(info.filename, data)
    assert "已拒绝" in timed_import(order_form, out.getvalue())


# ---------------------------------------------------------------- formula injection
def test_text_is_never_a_formula(order_form):
    data = engine(order_form, 7, customer_name=INJECTIONS[0], contact=INJECTIONS[2], remark=INJECTIONS[1],
                  address=INJECTIONS[5])
    for i, text in enumerate(INJECTIONS[:3]):
        data["items"][i]["product_name"] = text
    data["items"][0]["remark"] = INJECTIONS[3]
    data["items"][1]["remark"] = INJECTIONS[4]
    content = XLSX.render(order_form, Filled(data, number="=2+2"))
    wb = load(content)
    ws = wb.worksheets[0]
    meta = read_map(wb)
    for key, text in (("customer_name", INJECTIONS[0]), ("contact", "-2"), ("remark", INJECTIONS[1]),
                      ("address", INJECTIONS[5])):
        cell = ws[meta.fields[key]]
        assert cell.value == text and cell.data_type == "s", key
    items = meta.tables["items"]
    for i, text in enumerate(INJECTIONS[:3]):
        cell = ws[f"{items.columns['product_name']}{items.first_row + i}"]
        assert cell.value == text and cell.data_type == "s"
    cell = ws[f"{items.columns['remark']}{items.first_row}"]
    assert cell.value == "@SUM(A1)" and cell.data_type == "s"
    assert ws[meta.number_cell].value == "=2+2" and ws[meta.number_cell].data_type == "s"
    # the raw XML holds them as inline strings, not <f> elements
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>1+1</f>" not in sheet and "<f>2+2</f>" not in sheet and "SUM(A1)</f>" not in sheet
    # and they come back as the same text
    assert import_workbook(order_form, content).data["customer_name"] == INJECTIONS[0]

    listing = load(export_list(order_form, [Filled(data, number="=2+2", created="2026-03-05")]))
    for ws in listing.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in "=+-@\t":
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
    values = {c.value for ws in listing.worksheets for row in ws.iter_rows() for c in row}
    assert {INJECTIONS[0], INJECTIONS[1], INJECTIONS[3], "=2+2", "-2"} <= values


# ---------------------------------------------------------------- list export
def test_list_export(order_form):
    records = [Filled(engine(order_form, i), number=f"DH-202603-000{i + 1}", created=f"2026-03-0{i + 1}")
               for i in range(3)]
    wb = load(export_list(order_form, iter(records)))
    assert wb.sheetnames == ["记录", "明细"]
    main = wb["记录"]
    head = [c.value for c in main[1]]
    assert head[:2] == ["编号", "提交日期"]
    assert {"客户名称", "合计", "合计金额(大写)", "付款方式"} <= set(head)
    assert "订货明细" not in head
    rows = list(main.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["DH-202603-0001", "DH-202603-0002", "DH-202603-0003"]
    total = head.index("合计")
    assert [r[total] for r in rows] == [r.data["total"] for r in records]
    assert rows[0][1].date().isoformat() == "2026-03-01"
    detail = wb["明细"]
    dhead = [c.value for c in detail[1]]
    assert dhead[:2] == ["编号", "行号"] and "数量" in dhead and "金额" in dhead
    lines = list(detail.iter_rows(min_row=2, values_only=True))
    assert len(lines) == sum(len(r.data["items"]) for r in records)
    assert lines[0][:2] == ("DH-202603-0001", 1)
    assert lines[0][dhead.index("数量")] == records[0].data["items"][0]["quantity"]


def test_list_export_sections_and_several_tables(catalog, make_schemas):
    from services.catalog import load_catalog
    root = make_schemas({"two.yaml": """
        x-form: {id: two, title: 两表, version: 1}
        properties:
          who: {title: 填表人, x-kind: text}
          a: {title: 甲表, x-kind: table, items: {properties: {n: {title: 数量, x-kind: integer}}}}
          b: {title: 乙表, x-kind: table, items: {properties: {t: {title: 内容, x-kind: text}}}}
    """})
    cat = load_catalog(root)
    assert cat.ok, cat.problems
    form = cat.require("two")
    wb = load(export_list(form, [Filled({"who": "张三", "a": [{"n": 1}, {"n": 2}], "b": [{"t": "x"}]}, "T-1")]))
    assert wb.sheetnames == ["记录", "甲表", "乙表"]
    assert wb["甲表"].max_row == 3 and wb["乙表"].max_row == 2
    # a two-table form renders and round-trips too
    data = {"who": "张三", "a": [{"n": 1}, {"n": 2}], "b": [{"t": "=x"}]}
    assert import_workbook(form, XLSX.render(form, Filled(data))).data == check(form, data).data
    complaint = catalog.require("customer_complaint_register")
    wb = load(export_list(complaint, [Filled(engine(complaint, 1), "TS-1")]))
    head = [c.value for c in wb["记录"][1]]
    assert "投诉方式" in head and wb.sheetnames == ["记录"]


def test_every_kind_round_trips(make_schemas):
    from services.catalog import load_catalog
    root = make_schemas({"kinds.yaml": """
        x-form: {id: kinds, title: "各种类型/测试:表[1]", version: 2}
        x-layout: {columns: 3, paper: A3, orientation: landscape, signatures: [{label: 日期, blank: date}]}
        properties:
          ok: {title: 是否同意, x-kind: boolean}
          tags: {title: 标签, x-kind: multichoice, items: {enum: [甲, 乙, 丙]}}
          month: {title: 月份, x-kind: month}
          year: {title: 年度, x-kind: year}
          rate: {title: 比例, x-kind: percent}
          level: {title: 等级, enum: [1, 2, 3]}
          long: {title: 长选项, x-kind: choice, enum: ["a,b", "c"]}
          idno: {title: 身份证号, x-kind: idcard}
          mail: {title: 邮箱, x-kind: email}
          note: {title: 说明, x-kind: textarea}
          half: {title: 一半, x-kind: number, x-compute: rate / 2, x-round: 1}
          yes: {title: 同意吗, x-kind: boolean, x-compute: ok}
    """})
    cat = load_catalog(root)
    assert cat.ok, cat.problems
    form = cat.require("kinds")
    data = {"ok": False, "tags": ["甲", "丙"], "month": "2026-03", "year": 2026, "rate": 12.5, "level": 2,
            "long": "a,b", "idno": "11010519491231002X", "mail": "a@b.cn", "note": "第一行\n第二行"}
    expected = check(form, data)
    assert expected.ok, expected.errors
    content = XLSX.render(form, Filled(expected.data))
    wb = load(content)
    assert wb.sheetnames[0] == "各种类型测试表1"
    assert int(wb.worksheets[0].page_setup.paperSize) == 8 and wb.worksheets[0].page_setup.orientation == "landscape"
    assert import_workbook(form, content).data == expected.data
    assert import_workbook(form, fill(form, XLSX.render(form), expected.data)).data == expected.data
    # typed by hand, the way people write them
    wb = load(XLSX.render(form))
    meta = read_map(wb)
    ws = wb.worksheets[0]
    for key, typed in {"ok": "是", "tags": "乙,甲", "month": "2026年3月", "year": 2026.0, "rate": "12.5%",
                       "level": 3, "long": "c"}.items():
        ws[meta.fields[key]] = typed
    buf = io.BytesIO()
    wb.save(buf)
    result = import_workbook(form, buf.getvalue())
    assert result.errors == []
    assert {k: result.data[k] for k in ("ok", "tags", "month", "year", "rate", "level", "long", "half", "yes")} == \
        {"ok": True, "tags": ["乙", "甲"], "month": "2026-03", "year": 2026, "rate": 12.5, "level": 3, "long": "c",
         "half": 6.3, "yes": True}


# ---------------------------------------------------------------- what the kinds tell the Excel code
def test_kinds_say_how_excel_shows_them(make_schemas):
    from forms import expr as ex
    from services.catalog import load_catalog
    from renderers.print_html import text_lines
    from renderers.textwidth import lines_needed, text_width
    from renderers.xlsx.geometry import cell_lines
    root = make_schemas({"k.yaml": """
        x-form: {id: k, title: 类型, version: 1}
        properties:
          n: {title: 数量, x-kind: integer}
          p: {title: 单价, x-kind: money}
          r: {title: 比例, x-kind: number}
          t: {title: 金额, x-kind: money, x-compute: n * p + n}
          ok: {title: 同意, x-kind: boolean, x-compute: n > 1}
          who: {title: 姓名, x-kind: text}
          tel: {title: 电话, x-kind: phone, maxLength: 20}
          day: {title: 日期, x-kind: date}
          pick: {title: 选项, enum: [甲, 乙]}
          tags: {title: 标签, x-kind: multichoice, items: {enum: [甲, 乙]}}
    """})
    form = load_catalog(root).require("k")
    f = form.fields
    assert f["t"].kind_def.excel_formula(f["t"], "A1") == "ROUND(A1,2)"
    assert f["r"].kind_def.excel_formula(f["r"], "A1") == "A1"
    assert f["ok"].kind_def.excel_formula(f["ok"], "A1>1") == 'IF(A1>1,"是","否")'
    assert f["who"].kind_def.excel_formula(f["who"], "A1") == "A1"
    assert [f[k].kind_def.align for k in ("n", "p", "day", "pick", "ok", "tags", "who")] == \
        ["right", "right", "center", "center", "center", "left", "left"]
    assert f["who"].kind_def.wraps and not f["tel"].kind_def.wraps
    assert f["tel"].kind_def.validation(f["tel"])["hint"] == "手机 11 位，座机如 010-12345678；不超过 20 个字"
    # the formula's refs in the order written, the same set the definition's deps hold
    assert [r.path for r in ex.refs(f["t"].compute)] == [("n",), ("p",), ("n",)]
    assert set(ex.refs(f["t"].compute)) == f["t"].deps
    # one width model: print and Excel differ only in how much of a box they fill
    assert text_width("ab中文") == 0.55 * 2 + 2 and lines_needed("中" * 10 + "\n中", 5) == 3
    assert text_lines("中" * 10, 5) == lines_needed("中" * 10, 4.75) and text_lines("中\n中", 5) == 1
    assert cell_lines("中" * 10, 5) == lines_needed("中" * 10, 5 * 1.05 - 0.3) == 3
