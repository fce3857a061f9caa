"""The print HTML of a form (format "print"), blank or filled: what the PDF is made from.

It looks like the paper form: centred title, header line, bordered grid,
line-item table with a 合计 row and the amount in words, signature line,
notes. Tables longer than a page are split here, not by the layout engine,
so that each page's part carries its own header row and 本页小计 (a page
subtotal of the money columns); the split uses the row heights the print
CSS fixes, with a safety margin.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from forms.kinds import KINDS
from forms.paper import PAPER_MM, paper_chars

from .base import Filled, Renderer, register
from .charts import form_chart
from .layout import Grid, SectionBlock, TableBlock, build_layout, display, text_parts
from . import qr
from .templating import asset, environment
from .textwidth import lines_needed, text_width

# The print CSS's fixed heights in mm (see print.css).
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 12, 16, 14
H_TITLE, H_HEADER, H_LINE, H_GRID_ROW, H_TEXTAREA_ROW, H_SECTION = 17, 9, 8, 9, 18, 9
H_TABLE_HEAD, H_ROW, H_SIGNATURES, H_NOTE = 16, 8, 16, 6
SAFETY = 0.92
COMPACT = 0.8       # row heights of a sheet printed compact (class "compact"): 9 → 7.2 mm
CN_NUMBERS = "零一二三四五六七八九十"


@dataclass
class TablePart:
    """The rows of a table that fall on one page."""
    block: TableBlock
    rows: list                      # (row number, row data or None)
    first: bool
    last: bool
    subtotal: dict | None = None    # column key -> page sum (None: no subtotal row)


@dataclass
class Page:
    blocks: list = field(default_factory=list)   # Grid | SectionBlock | TablePart, in order
    first: bool = False
    last: bool = False


def text_lines(text: str, width_chars: float) -> int:
    """Printed lines of `text` in a cell `width_chars` Chinese characters wide (HTML runs its
    newlines into the line)."""
    return lines_needed(str(text).replace("\n", " "), width_chars * 0.95)


def paginate(lay, data: dict | None, compact: bool = False) -> list:
    """Split the form into pages; only long tables cause page breaks. The signature line and
    notes stay with the end of the last table; a table's empty writing rows (beyond the data)
    are cut, down to half of them (40% on a blank form), rather than start a page for the rest."""
    paper_w, paper_h = PAPER_MM.get(lay.paper, PAPER_MM["A4"])
    scale = COMPACT if compact else 1
    row_h = H_ROW * scale
    if lay.orientation == "landscape":
        paper_w, paper_h = paper_h, paper_w
    height = (paper_h - MARGIN_TOP - MARGIN_BOTTOM) * SAFETY
    pages = [Page(first=True)]
    used = H_TITLE + H_HEADER * bool(lay.header) + H_LINE * len(lay.intro)

    def block_height(block) -> float:
        return _block_height(block, scale)

    tail = H_SIGNATURES * bool(lay.signatures) + notes_height(lay) + H_LINE * len(lay.closing)

    blocks = list(lay.blocks)
    for i, block in enumerate(blocks):
        if not isinstance(block, TableBlock):
            pages[-1].blocks.append(block)
            used += block_height(block)
            continue
        values = (data or {}).get(block.field.key) if data is not None else None
        rows = list(values) if isinstance(values, list) else []
        filled = [(n + 1, r) for n, r in enumerate(rows)]
        filler = max(0, block.blank_rows - len(filled))
        heights = [row_h * max(text_lines(display(c, (r or {}).get(c.key)), w)
                               for c, w in zip(block.columns, block.widths)) for _, r in filled]
        foot = row_h * (len(block.words) + bool(block.totals))
        after = sum(block_height(b) for b in blocks[i + 1:]) + tail
        if filler:
            room = height - used - H_TABLE_HEAD - foot - after - sum(heights)
            fits = int(room // row_h) if room > 0 else 0
            keep = math.ceil(filler * (0.4 if not rows else 0.5))   # a blank form rather keeps to one page
            if keep <= fits < filler:
                filler = fits
        filled += [(len(filled) + k + 1, None) for k in range(filler)]
        heights += [row_h] * filler
        extra = after if all(not isinstance(b, TableBlock) for b in blocks[i + 1:]) else 0
        parts, start = [], 0
        while True:
            room = height - used - H_TABLE_HEAD
            rest = heights[start:]
            if sum(rest) + foot + extra <= room or not rest:  # what follows the table flows on by itself
                parts.append((start, len(filled)))
                break
            room -= row_h if block.subtotal_columns else 0
            take, acc = 0, 0.0
            while take < len(rest) and acc + rest[take] <= room:
                acc += rest[take]
                take += 1
            if take == len(rest):   # the rows fit but not what follows: two rows go on with it
                take -= min(2, take - 1)
            take = max(take, 1) if used == 0 else take
            if take:
                parts.append((start, start + take))
                start += take
            pages.append(Page())
            used = 0
        for k, (a, b) in enumerate(parts):
            part = TablePart(block, filled[a:b], first=k == 0, last=k == len(parts) - 1)
            if len(parts) > 1 and block.subtotal_columns:
                part.subtotal = {key: sum(_number((r or {}).get(key)) for _, r in part.rows)
                                 for key in block.subtotal_columns}
            page = pages[len(pages) - len(parts) + k]
            page.blocks.append(part)
        used += sum(heights[parts[-1][0]:]) + H_TABLE_HEAD + foot
    pages[-1].last = True
    return pages


def _block_height(block, scale: float = 1) -> float:
    if isinstance(block, Grid):
        return scale * sum(H_TEXTAREA_ROW if any(c.field.kind_def.tall for c in row) else H_GRID_ROW
                           for row in block.rows)
    if isinstance(block, SectionBlock):
        return scale * H_SECTION + sum(_block_height(b, scale) for b in block.blocks)
    if isinstance(block, TableBlock):
        return scale * (H_TABLE_HEAD + H_ROW * (block.blank_rows + len(block.words) + bool(block.totals)))
    return 0


def notes_height(lay) -> float:
    """The notes under the form (9.5 pt, about 4.5 mm a line, 2 mm apart)."""
    chars = paper_chars(lay.paper, lay.orientation) * 10.5 / 9.5
    return sum(2 + 4.5 * lines_needed(str(n), chars * 0.97) for n in lay.notes)


def needs_compact(lay) -> bool:
    """Whether the form's grids and tables take a little more than one page at the usual row
    heights (up to a quarter more) and fit at the compact ones: then the sheet is printed compact
    rather than leave its last rows or the signature line alone on a second page."""
    paper_w, paper_h = PAPER_MM.get(lay.paper, PAPER_MM["A4"])
    if lay.orientation == "landscape":
        paper_w, paper_h = paper_h, paper_w
    height = paper_h - MARGIN_TOP - MARGIN_BOTTOM
    fixed = H_TITLE + H_HEADER * bool(lay.header) + H_LINE * (len(lay.intro) + len(lay.closing)) + \
        H_SIGNATURES * bool(lay.signatures) + notes_height(lay)
    if any(isinstance(b, TableBlock) for b in lay.blocks):
        return False    # tables are paginated (their empty rows cut to fit)
    body = sum(_block_height(b) for b in lay.blocks)
    return height < fixed + body <= 1.3 * height and fixed + COMPACT * body <= height


def estimated_height(lay) -> float:
    """The blank form's height in mm at the usual row heights (before any compact printing)."""
    return H_TITLE + H_HEADER * bool(lay.header) + H_LINE * (len(lay.intro) + len(lay.closing)) + \
        H_SIGNATURES * bool(lay.signatures) + notes_height(lay) + sum(_block_height(b) for b in lay.blocks)


