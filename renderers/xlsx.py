"""Excel workbook of a form: a template laid out like the paper form.

The sheet follows `build_layout(form)` (the same arrangement as the print
HTML): title, header line, letter text, grid blocks of label/value cells,
sections, line-item tables with their 合计 and 大写 rows, notes, closing
text and the signature line. Input cells are unlocked and validated (drop-
down lists, number ranges, dates); computed fields are live formulas
(`forms.expr.to_excel`), locked, on a protected sheet (no password).

Sheet columns: the boundaries of the table columns (scaled to the paper
width) are the sheet's columns, so line-item cells are never merged and
can be pasted into; grid and header cells snap to these boundaries and
are merged across them.

A very hidden sheet `_biaoge` records which form and version the workbook
was made from and where every input cell is (see `META_SHEET` and
`write_meta`), so `renderers.xlsx_import` can read a filled copy back.

User text is always written as a text cell (never a formula), whatever it
starts with.

`_Builder` can also lay a form out on a sheet of a workbook made elsewhere
(`_Builder(form, None, wb, ws, lists=...).lay_out()`): the Excel handbook
(`renderers.xlsx_handbook`) puts every form of the catalog in one workbook.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from datetime import date
from functools import lru_cache

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from forms import expr as ex
from forms.definition import PAPER_CHARS
from forms.kinds import NUMERIC_KINDS

from .base import Record, Renderer, register
from .layout import Grid, SectionBlock, TableBlock, build_layout, column_width

META_SHEET = "_biaoge"
META_FORMAT = 1
CHAR = 2.2                  # Excel width units per Chinese character (11 pt)
LINE = 15.0                 # points per line of 11 pt Chinese text
ROW = 21.0                  # height of an ordinary form row, points
BLANK_TABLE_ROWS = 20       # at least this many line-item rows on a blank template
MAX_TABLE_ROWS = 1000
PAPER_SIZES = {"A4": Worksheet.PAPERSIZE_A4, "A3": Worksheet.PAPERSIZE_A3, "A5": Worksheet.PAPERSIZE_A5}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNDERLINE = Border(bottom=_THIN)
_NONE = Border()
_F_BODY = Font(name=BODY_FONT, size=11)
_F_BOLD = Font(name=BODY_FONT, size=11, bold=True)
_F_SMALL = Font(name=BODY_FONT, size=10)
_F_TITLE = Font(name=TITLE_FONT, size=16, bold=True)
_UNLOCKED = Protection(locked=False)
_LOCKED = Protection(locked=True)


@lru_cache(maxsize=None)
def _align(h="left", v="center", wrap=True):
    # shared objects (never modified), so that _Styles recognises them
    return Alignment(horizontal=h, vertical=v, wrap_text=wrap)


class _Styles:
    """Sets fonts, borders, alignments and protections on many cells of one workbook quickly.

    openpyxl hashes a style object on every assignment to find it in the workbook's style
    table, which dominates the time of a form with a thousand cells; here each object
    (by identity) is looked up once, later cells get its table index directly."""

    KEYS = {"font": "fontId", "border": "borderId", "alignment": "alignmentId", "protection": "protectionId"}

    def __init__(self):
        self.ids: dict = {}         # (attribute, id(object)) -> (object, index)

    def set(self, cell, attr, value):
        key = (attr, id(value))
        hit = self.ids.get(key)
        if hit is None:
            setattr(cell, attr, value)
            self.ids[key] = (value, getattr(cell._style, self.KEYS[attr]))   # keeps value alive: id stays valid
        else:
            if not cell._style:     # as openpyxl's StyleDescriptor does
                cell._style = StyleArray()
            setattr(cell._style, self.KEYS[attr], hit[1])


# ---------------------------------------------------------------- helpers shared with import / list export
def sheet_title(form) -> str:
    """The form's title as a sheet name: at most 31 characters, none of []:*?/\\."""
    name = re.sub(r"[\[\]:*?/\\]", "", form.title or "").strip().strip("'") or (form.id or "表单")
    name = name[:31]
    return "表单" if name == META_SHEET else name


