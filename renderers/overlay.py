"""Two-layer PDFs (format "pdf2") and 套打 (format "overprint").

pdf2: the blank frame, laid out once by WeasyPrint (renderers.overlay_frame), is embedded in
each page as a Form XObject and the values are written over it as CIDs of the frame's own text
font, whose subset each record extends by its glyphs (renderers.overlay_font), and the PDF is
written as bytes (renderers.overlay_join.write): a few ms per record instead of a WeasyPrint
layout, one embedded subset of the face. A record the frame cannot carry is laid out by the flow
engine (format "pdf") as before: nothing prints worse.

overprint: the values layer alone, for pre-printed forms, moved and scaled by a printer's
Calibration; with no record, the calibration page (a mm grid and crosshairs at known boxes).
"""
from __future__ import annotations

import io
import json
import re
import threading
from collections import OrderedDict

from .base import DoesNotFit, Filled, Renderer, register
from pypdf.generic import NameObject

from .overlay_draw import MM, Calibration, DoesNotFitBox, Modules, Placed, draw, font, runs_of
from .overlay_frame import Frame, NoFrame, frame_of, split
from .pdf import PdfRenderer

XOBJECT = "/BiaogeBlank"          # the frame's name in each page's resources
MARKER = "/BiaogeFrame"           # on the XObject: the frame's key (archives embed it once)
VALUES = "/BiaogeValues"          # in the catalog: the values' runs (archives draw them all at once)


def layers(form, record: Filled, title: str = ""):
    """(frame, values layer PDF) of a record; NoFrame / DoesNotFitBox when it does not fit."""
    view, values = split(form, record)
    frame = frame_of(form, view)
    runs = [runs_of(values, boxes) for boxes in frame.pages]
    return frame, runs


def two_layer(form, record: Filled, keep_runs: bool = False) -> bytes:
    """The record's two-layer PDF; `keep_runs`: with the values' runs in the catalog (for a merged
    archive, which draws them again all at once)."""
    title = form.title + (f" {record.number}" if record.number else "")
    frame, runs = layers(form, record)
    extra = runs_json(runs, frame.size) if keep_runs else None
    from .overlay_join import Unjoinable, shared, write
    try:
        s = shared(frame.key, _frame_xobjects(frame), TEXT_FONT_NAME)
    except Unjoinable:
        return join(frame, draw(runs, frame.size, title), title, runs if keep_runs else None)
    return write(s, [values_content(page, frame.size[1]) for page in runs], frame.size, title, XOBJECT,
                 extra, VALUES.encode())


TEXT_FONT_NAME = "UMing"      # the blank's embedded text face (WeasyPrint's subset) that the values share


def values_content(runs: list, height: float) -> tuple:
    """(content stream, {gid: text}) of one page's runs, drawn in the blank's text face as font /V
    (2-byte CIDs, Identity-H), in the same operators and places as overlay_draw.draw."""
    from .overlay_font import gids_of
    out, chars = [b"q 1 0 0 -1 0 %s cm\n" % _n(height)], {}
    for r in runs:
        if isinstance(r, Modules):
            out.append(b"0 g\n")
            for j, row in enumerate(r.rows):
                for run in re.finditer("1+", row):
                    out.append(b"%s %s %s %s re\n" % (_n(r.x + run.start() * r.module), _n(r.y + j * r.module),
                                                       _n((run.end() - run.start()) * r.module), _n(r.module)))
            out.append(b"f\n")
            continue
        gids = gids_of(r.text)
        for g, ch in zip(gids, r.text):
            chars.setdefault(g, ch)
        out.append(b"BT /V %s Tf %s Tc 1 0 0 -1 %s %s Tm <%s> Tj ET\n" % (
            _n(r.size), _n(r.spacing), _n(r.x), _n(r.y), "".join("%04x" % g for g in gids).encode()))
    out.append(b"Q\n")
    return b"".join(out), chars


def _n(v: float) -> bytes:
    return (b"%.2f" % v).rstrip(b"0").rstrip(b".") or b"0"


def engine_for(form, record: Filled) -> str:
    """'two-layer' when the record fits its frame, else 'flow' (what pdf2 will use)."""
    try:
        layers(form, record)
        return "two-layer"
    except (NoFrame, DoesNotFitBox):
        return "flow"


