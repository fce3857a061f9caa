"""Byte-reproducible xlsx files.

openpyxl stamps a workbook with the time it was saved twice: every zip
member's date (ZipInfo.date_time, the local time of the save) and the
document properties (docProps/core.xml dcterms:created and dcterms:modified).
`deterministic_xlsx(content)` rewrites those, so the same workbook saved at
different times gives the same bytes (for caching, ETags, tests, and
reproducible builds). Everything else is kept as it is: the members, their
order and their contents.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

DEFAULT_WHEN = datetime(2000, 1, 1)
CORE = "docProps/core.xml"
FILE_MODE = 0o100600                 # a regular file, rw for its owner (as openpyxl and xlsxwriter write)
COMPRESS_LEVEL = 6                   # zlib's default, stated so that the bytes don't depend on it
_STAMP = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def zip_time(when: datetime) -> tuple:
    """`when` as a zip date (zip dates start in 1980 and count seconds in twos)."""
    if when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)


def _stamp(xml: bytes, when: datetime) -> bytes:
    text = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _STAMP.sub(lambda m: m.group(1) + text + m.group(3), xml)


def deterministic_xlsx(content: bytes, when: datetime = DEFAULT_WHEN) -> bytes:
    """`content` (an xlsx, e.g. written by openpyxl) rewritten so that it no longer depends on when it was
    saved: every member dated `when`, with the same attributes and compression, in the same order, and
    the document's created/modified times set to `when`."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    date_time = zip_time(when)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == CORE:
                data = _stamp(data, when)
            member = zipfile.ZipInfo(info.filename, date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3                      # Unix, wherever this runs
            member.external_attr = (0o40755 << 16) | 0x10 if info.is_dir() else FILE_MODE << 16
            dst.writestr(member, data, compresslevel=COMPRESS_LEVEL)
    return out.getvalue()
