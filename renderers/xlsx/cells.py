"""What goes into a cell: clean text that is never a formula, and a stored value as the
cell a person would have typed (a number, a date, text), as the field's kind says
(`Kind.excel_value`, `Kind.excel_format`)."""
from __future__ import annotations

import json
from datetime import date, time

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..base import DoesNotFit

MAX_TEXT = 32767                                # characters a cell holds
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")   # text Excel would take for a formula


class TextTooLong(DoesNotFit):
    def __init__(self, length: int, where: str = ""):
        self.length = length
        super().__init__(f"{where or '一段文字'}有 {length:,} 个字，超过 Excel 单元格最多能放的 {MAX_TEXT:,} 个字，"
                         f"无法完整导出为 Excel（不会截断）；请用 PDF 或缩短这段文字。")

    def at(self, where: str) -> "TextTooLong":
        return TextTooLong(self.length, where)


def clean_text(value) -> str:
    """Text safe to store in a cell (control characters other than tab, CR and LF removed).
    Longer than a cell holds: TextTooLong, never a silent cut."""
    text = value if type(value) is str else str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > MAX_TEXT:
        raise TextTooLong(len(text))
    return text


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
    try:
        _write(cell, f, value)
    except TextTooLong as exc:
        raise exc.at(f"「{f.title}」") from None


def _write(cell, f, value) -> None:
    shown = f.kind_def.excel_value(f, value)
    if isinstance(shown, (int, float)) and not isinstance(shown, bool):
        cell.value = shown
    elif isinstance(shown, (date, time)):
        cell.value = shown
        cell.number_format = f.kind_def.excel_format(f)
    elif isinstance(shown, str):
        set_text(cell, shown)
    else:
        set_text(cell, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                 if isinstance(value, (dict, list)) else value)