# ---------------------------------------------------------------- joining the layers (pypdf)
_blanks: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _frame_xobjects(frame: Frame) -> list:
    """The frame's pages as Form XObjects (objects of a cached reader of the frame PDF)."""
    with _lock:
        if frame.key in _blanks:
            return _blanks[frame.key]
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, TextStringObject
    reader = PdfReader(io.BytesIO(frame.pdf))
    out = []
    for i, page in enumerate(reader.pages):
        contents = page["/Contents"].get_object()
        streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
        xo = DecodedStreamObject()
        xo.set_data(b"\n".join(s.get_object().get_data() for s in streams))
        xo = xo.flate_encode()
        xo[NameObject("/Type")] = NameObject("/XObject")
        xo[NameObject("/Subtype")] = NameObject("/Form")
        xo[NameObject("/BBox")] = ArrayObject(page.mediabox)
        xo[NameObject("/Resources")] = page["/Resources"]
        xo[NameObject(MARKER)] = TextStringObject(f"{frame.key}:{i}")
        out.append(xo)
    with _lock:
        _blanks[frame.key] = out
        while len(_blanks) > 64:
            _blanks.popitem(last=False)
    return out


def join(frame: Frame, overlay: bytes, title: str, runs: list | None = None) -> bytes:
    """The record's PDF: each values page with its frame page under it (as a Form XObject); with
    `runs`, those too, as JSON (so that a merged archive draws every record's values at once).
    Joined as bytes (renderers.overlay_join); by pypdf if ReportLab's output ever looks otherwise."""
    from .overlay_join import Unjoinable, frame_objects
    from .overlay_join import join as join_bytes
    xobjects = _frame_xobjects(frame)
    try:
        return join_bytes(overlay, frame_objects(frame.key, xobjects, XOBJECT), XOBJECT,
                          None if runs is None else runs_json(runs, frame.size), VALUES.encode())
    except Unjoinable:
        return join_pypdf(xobjects, overlay, title, runs, frame.size)


def join_pypdf(xobjects: list, overlay: bytes, title: str, runs: list | None, size: tuple) -> bytes:
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter()
    for i, page in enumerate(PdfReader(io.BytesIO(overlay)).pages):
        new = writer.add_page(page)
        ref = writer._add_object(xobjects[i].clone(writer))
        put_under(writer, new, ref)
    if runs is not None:
        writer._root_object[NameObject(VALUES)] = writer._add_object(runs_stream(runs, size))
    writer.add_metadata({"/Title": title, "/Author": "biaoge"})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def runs_json(runs: list, size: tuple) -> bytes:
    return json.dumps({"size": size, "pages": [[_run_json(r) for r in page] for page in runs]},
                      ensure_ascii=False).encode()


def runs_stream(runs: list, size: tuple):
    from pypdf.generic import DecodedStreamObject
    stream = DecodedStreamObject()
    stream.set_data(runs_json(runs, size))
    return stream.flate_encode()


def _run_json(r) -> list:
    if isinstance(r, Modules):
        return ["Q", r.x, r.y, r.module, r.rows]
    return [r.x, r.y, r.size, r.text, r.spacing]


def _run_of_json(r: list):
    return Modules(*r[1:]) if r[0] == "Q" else Placed(*r)


def runs_of_pdf(reader) -> tuple | None:
    """(page size, [[Placed]]) stored in a two-layer PDF, or None."""
    ref = reader.trailer["/Root"].get(VALUES)
    if ref is None:
        return None
    got = json.loads(ref.get_object().get_data())
    return tuple(got["size"]), [[_run_of_json(r) for r in page] for page in got["pages"]]


