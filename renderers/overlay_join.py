"""Joining the two layers without a PDF library on the per-record path.

ReportLab's values PDF is plain: an xref table, page and catalog dictionaries as text (only
content and font streams are binary). The frame's Form XObjects and everything they reference
are serialised once per frame and process (pypdf, numbered from BASE up so they can never clash
with ReportLab's numbers); a record's PDF is then ReportLab's objects as they are, each page
dictionary given the frame XObject and a prefix stream that draws it first, the catalog given
the values' runs (for merged archives), the frame's bytes appended, and a new xref table.
pypdf's parse-and-rewrite (about 11 ms per record) leaves the path: this costs well under 1 ms.
"""
from __future__ import annotations

import hashlib
import io
import re
import struct
import threading
import zlib
from collections import OrderedDict

BASE = 100_000          # the frame's objects are numbered BASE, BASE + 1, ...
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


class Unjoinable(ValueError):
    """ReportLab's output is not shaped as expected (the caller joins with pypdf instead)."""


def _cloned(xobjects: list, first: int):
    """(writer, index of the first clone, clone references, indexes of the clones and what they
    reference, shift): the frame's XObjects cloned into a fresh pypdf writer; shift(obj) renumbers
    the references inside obj so that the first clone is object `first`."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    writer = PdfWriter()
    before = len(writer._objects)
    refs = [writer._add_object(x.clone(writer)) for x in xobjects]
    ours = list(range(before, len(writer._objects)))
    seen: set = set()

    def shift(obj):
        if id(obj) in seen:      # a direct dictionary or array shared by two objects: shifted once
            return
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, DictionaryObject) else enumerate(obj) \
            if isinstance(obj, ArrayObject) else ()
        for k, v in list(items):
            if isinstance(v, IndirectObject):
                obj[k] = IndirectObject(v.idnum - before - 1 + first, 0, writer)
            elif isinstance(v, (DictionaryObject, ArrayObject)):
                shift(v)

    return writer, before, refs, ours, shift


def frame_objects(key: str, xobjects: list, name: str) -> tuple:
    """(bytes of the frame's objects, [(number, offset within those bytes)], XObject numbers per
    page, prefix stream number) — made once per frame key."""
    with _lock:
        if key in _cache:
            return _cache[key]
    writer, before, refs, ours, shift = _cloned(xobjects, BASE)

    out, offsets = io.BytesIO(), []
    for i in ours:
        obj = writer._objects[i]
        if obj is None:
            continue
        shift(obj)
        number = i - before + BASE
        offsets.append((number, out.tell()))
        out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")
    prefix = ours[-1] - before + BASE + 1
    draw_it = f"q {name} Do Q\n".encode()
    offsets.append((prefix, out.tell()))
    out.write(f"{prefix} 0 obj\n<< /Length {len(draw_it)} >>\nstream\n".encode() + draw_it + b"\nendstream\nendobj\n")
    got = (out.getvalue(), offsets, [r.idnum - before - 1 + BASE for r in refs], prefix)
    with _lock:
        _cache[key] = got
        while len(_cache) > 64:
            _cache.popitem(last=False)
    return got


_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")


def join(values: bytes, frame: tuple, name: str, extra: bytes | None = None, extra_key: bytes = b"") -> bytes:
    """The record's PDF: ReportLab's `values` with the frame (`frame_objects`) under each page;
    `extra`: a stream object's data (compressed here) put in the catalog under `extra_key`."""
    blank, blank_offsets, xobjects, prefix = frame
    start = values.rindex(b"startxref")
    xref_at = int(values[start + 9:].split()[0])
    head = values[xref_at:].split(b"trailer", 1)
    m = re.match(rb"xref\s+0 (\d+)\s+", head[0])
    if m is None:
        raise Unjoinable("no single xref section")
    size = int(m.group(1))
    rows = _XREF_ROW.findall(head[0][m.end():])
    if len(rows) != size:
        raise Unjoinable("xref rows")
    offsets = [int(o) for o, _, kind in rows]
    trailer = head[1]
    root = int(re.search(rb"/Root (\d+) 0 R", trailer).group(1))
    info = re.search(rb"/Info (\d+) 0 R", trailer)
    ident = re.search(rb"/ID\s*(\[[^\]]*\])", trailer)
    ends = sorted(offsets[1:]) + [xref_at]
    span = {o: e for o, e in zip(sorted(offsets[1:]), ends[1:])}
    objects = {n: values[offsets[n]:span[offsets[n]]] for n in range(1, size)}
    pages = _kids(objects, values)
    if len(pages) > len(xobjects):
        raise Unjoinable("more values pages than frame pages")
    for i, n in enumerate(pages):
        body, k1 = re.subn(rb"/Contents (\d+) 0 R", rb"/Contents [ %d 0 R \1 0 R ]" % prefix, objects[n], count=1)
        body, k2 = re.subn(rb"/Resources <<", b"/Resources <<\n/XObject << %s %d 0 R >>" % (name.encode(), xobjects[i]),
                           body, count=1)
        if k1 != 1 or k2 != 1:
            raise Unjoinable("page dictionary")
        objects[n] = body
    extra_number = None
    if extra is not None:
        extra_number = size
        data = zlib.compress(extra)
        objects[size] = (b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n" % (size, len(data)) + data
                         + b"\nendstream\nendobj\n")
        body, k = re.subn(rb"/Type /Catalog", b"%s %d 0 R /Type /Catalog" % (extra_key, size), objects[root], count=1)
        if k != 1:
            raise Unjoinable("catalog")
        objects[root] = body
    out = io.BytesIO()
    out.write(values[:offsets[1] if size > 1 else xref_at])
    count = size + (extra_number is not None)
    where = [0] * count
    for n in range(1, count):
        where[n] = out.tell()
        out.write(objects[n])
    at = out.tell()
    out.write(blank)
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
    out.write(b"".join(b"%010d 00000 n \n" % w for w in where[1:]))
    out.write(b"%d %d\n" % (BASE, len(blank_offsets)))
    if [n for n, _ in blank_offsets] != list(range(BASE, BASE + len(blank_offsets))):
        raise Unjoinable("frame numbering")
    out.write(b"".join(b"%010d 00000 n \n" % (at + o) for _, o in blank_offsets))
    out.write(b"trailer\n<< /Size %d /Root %d 0 R" % (BASE + len(blank_offsets), root))
    if info:
        out.write(b" /Info %s 0 R" % info.group(1))
    if ident:
        out.write(b" /ID " + ident.group(1))
    out.write(b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _kids(objects: dict, values: bytes) -> list:
    """The page objects' numbers in order (ReportLab: one /Pages node holding every page)."""
    for body in objects.values():
        if b"/Type /Pages" in body[:400]:
            kids = re.search(rb"/Kids \[([^\]]*)\]", body)
            return [int(n) for n in re.findall(rb"(\d+) 0 R", kids.group(1))]
    raise Unjoinable("no page tree")


# ---------------------------------------------------------------- one font, one writer (the usual path)
class Shared:
    """What every record on one frame shares, serialised once: the frame's objects (streams as they
    are, every dictionary in one compressed object stream) and the text face's font objects, whose
    font file, /W and ToUnicode each record rebuilds (renderers.overlay_font)."""

    def __init__(self, key: str, xobjects: list, face_name: str):
        from pypdf.generic import IndirectObject, NameObject, StreamObject

        from . import overlay_font as of
        writer, before, refs, ours, shift = _cloned(xobjects, 1)

        font = None
        for x in refs:
            fonts = x.get_object()["/Resources"].get_object().get("/Font")
            fonts = fonts.get_object() if fonts is not None else {}
            for name in fonts:
                ref = fonts.raw_get(name)
                f = ref.get_object()
                if face_name in str(f.get("/BaseFont", "")) and f.get("/Encoding") == "/Identity-H":
                    font = ref
        if font is None:
            raise Unjoinable("the frame has no Identity-H font of the text face")
        type0 = font.get_object()
        cid = type0["/DescendantFonts"][0]
        ff = cid.get_object()["/FontDescriptor"].get_object().raw_get("/FontFile2")
        tu = type0.raw_get("/ToUnicode")
        if not all(isinstance(r, IndirectObject) for r in (font, cid, ff, tu)):
            raise Unjoinable("the text face's font objects are not indirect")
        self.tables = of.tables_of(ff.get_object().get_data())
        self.unicode = of.parse_to_unicode(tu.get_object().get_data())
        self.gids = set(self.unicode) | {g for g in _w_gids(cid.get_object().get("/W", []))}
        per_record = {cid.idnum, ff.idnum, tu.idnum}
        self.font, self.cid, self.ff, self.tu = (r.idnum - before for r in (font, cid, ff, tu))
        cid_dict = cid.get_object()
        if "/W" in cid_dict:
            del cid_dict[NameObject("/W")]
        for i in ours:
            if writer._objects[i] is not None:
                shift(writer._objects[i])
        streams, packed = io.BytesIO(), []
        self.where: dict = {}       # number: ("at", offset in streams) | ("in", index in the object stream)
        for i in ours:
            obj = writer._objects[i]
            number = i - before + 1
            if obj is None or (i + 1) in per_record and i + 1 != cid.idnum:
                continue
            buf = io.BytesIO()
            obj.write_to_stream(buf)
            if i + 1 == cid.idnum:
                self.cid_dict = buf.getvalue()
            elif isinstance(obj, StreamObject):
                self.where[number] = ("at", streams.tell())
                streams.write(b"%d 0 obj\n" % number + buf.getvalue() + b"\nendobj\n")
            else:
                self.where[number] = ("in", len(packed))
                packed.append((number, buf.getvalue()))
        self.objstm = len(ours) + 1
        index, body, at = [], [], 0
        for number, data in packed:
            index.append(b"%d %d" % (number, at))
            body.append(data)
            at += len(data) + 1
        first = b" ".join(index) + b"\n"
        data = zlib.compress(first + b"\n".join(body) + b"\n", 9)
        self.streams = streams.getvalue() + (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (self.objstm, len(packed), len(first), len(data)) + data + b"\nendstream\nendobj\n")
        self.xobjects = [r.idnum - before for r in refs]
        self.next = self.objstm + 1


def _w_gids(w) -> list:
    out, i = [], 0
    w = list(w)
    while i < len(w):
        start = int(w[i])
        if isinstance(w[i + 1], list) or hasattr(w[i + 1], "__iter__"):
            out += range(start, start + len(w[i + 1]))
            i += 2
        else:
            out += range(start, int(w[i + 1]) + 1)
            i += 3
    return out


_shared: OrderedDict = OrderedDict()


def shared(key: str, xobjects: list, face_name: str) -> Shared:
    with _lock:
        if key in _shared:
            return _shared[key]
    got = Shared(key, xobjects, face_name)
    with _lock:
        _shared[key] = got
        while len(_shared) > 64:
            _shared.popitem(last=False)
    return got


HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def write(s: Shared, pages: list, size: tuple, title: str, xobject: str, extra: bytes | None = None,
          extra_key: bytes = b"") -> bytes:
    """The record's PDF: each page draws its frame XObject, then `pages[i]` (the values' content,
    bytes using font resource /V and the CIDs listed with it: [(content, {gid: text})])."""
    from . import overlay_font as of
    used: dict = dict(s.unicode)
    for _, chars in pages:
        for g, t in chars.items():
            used.setdefault(g, t)
    gids = set(used) | s.gids
    fontfile = of.font_file(s.tables, gids)
    packed = zlib.compress(fontfile, 6)
    objects: dict = {
        s.ff: b"<< /Length1 %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(fontfile), len(packed))
              + packed + b"\nendstream",
        s.cid: s.cid_dict.replace(b"<<", b"<< /W " + of.widths(gids), 1),
    }
    tu = zlib.compress(of.to_unicode(used))
    objects[s.tu] = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(tu) + tu + b"\nendstream"
    n = s.next
    catalog, tree, info = n, n + 1, n + 2
    n += 3
    kids = []
    w, h = size
    for i, (content, _) in enumerate(pages):
        data = zlib.compress(b"q %s Do Q\n" % xobject.encode() + content)
        objects[n] = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        objects[n + 1] = (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R /Resources "
                          b"<< /XObject << %s %d 0 R >> /Font << /V %d 0 R >> >> >>"
                          % (tree, _num(w), _num(h), n, xobject.encode(), s.xobjects[i], s.font))
        kids.append(n + 1)
        n += 2
    objects[tree] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(kids), b" ".join(b"%d 0 R" % k for k in kids))
    more = b""
    if extra is not None:
        data = zlib.compress(extra)
        objects[n] = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        more = b"%s %d 0 R " % (extra_key, n)
        n += 1
    objects[catalog] = b"<< /Type /Catalog %s/Pages %d 0 R >>" % (more, tree)
    objects[info] = b"<< /Title %s /Author (biaoge) /Producer (biaoge) >>" % _text(title)
    out = io.BytesIO()
    out.write(HEADER)
    base = out.tell()
    out.write(s.streams)
    where = {k: ("at", base + v[1]) if v[0] == "at" else v for k, v in s.where.items()}
    where[s.objstm] = ("at", base + s.streams.rindex(b"%d 0 obj\n" % s.objstm))
    for k in sorted(objects):
        where[k] = ("at", out.tell())
        out.write(b"%d 0 obj\n" % k + objects[k] + b"\nendobj\n")
    xref = n
    where[xref] = ("at", out.tell())
    rows = bytearray()
    for k in range(xref + 1):
        kind = where.get(k)
        if kind is None:
            rows += struct.pack(">BIH", 0, 0, 0 if k else 65535)
        elif kind[0] == "at":
            rows += struct.pack(">BIH", 1, kind[1], 0)
        else:
            rows += struct.pack(">BIH", 2, s.objstm, kind[1])
    data = zlib.compress(bytes(rows))
    ident = hashlib.md5(title.encode() + fontfile[:64] + bytes(rows)).hexdigest().encode()
    out.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] "
              b"/Filter /FlateDecode /Length %d >>\nstream\n" % (xref, xref + 1, catalog, info, ident, ident, len(data))
              + data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % where[xref][1])
    return out.getvalue()


def _num(v: float) -> bytes:
    return (b"%.3f" % v).rstrip(b"0").rstrip(b".")


def _text(t: str) -> bytes:
    """A PDF text string (UTF-16BE with a BOM when not ASCII)."""
    if t.isascii():
        return b"(" + t.encode().replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<feff" + t.encode("utf-16-be").hex().encode() + b">"
