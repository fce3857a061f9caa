"""One embedded subset of the text face per two-layer PDF, shared by the blank's labels and the values.

WeasyPrint embeds the blank's face (AR PL UMing) as a CIDFontType2, Identity-H, subset by
fontTools with retain_gids=True: a CID is the glyph's index in the whole face. So the values can be
drawn as CIDs of that same font, provided its font file also holds their glyphs. Per record the
font file is rebuilt here from raw tables: the glyphs of the blank and of the record (and any
composite's components), copied as bytes from the face at their original indexes; every other
glyph empty (loca repeats one offset, hmtx is zero there: both compress to almost nothing). The
CIDFont's /W and the font's ToUnicode are extended by the record's glyphs, so widths and pdftotext
stay right. One subset instead of two (the blank's and ReportLab's) is about 4 KB less per page.
"""
from __future__ import annotations

import array
import struct
import threading
import zlib

from .overlay_draw import TEXT_FONT

_lock = threading.RLock()     # also around fontTools' lazy glyph loading
_face: dict = {}
# tables copied from the blank's font file as they are (vmtx/vhea/VORG/GDEF: not used for
# horizontal text in a PDF; gasp, post, name, OS/2, cmap: small, kept so that the file stays a
# complete TrueType font)
_KEPT = (b"OS/2", b"cmap", b"gasp", b"head", b"hhea", b"maxp", b"name", b"post")


def face() -> dict:
    """The face's raw glyf bytes, glyph offsets, advance widths and cmap (loaded once)."""
    with _lock:
        if _face:
            return _face
        from fontTools.ttLib import TTFont
        _, path, index = TEXT_FONT
        f = TTFont(path, fontNumber=index, lazy=True)
        long = f["head"].indexToLocFormat
        loca = array.array("I" if long else "H")
        loca.frombytes(f.reader["loca"])
        if struct.pack("=H", 1) != b"\x00\x01":
            loca.byteswap()
        offsets = list(loca) if long else [o * 2 for o in loca]
        order = f.getGlyphOrder()
        hmtx = f["hmtx"].metrics
        _face.update(tt=f, glyf=f.reader["glyf"], loca=offsets, order=order, upem=f["head"].unitsPerEm,
                     advance=[hmtx[n][0] for n in order], lsb=[hmtx[n][1] for n in order],
                     cmap={u: f.getGlyphID(n) for u, n in f.getBestCmap().items()}, maxp=f["maxp"], components={})
        return _face


def _components(gid: int) -> list:
    """The glyph indexes a composite glyph is made of (recursively); [] for a simple glyph."""
    fc = face()
    got = fc["components"].get(gid)
    if got is None:
        with _lock:
            g = fc["tt"]["glyf"][fc["order"][gid]]
            got = []
            if g.isComposite():
                for c in g.components:
                    k = fc["tt"].getGlyphID(c.glyphName)
                    got += [k] + _components(k)
            fc["components"][gid] = got
    return got


def gids_of(text: str) -> list:
    cmap = face()["cmap"]
    return [cmap.get(ord(ch), 0) for ch in text]


def width1000(gid: int) -> int:
    fc = face()
    return round(fc["advance"][gid] * 1000 / fc["upem"])


def font_file(blank_tables: dict, gids: set) -> bytes:
    """A TrueType file holding the glyphs `gids` (plus components) at their own indexes, the other
    tables taken from the blank's font file (`tables_of`)."""
    fc = face()
    need = set(gids) | {0}
    for g in list(need):
        need.update(_components(g))
    count = max(need) + 1
    glyf, loca, hm = bytearray(), array.array("I", [0]) * (count + 1), array.array("H", [0]) * (2 * count)
    src, offs = fc["glyf"], fc["loca"]
    prev = 0
    for g in sorted(need):
        loca[prev + 1:g + 1] = array.array("I", [len(glyf)]) * (g - prev)
        data = src[offs[g]:offs[g + 1]]
        glyf += data + b"\0" * (-len(data) % 4)
        hm[2 * g], hm[2 * g + 1] = fc["advance"][g], fc["lsb"][g] & 0xFFFF
        prev = g
    loca[count] = len(glyf)
    if struct.pack("=H", 1) != b"\x00\x01":
        loca.byteswap()
        hm.byteswap()
    tables = dict(blank_tables)
    head = bytearray(tables[b"head"])
    head[8:12] = b"\0\0\0\0"                       # checkSumAdjustment: set below
    head[50:52] = struct.pack(">h", 1)             # long loca
    tables[b"head"] = bytes(head)
    hhea = bytearray(tables[b"hhea"])
    hhea[34:36] = struct.pack(">H", count)
    tables[b"hhea"] = bytes(hhea)
    maxp = bytearray(tables[b"maxp"])
    maxp[4:6] = struct.pack(">H", count)
    tables[b"maxp"] = bytes(maxp)
    tables[b"glyf"], tables[b"loca"], tables[b"hmtx"] = bytes(glyf), loca.tobytes(), hm.tobytes()
    out = _sfnt(tables)
    adjust = (0xB1B0AFBA - _checksum(out)) & 0xFFFFFFFF
    at = out.index(b"head") + 8
    head_at = struct.unpack(">I", out[at:at + 4])[0]
    return out[:head_at + 8] + struct.pack(">I", adjust) + out[head_at + 12:]


