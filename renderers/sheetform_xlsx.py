"""The workbook of a form designed in a spreadsheet (forms/sheetform.py): read and write with openpyxl."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from forms.sheetform import MAX_BYTES, MAX_CELL, MAX_COLUMNS, MAX_ROWS, MAX_UNPACKED, SheetProblem

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_WIDTHS = {"类型": 12, "名称": 18, "标题": 18, "提示": 20, "约束": 22, "条件": 22, "计算": 26, "其他": 50,
           "值": 30, "设置项": 20, "选项标题": 20, "选项表": 20}


class SheetReadError(Exception):
    """The bytes are not a workbook this module can read: `.problems` says why, in Chinese."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def write_sheets(sheets: dict) -> bytes:
    """The sheets (name -> rows, the first row the header) as an .xlsx workbook."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value == "" or value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"      # text, never a formula
                if r == 1:
                    cell.font, cell.fill = _HEAD, _FILL
        for c, head in enumerate(rows[0] if rows else [], start=1):
            ws.column_dimensions[get_column_letter(c)].width = _WIDTHS.get(head, 12)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_sheets(content: bytes) -> dict:
    """Every sheet of a workbook as rows of cell values, within the bounds of forms/sheetform.py."""
    if len(content) > MAX_BYTES:
        raise SheetReadError([SheetProblem("sheet-too-big", "工作簿", 0, "", {"limit": f"{MAX_BYTES // 1000} KB"})])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:     # a zip bomb stops here, before any XML is parsed
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SheetReadError([SheetProblem("sheet-unreadable", "工作簿", 0, "", {"detail": type(exc).__name__})])
    if unpacked > MAX_UNPACKED:
        raise SheetReadError([SheetProblem("sheet-too-big", "工作簿", 0, "",
                                           {"limit": f"解压后 {MAX_UNPACKED // 1_000_000} MB"})])
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SheetReadError([SheetProblem("sheet-unreadable", "工作簿", 0, "", {"detail": type(exc).__name__})])
    sheets = {}
    try:
        for ws in wb.worksheets:
            rows = []
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if r > MAX_ROWS + 1:
                    raise SheetReadError([SheetProblem("sheet-too-big", ws.title, r, "", {"limit": f"{MAX_ROWS} 行"})])
                row = list(row)
                while row and row[-1] in (None, ""):
                    row.pop()
                if len(row) > MAX_COLUMNS:
                    raise SheetReadError([SheetProblem("sheet-too-big", ws.title, r, "",
                                                       {"limit": f"{MAX_COLUMNS} 列"})])
                for c, v in enumerate(row):
                    if isinstance(v, str) and len(v) > MAX_CELL:
                        raise SheetReadError([SheetProblem("sheet-too-big", ws.title, r, get_column_letter(c + 1),
                                                           {"limit": f"每格 {MAX_CELL} 个字符"})])
                rows.append(row)
            while rows and not rows[-1]:
                rows.pop()
            sheets[ws.title] = rows
    finally:
        wb.close()
    return sheets
