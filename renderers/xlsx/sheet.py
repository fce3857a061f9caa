"""A form laid out on a sheet like the paper form, and the single-form template.

The sheet follows `build_layout(form)` (the same arrangement as the print HTML):
title, header line, letter text, grid blocks of label/value cells, sections,
line-item tables with their 合计 and 大写 rows, notes, closing text and the
signature line, on the columns of `geometry.Columns`. Input cells are unlocked
and validated (`validations`); computed fields are live formulas (`formulas`),
locked, on a protected sheet (no password). User text is always written as a
text cell (never a formula), whatever it starts with.

`FormSheet(form, record).build()` is the template (or a filled workbook): the
sheet, then the very hidden `_biaoge` map (`meta`). `FormSheet` can also lay a
form out on a sheet of a workbook made elsewhere (`FormSheet(form, None, wb, ws,
lists=...).lay_out()`): the Excel handbook puts every form of the catalog in one
workbook that way.
"""
from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from forms import expr as ex
from forms import limits

from ..base import DoesNotFit, Filled
from ..layout import Grid, SectionBlock, TableBlock, build_layout, column_width, pack
from ..textwidth import text_width
from .cells import set_text, write_value
from .formulas import Formulas, TablePlace, add_cached_values
from .geometry import ROW, Columns, cell_lines, column_units, print_setup, row_height
from .meta import META_SHEET, SheetMap, TableMap, map_key, meta_sheet, write_map
from .names import SheetNames
from .styles import (BOX, FONT_BODY, FONT_BOLD, FONT_SMALL, FONT_TITLE, LOCKED, NO_BORDER, UNDERLINE, UNLOCKED,
                     StyleCache, align)
from .validations import ChoiceLists, add_validations

BLANK_TABLE_ROWS = 20       # at least this many line-item rows on a blank template
MAX_TABLE_ROWS = limits.MAX_ROWS   # line items a filled sheet holds (every row a record may have)
LIST_COLUMN = 5             # long drop-down lists of a template: columns E… of the map sheet
SHEET_MEMBER = "xl/worksheets/sheet1.xml"


def sheet_title(form, names: SheetNames | None = None) -> str:
    """The form's title as a sheet name (taken from `names`, by default beside the map sheet only)."""
    return (names or SheetNames([META_SHEET])).name(form.title, form.id or "表单")


