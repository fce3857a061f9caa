"""All submissions of a form in one workbook, for counting and filtering in Excel.

`write_list(form, records, out)` writes sheet 记录 with one row per record
(编号, 提交日期, then every field outside tables, computed ones included,
titled by the field's title), and for each table a sheet of its line items
(编号, 行号, then the table's columns), named 明细 when the form has one
table, else by the table's title. Numbers are number cells with the
field's number format (`Kind.excel_format`: money '"¥"#,##0.00' …), dates
are real dates shown 'yyyy-mm-dd', everything else is text. Text is always
written as an inline string cell, never a formula, whatever it starts with
(=, +, -, @, tab, CR …); such cells also get Excel's quote prefix so that
editing them keeps them text. The header rows are bold and frozen (with 编号
and the second column), columns are sized for Chinese text from the titles
and the first rows, and every sheet has an autofilter.

Memory and speed. The workbook is written by `stream.StreamBook`: every sheet
streams its rows to its own temporary file, so rows must be written in order
*within a sheet*, but sheets may be written in turn. That is all the line
items need: each record appends its row to 记录 and its line items to their
sheets as it goes, so `records` is consumed once, as an iterator, and no
record is kept after its rows are written. The temporary files are
anonymous and closed whatever happens, even when the iterator raises. A sheet
that would pass Excel's 1,048,576 rows stops the export (`stream.TooManyRows`).

The output is deterministic: the same records give the same bytes (the
document's creation time and every zip member's date are `when`).
"""
from __future__ import annotations

import io
import math
import re
from datetime import date, datetime

from ..layout import column_width
from ..textwidth import text_width
from .cells import FORMULA_START, TextTooLong, clean_text
from .geometry import CHAR
from .meta import META_SHEET
from .names import SheetNames
from .stream import StreamBook, TooManyRows

FIXED_TIME = datetime(2000, 1, 1)   # docProps created/modified of every export
SAMPLE_ROWS = 100                   # rows of each sheet looked at for the column widths
MIN_WIDTH, MAX_WIDTH = 4, 24        # column widths, in Chinese characters
FONT = "宋体"
DATE_FORMAT = "yyyy-mm-dd"
DATE_WIDTH = 5.5                    # 2026-03-05, in Chinese characters
RESERVED_SHEETS = (META_SHEET, "History")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

__all__ = ["export_list", "write_list", "fill_book", "TooManyRows"]


# ---------------------------------------------------------------- columns
def list_columns(fields: dict):
    """Non-table fields in definition order (sections flattened), with their headers."""
    out = []

    def walk(level, prefix):
        for f in level.values():
            if f.is_table:
                continue
            if f.is_section:
                walk(f.children, prefix + (f.title,))
            else:
                out.append((f, prefix))
    walk(fields, ())
    titles = [f.title for f, _ in out]
    return [(f, f.title if titles.count(f.title) == 1 or not prefix else "·".join(prefix + (f.title,)))
            for f, prefix in out]


def _getter(path: tuple):
    """A fast `forms.expr.get_path(data, path)`."""
    if len(path) == 1:
        key = path[0]
        return lambda data: data.get(key)

    def get(data):
        for part in path:
            if not isinstance(data, dict):
                return None
            data = data.get(part)
        return data
    return get


# ---------------------------------------------------------------- cell values
class CellMaker:
    """Turns a value into a cell: (True, number text, style) or (False, text, style), or None.

    Number text is what goes into <v> (str(int) or repr(float), exact); text is cleaned
    like `cells.clean_text` (no control characters other than tab, CR and LF; at most
    32,767 characters)."""

    def __init__(self, book):
        self.book = book
        self.quote = book.style(quote_prefix=True)
        self.date = book.style(number_format=DATE_FORMAT)
        self.head = book.style(bold=True, center=True, wrap=True)
        self._dates: dict = {}

    def number_style(self, f):
        fmt = f.kind_def.excel_format(f)
        return None if fmt in ("General", "@") else self.book.style(number_format=fmt)

    def text(self, value):
        s = clean_text(value)
        if not s:
            return None
        return (False, s, self.quote if s.startswith(FORMULA_START) else None)

    def serial(self, text: str):
        """Excel's serial day number of an ISO date, or None."""
        dates = self._dates
        if text in dates:
            return dates[text]
        try:
            days = (date.fromisoformat(text) - date(1899, 12, 31)).days
            if days < 1:
                raise ValueError("Excel has no dates before 1900")
            serial = str(days + 1 if days > 59 else days)     # Excel's 1900-02-29
        except ValueError:
            serial = None
        if len(dates) > 10000:
            dates.clear()
        dates[text] = serial
        return serial

    def plain(self, value):
        """A value of a field of no particular kind (or one not matching its kind)."""
        if value is None or value == "":
            return None
        t = type(value)
        if t is int or (t is float and math.isfinite(value)):
            return (True, str(value) if t is int else repr(value), None)
        if t is bool:
            return self.text("是" if value else "否")
        if t is list:
            return self.text("、".join(str(v) for v in value))
        return self.text(value)

    def converter(self, f):
        """value -> cell for the column of field `f` (None: no field)."""
        plain = self.plain
        kind = f.kind_def if f is not None else None
        if kind is not None and kind.numeric:
            style = self.number_style(f)

            def number(value):
                t = type(value)
                if t is int:
                    return (True, str(value), style)
                if t is float and math.isfinite(value):
                    return (True, repr(value), style)
                return plain(value)
            return number
        if kind is not None and kind.calendar == "day":
            serial, date_style, iso = self.serial, self.date, _ISO_DATE.fullmatch

            def date_cell(value):
                if type(value) is str and len(value) == 10 and iso(value):
                    n = serial(value)
                    if n is not None:
                        return (True, n, date_style)
                return plain(value)
            return date_cell
        return plain

    def created(self, value):
        """提交日期: the date part of an ISO date or datetime, else the text as it is."""
        if type(value) is str and len(value) >= 10 and _ISO_DATE.match(value):
            n = self.serial(value[:10])
            if n is not None:
                return (True, n, self.date)
        return self.text(value) if value else None

    def width(self, f):
        """cell -> its width as shown, in Chinese characters, for the column of field `f`."""
        date_style = self.date

        def shown(cell):
            is_number, text, style = cell
            if not is_number:
                return max(text_width(line) for line in text.split("\n"))
            if style is date_style:
                return DATE_WIDTH
            if f is not None and style is not None:       # in the field's format, with room for its sign
                return text_width(f.display(float(text) if "." in text or "e" in text else int(text))) + 0.55
            return text_width(text)
        return shown


