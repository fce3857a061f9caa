"""All submissions of a form in one workbook, for counting and filtering in Excel.

`export_list(form, records)` streams (openpyxl write-only mode, so memory
stays bounded however many records): sheet 记录 holds one row per record
(编号, 提交日期, then every field outside tables, computed ones included),
and each table gets a sheet of its line items (编号, 行号, then the
table's columns), named 明细 when the form has one table, else by the
table's title. Text is always written as text cells, never as formulas.
"""
from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from forms import expr as ex
from forms.kinds import NUMERIC_KINDS

from .layout import column_width
from .xlsx import CHAR, clean_text, number_format, text_width

_HEAD = Font(name="宋体", size=11, bold=True)
_BODY = Font(name="宋体", size=11)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _sheet_name(title: str, used: set) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", title).strip().strip("'")[:31] or "明细"
    base, i = name, 2
    while name in used or name == "_biaoge":
        suffix = f"({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name


def _columns(fields: dict):
    """Non-table fields in definition order (sections flattened), with their headers."""
    out = []

    def walk(level, prefix):
        for f in level.values():
            if f.kind == "table":
                continue
            if f.kind == "section":
                walk(f.children, prefix + (f.title,))
            else:
                out.append((f, prefix))
    walk(fields, ())
    titles = [f.title for f, _ in out]
    return [(f, f.title if titles.count(f.title) == 1 or not prefix else "·".join(prefix + (f.title,)))
            for f, prefix in out]


class _Writer:
    def __init__(self, ws):
        self.ws = ws

    def head(self, titles, widths):
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = round(w * CHAR, 1)
        self.ws.freeze_panes = "C2"
        row = []
        for t in titles:
            c = WriteOnlyCell(self.ws)
            _text(c, t)
            c.font, c.alignment = _HEAD, _CENTER
            row.append(c)
        self.ws.append(row)
        self.rows = 1
        self.cols = len(titles)

    def append(self, cells):
        self.ws.append(cells)
        self.rows += 1

    def finish(self):
        if self.rows > 1:
            self.ws.auto_filter.ref = f"A1:{get_column_letter(self.cols)}{self.rows}"


def _text(cell, value):
    cell.value = clean_text(value)
    cell.data_type = "s"          # never a formula, whatever the text starts with
    if cell.value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        cell.quotePrefix = True
    return cell


def _cell(ws, f, value):
    c = WriteOnlyCell(ws)
    c.font = _BODY
    if value is None or value == "":
        return c
    if f is not None and f.kind in NUMERIC_KINDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        c.value = value
        c.number_format = number_format(f)
    elif f is not None and f.kind == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            c.value = date.fromisoformat(value)
            c.number_format = "yyyy-mm-dd"
        except ValueError:
            _text(c, value)
    elif isinstance(value, bool):
        _text(c, "是" if value else "否")
    elif isinstance(value, list):
        _text(c, "、".join(str(v) for v in value))
    elif isinstance(value, (int, float)):
        c.value = value
    else:
        _text(c, value)
    return c


def _date_cell(ws, value):
    c = WriteOnlyCell(ws)
    c.font = _BODY
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        try:
            c.value = date.fromisoformat(value[:10])
            c.number_format = "yyyy-mm-dd"
            return c
        except ValueError:
            pass
    if value:
        _text(c, value)
    return c


def export_list(form, records) -> bytes:
    """One workbook listing `records` (an iterable of Record) of `form`."""
    wb = Workbook(write_only=True)
    used: set = set()
    main = _Writer(wb.create_sheet(_sheet_name("记录", used)))
    cols = _columns(form.fields)
    main.head(["编号", "提交日期"] + [t for _, t in cols],
              [12, 8] + [max(min(column_width(f), 16), text_width(t) + 1) for f, t in cols])

    tables = [f for f in form.walk() if f.kind == "table"]
    details = []
    for t in tables:
        name = "明细" if len(tables) == 1 else t.title
        w = _Writer(wb.create_sheet(_sheet_name(name, used)))
        children = list(t.children.values())
        w.head(["编号", "行号"] + [c.title for c in children],
               [12, 4] + [max(min(column_width(c), 16), text_width(c.title) + 1) for c in children])
        details.append((t, children, w))

    for rec in records:
        data = rec.data if isinstance(rec.data, dict) else {}
        number = rec.number or ""
        row = [_text(WriteOnlyCell(main.ws), number) if number else None, _date_cell(main.ws, rec.created)]
        row += [_cell(main.ws, f, ex.get_path(data, f.path)) for f, _ in cols]
        main.append(row)
        for t, children, w in details:
            items = ex.get_path(data, t.path)
            for i, item in enumerate(items if isinstance(items, list) else [], 1):
                item = item if isinstance(item, dict) else {}
                w.append([_text(WriteOnlyCell(w.ws), number) if number else None, i]
                         + [_cell(w.ws, c, item.get(c.key)) for c in children])
    main.finish()
    for _, _, w in details:
        w.finish()
    wb.properties.title = f"{form.title}记录"
    wb.properties.creator = "biaoge"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