class FormSheet:
    """Lays one form out on one sheet.

    By default it makes its own workbook (`build()` returns the single-form template
    with its `_biaoge` map). Given `wb` (and optionally `ws`, else a new sheet of wb
    named after the form) it builds into that workbook instead: call `lay_out()`, which
    writes the cells, formulas, validations and print set-up of the sheet and nothing
    else (no map, no workbook properties, nothing saved). `lists`, if given, stores the
    drop-down lists too long to inline (a `ChoiceLists`, which the caller writes; default:
    columns E… of the workbook's `_biaoge` sheet).
    """

    def __init__(self, form, record: Filled | None, wb=None, ws=None, *, lists: ChoiceLists | None = None):
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
        self.own_lists = lists is None
        self.lists = lists if lists is not None else ChoiceLists(META_SHEET, LIST_COLUMN)
        self.styles = StyleCache()
        self.columns = Columns(form, self.layout)
        self.width = self.columns.width
        self.ncols = self.columns.count
        self.row = 1
        self.addr: dict = {}          # field path -> coordinate (form-level fields)
        self.tables: dict = {}        # table path -> TablePlace
        self.pending: list = []       # (cell, field, table block or None, row or None)
        self.prompts: dict = {}       # field path -> [coordinates]
        self.cached: dict = {}        # coordinate -> engine value (filled workbooks)
        self.title_rows = None
        self.number_cell = None

    # ------------------------------------------------------------ cells
    def put(self, r, c1, c2, value=None, *, font=FONT_BODY, alignment=None, border=BOX, text=True, r2=None):
        """Write (and merge) a range; returns its top-left cell."""
        ws, r2 = self.ws, r2 or r
        if c2 > c1 or r2 > r:
            ws.merge_cells(start_row=r, start_column=c1, end_row=r2, end_column=c2)
        for rr in range(r, r2 + 1):
            for cc in range(c1, c2 + 1):
                c = ws.cell(rr, cc)
                self.styles.set(c, "border", border)
                self.styles.set(c, "font", font)
                self.styles.set(c, "alignment", alignment or align())
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

    def value_of(self, f, row=None):
        if row is not None:
            return row.get(f.key) if isinstance(row, dict) else None
        return ex.get_path(self.data, f.path)

    def field_cell(self, f, r, c1, c2, *, border=BOX, alignment=None, row_data=None, table=None, table_row=None):
        """An input or formula cell for field f at r, c1..c2."""
        kind = f.kind_def
        if alignment is None:
            alignment = align(kind.align) if table is not None else align("left", "top" if kind.tall else "center")
        cell = self.put(r, c1, c2, border=border, alignment=alignment)
        cell.number_format = kind.excel_format(f)
        if table is None:
            self.addr[f.path] = cell.coordinate
            self.prompts.setdefault(f.path, []).append(cell.coordinate if c1 == c2 else
                                                       f"{cell.coordinate}:{get_column_letter(c2)}{r}")
        v = None
        if self.record is not None:
            v = self.value_of(f, row_data) if table is not None else ex.get_path(self.data, f.path)
        if f.computed:
            self.pending.append((cell, f, table, table_row))
            if v is not None:
                self.cached[cell.coordinate] = v
        else:
            for cc in range(c1, c2 + 1):
                self.styles.set(self.ws.cell(r, cc), "protection", UNLOCKED)
            if self.record is not None:
                write_value(cell, f, v)
                if isinstance(v, str) and (kind.wraps or len(v) > 8):
                    self.height(r, row_height(cell_lines(v, self.columns.chars(c1, c2))))
        return cell

    # ------------------------------------------------------------ parts of the sheet
    def title(self):
        self.put(1, 1, self.ncols, self.form.title, font=FONT_TITLE, alignment=align("center", wrap=False),
                 border=NO_BORDER)
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
        plain = [it.is_text for it in items]
        xs = [0.0]
        for i, it in enumerate(items):
            if plain[i]:
                xs.append((i + 1) * seg)
            else:
                xs.extend([i * seg + min(text_width(it.label) + 1.5, seg * 0.6), (i + 1) * seg])
        if n == 1:
            xs.append(self.width)
        tight, k = set(), 1
        for is_text in plain:
            if not is_text:
                tight.add(k)
            k += 1 if is_text else 2
        cols = self.columns.snap(xs, tight)
        k = 0
        for i, it in enumerate(items):
            last = i == n - 1
            if plain[i]:
                c1, c2 = cols[k] + 1, cols[k + 1]
                k += 1
                h = "right" if last and n > 1 else "left"
                self.put(r, c1, c2, it.label, border=NO_BORDER, alignment=align(h, wrap=False))
                continue
            l1, l2, v2 = cols[k] + 1, cols[k + 1], cols[k + 2]
            k += 2
            self.put(r, l1, l2, f"{it.label}:", border=NO_BORDER, alignment=align("right", wrap=False))
            if it.field is not None:
                self.field_cell(it.field, r, l2 + 1, v2, border=UNDERLINE, alignment=align("center"))
            elif it.blank == "number":
                cell = self.put(r, l2 + 1, v2, border=UNDERLINE, alignment=align("left", wrap=False))
                if self.record is not None and self.record.number:
                    void = getattr(self.record, "void", "")
                    set_text(cell, f"{self.record.number}（{void}）" if void else self.record.number)
                self.number_cell = cell.coordinate
            elif it.blank == "date":
                self.put(r, l2 + 1, v2, "年    月    日", border=NO_BORDER, alignment=align("right", wrap=False))
            else:
                self.put(r, l2 + 1, v2, border=UNDERLINE)
                for cc in range(l2 + 1, v2 + 1):
                    self.styles.set(self.ws.cell(r, cc), "protection", UNLOCKED)
        self.height(r, 24)
        self.row += 1

    def letter(self, lines, *, right=False):
        """Intro / closing text; {field} placeholders become input cells."""
        for text in lines:
            parts = re.split(r"\{([^{}]+)\}", text)
            r = self.row
            if len(parts) == 1:
                h = "right" if right else "left"
                self.put(r, 1, self.ncols, text, border=NO_BORDER, alignment=align(h))
                self.height(r, row_height(cell_lines(text, self.width)))
                self.row += 1
                continue
            # text, field, text, field, ... : widths from text, fields take their column width
            segs = []
            for i, p in enumerate(parts):
                if i % 2 == 0:
                    if p.strip():
                        segs.append((None, p.strip(), text_width(p.strip()) + 0.8))
                else:
                    f = self.form.fields.get(p)
                    if f is None:
                        segs.append((None, "{" + p + "}", text_width(p) + 2))
                    else:
                        segs.append((f, None, max(column_width(f) * 1.5, 10)))
            total = sum(s[2] for s in segs)
            scale = min(1.0, self.width / total)
            xs, x = [0.0], 0.0
            for s in segs[:-1]:
                x += s[2] * scale
                xs.append(x)
            xs.append(self.width)
            cols = self.columns.snap(xs)
            for i, (f, words, _) in enumerate(segs):
                c1, c2 = cols[i] + 1, cols[i + 1]
                if c1 > c2:
                    continue
                if f is None:
                    h = "right" if i == 0 and len(segs) > 1 else "left"
                    self.put(r, c1, c2, words, border=NO_BORDER, alignment=align(h, wrap=False))
                else:
                    self.field_cell(f, r, c1, c2, border=UNDERLINE, alignment=align("center"))
            self.height(r, 24)
            self.row += 1

    def grid(self, g: Grid):
        P = self.width / g.columns
        L = self.columns.label_width(P, [c.field for row in g.rows for c in row])
        for cells in g.rows:
            r = self.row
            xs, used = [0.0], 0
            for c in cells:
                xs.extend([used * P + L, (used + c.span) * P])
                used += c.span
            xs[-1] = self.width
            cols = self.columns.snap(xs, tight={2 * i + 1 for i in range(len(cells))})
            lines = 1
            for i, c in enumerate(cells):
                f = c.field
                l1, l2, v2 = cols[2 * i] + 1, cols[2 * i + 1], cols[2 * i + 2]
                self.put(r, l1, l2, f.title, alignment=align("center"))
                lines = max(lines, cell_lines(f.title, self.columns.chars(l1, l2)))
                self.field_cell(f, r, l2 + 1, v2)
                if f.kind_def.tall:
                    lines = max(lines, 3)
            self.height(r, row_height(lines))
            self.row += 1

    def section(self, s: SectionBlock):
        r = self.row
        self.put(r, 1, self.ncols, s.field.title, font=FONT_BOLD, alignment=align("left"))
        self.height(r, ROW + 2)
        self.row += 1
        self.blocks(s.blocks)

    def table_rows(self, t: TableBlock, rows_data: list) -> int:
        """How many line-item rows table `t` gets."""
        f = t.field
        cap = f.spec.get("maxItems") if isinstance(f.spec.get("maxItems"), int) else None
        if self.record is None:
            n = max(t.blank_rows, BLANK_TABLE_ROWS)
            if cap:
                n = min(n, max(cap, 1))
            return min(n, limits.max_rows(f))
        if len(rows_data) > MAX_TABLE_ROWS:   # a stored record beyond every cap: refuse, never cut
            raise DoesNotFit(f"「{f.title}」有 {len(rows_data):,} 行，超过 Excel 导出最多 {MAX_TABLE_ROWS:,} 行，"
                             f"无法完整导出为 Excel；请用 PDF。")
        return max(len(rows_data), t.blank_rows, 1)

    def table(self, t: TableBlock):
        f = t.field
        rows_data = self.value_of(f) if self.record is not None else None
        rows_data = rows_data if isinstance(rows_data, list) else []
        n = self.table_rows(t, rows_data)
        scale, x, xs = self.width / sum(t.widths), 0.0, [0.0]
        for w in t.widths:
            x += w * scale
            xs.append(round(x * 2) / 2)
        cols = self.columns.snap(xs)
        spans = [(cols[i] + 1, cols[i + 1]) for i in range(len(t.columns))]
        letters = {c.key: get_column_letter(spans[i][0]) for i, c in enumerate(t.columns)}

        # caption and header row
        r = self.row
        self.put(r, 1, self.ncols, f.title, font=FONT_BOLD, alignment=align("left"))
        self.height(r, ROW + 2)
        r += 1
        lines = 1
        for (c1, c2), col in zip(spans, t.columns):
            self.put(r, c1, c2, col.title, font=FONT_BOLD, alignment=align("center"))
            lines = max(lines, cell_lines(col.title, self.columns.chars(c1, c2)))
        self.height(r, row_height(lines))
        self.title_rows = self.title_rows or f"{r}:{r}"
        first = r + 1
        self.tables[f.path] = TablePlace(t, first, n, letters)
        for i in range(n):
            rr = first + i
            row = rows_data[i] if i < len(rows_data) and isinstance(rows_data[i], dict) else None
            for (c1, c2), col in zip(spans, t.columns):
                self.field_cell(col, rr, c1, c2, row_data=row or {}, table=t, table_row=rr)
            self.height(rr, ROW)
        r = first + n
        for (c1, c2), col in zip(spans, t.columns):
            self.prompts.setdefault(col.path, []).append(f"{get_column_letter(c1)}{first}:{get_column_letter(c2)}{r - 1}")
        r = self.totals(t, spans, r)
        self.row = self.words(t, r)

    def totals(self, t: TableBlock, spans: list, r: int) -> int:
        """The 合计 row of table `t` at row r (if it has totals); returns the next row."""
        if not t.totals:
            return r
        keys = [c.key for c in t.columns]
        first_total = min(keys.index(k) for k in t.totals)
        label_end = spans[first_total - 1][1] if first_total > 0 else None
        if label_end:
            self.put(r, 1, label_end, "合计", font=FONT_BOLD, alignment=align("center"))
        for (c1, c2), col in zip(spans, t.columns):
            if label_end and c2 <= label_end:
                continue
            tf = t.totals.get(col.key)
            if tf is None:
                self.put(r, c1, c2)
            else:
                self.field_cell(tf, r, c1, c2, alignment=align("right"))
                self.ws.cell(r, c1).font = FONT_BOLD
        self.height(r, ROW)
        return r + 1

    def words(self, t: TableBlock, r: int) -> int:
        """The 大写 rows of table `t` from row r; returns the next row."""
        for wf in t.words:
            need = text_width(wf.title) + 1.5
            k = 1
            while k < self.ncols - 1 and self.columns.chars(1, k) < need:
                k += 1
            self.put(r, 1, k, wf.title, font=FONT_BOLD, alignment=align("center"))
            self.field_cell(wf, r, k + 1, self.ncols, alignment=align("left"))
            self.height(r, ROW)
            r += 1
        return r

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
            self.put(r, 1, self.ncols, text, font=FONT_SMALL, border=NO_BORDER, alignment=align("left"))
            self.height(r, row_height(cell_lines(text, self.width * 1.05)))
            self.row += 1

    def leftovers(self):
        """Fields the layout did not place (none in a well-formed definition): a last grid."""
        placed = set(self.addr)
        rest = [f for f in self.form.walk() if f.table is None and f.is_value and f.path not in placed]
        if rest:
            self.grid(Grid(pack(rest, self.layout.columns), self.layout.columns))

    # ------------------------------------------------------------ formulas, validation, setup
    def formulas(self) -> dict:
        """Write the computed cells; returns the cross-field rules as {field path: [(formula, message)]}
        for the validations of the cells they belong to."""
        formulas = Formulas(self.form, self.addr, self.tables)
        for cell, f, table, r in self.pending:
            cell.value = formulas.formula(f, table, r)
            cell.protection = LOCKED
        rules: dict = {}
        for rule in self.form.rules:
            formula = formulas.rule_formula(rule)
            if formula:
                rules.setdefault(rule.field.path, []).append((formula, rule.message))
        return rules

    def qr_code(self):
        """The record's QR code (renderers/qr.py) in the print area's top right corner, over the title row."""
        if self.record is None or not self.record.link:
            return
        import io

        from openpyxl.drawing.image import Image

        from .. import qr
        image = Image(io.BytesIO(qr.png(qr.payload(self.record.link, self.record.number), scale=4)))
        image.width = image.height = 60            # px at 96 dpi: 16 mm, as on the PDF
        self.ws.add_image(image, f"{get_column_letter(self.ncols)}1")

    def page_setup(self):
        ws = self.ws
        for i in range(1, self.ncols + 1):
            ws.column_dimensions[get_column_letter(i)].width = column_units(self.columns.chars(i, i))
        print_setup(ws, self.layout.paper, self.layout.orientation, side=0.5, top=0.6)
        if self.title_rows:
            ws.print_title_rows = self.title_rows
        ws.print_area = f"A1:{get_column_letter(self.ncols)}{self.row - 1}"
        self.qr_code()
        ws.sheet_view.showGridLines = False
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.formatCells = True
        return next((c for cs in self.prompts.values() for c in cs), None)

    def sheet_map(self) -> SheetMap:
        """Where this sheet put the form's cells, for the import."""
        fields, computed = {}, {}
        for path, coord in self.addr.items():
            (computed if self.form.field_at(path).computed else fields)[map_key(path)] = coord
        tables = {map_key(path): TableMap(p.first, p.rows,
                                          {c.key: p.columns[c.key] for c in p.block.columns if not c.computed},
                                          {c.key: p.columns[c.key] for c in p.block.columns if c.computed})
                  for path, p in self.tables.items()}
        return SheetMap(form=self.form.id, title=self.form.title, version=self.form.version, sheet=self.ws.title,
                        filled=self.record is not None, number=(self.record.number if self.record else "") or "",
                        number_cell=self.number_cell, fields=fields, computed=computed, tables=tables)

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
            self.put(r, 1, self.ncols, "  ".join(map(str, lay.copies)), font=FONT_SMALL, border=NO_BORDER,
                     alignment=align("right"))
            self.row += 1
        rules = self.formulas()
        add_validations(self.ws, self.form, self.prompts, self.lists, rules)
        first_input = self.page_setup()
        if first_input:
            coord = first_input.split(":")[0]
            self.ws.sheet_view.selection[0].activeCell = coord
            self.ws.sheet_view.selection[0].sqref = coord
        return self.ws

    def build(self) -> bytes:
        """The single-form workbook: the sheet, then the very hidden `_biaoge` map."""
        meta_sheet(self.wb)
        self.lay_out()
        if self.own_lists:
            self.lists.write(self.wb)
        self.wb.calculation.fullCalcOnLoad = True
        self.wb.properties.title = self.form.title
        self.wb.properties.creator = "biaoge"
        write_map(self.wb, self.sheet_map())
        buf = io.BytesIO()
        self.wb.save(buf)
        content = buf.getvalue()
        if self.record is not None and self.cached:
            content = add_cached_values(content, SHEET_MEMBER, self.cached)
        return content
