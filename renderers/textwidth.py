"""How wide text is, in Chinese characters: one width model for every renderer.

A CJK character (and anything from U+2E80 on, full-width forms included) is one
character wide; Latin letters, digits and ASCII punctuation a little over half.
Each renderer states how many characters fit in its boxes (the print CSS and Excel
fill a box differently) and asks `lines_needed` how many lines a text takes there.
"""
from __future__ import annotations

import math

NARROW = 0.55               # width of a Latin letter, digit or ASCII sign
WIDE_FROM = 0x2E80          # the first code point of the CJK blocks


def text_width(text) -> float:
    """Width of `text` in Chinese characters."""
    return sum(1.0 if ord(ch) >= WIDE_FROM else NARROW for ch in str(text))


def lines_needed(text, usable: float) -> int:
    """Lines `text` takes in a box `usable` characters wide; a newline starts a line (at least one)."""
    usable = max(1.0, usable)
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in str(text).split("\n"))
