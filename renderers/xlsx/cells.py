"""What goes into a cell: clean text that is never a formula, and a stored value as the
cell a person would have typed (a number, a date, text), as the field's kind says
(`Kind.excel_value`, `Kind.excel_format`)."""
from __future__ import annotations

import json
from datetime import date

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

MAX_TEXT = 32767                                # characters a cell holds
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")   # text Excel would take for a formula


def clean_text(value) -> str:
    """Text safe to store in a cell (control characters other than tab, CR and LF removed; at most
    32,767 characters)."""
    text = value if type(value) is str else str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_TEXT] if len(text) > MAX_TEXT else text


def set_text(cell, value) -> None:
    """Write `value` as a text cell, never as a formula (=, +, -, @ …) or error code."""
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


def write_value(cell, f, value) -> None:
    """Store one submitted value of field `f` in a cell, with the type a user would type: a
    number, a date (in the field's date format) or text. A value the kind cannot show as such
    (a stored value that no longer fits its field) is written as text."""
    if value is None or value == "":
        return
    shown = f.kind_def.excel_value(f, value)
    if isinstance(shown, (int, float)) and not isinstance(shown, bool):
        cell.value = shown
    elif isinstance(shown, date):
        cell.value = shown
        cell.number_format = f.kind_def.excel_format(f)
    elif isinstance(shown, str):
        set_text(cell, shown)
    else:
        set_text(cell, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                 if isinstance(value, (dict, list)) else value)