def put_under(writer, page, ref) -> None:
    """Draw the XObject `ref` first on `page` (the values come after, over it)."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject
    prefix = DecodedStreamObject()
    prefix.set_data(f"q {XOBJECT} Do Q\n".encode())
    contents = page.raw_get("/Contents")     # the reference, not the stream it points to
    parts = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([writer._add_object(prefix)] + parts)
    res = page["/Resources"].get_object()
    xobjs = res.get("/XObject")
    if xobjs is None:
        xobjs = DictionaryObject()
        res[NameObject("/XObject")] = xobjs
    xobjs.get_object()[NameObject(XOBJECT)] = ref


# ---------------------------------------------------------------- renderers
@register
class TwoLayerPdfRenderer(PdfRenderer):
    name = "pdf2"
    label = "PDF"

    def render(self, form, record: Filled | None = None) -> bytes:
        if record is None:
            return super().render(form)
        try:
            return two_layer(form, record)
        except (NoFrame, DoesNotFitBox):
            return super().render(form, record)

    def render_many(self, form, records: list) -> list:
        out, flow = [None] * len(records), []
        for i, record in enumerate(records):
            try:
                out[i] = two_layer(form, record, keep_runs=True)
            except (NoFrame, DoesNotFitBox):
                flow.append(i)
        if flow:
            for i, content in zip(flow, PdfRenderer.render_many(self, form, [records[i] for i in flow])):
                out[i] = content
        return out


@register
class OverprintRenderer(Renderer):
    name = "overprint"
    extension = ".pdf"
    media_type = "application/pdf"
    label = "套打 PDF"

    def render(self, form, record: Filled | None = None, calibration: Calibration | None = None) -> bytes:
        """The values alone at their places (calibrated); the calibration page when `record` is None."""
        if record is None:
            return calibration_page(form, calibration)
        title = form.title + (f" {record.number}" if record.number else "") + " 套打"
        try:
            frame, runs = layers(form, record)
        except (NoFrame, DoesNotFitBox):
            raise DoesNotFit("这条记录的内容超出了预印表格的格子（明细行过多或文字过长），无法套打；"
                             "请改用普通 PDF 打印。") from None
        return draw(runs, frame.size, title, calibration)


def calibration_page(form, calibration: Calibration | None = None) -> bytes:
    """A mm ruler grid over the page and crosshairs at the corners of known boxes (labelled with
    their mm position), moved by the calibration: print it on the pre-printed form, measure how far
    the crosshairs are off the printed boxes, enter that as the offset."""
    from reportlab.pdfgen import canvas
    view, _ = split(form, Filled({}))
    frame = frame_of(form, view)
    w, h = frame.size
    cal = calibration or Calibration()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(w, h), invariant=1, pageCompression=1)
    c.setTitle(f"{form.title} 套打校准页")
    c.setAuthor("biaoge")
    name = font()[0]
    c.translate(cal.dx * MM, h - cal.dy * MM)
    c.scale(cal.scale, -cal.scale)
    for k in range(0, int(max(w, h) / MM) + 1):       # the ruler grid: 1 mm ticks, 5 mm and 10 mm lines
        pos = k * MM
        major = k % 10 == 0
        c.setLineWidth(0.3 if major else 0.1)
        c.setStrokeGray(0.3 if major else 0.75)
        if k % 5 == 0:
            c.line(pos, 0, pos, h)
            c.line(0, pos, w, pos)
        else:
            c.line(pos, 0, pos, 2 * MM)
            c.line(0, pos, 2 * MM, pos)
    c.setStrokeGray(0)
    c.setLineWidth(0.4)
    boxes = frame.pages[0]
    marked = sorted((b for k, b in boxes.items() if "-" not in k), key=lambda b: (b.y, b.x))
    picks = [marked[0], marked[len(marked) // 2], marked[-1]] if marked else []
    for b in picks:
        for x, y in ((b.x, b.y), (b.x + b.w, b.y + b.h)):
            c.line(x - 4 * MM, y, x + 4 * MM, y)
            c.line(x, y - 4 * MM, x, y + 4 * MM)
            c.circle(x, y, 1.5 * MM)
            t = c.beginText()
            t.setTextTransform(1, 0, 0, -1, x + 1.2 * MM, y - 1.2 * MM)
            t.setFont(name, 6)
            t.textOut(f"{x / MM:.1f}, {y / MM:.1f} mm")
            c.drawText(t)
    for k, line in enumerate((f"{form.title} 套打校准页：十字线应落在预印表格的格线交点上。",
                              "偏差（向右、向下为正，单位毫米）填入“套打校准”后重印本页核对。",
                              f"当前校准：X {cal.dx:+.1f} 毫米，Y {cal.dy:+.1f} 毫米，缩放 {cal.scale:.3f}")):
        t = c.beginText()
        t.setTextTransform(1, 0, 0, -1, 20 * MM, h / 2 + k * 14)
        t.setFont(name, 10)
        t.setCharSpace(0)
        t.textOut(line)
        c.drawText(t)
    c.showPage()
    c.save()
    return buf.getvalue()
