"""Sizes on a sheet: the sheet's columns for a form's layout, text widths and row heights in
Excel's units, and the print set-up.

Sheet columns: the boundaries of the table columns (scaled to the paper width) are the
sheet's columns, so line-item cells are never merged and can be pasted into; grid and
header cells snap to these boundaries (`Columns.snap`) and are merged across them.
Positions are in Chinese characters from the left edge (0 … `Columns.width`).
"""
from __future__ import annotations

from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from forms.paper import paper_chars

from ..layout import SectionBlock, TableBlock
from ..textwidth import lines_needed, text_width

CHAR = 2.2                  # Excel width units per Chinese character (11 pt)
LINE = 15.0                 # points per line of 11 pt Chinese text
ROW = 21.0                  # height of an ordinary form row, points
PAPER_SIZES = {"A4": Worksheet.PAPERSIZE_A4, "A3": Worksheet.PAPERSIZE_A3, "A5": Worksheet.PAPERSIZE_A5}


def cell_lines(text, width_chars: float) -> int:
    """Lines `text` takes in a cell `width_chars` Chinese characters wide (Excel's fill)."""
    return lines_needed(text, width_chars * 1.05 - 0.3)


def row_height(lines: int) -> float:
    """Points of a row showing `lines` lines of body text."""
    return max(ROW, lines * LINE + 6)


def column_units(chars: float) -> float:
    """Excel's column width for `chars` Chinese characters."""
    return round(chars * CHAR, 2)


def all_blocks(blocks):
    """The layout's blocks, those inside sections included."""
    for b in blocks:
        yield b
        if isinstance(b, SectionBlock):
            yield from all_blocks(b.blocks)


class Columns:
    """The sheet columns of a form's layout: boundaries in characters, and where a run of cells goes."""

    def __init__(self, form, layout):
        self.form, self.layout = form, layout
        self.width = self._paper_width()
        self.bounds = self._boundaries()
        self.count = len(self.bounds) - 1

    def _paper_width(self) -> float:
        w = paper_chars(self.layout.paper, self.layout.orientation)
        for b in all_blocks(self.layout.blocks):
            if isinstance(b, TableBlock):
                w = max(w, sum(b.widths))
        return float(w)

    def _boundaries(self) -> list:
        W, lay = self.width, self.layout
        hard = {0.0, W}
        for b in all_blocks(lay.blocks):
            if isinstance(b, TableBlock) and b.widths:
                scale, x = W / sum(b.widths), 0.0
                for w in b.widths:
                    x += w * scale
                    hard.add(round(x * 2) / 2)
        needed = max([2 * lay.columns, 2 * len(lay.header), 2 * len(lay.signatures), 3])
        out = sorted(hard)
        if len(out) - 1 < needed:
            P = W / lay.columns
            L = self.label_width(P)
            soft = set()
            for i in range(lay.columns):
                soft.update((i * P, i * P + L))
            step = W / needed
            soft.update(i * step for i in range(needed))
            for x in sorted(soft):
                x = round(x * 2) / 2
                if all(abs(x - y) >= 1.5 for y in out):
                    out.append(x)
            out.sort()
        return out

    def label_width(self, pair_width: float, fields=None) -> float:
        """Width of the label cells of a grid whose label/value pairs are `pair_width` wide."""
        if fields is None:
            fields = [f for f in self.form.walk() if f.is_value and f.table is None]
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
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9
