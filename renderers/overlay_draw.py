"""The two-layer PDF's second layer: each value drawn into its box with ReportLab.

Values are set in the form's text face (AR PL UMing CN, the print CSS's body font; ReportLab
subsets and embeds it): right-aligned, centred or left as the print CSS sets the box, vertically
where the CSS would put the line (middle of a cell, top of a tall one, on the line of a header
blank). A text too wide is wrapped inside its box and shrunk in half-points down to FLOOR; past
that — or with a character the face lacks — the record does not fit (DoesNotFitBox) and the flow
engine lays it out. Ticks are a √ in the ☐ of each chosen option.

Every drawing goes through `Placed` items (text at a baseline), so that other kinds of item (an
image or vector drawing: a QR code, a 作废 stamp) can join the box map later as one more kind.
"""
from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass

FLOOR = 7.0                     # pt: the smallest a value may be shrunk to
LINE = 1.35                     # the print CSS's line height
WRAPPED = 1.15                  # line height of a text wrapped to fit a one-line box
MM = 72 / 25.4
# The values' face: AR PL UMing CN, the print CSS's body face (WenQuanYi Micro Hei was tried: its
# CJK glyphs are composites, a subset of them came out no smaller).
TEXT_FONT = ("BiaogeUMing", "/usr/share/fonts/truetype/arphic/uming.ttc", 0)
FLOW_FONT = TEXT_FONT        # the face whose widths decide the flow engine's lines
TICK = "√"
_ASCENT, _DESCENT = 917 / 1024, 155 / 1024    # the face's hhea metrics (what Pango sets lines by)
_lock = threading.Lock()
_face: dict = {}


class DoesNotFitBox(ValueError):
    """A value that does not fit its box even at the floor size (message in English)."""


@dataclass
class Placed:
    """A text run at a baseline, in pt from the page's top left."""
    x: float
    y: float
    size: float
    text: str
    spacing: float = 0.0        # character spacing in pt
    fitted: bool = False        # shrunk or wrapped to fit (the flow engine would have grown its box)


def font():
    """(ReportLab font name, its glyph map): registered once per process."""
    with _lock:
        if not _face:
            from reportlab import rl_config
            rl_config.useA85 = 0      # binary streams: ASCII85 only makes them bigger and slower
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont
            name, path, index = TEXT_FONT
            # asciiReadable=0: a subset holds only the glyphs drawn (else the first one carries all of
            # ASCII: about 90 glyphs, most of a page's values subset)
            f = TTFont(name, path, subfontIndex=index, asciiReadable=0)
            _slim(f.face)
            pdfmetrics.registerFont(f)
            _face["name"], _face["cmap"] = name, f.face.charToGlyph
    return _face["name"], _face["cmap"]


