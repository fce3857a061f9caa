"""The Excel handbook: every blank form of the catalog in one workbook.

Sheets, in binder order (`catalog.by_chapter()`):

- 目录 — the index: chapters and forms, each form's name a link to its sheet;
- one sheet per form, laid out exactly as the form's blank template
  (`renderers.xlsx._Builder.lay_out`: same cells, formulas, validations,
  protection and print set-up). Right of the print area, on the title row,
  a 返回目录 link leads back to the form's row of the index; it is not printed;
- `_lists` (very hidden, only when needed): the drop-down lists too long to be
  written inline in a validation, one column per distinct list, shared by all
  sheets.

The handbook is for printing and filling by hand: it has no `_biaoge` map, so
`renderers.xlsx_import` refuses it (a single form's template imports).
"""
from __future__ import annotations

import io
import re
from copy import copy

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from .xlsx import (_BOX, _F_BOLD, _F_BODY, _F_SMALL, _F_TITLE, CHAR, LINE, META_SHEET, ROW, _align, _Builder,
                   lines_needed, print_setup, set_text, sheet_title)

TITLE = "营销管理表格"
INDEX_SHEET = "目录"
HEAD_ROW = 4                # the index's column headings (printed atop every page)
LISTS_SHEET = "_lists"
MAX_SHEET_NAME = 31
# names a form sheet may not take (compared case-insensitively, as Excel does)
RESERVED = (INDEX_SHEET, LISTS_SHEET, META_SHEET, "History")

# index columns: (heading, width in Chinese characters)
INDEX_COLUMNS = (("序号", 4.0), ("表格名称", 15.0), ("用途说明", 24.0), ("纸张", 6.0))
_F_LINK = Font(name=_F_BODY.name, size=11, color="0563C1", underline="single")
_F_BACK = Font(name=_F_BODY.name, size=10, color="0563C1", underline="single")
_F_SUBTITLE = Font(name=_F_TITLE.name, size=14, bold=True)


def unique_sheet_names(titles, reserved=RESERVED) -> list[str]:
    """Sheet names for `titles`, in order: at most 31 characters, none of []:*?/\\, not starting
    or ending with an apostrophe, unique ignoring case and different from `reserved`. A name
    already taken gets a suffix (2), (3) … and is shortened to make room for it."""
    taken = {r.casefold() for r in reserved}
    out = []
    for title in titles:
        base = re.sub(r"[\[\]:*?/\\]", "", str(title or "")).strip().strip("'")[:MAX_SHEET_NAME].strip("'") or "表单"
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            suffix = f"({n})"
            name = base[:MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
        taken.add(name.casefold())
        out.append(name)
    return out


def sheet_ref(name: str, cell: str = "A1") -> str:
    """An internal link target: 'sheet'!A1 (apostrophes in the name doubled)."""
    return "'" + name.replace("'", "''") + "'!" + cell


def _link(cell, name: str, target: str, tooltip: str, font) -> None:
    """Make `cell` an internal link to `target` of sheet `name`, in the Hyperlink style (keeping
    the cell's border, alignment and protection, which the named style would reset)."""
    keep = copy(cell.border), copy(cell.alignment), copy(cell.protection)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=sheet_ref(name, target), tooltip=tooltip)
    cell.style = "Hyperlink"
    cell.font = font
    cell.border, cell.alignment, cell.protection = keep


class _Lists:
    """Long drop-down lists of all sheets, one column each of the `_lists` sheet (same list, same column)."""

    def __init__(self):
        self.columns: dict = {}         # tuple of choices -> column letter

    def __call__(self, choices: list) -> str:
        key = tuple(choices)
        col = self.columns.setdefault(key, get_column_letter(len(self.columns) + 1))
        return f"'{LISTS_SHEET}'!${col}$1:${col}${len(choices)}"

    def write(self, wb) -> None:
        if not self.columns:
            return
        ws = wb.create_sheet(LISTS_SHEET)
        ws.sheet_state = "veryHidden"
        for choices, col in self.columns.items():
            for i, c in enumerate(choices, 1):
                set_text(ws[f"{col}{i}"], c)


