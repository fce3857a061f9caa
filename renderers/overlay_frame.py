"""The two-layer PDF's first layer: the form laid out once without its values, and the box map.

A record's print view model (print_html.sheet_context) is split into the *frame* — the same
view with every value emptied, each value's place marked `data-box` — and the *values* (what
goes in each box). The frame's HTML depends only on the definition and the page arrangement
(which fields x-when shows, how many rows the tables print, how the lines are fitted), so it is
laid out by WeasyPrint once per distinct frame (cached by the SHA-256 of its HTML) and the box
of every marked element is read from WeasyPrint's layout (Document.pages[i]._page_box, walked
down its children; positions in CSS px, kept here in pt from the page's top left).

A record the frame cannot carry exactly raises NoFrame (the flow engine lays it out instead):
more than one page per copy, or letter text with a value inlined.
"""
from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from markupsafe import Markup

from forms.kinds import KINDS

from . import qr
from .charts import form_chart
from .layout import build_layout, text_parts
from .print_html import display_date, render_sheets, sheet_context
from .templating import asset, environment

PX = 0.75                    # one CSS px in pt
CACHE_SIZE = 64              # frames kept per process
PLACEHOLDERS = {k.blank for k in KINDS.values() if k.blank}


class NoFrame(ValueError):
    """The record's arrangement is not one the two-layer engine draws (reason in English)."""


@dataclass
class Value:
    """One thing to draw in a box: a text (aligned, at a size, maybe wrapped) or ticks."""
    box: str
    text: str = ""
    align: str = "left"          # left | center | right
    size: float = 10.5           # pt
    tall: bool = False           # a several-line box (textarea): top-aligned, wrapped
    spacing: float = 0.0         # letter spacing in em (大写)
    ticks: list = field(default_factory=list)   # option indexes chosen (drawn in "<box>-o<i>")
    qr: str = ""                 # a QR code's text (drawn as vector modules filling the box)
    line: bool = False           # a header or signature blank: drawn on its line, left


@dataclass
class Box:
    x: float        # border box, pt from the page's top left
    y: float
    w: float
    h: float
    pad: tuple      # padding (top, right, bottom, left) in pt


@dataclass
class Frame:
    """The blank laid out once: its PDF and, per page, the box of every marked place."""
    key: str
    pdf: bytes
    pages: list     # of {box id: Box}
    size: tuple     # page width, height in pt


def split(form, record) -> tuple[dict, list]:
    """(the frame's view model, values) of a filled record; NoFrame when the frame cannot carry it."""
    if record.signatures:
        raise NoFrame("a handwritten signature (an image the values layer does not draw)")
    ctx = sheet_context(form, record, build_layout(form).copies or [""])
    if len(ctx["pages"]) != 1:
        raise NoFrame("more than one page per copy")
    data = record.data
    if form.definition.get("x-chart") and form_chart(form, data):
        raise NoFrame("a report's chart prints on a page of its own")
    if record.void:
        raise NoFrame("a voided record carries the 作废 stamp")
    lay = ctx["lay"]
    for t in lay.intro + lay.closing + lay.notes:
        if text_parts(t, form, data) != text_parts(t, form, None):
            raise NoFrame("letter text with a value")
    values: list[Value] = []
    ctx = copy.deepcopy({k: v for k, v in ctx.items() if k not in ("form", "lay", "record")}) | \
        {"form": form, "lay": lay, "record": None}
    ctx["continued"] = f"{form.title}（续）"
    if ctx.get("qr"):       # the code's place stays in the frame (same size as the SVG), the code is drawn
        ctx["qr"] = Markup('<div data-box="qr" style="width:100%;height:100%"></div>')
        values.append(Value("qr", qr=qr.payload(record.link, record.number)))
    counter = iter(range(1_000_000))

    def mark(view: dict, prefix: str) -> str:
        view["box"] = f"{prefix}{next(counter)}"
        return view["box"]

    for block in ctx["pages"][0]["blocks"]:
        if block["type"] == "grid":
            for row in block["rows"]:
                for c in row["cells"]:
                    v = c["value"]
                    box = v["box"] = mark(c, "g")
                    if "opts" in v:
                        values.append(Value(box, ticks=[i for i, (m, _) in enumerate(v["opts"]) if m == "☑"]))
                        v["opts"] = [("☐", label) for _, label in v["opts"]]
                    else:
                        values.append(Value(box, str(v.get("text") or ""), "left", tall=row["tall"]))
                        v["text"] = ""
        elif block["type"] == "table":
            for r in block["rows"]:
                values.append(Value(mark(r, "s"), str(r["seq"]), "center"))
                r["seq"] = ""
                for c in r["cells"]:
                    values.append(Value(mark(c, "t"), str(c.get("text") or ""), _align(c), 10.5 * (c.get("shrink") or 1)))
                    c["text"] = ""
            for s in block["summaries"]:
                for c in s["cells"]:
                    values.append(Value(mark(c, "m"), str(c["text"] or ""), _align(c)))
                    c["text"] = ""
            for w in block["words"]:
                values.append(Value(mark(w, "w"), str(w["value"] or ""), "left", spacing=0.1))
                w["value"] = ""
    for key in ("header", "signatures"):
        for it in ctx[key]:
            if "label" in it:
                mark(it, "l")
                if it["value"] not in PLACEHOLDERS:   # a placeholder (　年　月　日) is part of the blank
                    values.append(Value(it["box"], str(it["value"] or ""), "left", line=True))
                    it["value"] = ""
    return ctx, [v for v in values if v.text or v.ticks or v.qr]