# ---------------------------------------------------------------- sheets
class ListSheet:
    """One worksheet being written: header, rows, and the widths seen in the first rows."""

    def __init__(self, book, cells: CellMaker, name: str, titles: list, floor: list, shown: list):
        self.sheet = book.add_sheet(name)
        self.ncols = len(titles)
        self.shown = shown
        # at least the title (plus the filter button) and the definition's width, up to MAX_WIDTH
        self.widths = [max(text_width(t) + 1.5, min(w, MAX_WIDTH)) for t, w in zip(titles, floor)]
        self.sheet.freeze(1, 2)
        self.sheet.row([(False, t, cells.head) for t in titles])

    def row(self, cells) -> None:
        if self.sheet.rows <= SAMPLE_ROWS:
            widths, shown = self.widths, self.shown
            for i, cell in enumerate(cells):
                if cell is not None:
                    w = shown[i](cell) + 1
                    if w > widths[i]:
                        widths[i] = w
        self.sheet.row(cells)

    def finish(self) -> None:
        self.sheet.widths = [round(max(MIN_WIDTH, min(w, MAX_WIDTH)) * CHAR, 1) for w in self.widths]
        self.sheet.filter = True


# ---------------------------------------------------------------- export
def write_list(form, records, out, *, when: datetime = FIXED_TIME) -> int:
    """Write the workbook listing `records` (an iterable of Filled, consumed once) of `form` to the
    binary file `out`; returns how many records it lists. `when` is the document's creation time
    (fixed, so that the same records give the same bytes)."""
    with StreamBook(font=FONT) as book:
        count = fill_book(book, form, records)
        book.save(out, title=f"{form.title}记录", author="biaoge", when=when)
    return count


def export_list(form, records, *, when: datetime = FIXED_TIME) -> bytes:
    """`write_list` into memory."""
    buf = io.BytesIO()
    write_list(form, records, buf, when=when)
    return buf.getvalue()


def fill_book(book, form, records) -> int:
    """The sheets and rows of the list in `book` (a StreamBook, or anything with its style,
    add_sheet and sheet API); returns the number of records."""
    cells = CellMaker(book)
    names = SheetNames(RESERVED_SHEETS)
    cols = list_columns(form.fields)
    main = ListSheet(book, cells, names.name("记录"), ["编号", "提交日期"] + [t for _, t in cols],
                     [8, 6] + [column_width(f) for f, _ in cols], [cells.width(None)] * 2 + [cells.width(f) for f, _ in cols])
    main_columns = [(_getter(f.path), cells.converter(f)) for f, _ in cols]

    tables = [f for f in form.walk() if f.is_table]
    details = []
    for t in tables:
        children = list(t.children.values())
        sheet = ListSheet(book, cells, names.name("明细" if len(tables) == 1 else t.title, "明细"),
                          ["编号", "行号"] + [c.title for c in children], [8, 3] + [column_width(c) for c in children],
                          [cells.width(None)] * 2 + [cells.width(c) for c in children])
        details.append((_getter(t.path), [(c.key, cells.converter(c)) for c in children], sheet))

    text, created = cells.text, cells.created
    count = 0
    for rec in records:
        data = rec.data if isinstance(rec.data, dict) else {}
        try:
            number = text(rec.number) if rec.number else None
            void = getattr(rec, "void", "")
            row = [text(f"{rec.number}（{void}）") if void else number, created(rec.created)]
            row += [conv(get(data)) for get, conv in main_columns]
            main.row(row)
            count += 1
            for get_items, columns, sheet in details:
                items = get_items(data)
                if not isinstance(items, list):
                    continue
                for i, item in enumerate(items, 1):
                    if not isinstance(item, dict):
                        item = {}
                    sheet.row([number, (True, str(i), None)] + [conv(item.get(key)) for key, conv in columns])
        except TextTooLong as exc:
            raise exc.at(f"记录 {rec.number or count + 1} 中") from None
    main.finish()
    for _, _, sheet in details:
        sheet.finish()
    return count