def flow_width(text: str, size: float) -> float:
    """Width of `text` in the print CSS's face (what the flow engine would make of it)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    font()
    return stringWidth(text, FLOW_FONT[0], size)


def _slim(face) -> None:
    """Smaller, faster subsets: ReportLab copies the face's whole `name` table (kilobytes) into
    every subset and slices its `glyf` table (megabytes) afresh for each; give it a minimal name
    table and the glyf bytes once."""
    from fontTools.ttLib.tables._n_a_m_e import table__n_a_m_e
    names = table__n_a_m_e()
    names.names = []
    for nid, text in ((1, "AR PL UMing CN"), (2, "Light"), (4, "AR PL UMing CN Light"), (6, "ARPLUMingCN-Light")):
        names.setName(text, nid, 3, 1, 0x409)
    tables = {"name": names.compile(None), "glyf": face.get_table("glyf")}
    original = face.get_table
    face.get_table = lambda tag: tables[tag] if tag in tables else original(tag)


def width(text: str, size: float, spacing: float = 0.0) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, font()[0], size) + spacing * len(text)


_TOKEN = re.compile(r"[A-Za-z0-9.,:;%/\-+]+|\s|.", re.S)


def wrap(text: str, room: float, size: float, spacing: float = 0.0) -> list:
    """Lines of `text` within `room` pt: CJK breaks anywhere, a Latin word or number stays whole
    unless it alone is too wide."""
    lines, cur = [], ""
    for tok in _TOKEN.findall(text):
        trial = cur + tok
        if cur and width(trial.rstrip(), size, spacing) > room:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
            while cur and width(cur, size, spacing) > room:   # one token wider than the box
                k = max(1, next((i for i in range(len(cur), 0, -1) if width(cur[:i], size, spacing) <= room), 1))
                lines.append(cur[:k])
                cur = cur[k:]
        else:
            cur = trial
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return lines


def place(value, box, unit_box=None) -> list:
    """The Placed runs of one text value in its box; DoesNotFitBox when it cannot fit."""
    cmap = font()[1]
    text = " ".join(value.text.split("\n"))
    missing = [ch for ch in text if ord(ch) not in cmap and not ch.isspace()]
    if missing:
        raise DoesNotFitBox(f"no glyph for {missing[0]!r}")
    if value.line:     # a header/signature blank: the flow puts the value 1 mm in, on the line
        x0, x1 = box.x + MM, box.x + box.w
        y0 = y1 = box.y + box.h
    else:
        top, right, bottom, left = box.pad
        x0, x1 = box.x + left, box.x + box.w - right
        y0, y1 = box.y + top, box.y + box.h - bottom
        if unit_box is not None:
            x1 = min(x1, unit_box.x - MM)
    room = x1 - x0
    if value.line and flow_width(text, value.size) > box.w - 2 * MM:
        # the flow engine would widen the item and move the line's others: it lays this one out
        raise DoesNotFitBox(f"{text[:20]!r} is wider than its blank")
    size = value.size
    while True:
        sp = value.spacing * size
        lines = wrap(text, room, size, sp) if width(text, size, sp) > room else [text]
        lead = (LINE if len(lines) == 1 or value.tall else WRAPPED) * size
        fits = all(width(t, size, sp) <= room + 0.01 for t in lines)
        if fits and (len(lines) == 1 or len(lines) * lead <= (y1 - y0) + 0.5):
            break
        if size - 0.5 < FLOOR - 1e-9:
            raise DoesNotFitBox(f"{text[:20]!r} does not fit its box at {FLOOR} pt")
        size = max(FLOOR, size - 0.5)
    shift = (_ASCENT - _DESCENT) / 2 * size     # baseline below the middle of a line box
    if value.line:
        first = y1 - lead / 2 + shift
    elif value.tall:
        first = y0 + lead / 2 + shift
    else:
        first = (y0 + y1) / 2 - len(lines) * lead / 2 + lead / 2 + shift
    out = []
    for i, t in enumerate(lines):
        w = width(t, size, sp) - sp     # the last letter's spacing is not part of the run's width
        x = x1 - w if value.align == "right" else (x0 + x1 - w) / 2 if value.align == "center" else x0
        out.append(Placed(x, first + i * lead, size, t, sp,
                          fitted=size < value.size or (len(lines) > 1 and not value.tall)))
    return out


def place_tick(box) -> Placed:
    """A √ in an option's box: as tall as the box, centred across, its foot near the box's bottom."""
    size = box.h
    w = width(TICK, size)
    return Placed(box.x + (box.w - w) / 2, box.y + box.h * 0.84, size, TICK)


def runs_of(values, page_boxes: dict) -> list:
    """All Placed runs of a record on one page of its frame."""
    out = []
    for v in values:
        box = page_boxes.get(v.box)
        if box is None:
            raise DoesNotFitBox(f"box {v.box} is not on the page")
        if v.qr:
            out.append(place_qr(v.qr, box))
        if v.ticks:
            out += [place_tick(page_boxes[f"{v.box}-o{i}"]) for i in v.ticks]
        if v.text:
            out += place(v, box, page_boxes.get(f"{v.box}-u"))
    return out


@dataclass
class Modules:
    """A QR code: its dark modules (rows of "0"/"1"), each `module` pt square, from (x, y) at the
    top left of the first module (pt from the page's top left)."""
    x: float
    y: float
    module: float
    rows: list
    fitted = False              # (a QR code is never shrunk)


def place_qr(text: str, box) -> Modules:
    """The code of `text` filling `box` as the flow's SVG does (a quiet zone of 2 modules)."""
    from .qr import matrix
    rows = ["".join("1" if m else "0" for m in row) for row in matrix(text)]
    module = min(box.w, box.h) / (len(rows) + 4)
    return Modules(box.x + 2 * module, box.y + 2 * module, module, rows)


def draw_modules(c, m: Modules) -> None:
    """The dark modules as filled rectangles, one per horizontal run (vector: scans at any size)."""
    path = c.beginPath()
    for j, row in enumerate(m.rows):
        for run in re.finditer("1+", row):
            path.rect(m.x + run.start() * m.module, m.y + j * m.module, (run.end() - run.start()) * m.module,
                      m.module)
    c.setFillGray(0)
    c.drawPath(path, stroke=0, fill=1)


@dataclass
class Calibration:
    """A printer's correction for 套打: values moved by (dx, dy) mm (right, down) and scaled by
    `scale` about the page's top left corner."""
    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0


def draw(pages, size: tuple, title: str = "", calibration: Calibration | None = None, sizes=None) -> bytes:
    """One PDF page per list of Placed runs (ReportLab; fonts subset and embedded; no dates);
    `sizes`: each page's own size (else all are `size`)."""
    from reportlab.pdfgen import canvas
    name = font()[0]
    buf = io.BytesIO()
    w, h = size
    c = canvas.Canvas(buf, pagesize=(w, h), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("biaoge")
    cal = calibration or Calibration()
    for n, runs in enumerate(pages):
        if sizes is not None:
            w, h = sizes[n]
            c.setPageSize((w, h))
        c.saveState()
        # ReportLab's origin is the bottom left; the runs are from the top left
        c.translate(cal.dx * MM, h - cal.dy * MM)
        c.scale(cal.scale, -cal.scale)
        for r in runs:
            if isinstance(r, Modules):
                draw_modules(c, r)
                continue
            t = c.beginText()
            t.setTextTransform(1, 0, 0, -1, r.x, r.y)   # upright glyphs in the flipped space
            t.setFont(name, r.size)
            t.setCharSpace(r.spacing)     # Tc outlives the text object: set it every time
            t.textOut(r.text)
            c.drawText(t)
        c.restoreState()
        c.showPage()
    c.save()
    return buf.getvalue()