def page_height(lay) -> float:
    """The printable height of the form's paper in mm."""
    paper_w, paper_h = PAPER_MM.get(lay.paper, PAPER_MM["A4"])
    return (paper_w if lay.orientation == "landscape" else paper_h) - MARGIN_TOP - MARGIN_BOTTOM


def _number(v) -> float:
    try:
        return float(v) if v not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


# ---------------------------------------------------------------- view model
def options(f, value=None, filled=False) -> list:
    """(mark, label) pairs for choices printed as ☐/☑."""
    picked = value if isinstance(value, list) else [value]
    return [("☑" if filled and v in picked else "☐", label) for label, v in f.kind_def.option_pairs(f)]


def cell(f, value, filled: bool, compact: bool = False) -> dict:
    """One value box: {'text': …} or {'opts': [(mark, label)]}; `compact` for table cells."""
    if f.kind_def.options and len(options(f)) <= 8 and not compact:
        if filled or value is None:
            return {"opts": options(f, value, filled)}
    if not filled:
        return {"text": f.kind_def.blank}
    if compact:
        return {"text": f.kind_def.compact(f, value) if value not in (None, "") else ""}
    return {"text": display(f, value)}


def line_items(items, data, record, signed: bool = False, room: float = 0) -> list:
    """The items of the header line (or, `signed`, the signature line: a signer's 日期 stays blank
    until that person signs). With `room` (characters), blanks shrink so the line fits on one
    line, and when it cannot, a break splits it into two even lines."""
    out = []
    for it in items:
        if it.is_text:
            out.append({"text": it.label})
            continue
        view = {"label": it.label, "value": "", "width": 6}
        if it.kind == "field":
            view["path"] = ".".join(it.field.path)
            value = (data or {}).get(it.field.key)
            view["width"] = it.field.spec.get("x-width", 8 if getattr(it.field.kind_def, "calendar", None) else 6)
            if value not in (None, ""):
                view["value"] = display(it.field, value)
            else:
                view["value"] = it.field.kind_def.blank
        elif it.blank == "date":
            view["value"] = display_date(record.created) if record and record.created and not signed \
                else KINDS["date"].blank
        elif it.blank == "number":
            view["width"] = 8
            view["value"] = record.number if record and record.number else ""
        out.append(view)
    if room:
        fit_line(out, room)
    return out


