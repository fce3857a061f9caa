"""Sheet names: one sanitiser for the template, the handbook and the list export.

Excel's rules: at most 31 characters (UTF-16 code units), none of []:*?/\\, not
starting or ending with an apostrophe, and unique in the workbook ignoring case.
"""
from __future__ import annotations

import re

MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, room: int) -> str:
    """`text` cut to `room` UTF-16 units, never ending with an apostrophe."""
    while _units(text) > room:
        text = text[:-1]
    return text.rstrip().rstrip("'")


class SheetNames:
    """Names for the sheets of one workbook: `name(title)` gives a valid name not taken yet
    (ignoring case, as Excel does), shortened and numbered (2), (3) … when it would repeat one."""

    def __init__(self, reserved=()):
        self.taken = {r.casefold() for r in reserved}

    def name(self, title, fallback: str = "表单") -> str:
        base = _fit(_FORBIDDEN.sub("", str(title or "")).strip().strip("'"), MAX_SHEET_NAME) or fallback
        name, n = base, 1
        while name.casefold() in self.taken:
            n += 1
            suffix = f"({n})"
            name = _fit(base, MAX_SHEET_NAME - len(suffix)) + suffix
        self.taken.add(name.casefold())
        return name


def sheet_ref(name: str, cell: str = "A1") -> str:
    """A reference into sheet `name`: 'sheet'!A1 (apostrophes in the name doubled)."""
    return "'" + name.replace("'", "''") + "'!" + cell