def frame_html(form, ctx: dict) -> list:
    """The frame's print HTML, one per copy."""
    lay = ctx["lay"]
    return [environment().get_template("print.html.j2").render(
        form=form, record=None, sheets=Markup(render_sheets(dict(ctx, copies=[label]))), css=asset("print.css"),
        paper=f"{lay.paper} {lay.orientation}") for label in ctx["copies"]]


def _align(cell: dict) -> str:
    return cell["align"] if cell["align"] in ("left", "right") else "center"


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def frame_of(form, ctx: dict) -> Frame:
    """The laid-out frame of a frame view model (cached per process: by the form and the view
    model's repr, which is all the frame's HTML is made of; the HTML is made only when missing)."""
    key = hashlib.sha256(repr(sorted((k, v) for k, v in ctx.items() if k not in ("form", "lay", "record")))
                         .encode()).hexdigest()
    with _lock:
        hit = _cache.get((id(form), key))
        if hit is not None and hit[0] is form:
            _cache.move_to_end((id(form), key))
            return hit[1]
    frame = _lay_out(form, frame_html(form, ctx), key)
    with _lock:
        _cache[(id(form), key)] = (form, frame)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return frame


def _lay_out(form, htmls: list, key: str) -> Frame:
    from .pdf import PdfRenderer, check_fonts, font_config, print_html
    check_fonts()
    # one document per copy, as the flow engine does (each copy counts its own pages)
    docs = [print_html(html).render(font_config=font_config()) for html in htmls]
    pages = [boxes_of(p) for d in docs for p in d.pages]
    if len(pages) != len(htmls):
        raise NoFrame("the frame did not come out one page per copy")
    pdf = PdfRenderer.write(docs, form, None)
    first = docs[0].pages[0]
    return Frame(key, pdf, pages, (first.width * PX, first.height * PX))


def boxes_of(page) -> dict:
    """{data-box id: Box} of a WeasyPrint page: the outermost box of each marked element."""
    out: dict = {}
    stack = [page._page_box]
    while stack:
        b = stack.pop()
        el = getattr(b, "element", None)
        if el is not None:
            name = el.get("data-box")
            if name and name not in out:
                out[name] = Box(b.border_box_x() * PX, b.border_box_y() * PX, b.border_width() * PX,
                                b.border_height() * PX,
                                tuple((_css_padding(b, s) + getattr(b, f"border_{s}_width")) * PX
                                      for s in ("top", "right", "bottom", "left")))
        stack.extend(reversed(getattr(b, "children", None) or []))
    return out


def _css_padding(box, side: str) -> float:
    """The padding the CSS gives (WeasyPrint adds a cell's vertical-align shift to its used
    padding_top/bottom; the drawing does its own vertical alignment)."""
    value = box.style[f"padding_{side}"]
    if getattr(value, "unit", "px") == "px":
        return float(getattr(value, "value", value))
    return getattr(box, f"padding_{side}")
