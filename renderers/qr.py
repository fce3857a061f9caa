"""The QR code printed on a record: its link, with its 编号, as vector SVG (segno).

One place makes it so that every printed form (the print HTML → PDF, the Excel's print area, a
two-layer PDF renderer) carries the same code. Scanning it opens the record (after login)."""
from __future__ import annotations

import io
from urllib.parse import quote

import segno

SIZE_MM = 20         # printed size; big enough for a phone camera at arm's length (version ≤ 5 at level M)


def payload(link: str, number: str = "") -> str:
    """What the code says: the record's link, its 编号 as a query parameter (a scanner opens the link;
    a person reading the decoded text sees the 编号)."""
    if not number:
        return link
    return f"{link}{'&' if '?' in link else '?'}no={quote(number, safe='-_.')}"


def code(text: str):
    return segno.make(text, error="m", micro=False)


def svg(text: str) -> str:
    """Inline SVG markup (no size: the page sets it) drawing the code with a quiet zone of 2 modules."""
    return code(text).svg_inline(border=2, omitsize=True, svgclass="qr-code", lineclass=None)


def matrix(text: str) -> list[list[bool]]:
    """The modules, row by row (True: dark), without a quiet zone: for renderers that draw it themselves."""
    return [[bool(m) for m in row] for row in code(text).matrix]


def png(text: str, scale: int = 6) -> bytes:
    """A raster of the code (for a spreadsheet, which takes no SVG)."""
    out = io.BytesIO()
    code(text).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
