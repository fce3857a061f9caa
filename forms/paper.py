"""Paper geometry, shared by the linter (a table must fit the paper) and the renderers (print
HTML pages, Excel column widths): sizes in millimetres and printable widths in characters."""
from __future__ import annotations

# Width x height in mm, portrait.
PAPER_MM = {"A4": (210, 297), "A5": (148, 210), "A3": (297, 420)}

# Printable width of each paper in Chinese characters at the body font size.
PAPER_CHARS = {("A4", "portrait"): 46, ("A4", "landscape"): 68, ("A5", "portrait"): 32,
               ("A5", "landscape"): 46, ("A3", "portrait"): 68, ("A3", "landscape"): 98}
DEFAULT_CHARS = PAPER_CHARS[("A4", "portrait")]


def paper_chars(paper: str, orientation: str) -> int:
    """Printable width in Chinese characters (A4 portrait's for an unknown paper)."""
    return PAPER_CHARS.get((paper, orientation), DEFAULT_CHARS)


def paper_label(paper: str, orientation: str) -> str:
    """How a person names the paper: A4 纵向, A3 横向."""
    return f"{paper} {'横向' if orientation == 'landscape' else '纵向'}"
