"""Serial numbers (编号) such as DH-202611-0007.

A pattern mixes literal text with {yyyy} {yy} {mm} {dd} and exactly one
{seq:N} (the sequence, zero-padded to N digits). The sequence restarts each
period (`reset`: never, year, month or day). Storage keeps one counter per
(form, period key); this module only parses, names periods and formats.
"""
from __future__ import annotations

import re
from datetime import date

RESETS = ("never", "year", "month", "day")
_PART = re.compile(r"\{([^{}]*)\}")
_DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
_RESET_NEEDS = {"never": [], "year": [("yyyy", "yy")], "month": [("yyyy", "yy"), ("mm",)],
                "day": [("yyyy", "yy"), ("mm",), ("dd",)]}


def parse_pattern(pattern: str) -> list:
    """Split a pattern into literal strings and ('date', fmt) / ('seq', width). Raises ValueError (Chinese)."""
    parts, pos, seqs = [], 0, 0
    for m in _PART.finditer(pattern):
        if m.start() > pos:
            parts.append(pattern[pos:m.start()])
        name = m.group(1).strip()
        if name in _DATE_PARTS:
            parts.append(("date", name))
        elif re.fullmatch(r"seq(:\d{1,2})?", name):
            width = int(name.split(":")[1]) if ":" in name else 1
            if not 1 <= width <= 12:
                raise ValueError("序号位数应在 1 到 12 之间")
            parts.append(("seq", width))
            seqs += 1
        else:
            raise ValueError(f"不认识 {{{name}}}")
        pos = m.end()
    rest = pattern[pos:]
    if "{" in rest or "}" in rest:
        raise ValueError("花括号不成对")
    if rest:
        parts.append(rest)
    if seqs != 1:
        raise ValueError("必须恰好包含一个 {seq:N}")
    if re.search(r"[/\\\s]", "".join(p for p in parts if isinstance(p, str))):
        raise ValueError("编号中不能有空格、/ 或 \\")
    return parts


def period_key(reset: str, day: date) -> str:
    """The counter's period: '' (never), '2026', '2026-11' or '2026-11-27'."""
    return {"never": "", "year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": f"{day:%Y-%m-%d}"}[reset or "never"]


def format_number(pattern: str, day: date, seq: int) -> str:
    out = []
    for part in parse_pattern(pattern):
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "date":   # always zero-padded: {yyyy} is four digits whatever the year
            out.append({"yyyy": f"{day.year:04d}", "yy": f"{day.year % 100:02d}", "mm": f"{day.month:02d}",
                        "dd": f"{day.day:02d}"}[part[1]])
        else:
            out.append(str(seq).zfill(part[1]))
    return "".join(out)


def check_reset(pattern: str, reset: str) -> None:
    """A pattern that restarts each month must print the year and month, or numbers repeat."""
    names = {p[1] for p in parse_pattern(pattern) if isinstance(p, tuple) and p[0] == "date"}
    for options in _RESET_NEEDS[reset or "never"]:
        if not names & set(options):
            raise ValueError(f"按{ {'year': '年', 'month': '月', 'day': '日'}[reset] }重新编号时，"
                             f"格式中必须有 {{{options[0]}}}，否则编号会重复")
