"""All submissions of a form in one workbook, for counting and filtering in Excel.

`export_list(form, records)` writes sheet 记录 with one row per record
(编号, 提交日期, then every field outside tables, computed ones included,
titled by the field's title), and for each table a sheet of its line items
(编号, 行号, then the table's columns), named 明细 when the form has one
table, else by the table's title. Numbers are number cells with the
field's number format (money '"¥"#,##0.00' …), dates are real dates shown
'yyyy-mm-dd', everything else is text. Text is always written as an inline
string cell, never a formula, whatever it starts with (=, +, -, @, tab,
CR …); such cells also get Excel's quote prefix so that editing them keeps
them text. The header rows are bold and frozen (with 编号 and the second
column), columns are sized for Chinese text from the titles and the first
rows, and every sheet has an autofilter.

Memory and speed. The workbook is written by xlsxwriter in constant_memory
mode: every worksheet streams its rows to its own temporary file, so rows
must be written in order *within a sheet*, but sheets may be written in
turn. That is all the line items need: each record appends its row to 记录
and its line items to their sheets as it goes, so `records` is consumed
once, as an iterator, and no record is kept after its rows are written.
Memory stays bounded (one row at a time, plus the finished zip in memory,
about 1/10 of the XML); the temporary files live in a private temporary
directory that is removed whatever happens, even when the iterator raises.

xlsxwriter's per-cell path (write_string/write_number, then its row
serializer) costs about 8 µs a cell, 30 s for the 4 million cells of 100,000
orders. So when the installed xlsxwriter has the constant_memory internals
this module knows (`_fast_path_available`), rows are serialized here
(`_RawSink`, the same XML xlsxwriter writes for inline strings and numbers)
straight into the worksheet's row file, and xlsxwriter still does the rest:
styles, column widths, panes, autofilter, properties and the zip package.
Otherwise the public API is used (`_ApiSink`): the same workbook, only
slower. tests/test_xlsx_list.py checks that both give the same cells.

The output is deterministic: the same records give the same bytes (the
document's creation time is fixed, `when`; xlsxwriter dates every zip member
1980-01-31).
"""
from __future__ import annotations

import io
import math
import re
import tempfile
from datetime import date, datetime

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.utility import xl_col_to_name

from forms.kinds import NUMERIC_KINDS

from .layout import column_width
from .xlsx import CHAR, FORMULA_START, number_format, text_width

FIXED_TIME = datetime(2000, 1, 1)   # docProps created/modified of every export
SAMPLE_ROWS = 100                   # rows of each sheet looked at for the column widths
MIN_WIDTH, MAX_WIDTH = 4, 24        # column widths, in Chinese characters
FONT = "宋体"
DATE_FORMAT = "yyyy-mm-dd"
_RESERVED_SHEETS = {"_biaoge", "history"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_XML_SPECIAL = re.compile("[&<>\r\ufffe\uffff\ud800-\udfff]|_x[0-9a-fA-F]{4}_")
_EXCEL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "in_memory": False,            # in_memory would switch constant_memory off and keep every row in memory
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "default_format_properties": {"font_name": FONT, "font_size": 11},
}


# ---------------------------------------------------------------- sheet and column names
def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _sheet_name(title: str, used: set) -> str:
    """A valid, unique (ignoring case, like Excel) sheet name made from `title`."""
    name = re.sub(r"[\[\]:*?/\\]", "", title).strip().strip("'")
    while _utf16_len(name) > 31:
        name = name[:-1]
    name = name or "明细"
    base, i = name, 2
    while name.lower() in used or name.lower() in _RESERVED_SHEETS:
        suffix = f"({i})"
        cut = base
        while _utf16_len(cut + suffix) > 31:
            cut = cut[:-1]
        name = cut + suffix
        i += 1
    used.add(name.lower())
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
class _Style:
    """An xlsxwriter format and the `s="…"` attribute of cells using it."""
    def __init__(self, wb, props: dict, kind: str = ""):
        self.format = wb.add_format(props)
        index = getattr(self.format, "_get_xf_index", None)      # for _RawSink only
        self.attr = f' s="{index()}"' if index is not None else ""
        self.kind = kind           # "date", "money", "number" or "" (for the width estimate)


