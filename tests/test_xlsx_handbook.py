"""Excel handbook: every blank form of the catalog in one workbook, with a linked index."""
import io
import re
import time
from copy import copy

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter, range_boundaries

from services.catalog import load_catalog
from renderers.xlsx.handbook import INDEX_SHEET, LISTS_SHEET, RESERVED, handbook_workbook
from renderers.xlsx.importer import import_workbook
from renderers.xlsx.meta import META_SHEET, read_map
from renderers.xlsx.names import SheetNames
from renderers.xlsx.sheet import FormSheet

BAD_CHARS = re.compile(r"[\[\]:*?/\\]")


def load(content):
    return load_workbook(io.BytesIO(content))


def binder(catalog):
    return [f for forms in catalog.by_chapter().values() for f in forms]


def index_links(wb):
    """[(row, title shown, target sheet, target cell)] of the index, top to bottom."""
    out = []
    for row in wb[INDEX_SHEET].iter_rows():
        for c in row:
            if c.hyperlink is not None:
                m = re.fullmatch(r"'((?:[^']|'')+)'!(\w+)", c.hyperlink.location or "")
                assert m, c.hyperlink.location
                out.append((c.row, c.value, m.group(1).replace("''", "'"), m.group(2)))
    return out


def back_link(ws):
    """(cell, index row) of the sheet's 返回目录 link."""
    links = [c for row in ws.iter_rows() for c in row if c.hyperlink is not None]
    assert len(links) == 1 and links[0].value == "返回目录", ws.title
    m = re.fullmatch(rf"'{INDEX_SHEET}'!A(\d+)", links[0].hyperlink.location)
    return links[0], int(m.group(1))


def resolve(wb, formula):
    """The choices of a list validation: inline "a,b" or a range on a hidden sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, rng = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    c1, r1, c2, r2 = range_boundaries(rng.replace("$", ""))
    return [ws.cell(r, c1).value for r in range(r1, r2 + 1)]


def strip_sheet(ref):
    return str(ref).split("!", 1)[-1] if ref else ref


_LOOKS: dict = {}


def look(cell):
    """Font, border, alignment and protection of a cell, comparable across workbooks
    (memoised by the cell's style indices: copying styles is slow)."""
    key = (id(cell.parent.parent), tuple(cell._style) if cell._style else None)
    if key not in _LOOKS:
        _LOOKS[key] = (cell.parent.parent, tuple(copy(getattr(cell, k)) for k in
                                                 ("font", "border", "alignment", "protection")))
    return _LOOKS[key][1]


def assert_same_sheet(form, hb_wb, ws, tpl_wb):
    """The handbook sheet is the form's blank template (apart from the 返回目录 cell beside it)."""
    tpl = tpl_wb.worksheets[0]
    link, _ = back_link(ws)
    area = strip_sheet(tpl.print_area).replace("$", "")
    c1, r1, c2, r2 = range_boundaries(area)
    assert link.column == c2 + 1 and link.row == 1, "the link lies outside the print area"
    assert strip_sheet(ws.print_area) == strip_sheet(tpl.print_area)
    assert str(ws.print_title_rows or "") == str(tpl.print_title_rows or "")
    assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, tpl.merged_cells.ranges))
    for r in range(1, max(tpl.max_row, ws.max_row) + 1):
        assert ws.row_dimensions[r].height == tpl.row_dimensions[r].height, (form.id, r)
        for c in range(1, c2 + 1):
            a, b = ws.cell(r, c), tpl.cell(r, c)
            assert (a.value, a.data_type, a.number_format) == (b.value, b.data_type, b.number_format), \
                (form.id, a.coordinate)
            if not isinstance(a, MergedCell):   # (openpyxl does not read back a merged cell's own style)
                assert look(a) == look(b), (form.id, a.coordinate)
    for c in range(1, c2 + 1):
        letter = get_column_letter(c)
        assert ws.column_dimensions[letter].width == tpl.column_dimensions[letter].width
    assert ws.protection.sheet and ws.sheet_view.showGridLines is False
    for attr in ("paperSize", "orientation", "fitToWidth", "fitToHeight"):
        assert getattr(ws.page_setup, attr) == getattr(tpl.page_setup, attr), (form.id, attr)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == tpl.oddFooter.center.text

    def validations(wb, sheet):
        return sorted((str(dv.sqref), dv.type, dv.operator, dv.formula2, dv.promptTitle, dv.prompt, dv.error,
                       tuple(resolve(wb, dv.formula1)) if dv.type == "list" else dv.formula1)
                      for dv in sheet.data_validations.dataValidation)
    assert validations(hb_wb, ws) == validations(tpl_wb, tpl), form.id