def clean_text(value) -> str:
    """Text safe to store in a cell (control characters other than tab/newline removed)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:32767]


def set_text(cell, value) -> None:
    """Write `value` as a text cell, never as a formula (=, +, -, @ …) or error code."""
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


def text_width(text: str) -> float:
    """Width of text in Chinese characters (ASCII counts a little over half)."""
    w = 0.0
    for ch in str(text):
        o = ord(ch)
        w += 0.55 if o < 0x2E80 and not (0xFF00 <= o <= 0xFFEF) else 1.0
    return w


def lines_needed(text: str, width_chars: float) -> int:
    usable = max(1.0, width_chars * 1.05 - 0.3)
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in str(text).split("\n"))


def number_format(f) -> str:
    kind, spec = f.kind, f.spec
    digits = spec.get("x-round")
    unit = spec.get("x-unit")
    if kind == "money":
        return '"¥"#,##0.00'
    if kind in ("integer", "year") or (kind == "score" and spec.get("type") == "integer"):
        base = "0"
    elif kind in ("number", "score", "percent"):
        if isinstance(digits, int) and digits >= 0:
            base = "0" + ("." + "0" * digits if digits else "")
        elif kind == "percent":
            base = "0.00"
        else:
            return "General"
    elif kind == "date":
        return "yyyy-mm-dd"
    elif kind == "month":
        return "yyyy-mm"
    else:
        return "@"
    if kind == "percent" or unit == "%":
        return base + '"%"'
    if isinstance(unit, str) and unit and kind != "year" and '"' not in unit:
        return base + f'" {unit}"'
    return base


def round_digits(f):
    """Decimal places the engine rounds a computed value of this field to (None: no rounding)."""
    return f.spec.get("x-round", 0 if f.kind in ("integer", "year") else 2 if f.kind == "money" else None)


def field_name(path) -> str:
    """Key of a field path in the workbook's map: ('customer', 'phone') -> 'customer.phone'."""
    return ".".join(str(p) for p in path)


def _date_value(f, value):
    """A date cell value for an ISO date / month string, else None."""
    if not isinstance(value, str):
        return None
    try:
        if f.kind == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if f.kind == "month" and re.fullmatch(r"\d{4}-\d{2}", value):
            return date(int(value[:4]), int(value[5:]), 1)
    except ValueError:
        return None
    return None


def write_value(cell, f, value) -> None:
    """Store one submitted value in a cell with the type a user would type."""
    if value is None or value == "":
        return
    if f.kind == "boolean" and isinstance(value, bool):
        set_text(cell, "是" if value else "否")
    elif f.kind in NUMERIC_KINDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
    elif f.kind in ("date", "month") and _date_value(f, value) is not None:
        cell.value = _date_value(f, value)
        cell.number_format = number_format(f)
    elif f.kind == "multichoice" and isinstance(value, list):
        set_text(cell, "、".join(str(v) for v in value))
    else:
        set_text(cell, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                 if isinstance(value, (dict, list)) else value)


# ---------------------------------------------------------------- formulas
class _Cells:
    """Address mapper for forms.expr.to_excel."""

    def __init__(self, b, row=None):
        self.b, self.r = b, row

    def _wrap(self, f, addr):
        # a computed number left empty ("") counts as 0, as in the engine
        return f"N({addr})" if f is not None and f.computed and f.kind in NUMERIC_KINDS else addr

    def field(self, path):
        return self._wrap(self.b.form.field_at(path), self.b.addr[tuple(path)])

    def row(self, key):
        t = self.b.current_table
        return self._wrap(t.field.children.get(key), f"{self.b.tables[t.field.path]['cols'][key]}{self.r}")

    def column(self, table_path, key):
        t = self.b.tables[tuple(table_path)]
        col = t["cols"][key]
        return f"{col}{t['first']}:{col}{t['first'] + t['rows'] - 1}"


def _refs(tree):
    if tree[0] == "ref":
        yield tree[1]
    elif tree[0] == "neg":
        yield from _refs(tree[1])
    elif tree[0] in ("bin", "cmp"):
        yield from _refs(tree[2])
        yield from _refs(tree[3])
    elif tree[0] == "call":
        for a in tree[2]:
            yield from _refs(a)


# ---------------------------------------------------------------- the builder
def print_setup(ws, paper: str, orientation: str, *, side: float, top: float) -> None:
    """Paper, orientation, fit to one page wide, margins (inches), centred, 第 x 页,共 y 页 footer."""
    ws.page_setup.paperSize = PAPER_SIZES.get(paper, Worksheet.PAPERSIZE_A4)
    ws.page_setup.orientation = "landscape" if orientation == "landscape" else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = side
    ws.page_margins.top, ws.page_margins.bottom = top, 0.7
    ws.page_margins.header, ws.page_margins.footer = 0.3, 0.3
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"
    ws.oddFooter.center.size = 9