def _paper(layout) -> str:
    return f"{layout.paper} {'横向' if layout.orientation == 'landscape' else '纵向'}"


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

    line(1, title, _F_TITLE, _align("center", wrap=False), 34)
    line(2, "目  录", _F_SUBTITLE, _align("center", wrap=False), 26)
    line(3, f"共 {len(chapters)} 章、{count} 张表格。点击表格名称转到该表,各表右上角「返回目录」回到本页。",
         _F_SMALL, _align("left"), ROW)
    for c, (heading, _) in enumerate(INDEX_COLUMNS, 1):
        cell = ws.cell(HEAD_ROW, c)
        set_text(cell, heading)
        cell.font, cell.border, cell.alignment = _F_BOLD, _BOX, _align("center")
    ws.row_dimensions[HEAD_ROW].height = ROW + 2
    seq = 0
    for chapter, entries in chapters:
        r = entries[0][2] - 1
        ws.merge_cells(f"A{r}:{last}{r}")
        set_text(ws[f"A{r}"], chapter)
        for c in range(1, ncols + 1):
            ws.cell(r, c).border = _BOX
        ws[f"A{r}"].font, ws[f"A{r}"].alignment = _F_BOLD, _align("left")
        ws.row_dimensions[r].height = ROW + 2
        for b, name, r in entries:
            seq += 1
            form = b.form
            values = (seq, form.title, form.description or "", _paper(b.layout))
            aligns = (_align("center"), _align("left"), _align("left"), _align("center", wrap=False))
            lines = 1
            for c, (value, align) in enumerate(zip(values, aligns), 1):
                cell = ws.cell(r, c)
                if c == 1:
                    cell.value = value
                else:
                    set_text(cell, value)
                cell.font, cell.border, cell.alignment = _F_BODY, _BOX, align
                if c in (2, 3):
                    lines = max(lines, lines_needed(value, INDEX_COLUMNS[c - 1][1] - 1.5))  # some slack
            _link(ws.cell(r, 2), name, "A1", f"转到「{form.title}」", _F_LINK)
            ws.row_dimensions[r].height = max(ROW, lines * LINE + 6)
    end = max([HEAD_ROW] + [e[2] for _, entries in chapters for e in entries])
    if not chapters:
        end = HEAD_ROW + 1
        line(end, "(没有表格)", _F_BODY, _align("center"), ROW)

    for c, (_, width) in enumerate(INDEX_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = round(width * CHAR, 2)
    print_setup(ws, "A4", "portrait", side=0.6, top=0.7)
    ws.print_title_rows = f"{HEAD_ROW}:{HEAD_ROW}"
    ws.print_area = f"A1:{last}{end}"
    ws.sheet_view.showGridLines = False
    ws.freeze_panes = f"A{HEAD_ROW + 1}"


def _back_link(b: _Builder, index_row: int) -> None:
    """返回目录, on the title row just right of the print area (so it is never printed)."""
    col = b.ncols + 1
    cell = b.ws.cell(1, col)
    set_text(cell, "返回目录")
    _link(cell, INDEX_SHEET, f"A{index_row}", "回到目录", _F_BACK)
    cell.alignment = _align("center", wrap=False)
    b.ws.column_dimensions[get_column_letter(col)].width = round(5 * CHAR, 2)


def handbook_workbook(catalog, title: str = TITLE) -> bytes:
    """Every blank form of `catalog` in one workbook: 目录 first, then one sheet per form in
    binder order (chapter by chapter), each exactly like the form's blank Excel template."""
    wb = Workbook()
    index = wb.active
    index.title = INDEX_SHEET
    lists = _Lists()
    by_chapter = catalog.by_chapter()
    forms = [f for fs in by_chapter.values() for f in fs]
    names = iter(unique_sheet_names(sheet_title(f) for f in forms))
    chapters, r = [], HEAD_ROW + 1
    for chapter, fs in by_chapter.items():
        entries = []
        r += 1                              # row r - 1 is the chapter's heading
        for form in fs:
            name = next(names)
            b = _Builder(form, None, wb, wb.create_sheet(name), lists=lists)
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


__all__ = ["handbook_workbook", "unique_sheet_names", "INDEX_SHEET", "LISTS_SHEET"]
