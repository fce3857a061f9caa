"""The Excel handbook: every blank form of the catalog in one workbook.

Sheets, in binder order (`catalog.by_chapter()`):

- 目录 — the index: chapters and forms, each form's name a link to its sheet;
- one sheet per form, laid out exactly as the form's blank template
  (`sheet.FormSheet.lay_out`: same cells, formulas, validations,
  protection and print set-up). Right of the print area, on the title row,
  a 返回目录 link leads back to the form's row of the index; it is not printed;
- `_lists` (very hidden, only when needed): the drop-down lists too long to be
  written inline in a validation, one column per distinct list, shared by all
  sheets.

The handbook is for printing and filling by hand: it has no `_biaoge` map, so
the import (`importer`) refuses it (a single form's template imports).
"""
from __future__ import annotations

import io
from copy import copy

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from forms.paper import paper_label

from .cells import set_text
from .geometry import ROW, cell_lines, column_units, print_setup, row_height
from .meta import META_SHEET
from .names import SheetNames, sheet_ref
from .sheet import FormSheet, sheet_title
from .styles import BOX, FONT_BODY, FONT_BOLD, FONT_SMALL, FONT_TITLE, align
from .validations import ChoiceLists

TITLE = "营销管理表格"
INDEX_SHEET = "目录"
HEAD_ROW = 4                # the index's column headings (printed atop every page)
LISTS_SHEET = "_lists"
# names a form sheet may not take (compared case-insensitively, as Excel does)
RESERVED = (INDEX_SHEET, LISTS_SHEET, META_SHEET, "History")

# index columns: (heading, width in Chinese characters)
INDEX_COLUMNS = (("序号", 4.0), ("表格名称", 15.0), ("用途说明", 24.0), ("纸张", 6.0))
FONT_LINK = Font(name=FONT_BODY.name, size=11, color="0563C1", underline="single")
FONT_BACK = Font(name=FONT_BODY.name, size=10, color="0563C1", underline="single")
FONT_SUBTITLE = Font(name=FONT_TITLE.name, size=14, bold=True)


def _link(cell, name: str, target: str, tooltip: str, font) -> None:
    """Make `cell` an internal link to `target` of sheet `name`, in the Hyperlink style (keeping
    the cell's border, alignment and protection, which the named style would reset)."""
    keep = copy(cell.border), copy(cell.alignment), copy(cell.protection)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=sheet_ref(name, target), tooltip=tooltip)
    cell.style = "Hyperlink"
    cell.font = font
    cell.border, cell.alignment, cell.protection = keep


def _index(ws, title: str, chapters: list) -> None:
    """The 目录 sheet. `chapters`: [(chapter, [(builder, sheet name, row), ...]), ...] with the
    rows already chosen (see `handbook_workbook`)."""
    ncols = len(INDEX_COLUMNS)
    last = get_column_letter(ncols)
    count = sum(len(entries) for _, entries in chapters)

    def line(r, value, font, align, height):
        ws.merge_cells(f"A{r}:{last}{r}")
        set_text(ws[f"A{r}"], value)
        ws[f"A{r}"].font, ws[f"A{r}"].alignment = font, align
        ws.row_dimensions[r].height = height

    line(1, title, FONT_TITLE, align("center", wrap=False), 34)
    line(2, "目  录", FONT_SUBTITLE, align("center", wrap=False), 26)
    line(3, f"共 {len(chapters)} 章、{count} 张表格。点击表格名称转到该表，各表右上角「返回目录」回到本页。",
         FONT_SMALL, align("left"), ROW)
    for c, (heading, _) in enumerate(INDEX_COLUMNS, 1):
        cell = ws.cell(HEAD_ROW, c)
        set_text(cell, heading)
        cell.font, cell.border, cell.alignment = FONT_BOLD, BOX, align("center")
    ws.row_dimensions[HEAD_ROW].height = ROW + 2
    seq = 0
    for chapter, entries in chapters:
        r = entries[0][2] - 1
        ws.merge_cells(f"A{r}:{last}{r}")
        set_text(ws[f"A{r}"], chapter)
        for c in range(1, ncols + 1):
            ws.cell(r, c).border = BOX
        ws[f"A{r}"].font, ws[f"A{r}"].alignment = FONT_BOLD, align("left")
        ws.row_dimensions[r].height = ROW + 2
        for b, name, r in entries:
            seq += 1
            form = b.form
            values = (seq, form.title, form.description or "", paper_label(b.layout.paper, b.layout.orientation))
            aligns = (align("center"), align("left"), align("left"), align("center", wrap=False))
            lines = 1
            for c, (value, alignment) in enumerate(zip(values, aligns), 1):
                cell = ws.cell(r, c)
                if c == 1:
                    cell.value = value
                else:
                    set_text(cell, value)
                cell.font, cell.border, cell.alignment = FONT_BODY, BOX, alignment
                if c in (2, 3):
                    lines = max(lines, cell_lines(value, INDEX_COLUMNS[c - 1][1] - 1.5))  # some slack
            _link(ws.cell(r, 2), name, "A1", f"转到「{form.title}」", FONT_LINK)
            ws.row_dimensions[r].height = row_height(lines)
    end = max([HEAD_ROW] + [e[2] for _, entries in chapters for e in entries])
    if not chapters:
        end = HEAD_ROW + 1
        line(end, "（没有表格）", FONT_BODY, align("center"), ROW)

    for c, (_, width) in enumerate(INDEX_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = column_units(width)
    print_setup(ws, "A4", "portrait", side=0.6, top=0.7)
    ws.print_title_rows = f"{HEAD_ROW}:{HEAD_ROW}"
    ws.print_area = f"A1:{last}{end}"
    ws.sheet_view.showGridLines = False
    ws.freeze_panes = f"A{HEAD_ROW + 1}"


def _back_link(b: FormSheet, index_row: int) -> None:
    """返回目录, on the title row just right of the print area (so it is never printed)."""
    col = b.ncols + 1
    cell = b.ws.cell(1, col)
    set_text(cell, "返回目录")
    _link(cell, INDEX_SHEET, f"A{index_row}", "回到目录", FONT_BACK)
    cell.alignment = align("center", wrap=False)
    b.ws.column_dimensions[get_column_letter(col)].width = column_units(5)


def handbook_workbook(catalog, title: str = TITLE) -> bytes:
    """Every blank form of `catalog` in one workbook: 目录 first, then one sheet per form in
    binder order (chapter by chapter), each exactly like the form's blank Excel template."""
    wb = Workbook()
    index = wb.active
    index.title = INDEX_SHEET
    lists = ChoiceLists(LISTS_SHEET)
    names = SheetNames(RESERVED)
    chapters, r = [], HEAD_ROW + 1
    for chapter, fs in catalog.by_chapter().items():
        entries = []
        r += 1                              # row r - 1 is the chapter's heading
        for form in fs:
            name = sheet_title(form, names)
            b = FormSheet(form, None, wb, wb.create_sheet(name), lists=lists)
            entries.append((b, name, r))
            r += 1
        chapters.append((chapter, entries))
    _index(index, title, chapters)
    for _, entries in chapters:
        for b, _, row in entries:
            b.lay_out()
            _back_link(b, row)
    lists.write(wb)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    wb.properties.title = title
    wb.properties.creator = "biaoge"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["handbook_workbook", "INDEX_SHEET", "LISTS_SHEET"]