class _Builder:
    """Lays one form out on one sheet.

    By default the builder makes its own workbook (`build()` returns the single-form
    template with its `_biaoge` map). Given `wb` (and optionally `ws`, else a new sheet
    of wb named after the form) it builds into that workbook instead: call `lay_out()`,
    which writes the cells, formulas, validations and print set-up of the sheet and
    nothing else (no map, no workbook properties, nothing saved). `lists`, if given, is
    a callable `choices -> range reference` that stores a drop-down list too long to
    inline (default: the columns E… of the workbook's `_biaoge` sheet).
    """

    def __init__(self, form, record: Record | None, wb=None, ws=None, *, lists=None):
        self.form, self.record = form, record
        self.data = (record.data if record else None) or {}
        self.layout = build_layout(form)
        if wb is None:
            wb = Workbook()
            ws = wb.active
            ws.title = sheet_title(form)
        elif ws is None:
            ws = wb.create_sheet(sheet_title(form))
        self.wb, self.ws = wb, ws
        self.lists = lists
        self.styles = _Styles()
        self.width = self._paper_width()
        self.bounds = self._boundaries()
        self.ncols = len(self.bounds) - 1
        self.row = 1
        self.addr: dict = {}          # field path -> coordinate (form-level fields)
        self.tables: dict = {}        # table path -> {first, rows, cols{key: letter}}
        self.pending: list = []       # (cell, field, table block or None, row or None)
        self.prompts: dict = {}       # field path -> [coordinates]
        self.choice_lists: list = []
        self.cached: dict = {}        # coordinate -> engine value (filled workbooks)
        self.current_table = None
        self.title_rows = None
        self.number_cell = None

    # ------------------------------------------------------------ geometry
    def _paper_width(self) -> float:
        w = PAPER_CHARS.get((self.layout.paper, self.layout.orientation), 46)
        for b in self._all_blocks(self.layout.blocks):
            if isinstance(b, TableBlock):
                w = max(w, sum(b.widths))
        return float(w)

    def _all_blocks(self, blocks):
        for b in blocks:
            yield b
            if isinstance(b, SectionBlock):
                yield from self._all_blocks(b.blocks)

    def _boundaries(self) -> list:
        W = self.width
        hard = {0.0, W}
        for b in self._all_blocks(self.layout.blocks):
            if isinstance(b, TableBlock) and b.widths:
                scale, x = W / sum(b.widths), 0.0
                for w in b.widths:
                    x += w * scale
                    hard.add(round(x * 2) / 2)
        needed = max([2 * self.layout.columns, 2 * len(self.layout.header), 2 * len(self.layout.signatures), 3])
        out = sorted(hard)
        if len(out) - 1 < needed:
            P = W / self.layout.columns
            L = self._label_width(P)
            soft = set()
            for i in range(self.layout.columns):
                soft.update((i * P, i * P + L))
            step = W / needed
            soft.update(i * step for i in range(needed))
            for x in sorted(soft):
                x = round(x * 2) / 2
                if all(abs(x - y) >= 1.5 for y in out):
                    out.append(x)
            out.sort()
        return out

    def _label_width(self, pair_width: float, fields=None) -> float:
        fields = fields if fields is not None else [f for f in self.form.walk() if f.kind not in ("table", "section")
                                                    and f.table is None]
        longest = max((text_width(f.title) for f in fields), default=4)
        return max(4.0, min(longest + 1.2, pair_width * 0.5))

    def snap(self, xs, tight=()) -> list:
        """Sheet column boundary indices for ideal positions xs (0 … width), strictly increasing,
        with the least total displacement; positions listed in `tight` (label ends) are moved
        left only reluctantly, since the label would wrap."""
        B, n = self.bounds, len(xs)
        m = len(B) - 1
        if n - 1 > m:   # more segments than columns: keep the first ones, the last takes the rest
            xs = list(xs[:m]) + [xs[-1]]
            n = len(xs)
        INF = float("inf")
        cost = [[INF] * (m + 1) for _ in range(n)]
        back = [[-1] * (m + 1) for _ in range(n)]
        cost[0][0] = 0.0
        for i in range(1, n):
            for j in range(i, m + 1 - (n - 1 - i)):
                if i == n - 1 and j != m:
                    continue
                best, arg = INF, -1
                for k in range(i - 1, j):
                    if cost[i - 1][k] < best:
                        best, arg = cost[i - 1][k], k
                d = B[j] - xs[i]
                cost[i][j] = best + (-3 * d if d < 0 and i in tight else abs(d))
                back[i][j] = arg
        out, j = [m], m
        for i in range(n - 1, 0, -1):
            j = back[i][j]
            out.append(j)
        return out[::-1]

    def chars(self, c1: int, c2: int) -> float:
        """Width in Chinese characters of sheet columns c1..c2 (1-based, inclusive)."""
        return self.bounds[c2] - self.bounds[c1 - 1]

    # ------------------------------------------------------------ cells
    def put(self, r, c1, c2, value=None, *, font=_F_BODY, align=None, border=_BOX, text=True, r2=None):
        """Write (and merge) a range; returns its top-left cell."""
        ws, r2 = self.ws, r2 or r
        if c2 > c1 or r2 > r:
            ws.merge_cells(start_row=r, start_column=c1, end_row=r2, end_column=c2)
        for rr in range(r, r2 + 1):
            for cc in range(c1, c2 + 1):
                c = ws.cell(rr, cc)
                self.styles.set(c, "border", border)
                self.styles.set(c, "font", font)
                self.styles.set(c, "alignment", align or _align())
        cell = ws.cell(r, c1)
        if value is not None:
            if text:
                set_text(cell, value)
            else:
                cell.value = value
        return cell

    def height(self, r, points):
        cur = self.ws.row_dimensions[r].height
        self.ws.row_dimensions[r].height = max(points, cur or 0)

    def lines_height(self, lines):
        return max(ROW, lines * LINE + 6)

    def value_of(self, f, row=None):
        if row is not None:
            return row.get(f.key) if isinstance(row, dict) else None
        return ex.get_path(self.data, f.path)

    def field_cell(self, f, r, c1, c2, *, border=_BOX, align=None, row_data=None, table=None, table_row=None):
        """An input or formula cell for field f at r, c1..c2."""
        numeric = f.kind in NUMERIC_KINDS
        if align is None:
            if table is not None:
                align = _align("right" if numeric else "center" if f.kind in ("date", "month", "boolean", "choice")
                               else "left")
            else:
                align = _align("left", "top" if f.kind == "textarea" else "center")
        cell = self.put(r, c1, c2, border=border, align=align)
        cell.number_format = number_format(f)
        if table is None:
            self.addr[f.path] = cell.coordinate
            self.prompts.setdefault(f.path, []).append(cell.coordinate if c1 == c2 else
                                                       f"{cell.coordinate}:{get_column_letter(c2)}{r}")
        if f.computed:
            self.pending.append((cell, f, table, table_row))
            if self.record is not None:
                v = self.value_of(f, row_data) if table is not None else ex.get_path(self.data, f.path)
                if v is not None:
                    self.cached[cell.coordinate] = v
        else:
            for cc in range(c1, c2 + 1):
                self.styles.set(self.ws.cell(r, cc), "protection", _UNLOCKED)
            if self.record is not None:
                v = self.value_of(f, row_data) if table is not None else ex.get_path(self.data, f.path)
                write_value(cell, f, v)
                if isinstance(v, str) and (f.kind in ("textarea", "text") or len(v) > 8):
                    self.height(r, self.lines_height(lines_needed(v, self.chars(c1, c2))))
        return cell

    # ------------------------------------------------------------ parts of the sheet
    def title(self):
        self.put(1, 1, self.ncols, self.form.title, font=_F_TITLE, align=_align("center", wrap=False), border=_NONE)
        self.height(1, 34)
        self.row = 2

    def line(self, items):
        """A header or signature line: label + value pairs spread over the width
        (a single item takes the left half)."""
        if not items:
            return
        r = self.row
        n = len(items)
        seg = self.width / max(n, 2)
        xs = [0.0]
        for i, it in enumerate(items):
            lw = text_width(it.label) + 1.5 if it.kind in ("field", "blank") else 0
            if it.kind == "text":
                xs.append((i + 1) * seg)
            else:
                xs.extend([i * seg + min(lw, seg * 0.6), (i + 1) * seg])
        if n == 1:
            xs.append(self.width)
        tight, k = set(), 1
        for it in items:
            if it.kind != "text":
                tight.add(k)
            k += 1 if it.kind == "text" else 2
        cols = self.snap(xs, tight)
        k = 0
        for i, it in enumerate(items):
            last = i == n - 1
            if it.kind == "text":
                c1, c2 = cols[k] + 1, cols[k + 1]
                k += 1
                h = "right" if last and n > 1 else "left"
                self.put(r, c1, c2, it.label, border=_NONE, align=_align(h, wrap=False))
                continue
            l1, l2, v2 = cols[k] + 1, cols[k + 1], cols[k + 2]
            k += 2
            self.put(r, l1, l2, f"{it.label}:", border=_NONE, align=_align("right", wrap=False))
            if it.kind == "field":
                self.field_cell(it.field, r, l2 + 1, v2, border=_UNDERLINE, align=_align("center"))
            elif it.blank == "number":
                cell = self.put(r, l2 + 1, v2, border=_UNDERLINE, align=_align("left", wrap=False))
                if self.record is not None and self.record.number:
                    set_text(cell, self.record.number)
                self.number_cell = cell.coordinate
            elif it.blank == "date":
                self.put(r, l2 + 1, v2, "年    月    日", border=_NONE, align=_align("right", wrap=False))
            else:
                self.put(r, l2 + 1, v2, border=_UNDERLINE)
                for cc in range(l2 + 1, v2 + 1):
                    self.styles.set(self.ws.cell(r, cc), "protection", _UNLOCKED)
        self.height(r, 24)
        self.row += 1

    def letter(self, lines, *, right=False):
        """Intro / closing text; {field} placeholders become input cells."""
        for text in lines:
            parts = re.split(r"\{([^{}]+)\}", text)
            r = self.row
            if len(parts) == 1:
                h = "right" if right else "left"
                self.put(r, 1, self.ncols, text, border=_NONE, align=_align(h))
                self.height(r, self.lines_height(lines_needed(text, self.width)))
                self.row += 1
                continue
            # text, field, text, field, ... : widths from text, fields take their column width
            segs = []
            for i, p in enumerate(parts):
                if i % 2 == 0:
                    if p.strip():
                        segs.append(("text", p.strip(), text_width(p.strip()) + 0.8))
                else:
                    f = self.form.fields.get(p)
                    if f is None:
                        segs.append(("text", "{" + p + "}", text_width(p) + 2))
                    else:
                        segs.append(("field", f, max(column_width(f) * 1.5, 10)))
            total = sum(s[2] for s in segs)
            scale = min(1.0, self.width / total)
            xs, x = [0.0], 0.0
            for s in segs[:-1]:
                x += s[2] * scale
                xs.append(x)
            xs.append(self.width)
            cols = self.snap(xs)
            for i, s in enumerate(segs):
                c1, c2 = cols[i] + 1, cols[i + 1]
                if c1 > c2:
                    continue
                if s[0] == "text":
                    h = "right" if i == 0 and len(segs) > 1 else "left"
                    self.put(r, c1, c2, s[1], border=_NONE, align=_align(h, wrap=False))
                else:
                    self.field_cell(s[1], r, c1, c2, border=_UNDERLINE, align=_align("center"))
            self.height(r, 24)
            self.row += 1

    def grid(self, g: Grid):
        P = self.width / g.columns
        L = self._label_width(P, [c.field for row in g.rows for c in row])
        for cells in g.rows:
            r = self.row
            xs, used = [0.0], 0
            for c in cells:
                xs.extend([used * P + L, (used + c.span) * P])
                used += c.span
            xs[-1] = self.width
            cols = self.snap(xs, tight={2 * i + 1 for i in range(len(cells))})
            lines = 1
            for i, c in enumerate(cells):
                f = c.field
                l1, l2, v2 = cols[2 * i] + 1, cols[2 * i + 1], cols[2 * i + 2]
                self.put(r, l1, l2, f.title, align=_align("center"))
                lines = max(lines, lines_needed(f.title, self.chars(l1, l2)))
                self.field_cell(f, r, l2 + 1, v2)
                if f.kind == "textarea":
                    lines = max(lines, 3)
            self.height(r, self.lines_height(lines))
            self.row += 1

    def section(self, s: SectionBlock):
        r = self.row
        self.put(r, 1, self.ncols, s.field.title, font=_F_BOLD, align=_align("left"))
        self.height(r, ROW + 2)
        self.row += 1
        self.blocks(s.blocks)

    def table(self, t: TableBlock):
        f = t.field
        rows_data = self.value_of(f) if self.record is not None else None
        rows_data = rows_data if isinstance(rows_data, list) else []
        cap = f.spec.get("maxItems") if isinstance(f.spec.get("maxItems"), int) else None
        if self.record is None:
            n = max(t.blank_rows, BLANK_TABLE_ROWS)
            if cap:
                n = min(n, max(cap, 1))
        else:
            n = max(len(rows_data), t.blank_rows, 1)
        n = min(n, MAX_TABLE_ROWS)
        scale, x, xs = self.width / sum(t.widths), 0.0, [0.0]
        for w in t.widths:
            x += w * scale
            xs.append(round(x * 2) / 2)
        cols = self.snap(xs)
        spans = [(cols[i] + 1, cols[i + 1]) for i in range(len(t.columns))]
        letters = {c.key: get_column_letter(spans[i][0]) for i, c in enumerate(t.columns)}

        # caption and header row
        r = self.row
        self.put(r, 1, self.ncols, f.title, font=_F_BOLD, align=_align("left"))
        self.height(r, ROW + 2)
        r += 1
        lines = 1
        for (c1, c2), col in zip(spans, t.columns):
            self.put(r, c1, c2, col.title, font=_F_BOLD, align=_align("center"))
            lines = max(lines, lines_needed(col.title, self.chars(c1, c2)))
        self.height(r, self.lines_height(lines))
        self.title_rows = self.title_rows or f"{r}:{r}"
        first = r + 1
        self.tables[f.path] = {"first": first, "rows": n, "cols": letters, "block": t}
        self.current_table = t
        for i in range(n):
            rr = first + i
            row = rows_data[i] if i < len(rows_data) and isinstance(rows_data[i], dict) else None
            for (c1, c2), col in zip(spans, t.columns):
                self.field_cell(col, rr, c1, c2, row_data=row or {}, table=t, table_row=rr)
            self.height(rr, ROW)
        r = first + n
        for (c1, c2), col in zip(spans, t.columns):
            self.prompts.setdefault(col.path, []).append(f"{get_column_letter(c1)}{first}:{get_column_letter(c2)}{r - 1}")

        # 合计 row
        if t.totals:
            keys = [c.key for c in t.columns]
            first_total = min(keys.index(k) for k in t.totals)
            label_end = spans[first_total - 1][1] if first_total > 0 else None
            if label_end:
                self.put(r, 1, label_end, "合计", font=_F_BOLD, align=_align("center"))
            for i, ((c1, c2), col) in enumerate(zip(spans, t.columns)):
                if label_end and c2 <= label_end:
                    continue
                tf = t.totals.get(col.key)
                if tf is None:
                    self.put(r, c1, c2)
                else:
                    self.field_cell(tf, r, c1, c2, align=_align("right"))
                    self.ws.cell(r, c1).font = _F_BOLD
            self.height(r, ROW)
            r += 1
        # 大写 rows
        for wf in t.words:
            need = text_width(wf.title) + 1.5
            k = 1
            while k < self.ncols - 1 and self.chars(1, k) < need:
                k += 1
            self.put(r, 1, k, wf.title, font=_F_BOLD, align=_align("center"))
            self.field_cell(wf, r, k + 1, self.ncols, align=_align("left"))
            self.height(r, ROW)
            r += 1
        self.current_table = None
        self.row = r

    def blocks(self, blocks):
        for b in blocks:
            if isinstance(b, Grid):
                self.grid(b)
            elif isinstance(b, SectionBlock):
                self.section(b)
            elif isinstance(b, TableBlock):
                self.table(b)

    def notes(self):
        for text in self.layout.notes:
            r = self.row
            self.put(r, 1, self.ncols, text, font=_F_SMALL, border=_NONE, align=_align("left"))
            self.height(r, self.lines_height(lines_needed(text, self.width * 1.05)))
            self.row += 1

    def leftovers(self):
        """Fields the layout did not place (none in a well-formed definition): a last grid."""
        placed = set(self.addr)
        rest = [f for f in self.form.walk() if f.table is None and f.kind not in ("table", "section")
                and f.path not in placed]
        if rest:
            from .layout import pack
            self.grid(Grid(pack(rest, self.layout.columns), self.layout.columns))

    # ------------------------------------------------------------ formulas, validation, setup
    def inputs_of(self, f, table=None, seen=None) -> list:
        """The input cells a computed field depends on (transitively), as ('f', path),
        ('r', key) (same row of `table`) or ('c', table path, key) (a whole column)."""
        seen = seen if seen is not None else set()
        out = []
        for ref in _refs(f.compute or ()):
            if ref.kind == "field":
                g, ident = self.form.field_at(ref.path), ("f", ref.path)
            elif ref.kind == "row":
                g, ident = (table.field.children.get(ref.key) if table else None), ("r", ref.key)
            else:
                g, ident = self.form.field_at(ref.path + (ref.key,)), ("c", ref.path, ref.key)
            if ident in seen or g is None:
                continue
            seen.add(ident)
            if not g.computed:
                out.append(ident)
            elif ref.kind == "column":   # a computed column: the columns its rows are computed from
                inner = self.tables[ref.path]["block"] if ref.path in self.tables else None
                for x in self.inputs_of(g, inner, seen):
                    out.append(("c", ref.path, x[1]) if x[0] == "r" else x)
            else:
                out.extend(self.inputs_of(g, table, seen))
        return out

    def formulas(self):
        for cell, f, table, r in self.pending:
            self.current_table = table
            cells = _Cells(self, r)
            body = ex.to_excel(f.compute, cells) if f.compute is not None else '""'
            digits = round_digits(f)
            if f.kind in NUMERIC_KINDS and digits is not None:
                body = f"ROUND({body},{int(digits)})"
            elif f.kind == "boolean":
                body = f'IF({body},"是","否")'
            guard = []
            for ident in self.inputs_of(f, table):
                if ident[0] == "f" and ident[1] in self.addr:
                    guard.append(self.addr[ident[1]])
                elif ident[0] == "r":
                    guard.append(f"{self.tables[table.field.path]['cols'][ident[1]]}{r}")
                elif ident[0] == "c" and ident[1] in self.tables:
                    guard.append(cells.column(ident[1], ident[2]))
            guard = list(dict.fromkeys(guard))
            if guard:
                chunks = ["COUNTA(" + ",".join(guard[i:i + 30]) + ")" for i in range(0, len(guard), 30)]
                body = f'IF({"+".join(chunks)}=0,"",{body})'
            cell.value = "=" + body
            cell.protection = _LOCKED
        self.current_table = None

    def list_ref(self, choices: list) -> str:
        """A range reference holding `choices`, one per cell, for a list validation."""
        if self.lists is not None:
            return self.lists(choices)
        meta = self.wb[META_SHEET]
        col = get_column_letter(5 + len(self.choice_lists))
        self.choice_lists.append(choices)
        for i, c in enumerate(choices, 1):
            set_text(meta[f"{col}{i}"], c)
        return f"'{META_SHEET}'!${col}$1:${col}${len(choices)}"

    def validations(self):
        ws = self.ws
        for path, coords in self.prompts.items():
            f = self.form.field_at(path)
            if f is None:
                continue
            dv = DataValidation(allow_blank=True, showInputMessage=True, showErrorMessage=True,
                                errorStyle="stop", errorTitle=f.title[:32])
            dv.promptTitle = f.title[:32]
            hint = []
            if f.computed:
                hint.append("自动计算" + (f":{f.spec['x-compute']}" if isinstance(f.spec.get("x-compute"), str) else ""))
                dv.showErrorMessage = False
            else:
                s = f.spec
                if f.kind in ("choice", "boolean"):
                    choices = ["是", "否"] if f.kind == "boolean" else [str(c) for c in f.choices]
                    inline = ",".join(choices)
                    dv.type = "list"
                    if len(inline) <= 250 and not any("," in c or '"' in c for c in choices):
                        dv.formula1 = '"' + inline + '"'
                    else:
                        dv.formula1 = self.list_ref(choices)
                    dv.error = "请从下拉列表中选择:" + "、".join(choices)
                    hint.append("请从下拉列表中选择")
                elif f.kind == "multichoice":
                    hint.append("可多选,用「、」分隔:" + "、".join(map(str, f.choices)))
                elif f.kind in NUMERIC_KINDS:
                    integer = f.kind in ("integer", "year") or s.get("type") == "integer"
                    dv.type = "whole" if integer else "decimal"
                    lo = s.get("minimum", 1900 if f.kind == "year" else None)
                    hi = s.get("maximum", 2100 if f.kind == "year" else None)
                    what = "整数" if integer else "数字"
                    if lo is not None and hi is not None:
                        dv.operator, dv.formula1, dv.formula2 = "between", str(lo), str(hi)
                        rule = f"{_n(lo)} 到 {_n(hi)} 之间的{what}"
                    elif lo is not None:
                        dv.operator, dv.formula1 = "greaterThanOrEqual", str(lo)
                        rule = f"不小于 {_n(lo)} 的{what}"
                    elif hi is not None:
                        dv.operator, dv.formula1 = "lessThanOrEqual", str(hi)
                        rule = f"不大于 {_n(hi)} 的{what}"
                    else:
                        dv.operator, dv.formula1, dv.formula2 = "between", "-999999999999999", "999999999999999"
                        rule = what
                    dv.error = f"「{f.title}」必须是{rule}"
                    hint.append(f"填写{rule}" + (f",单位:{s['x-unit']}" if s.get("x-unit") else ""))
                elif f.kind == "date":
                    dv.type, dv.operator, dv.formula1, dv.formula2 = "date", "between", "1", "2958465"
                    dv.error = f"「{f.title}」请填写日期,例如 2026-03-05"
                    hint.append("填写日期,例如 2026-03-05")
                elif f.kind == "month":
                    hint.append("填写年月,例如 2026-03")
                elif f.kind == "phone":
                    hint.append("手机 11 位,座机如 010-12345678")
                elif f.kind == "idcard":
                    hint.append("18 位身份证号码")
                if isinstance(s.get("maxLength"), int) and f.kind in ("text", "textarea", "signature"):
                    dv.type, dv.operator, dv.formula1 = "textLength", "lessThanOrEqual", str(s["maxLength"])
                    dv.error = f"「{f.title}」不能超过 {s['maxLength']} 个字"
                    hint.append(f"不超过 {s['maxLength']} 个字")
                if "default" in s and not isinstance(s["default"], (list, dict)):
                    d = s["default"]
                    hint.append(f"不填默认为:{'是' if d is True else '否' if d is False else d}")
                req = self._required(f)
                if req:
                    hint.insert(0, "必填")
            if isinstance(f.spec.get("description"), str):
                hint.append(f.spec["description"])
            dv.prompt = ";".join(hint)[:250] or f.title
            if dv.error:
                dv.error = dv.error[:220]
            for c in coords:
                dv.add(c)
            ws.add_data_validation(dv)

    def _required(self, f) -> bool:
        if f.table is not None:
            return f.key in (f.table.spec.get("items", {}).get("required") or [])
        parent = self.form.field_at(f.path[:-1]) if len(f.path) > 1 else None
        spec = parent.spec if parent is not None else self.form.definition
        return f.key in (spec.get("required") or []) and f.when is None

    def page_setup(self):
        ws = self.ws
        for i in range(1, self.ncols + 1):
            ws.column_dimensions[get_column_letter(i)].width = round((self.bounds[i] - self.bounds[i - 1]) * CHAR, 2)
        print_setup(ws, self.layout.paper, self.layout.orientation, side=0.5, top=0.6)
        if self.title_rows:
            ws.print_title_rows = self.title_rows
        ws.print_area = f"A1:{get_column_letter(self.ncols)}{self.row - 1}"
        ws.sheet_view.showGridLines = False
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.formatCells = True
        return next((c for cs in self.prompts.values() for c in cs), None)

    def write_meta(self):
        meta = self.wb[META_SHEET]
        fields, computed, tables = {}, {}, {}
        for path, coord in self.addr.items():
            f = self.form.field_at(path)
            (computed if f.computed else fields)[field_name(path)] = coord
        for path, t in self.tables.items():
            block = t["block"]
            tables[field_name(path)] = {
                "first_row": t["first"], "rows": t["rows"],
                "columns": {c.key: t["cols"][c.key] for c in block.columns if not c.computed},
                "computed": {c.key: t["cols"][c.key] for c in block.columns if c.computed},
            }
        doc = {"format": META_FORMAT, "form": self.form.id, "title": self.form.title, "version": self.form.version,
               "sheet": self.ws.title, "filled": self.record is not None,
               "number": (self.record.number if self.record else "") or "",
               "number_cell": getattr(self, "number_cell", None),
               "fields": fields, "computed": computed, "tables": tables}
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        set_text(meta["A1"], "biaoge")
        meta["B1"] = META_FORMAT
        set_text(meta["A2"], "form")
        set_text(meta["B2"], self.form.id)
        set_text(meta["A3"], "version")
        meta["B3"] = self.form.version
        set_text(meta["A4"], "map")
        for i in range(0, max(len(text), 1), 30000):
            set_text(meta.cell(4 + i // 30000, 2), text[i:i + 30000])

    def lay_out(self):
        """Lay the form out on self.ws: cells, formulas, validations, print set-up, cursor
        on the first input cell. Returns the sheet; writes no map and saves nothing."""
        lay = self.layout
        self.title()
        self.line(lay.header)
        if lay.header:
            self.height(self.row - 1, 26)
            self.height(self.row, 6)      # keeps the header's underlines apart from the grid
            self.row += 1
        self.letter(lay.intro)
        if lay.intro:
            self.height(self.row, 6)
            self.row += 1
        self.blocks(lay.blocks)
        self.leftovers()
        self.notes()
        self.letter(lay.closing, right=True)
        if lay.signatures:
            self.height(self.row, 10)
            self.row += 1
            self.line(lay.signatures)
        if lay.copies:
            r = self.row
            self.put(r, 1, self.ncols, "  ".join(map(str, lay.copies)), font=_F_SMALL, border=_NONE,
                     align=_align("right"))
            self.row += 1
        self.formulas()
        self.validations()
        first_input = self.page_setup()
        if first_input:
            coord = first_input.split(":")[0]
            self.ws.sheet_view.selection[0].activeCell = coord
            self.ws.sheet_view.selection[0].sqref = coord
        return self.ws

    def build(self) -> bytes:
        """The single-form workbook: the sheet, then the very hidden `_biaoge` map."""
        meta = self.wb.create_sheet(META_SHEET)
        meta.sheet_state = "veryHidden"
        self.lay_out()
        self.wb.calculation.fullCalcOnLoad = True
        self.wb.properties.title = self.form.title
        self.wb.properties.creator = "biaoge"
        self.write_meta()
        buf = io.BytesIO()
        self.wb.save(buf)
        content = buf.getvalue()
        if self.record is not None and self.cached:
            content = add_cached_values(content, "xl/worksheets/sheet1.xml", self.cached)
        return content


def _n(v):
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


# ---------------------------------------------------------------- cached formula results
def add_cached_values(content: bytes, member: str, values: dict) -> bytes:
    """Store the engine's results as the cached values of formula cells, so that viewers
    that do not calculate (previews, openpyxl data_only) show them; Excel recalculates anyway."""
    from lxml import etree

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    src = zipfile.ZipFile(io.BytesIO(content))
    root = etree.fromstring(src.read(member))
    for c in root.iter(f"{{{ns}}}c"):
        coord = c.get("r")
        if coord not in values or c.find(f"{{{ns}}}f") is None:
            continue
        v = values[coord]
        el = c.find(f"{{{ns}}}v")
        if el is None:
            el = etree.SubElement(c, f"{{{ns}}}v")
        if isinstance(v, bool):
            c.set("t", "str")
            el.text = "是" if v else "否"
        elif isinstance(v, (int, float)):
            el.text = repr(float(v)) if isinstance(v, float) else str(v)
        else:
            c.set("t", "str")
            el.text = clean_text(v)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) \
                if info.filename == member else src.read(info.filename)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------- the renderer
@register
class XlsxRenderer(Renderer):
    name = "xlsx"
    extension = ".xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    label = "Excel"

    def render(self, form, record: Record | None = None) -> bytes:
        return _Builder(form, record).build()


def read_meta(wb) -> dict | None:
    """The _biaoge map of an openpyxl workbook (None when absent or unreadable)."""
    if META_SHEET not in wb.sheetnames:
        return None
    ws = wb[META_SHEET]
    parts = []
    for (a, b) in ws.iter_rows(min_row=1, max_row=40, min_col=1, max_col=2, values_only=True):
        parts.append((a, b))
    if not parts or parts[0][0] != "biaoge":
        return None
    text = "".join(str(b) for a, b in parts[3:] if isinstance(b, str))
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


__all__ = ["XlsxRenderer", "META_SHEET", "META_FORMAT", "sheet_title", "set_text", "write_value", "number_format",
           "read_meta"]
