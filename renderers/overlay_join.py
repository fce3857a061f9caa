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

import io
import re
import threading
import zlib
from collections import OrderedDict

BASE = 100_000          # the frame's objects are numbered BASE, BASE + 1, ...
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


class Unjoinable(ValueError):
    """ReportLab's output is not shaped as expected (the caller joins with pypdf instead)."""


def frame_objects(key: str, xobjects: list, name: str) -> tuple:
    """(bytes of the frame's objects, [(number, offset within those bytes)], XObject numbers per
    page, prefix stream number) — made once per frame key."""
    with _lock:
        if key in _cache:
            return _cache[key]
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    writer = PdfWriter()
    before = len(writer._objects)
    refs = [writer._add_object(x.clone(writer)) for x in xobjects]
    ours = list(range(before, len(writer._objects)))      # indexes of the clones and what they reference

    seen: set = set()

    def shift(obj):
        if id(obj) in seen:      # a direct dictionary or array shared by two objects: shifted once
            return
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, DictionaryObject) else enumerate(obj) \
            if isinstance(obj, ArrayObject) else ()
        for k, v in list(items):
            if isinstance(v, IndirectObject):
                obj[k] = IndirectObject(v.idnum - before - 1 + BASE, 0, writer)
            elif isinstance(v, (DictionaryObject, ArrayObject)):
                shift(v)

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
