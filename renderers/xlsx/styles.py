"""The look of a form sheet (fonts, borders, alignments, protection) and a fast way to set it
on many cells."""
from __future__ import annotations

from functools import lru_cache

from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.styles.cell_style import StyleArray

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNDERLINE = Border(bottom=THIN)
NO_BORDER = Border()
FONT_BODY = Font(name=BODY_FONT, size=11)
FONT_BOLD = Font(name=BODY_FONT, size=11, bold=True)
FONT_SMALL = Font(name=BODY_FONT, size=10)
FONT_TITLE = Font(name=TITLE_FONT, size=16, bold=True)
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)


@lru_cache(maxsize=None)
def align(h="left", v="center", wrap=True) -> Alignment:
    """A shared alignment (never modified, so that StyleCache recognises it)."""
    return Alignment(horizontal=h, vertical=v, wrap_text=wrap)


class StyleCache:
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