def tables_of(font: bytes) -> dict:
    """{tag: bytes} of the tables of a TrueType file that a rebuilt subset keeps."""
    n = struct.unpack(">H", font[4:6])[0]
    out = {}
    for i in range(n):
        tag, _, off, length = struct.unpack(">4sIII", font[12 + 16 * i:28 + 16 * i])
        if tag in _KEPT:
            out[tag] = font[off:off + length]
    maxp = bytearray(out[b"maxp"])
    if len(maxp) >= 32:     # the limits of the whole face (its glyphs may now be any of them)
        full = face()["maxp"]
        maxp[6:32] = struct.pack(">13H", *(getattr(full, k) for k in (
            "maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxZones",
            "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
            "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth")))
        out[b"maxp"] = bytes(maxp)
    return out


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    a = array.array("I")
    a.frombytes(data)
    if struct.pack("=H", 1) != b"\x00\x01":
        a.byteswap()
    return sum(a) & 0xFFFFFFFF


def _sfnt(tables: dict) -> bytes:
    tags = sorted(tables)
    n = len(tags)
    search = 1
    while search * 2 <= n:
        search *= 2
    head = struct.pack(">IHHHH", 0x00010000, n, search * 16, search.bit_length() - 1, n * 16 - search * 16)
    offset = 12 + 16 * n
    dirs, body = [], []
    for tag in tags:
        data = tables[tag]
        dirs.append(struct.pack(">4sIII", tag, _checksum(data), offset, len(data)))
        padded = data + b"\0" * (-len(data) % 4)
        body.append(padded)
        offset += len(padded)
    return head + b"".join(dirs) + b"".join(body)


def widths(gids) -> bytes:
    """A /W array for `gids` (runs of consecutive indexes)."""
    out, run = [], []
    for g in sorted(set(gids)):
        if run and g == run[-1][0] + 1:
            run.append((g, width1000(g)))
            continue
        if run:
            out.append(b"%d [%s]" % (run[0][0], b" ".join(b"%d" % w for _, w in run)))
        run = [(g, width1000(g))]
    if run:
        out.append(b"%d [%s]" % (run[0][0], b" ".join(b"%d" % w for _, w in run)))
    return b"[" + b" ".join(out) + b"]"


def to_unicode(mapping: dict) -> bytes:
    """A ToUnicode CMap of {gid: text}."""
    rows = sorted(mapping.items())
    out = [b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
           b"<< /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n"
           b"/CMapType 2 def\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"]
    for i in range(0, len(rows), 100):
        part = rows[i:i + 100]
        out.append(b"%d beginbfchar\n" % len(part))
        out.append(b"".join(b"<%04x> <%s>\n" % (g, t.encode("utf-16-be").hex().encode()) for g, t in part))
        out.append(b"endbfchar\n")
    out.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    return b"".join(out)


def parse_to_unicode(data: bytes) -> dict:
    """{gid: text} of a ToUnicode CMap's bfchar and bfrange entries (what WeasyPrint writes)."""
    import re
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for g, t in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(g, 16)] = bytes.fromhex(t.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for a, b, t in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            base = int(t, 16)
            for k, g in enumerate(range(int(a, 16), int(b, 16) + 1)):
                out[g] = chr(base + k)
    return out


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 6)