class _Cells:
    """Turns a value into a cell: (True, number text, style) or (False, text, style), or None.

    Number text is what goes into <v> (str(int) or repr(float), exact); text
    is cleaned like `renderers.xlsx.clean_text` (no control characters other
    than tab, CR and LF; at most 32,767 characters)."""

    def __init__(self, wb):
        self.wb = wb
        self.quote = _Style(wb, {"quote_prefix": True})
        self.date = _Style(wb, {"num_format": DATE_FORMAT}, "date")
        self.head = _Style(wb, {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True})
        self._numbers: dict = {}
        self._dates: dict = {}

    def number_style(self, f) -> _Style | None:
        fmt = number_format(f)
        if fmt in ("General", "@"):
            return None
        if fmt not in self._numbers:
            self._numbers[fmt] = _Style(self.wb, {"num_format": fmt}, "money" if f.kind == "money" else "number")
        return self._numbers[fmt]

    def text(self, value):
        s = value if type(value) is str else str(value)
        if ILLEGAL_CHARACTERS_RE.search(s):
            s = ILLEGAL_CHARACTERS_RE.sub("", s)
        if len(s) > 32767:
            s = s[:32767]
        if not s:
            return None
        return (False, s, self.quote if s.startswith(FORMULA_START) else None)

    def serial(self, text: str):
        """Excel's serial day number of an ISO date (xlsxwriter's arithmetic), or None."""
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
        if f is not None and f.kind in NUMERIC_KINDS:
            style = self.number_style(f)

            def number(value):
                t = type(value)
                if t is int:
                    return (True, str(value), style)
                if t is float and math.isfinite(value):
                    return (True, repr(value), style)
                return plain(value)
            return number
        if f is not None and f.kind == "date":
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


def _cell_width(cell) -> float:
    """Width of a cell as shown, in Chinese characters."""
    is_number, text, style = cell
    if is_number:
        kind = style.kind if style is not None else ""
        if kind == "date":
            return 5.5
        if kind == "money":
            return text_width(f"¥{float(text):,.2f}")
        return text_width(text) + (0.55 if kind == "number" else 0)
    return max(text_width(line) for line in text.split("\n"))


# ---------------------------------------------------------------- row sinks
def _fast_path_available(ws) -> bool:
    """Whether `ws` has the constant_memory internals `_RawSink` relies on (xlsxwriter 3.x)."""
    return (getattr(ws, "constant_memory", False) and hasattr(ws, "row_data_fh") and hasattr(ws, "previous_row")
            and hasattr(ws, "_check_dimensions") and hasattr(xlsxwriter.format.Format, "_get_xf_index"))


def _escape(text: str) -> str:
    """Text for an inline string's <t>: XML escapes, and Excel's _xHHHH_ escapes (as xlsxwriter does)."""
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "_x000D_")
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