def test_handbook_of_the_catalog(catalog):
    forms = binder(catalog)
    start = time.perf_counter()
    content = handbook_workbook(catalog)
    assert time.perf_counter() - start < 3 + 0.15 * len(forms)
    wb = load(content)

    # 目录 first, then one visible sheet per form in binder order, the long lists very hidden
    assert wb.sheetnames[0] == INDEX_SHEET and wb.active.title == INDEX_SHEET
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible[0].title == INDEX_SHEET and len(visible) == len(forms) + 1
    assert [ws["A1"].value for ws in visible[1:]] == [f.title for f in forms]
    hidden = [ws for ws in wb.worksheets if ws.sheet_state != "visible"]
    assert all(ws.title == LISTS_SHEET and ws.sheet_state == "veryHidden" for ws in hidden)
    assert META_SHEET not in wb.sheetnames and read_map(wb) is None

    names = [ws.title for ws in wb.worksheets]
    assert len({n.casefold() for n in names}) == len(names)
    assert all(len(n) <= 31 and not BAD_CHARS.search(n) for n in names)

    # the index: chapters in order, each form's row links to its sheet and back
    index = wb[INDEX_SHEET]
    text = [str(c.value) for row in index.iter_rows() for c in row if c.value is not None]
    chapters = list(catalog.by_chapter())
    assert [t for t in text if t in chapters] == chapters
    links = index_links(wb)
    assert [(title, sheet, cell) for _, title, sheet, cell in links] == \
        [(f.title, ws.title, "A1") for f, ws in zip(forms, visible[1:])]
    for (row, _, sheet, _), form in zip(links, forms):
        ws = wb[sheet]
        assert ws["A1"].value == form.title
        assert back_link(ws)[1] == row
        assert index.cell(row, 1).value == forms.index(form) + 1
    # column headings repeated on every printed page; each chapter's heading right above its forms
    head = int(re.match(r"\$?(\d+)", index.print_title_rows).group(1))
    assert [c.value for c in index[head]] == ["序号", "表格名称", "用途说明", "纸张"]
    assert head < links[0][0] and index.print_area
    row_of = {f.id: row for f, (row, *_) in zip(forms, links)}
    for chapter, fs in catalog.by_chapter().items():
        assert index.cell(row_of[fs[0].id] - 1, 1).value == chapter

    # every form sheet is exactly its blank template (built in memory: loading 80 workbooks is slow)
    for form, ws in zip(forms, visible[1:]):
        b = FormSheet(form, None)
        b.build()
        assert_same_sheet(form, wb, ws, b.wb)
    _LOOKS.clear()

    # not a template: the import refuses it with its usual message
    result = import_workbook(forms[0], content)
    assert result.data is None and "Excel 模板" in result.errors[0]["message"]


LONG_A = "华东大区重点客户季度销售目标分解与完成情况跟踪统计汇总分析表(直营渠道)"
LONG_B = "华东大区重点客户季度销售目标分解与完成情况跟踪统计汇总分析表(分销渠道)"


def form_yaml(fid, title, chapter, extra=""):
    return f"""
        x-form: {{id: {fid}, title: "{title}", chapter: {chapter}, version: 1}}
        properties:
          who: {{title: 填表人, x-kind: text}}
          pick: {{title: 选项, x-kind: choice, enum: ["甲,乙", "丙"]}}
        {extra}"""


def test_sheet_names_long_titles_and_shared_lists(make_schemas):
    assert LONG_A[:31] == LONG_B[:31] and len(LONG_A) > 31
    root = make_schemas({
        "01-first/01-a.yaml": form_yaml("long_a", LONG_A, "第一章 甲"),
        "01-first/02-b.yaml": form_yaml("long_b", LONG_B, "第一章 甲"),
        "02-second/01-c.yaml": form_yaml("index_like", "目录", "第二章 乙"),
        "02-second/02-d.yaml": form_yaml("odd_chars", "'费用/报销:单[2]'", "第二章 乙",
                                         "  other: {title: 其他, x-kind: choice, enum: [\"x,y\", z]}"),
    })
    cat = load_catalog(root)
    assert cat.ok, cat.problems
    wb = load(handbook_workbook(cat))
    assert wb.sheetnames == [INDEX_SHEET, LONG_A[:31], LONG_A[:28] + "(2)", "目录(2)", "费用报销单2", LISTS_SHEET]
    links = index_links(wb)
    assert [(title, sheet) for _, title, sheet, _ in links] == [
        (LONG_A, LONG_A[:31]), (LONG_B, LONG_A[:28] + "(2)"), ("目录", "目录(2)"), ("'费用/报销:单[2]'", "费用报销单2")]
    for row, title, sheet, _ in links:
        assert wb[sheet]["A1"].value == title and back_link(wb[sheet])[1] == row
    # the same long list is stored once and every sheet's drop-down resolves to it
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "veryHidden"
    assert [c.value for c in lists[1]] == ["甲,乙", "x,y"] and [c.value for c in lists[2]] == ["丙", "z"]
    for ws in wb.worksheets[1:5]:
        choices = {tuple(resolve(wb, dv.formula1)) for dv in ws.data_validations.dataValidation if dv.type == "list"}
        assert ("甲,乙", "丙") in choices


def unique_sheet_names(titles, reserved=RESERVED) -> list:
    names = SheetNames(reserved)
    return [names.name(t) for t in titles]


def test_unique_sheet_names():
    long = "一" * 40
    assert unique_sheet_names([long, long, long]) == ["一" * 31, "一" * 28 + "(2)", "一" * 28 + "(3)"]
    assert unique_sheet_names(["Sales", "SALES", "history", "", "a'b'", "_lists"]) == \
        ["Sales", "SALES(2)", "history(2)", "表单", "a'b", "_lists(2)"]
    # a truncated name never ends with an apostrophe
    assert unique_sheet_names(["一" * 30 + "'x"]) == ["一" * 30]
    assert unique_sheet_names(["一" * 27 + "'xx", "一" * 27 + "'xx"]) == ["一" * 27 + "'xx", "一" * 27 + "(2)"]


def test_empty_catalog(make_schemas):
    cat = load_catalog(make_schemas({}))
    wb = load(handbook_workbook(cat))
    assert wb.sheetnames == [INDEX_SHEET]
    assert "（没有表格）" in {c.value for row in wb[INDEX_SHEET].iter_rows() for c in row}