GAP = 1.8   # the line's gap between items (6 mm), in characters


def fit_line(views: list, room: float) -> None:
    """Shrink the blanks of a header or signature line so it fits `room` characters, or mark a
    break (`break_before`) that splits it into two lines of as many items each."""
    def width(v):
        if "label" not in v:
            return text_width(v["text"])
        body = text_width(v["value"]) + 0.6 if v["value"] else v["width"]
        return text_width(v["label"]) + 1 + body
    need = sum(width(v) for v in views) + GAP * (len(views) - 1)
    blanks = [v for v in views if "label" in v and not v["value"]]
    if need > room and blanks:
        spare = need - room
        for v in blanks:
            v["width"] = max(3, round(v["width"] - spare / len(blanks), 1))
        need = sum(width(v) for v in views) + GAP * (len(views) - 1)
    if need > room and len(views) > 1:
        views[(len(views) + 1) // 2]["break_before"] = True


def display_date(iso: str) -> str:
    y, m, d = iso[:10].split("-")
    return f"{y}年{int(m)}月{int(d)}日"


def grid_view(block, values, filled, chars: float = 8) -> list:
    rows = []
    for row in block.rows:
        cells = []
        for c in row:
            label, shrink = fit_label(c.field.title, chars)
            value = cell(c.field, values.get(c.field.key) if isinstance(values, dict) else None, filled)
            unit = c.field.spec.get("x-unit", "") if c.field.kind_def.shows_unit else ""
            if unit and "text" in value:
                value = dict(value, unit=unit)
            cells.append({"title": c.field.title, "label": label, "shrink": shrink, "colspan": c.span * 2 - 1,
                          "value": value, "kind": c.field.kind, "align": c.field.kind_def.align,
                          "path": ".".join(c.field.path)})
        rows.append({"tall": any(c.field.kind_def.tall for c in row), "cells": cells})
    return rows


LABEL_SHARE = 0.36        # at most this share of the paper's width goes to the label columns
MIN_TAIL = 3              # characters at least on a broken label's last line
SHRINK_TO = 0.87          # a label up to 1/0.8 of its column is printed smaller, on one line
_TOKEN = re.compile(r"[(（][^()（）]*[)）]|[0-9０-９.]+[^0-9０-９.()（）]?|[A-Za-z]+|.", re.S)


def label_chars(lay) -> float:
    """Width of the form's grid label columns in characters: its longest label, within what
    the paper allows for `columns` label columns."""
    cap = max(3, int(paper_chars(lay.paper, lay.orientation) * LABEL_SHARE / lay.columns))
    longest = 0.0

    def walk(blocks):
        nonlocal longest
        for b in blocks:
            if isinstance(b, Grid):
                for row in b.rows:
                    longest = max([longest] + [text_width(c.field.title) for c in row])
            elif isinstance(b, SectionBlock):
                walk(b.blocks)
    walk(lay.blocks)
    return float(min(cap, max(4, math.ceil(longest))))


def fit_label(title: str, chars: float):
    """(label markup, font scale or None): on one line when it fits `chars`, a little smaller
    when that makes it fit, else broken into even lines, never leaving fewer than 3 characters
    on the last line nor splitting a number from its unit or a bracketed part."""
    width = text_width(title)
    if width <= chars:
        return title, None
    if width * SHRINK_TO <= chars:
        return title, round(chars / width, 3)
    tokens = _TOKEN.findall(title)
    if len(tokens) > 1 and tokens[-1][:1] in "(（" and len(tokens[-1]) >= MIN_TAIL:
        head = "".join(tokens[:-1])       # a bracketed unit or score goes on the second line whole
        if text_width(head) <= chars and text_width(tokens[-1]) <= chars:
            return Markup("<br>").join([head, tokens[-1]]), None
    for lines in range(2, 6):
        target = width / lines
        limits = [target + 0.5 * k for k in range(int((chars - target) / 0.5) + 1)] + [chars]
        for limit in limits:
            for rows in (_pack_tokens(tokens, limit), _pack_tokens(tokens[::-1], limit, reverse=True)):
                if len(rows) <= lines and len("".join(rows[-1])) >= MIN_TAIL and \
                        all(sum(text_width(t) for t in r) <= chars + 1e-9 for r in rows):
                    return Markup("<br>").join("".join(r) for r in rows), None
    return title, round(max(SHRINK_TO, chars / width), 3)


def _pack_tokens(tokens, limit: float, reverse: bool = False) -> list:
    """Tokens into lines of at most `limit` wide, filled from the front (or, `reverse`, given the
    tokens last first, from the end, so that the last line is the full one)."""
    rows, acc = [[]], 0.0
    for t in tokens:
        w = text_width(t)
        if rows[-1] and acc + w > limit + 1e-9:
            rows.append([])
            acc = 0.0
        rows[-1].append(t)
        acc += w
    if reverse:
        rows = [r[::-1] for r in rows[::-1]]
    return rows


def summary_row(block, label, sums: dict, filled: bool, fmt) -> dict:
    """合计 / 本页小计 row: the label spans the columns before the first summed one."""
    keys = [c.key for c in block.columns]
    first = min(keys.index(k) for k in sums) if sums else len(keys)
    cells = [{"text": fmt(block.columns[i], sums[keys[i]]) if filled and keys[i] in sums else "",
              "kind": block.columns[i].kind, "align": block.columns[i].kind_def.align}
             for i in range(first, len(keys))]
    return {"label": label, "colspan": first + 1, "cells": cells}


HEAD_PADDING = 1.0   # a table header cell's padding and border, in characters
MIN_TEXT_COLUMN = 4  # a text column (备注 …) is at least this many characters wide on paper
_CODE = re.compile(r"[!-~]+")


def code_shrink(text, chars: float):
    """Font scale that keeps a code (批号 20261120A, an order number: ASCII without spaces) on one
    line in a column `chars` characters wide, or None when it fits or is not a code."""
    text = str(text or "")
    if not _CODE.fullmatch(text) or text_width(text) <= chars:
        return None
    return round(max(0.6, chars / text_width(text)), 3)


def table_view(part: TablePart, data, filled, room: float = 46) -> dict:
    """`room`: the paper's printable width in characters (header labels are fitted to it)."""
    block = part.block
    def money(f, v):
        return display(f, round(v, 6) if isinstance(v, float) and not f.kind_def.money else v)
    rows = []
    widths = [3] + [max(w, MIN_TEXT_COLUMN) if c.kind_def.align == "left" or c.kind == "text" else w
                    for c, w in zip(block.columns, block.widths)]
    total = sum(widths)
    usable = [max(1.0, room * w / total - HEAD_PADDING) for w in widths[1:]]
    for n, r in part.rows:
        cells = []
        for c, chars in zip(block.columns, usable):
            view = dict(cell(c, r.get(c.key), True, compact=True) if r is not None else {"text": ""}, kind=c.kind,
                        align=c.kind_def.align)
            view["shrink"] = code_shrink(view.get("text", ""), chars)
            cells.append(view)
        rows.append({"seq": n if r is not None else "", "cells": cells})
    summaries = []
    if part.subtotal is not None:
        summaries.append(summary_row(block, "本页小计", part.subtotal, filled, money))
    words = []
    if part.last:
        if block.totals:
            sums = {k: (data or {}).get(f.key) for k, f in block.totals.items()}
            summaries.append(summary_row(block, "合计", sums, filled,
                                         lambda f, v: display(block.totals[f.key], v)))
        words = [{"title": w.title, "value": (data or {}).get(w.key, "") if filled else ""} for w in block.words]
    return {"title": block.field.title, "head": [c.title + (f"({c.spec['x-unit']})" if c.spec.get("x-unit") and c.kind_def.shows_unit else "")
                     for c in block.columns],
            "widths": [round(100 * w / total, 2) for w in widths], "rows": rows, "summaries": summaries,
            "fit": [fit_label(h, max(1.5, room * w / total - HEAD_PADDING))
                    for h, w in zip([c.title + (f"({c.spec['x-unit']})" if c.spec.get("x-unit") and c.kind_def.shows_unit else "")
                                     for c in block.columns], widths[1:])],
            "words": words, "ncols": len(block.columns) + 1}


def page_blocks(page: Page, data, filled, chars: float = 8, room: float = 46) -> list:
    out = []

    def add(block, values):
        if isinstance(block, Grid):
            out.append({"type": "grid", "columns": block.columns, "rows": grid_view(block, values, filled, chars),
                        "label_em": round(chars * 1.05 + 1.3, 2)})
        elif isinstance(block, SectionBlock):
            out.append({"type": "section", "title": block.field.title})
            inner = values.get(block.field.key) if isinstance(values, dict) else None
            for b in block.blocks:
                add(b, inner if isinstance(inner, dict) else {})
        elif isinstance(block, TableBlock):
            rows = values.get(block.field.key) if isinstance(values, dict) else None
            rows = rows if isinstance(rows, list) else []
            filled_rows = [(i + 1, r) for i, r in enumerate(rows)]
            filled_rows += [(len(rows) + k + 1, None) for k in range(max(0, block.blank_rows - len(rows)))]
            out.append({"type": "table", **table_view(TablePart(block, filled_rows, True, True), values, filled,
                                                      room)})
        else:
            out.append({"type": "table", **table_view(block, data, filled, room)})

    for block in page.blocks:
        add(block, data or {})
    return out


@register
class PrintHtmlRenderer(Renderer):
    name = "print"
    extension = ".html"
    media_type = "text/html; charset=utf-8"
    label = "打印版网页"

    def render(self, form, record: Filled | None = None) -> bytes:
        lay = build_layout(form)
        return self.document(form, record, lay.copies or [""]).encode("utf-8")

    def document(self, form, record: Filled | None, copies: list) -> str:
        """HTML for the given copies (one page set per copy label)."""
        lay = build_layout(form, record.data if record else None)
        chart = form_chart(form, record.data) if record else None      # a report's x-chart, after its sheets
        return environment().get_template("print.html.j2").render(
            form=form, record=record, sheets=Markup(self.sheets(form, record, copies)), css=asset("print.css"),
            paper=f"{lay.paper} {lay.orientation}", chart=Markup(chart) if chart else None)

    @staticmethod
    def sheets(form, record: Filled | None, copies: list, batch: bool = False) -> str:
        """The body of the print HTML: the form's pages, once per copy label; `batch` names
        each page for the per-record page numbers of PdfRenderer.render_many."""
        return render_sheets(sheet_context(form, record, copies, batch))


def render_sheets(context: dict) -> str:
    """The sheets' HTML from their view model (renderers.overlay_frame empties its values first)."""
    return environment().get_template("print_sheets.html.j2").render(**context)


def sheet_context(form, record: Filled | None, copies: list, batch: bool = False) -> dict:
    """The view model of the sheets: pages, header and signature lines, letter text."""
    data = record.data if record else None
    lay = build_layout(form, data)
    filled = record is not None
    chars = label_chars(lay)
    compact = needs_compact(lay)
    room = paper_chars(lay.paper, lay.orientation)
    pages = [{"first": p.first, "last": p.last, "blocks": page_blocks(p, data, filled, chars, room)}
             for p in paginate(lay, data, compact)]
    n = len(lay.copies)
    signatures = line_items(lay.signatures, data, record, signed=True, room=room)
    attach_signatures(pages, signatures, record.signatures if record else {})
    return dict(
        form=form, lay=lay, record=record, pages=pages, copies=copies, batch=batch, compact=compact,
        copies_note=(f"一式{'两' if n == 2 else CN_NUMBERS[n] if n <= 10 else n}联" if n > 1 else copies_said(form)),
        continued=f"{form.title}（续）" + (f"　编号：{record.number}" if record and record.number else ""),
        header=line_items(lay.header, data, record, room=room),
        signatures=signatures,
        intro=[text_parts(t, form, data) for t in lay.intro], closing=[text_parts(t, form, data) for t in lay.closing],
        notes=[text_parts(t, form, data) for t in lay.notes],
        qr=Markup(qr.svg(qr.payload(record.link, record.number))) if record and record.link else "")


def attach_signatures(pages: list, line: list, images: dict) -> None:
    """Put each signer's handwritten signature (data: URIs) beside their name: in the grid cell
    or the sign-off line item of the field it signs."""
    if not images:
        return
    for page in pages:
        for b in page["blocks"]:
            for row in b.get("rows", []) if b["type"] == "grid" else []:
                for c in row["cells"]:
                    if c["path"] in images:
                        c["value"] = dict(c["value"], images=images[c["path"]])
    for v in line:
        if v.get("path") in images:
            v["images"] = images[v["path"]]


_COPIES = re.compile(r"一式[二两三四五六七八九十]+[联份]")


def copies_said(form) -> str:
    """The 一式N联 / 一式两份 a definition's description states, for a form without copy labels."""
    m = _COPIES.search(getattr(form, "description", "") or "")
    return m.group(0) if m else ""