class _RawSink:
    """Writes rows as XML into the worksheet's constant_memory row file, as xlsxwriter would."""
    CHUNK = 2000              # rows gathered before one write to the file

    def __init__(self, ws, ncols: int):
        self.ws, self.ncols = ws, ncols
        self.letters = [xl_col_to_name(i) for i in range(ncols)]
        self.parts: list = []
        self.pending = 0
        self.rows = 0         # rows written, header included

    def row(self, cells) -> None:
        r = str(self.rows + 1)
        parts = self.parts
        parts.append(f'<row r="{r}">')
        special, letters = _XML_SPECIAL.search, self.letters
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            is_number, value, style = cell
            s = style.attr if style is not None else ""
            if is_number:
                parts.append(f'<c r="{letters[i]}{r}"{s}><v>{value}</v></c>')
            else:
                if special(value):
                    value = _escape(value)
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                parts.append(f'<c r="{letters[i]}{r}"{s} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        parts.append("</row>")
        self.rows += 1
        self.pending += 1
        if self.pending >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.ws.row_data_fh.write("".join(self.parts))
            self.parts.clear()
        self.pending = 0

    def finish(self) -> None:
        self.flush()
        if self.rows:
            self.ws._check_dimensions(0, 0)
            self.ws._check_dimensions(self.rows - 1, self.ncols - 1)


class _ApiSink:
    """The same rows through xlsxwriter's public API (slower; used if the internals change)."""

    def __init__(self, ws, ncols: int):
        self.ws, self.ncols = ws, ncols
        self.rows = 0

    def row(self, cells) -> None:
        ws, r = self.ws, self.rows
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            is_number, value, style = cell
            fmt = style.format if style is not None else None
            if is_number:
                ws.write_number(r, i, int(value) if value.lstrip("-").isdigit() else float(value), fmt)
            else:
                ws.write_string(r, i, value, fmt)
        self.rows += 1

    def finish(self) -> None:
        pass


class _Sheet:
    """One worksheet being written: header, rows, and the widths seen in the first rows."""

    def __init__(self, wb, cells: _Cells, name: str, titles: list, floor: list, fast: bool):
        self.ws = wb.add_worksheet(name)
        self.ncols = len(titles)
        self.sink = (_RawSink if fast and _fast_path_available(self.ws) else _ApiSink)(self.ws, self.ncols)
        # at least the title (plus the filter button) and the definition's width, up to MAX_WIDTH
        self.widths = [max(text_width(t) + 1.5, min(w, MAX_WIDTH)) for t, w in zip(titles, floor)]
        self.ws.freeze_panes(1, 2)
        self.sink.row([(False, t, cells.head) for t in titles])

    def row(self, cells) -> None:
        if self.sink.rows <= SAMPLE_ROWS:
            widths = self.widths
            for i, cell in enumerate(cells):
                if cell is not None:
                    w = _cell_width(cell) + 1
                    if w > widths[i]:
                        widths[i] = w
        self.sink.row(cells)

    def finish(self) -> None:
        self.sink.finish()
        for i, w in enumerate(self.widths):
            self.ws.set_column(i, i, round(max(MIN_WIDTH, min(w, MAX_WIDTH)) * CHAR, 1))
        if self.sink.rows > 1:
            self.ws.autofilter(0, 0, self.sink.rows - 1, self.ncols - 1)


# ---------------------------------------------------------------- export
def export_list(form, records, *, when: datetime = FIXED_TIME, fast: bool = True) -> bytes:
    """One workbook listing `records` (an iterable of Record, consumed once) of `form`.

    `when` is the document's creation time (fixed, so that the same records
    give the same bytes); `fast=False` forces the public xlsxwriter API.
    """
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="biaoge-list-") as tmp:
        wb = xlsxwriter.Workbook(buf, dict(_WORKBOOK_OPTIONS, tmpdir=tmp))
        try:
            _write(wb, form, records, fast)
            wb.set_properties({"title": f"{form.title}记录", "author": "biaoge", "created": when})
            wb.close()
        finally:
            for ws in wb.worksheets():           # after an error: close the row files before the folder goes
                fh = getattr(ws, "row_data_fh", None)
                if fh is not None and not fh.closed:
                    fh.close()
    return buf.getvalue()


def _write(wb, form, records, fast: bool) -> None:
    cells = _Cells(wb)
    used: set = set()
    cols = _columns(form.fields)
    main = _Sheet(wb, cells, _sheet_name("记录", used), ["编号", "提交日期"] + [t for _, t in cols],
                  [8, 6] + [column_width(f) for f, _ in cols], fast)
    getters = [_getter(f.path) for f, _ in cols]
    convert = [cells.converter(f) for f, _ in cols]
    main_columns = list(zip(getters, convert))

    tables = [f for f in form.walk() if f.kind == "table"]
    details = []
    for t in tables:
        children = list(t.children.values())
        sheet = _Sheet(wb, cells, _sheet_name("明细" if len(tables) == 1 else t.title, used),
                       ["编号", "行号"] + [c.title for c in children], [8, 3] + [column_width(c) for c in children],
                       fast)
        details.append((_getter(t.path), [(c.key, cells.converter(c)) for c in children], sheet))

    text, created = cells.text, cells.created
    for rec in records:
        data = rec.data if isinstance(rec.data, dict) else {}
        number = text(rec.number) if rec.number else None
        row = [number, created(rec.created)]
        row += [conv(get(data)) for get, conv in main_columns]
        main.row(row)
        for get_items, columns, sheet in details:
            items = get_items(data)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items, 1):
                if not isinstance(item, dict):
                    item = {}
                sheet.row([number, (True, str(i), None)] + [conv(item.get(key)) for key, conv in columns])
    main.finish()
    for _, _, sheet in details:
        sheet.finish()
