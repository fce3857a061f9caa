"""A small xlsx writer for long lists: rows stream to disk, memory stays flat, no private API.

    book = StreamBook(font="宋体")
    head, money = book.style(bold=True), book.style(number_format='"¥"#,##0.00')
    sheet = book.add_sheet("记录")
    sheet.row([(False, "编号", head), (True, "12.5", money), None])   # text, number, empty
    book.save(out, title="…", when=datetime(2000, 1, 1))
    book.close()

What a list export needs and nothing more: several sheets written in turn (rows in order
within a sheet), number and inline-string cells, cell styles (number format, bold, centred,
wrapped, quote prefix), column widths, frozen panes and an autofilter. Each sheet's rows go
to an anonymous temporary file as XML (`ROW_CHUNK` rows per write); `save` then writes the
package — [Content_Types].xml, relationships, document properties, styles, the workbook and
each sheet (its head, which needs the widths and the extent, then its rows copied from the
file) — as one zip to `out`, which need not be seekable. The bytes depend only on what was
written: every member is dated `when`.

A cell is None (empty) or (is_number, text, style): `text` is what goes into <v> for a
number (str(int) or repr(float)) or the string itself (already free of control characters,
see cells.clean_text); style is a `Style` or None. A sheet refuses row `MAX_ROWS` + 1
(`TooManyRows`): Excel opens no more.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter

from ..base import DoesNotFit
from .determinism import FILE_MODE, zip_time
from .names import sheet_ref

MAX_ROWS = 1_048_576        # rows of an Excel sheet
ROW_CHUNK = 2000            # rows gathered before one write to a sheet's file
COPY_BUFFER = 1 << 20
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_TYPES = "application/vnd.openxmlformats-officedocument."
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XML_SPECIAL = re.compile("[&<>\r\ufffe\uffff\ud800-\udfff]|_x[0-9a-fA-F]{4}_")
_EXCEL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TooManyRows(DoesNotFit):
    """A sheet would pass Excel's last row; the message is Chinese and names the sheet."""

    def __init__(self, sheet: str):
        super().__init__(f"「{sheet}」超过了 Excel 一张工作表的上限（{MAX_ROWS:,} 行），"
                         f"请缩小日期范围或加上筛选条件，分几次导出。")
        self.sheet = sheet


def escape_text(text: str) -> str:
    """Text for an inline string's <t>: XML escapes, and Excel's _xHHHH_ escapes (a literal
    "_x0041_" stays itself, a CR survives, a lone surrogate becomes U+FFFD)."""
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "_x000D_")
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return _SURROGATE.sub("\ufffd", text)


def column_width(chars: float) -> str:
    """Excel's stored width for `chars` characters shown (the cell padding added, as Excel does)."""
    pixels = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
    return f"{pixels * 256 // 7 / 256:.16g}"


class Style:
    """A cell format of one StreamBook: its index and the cells' s="…" attribute."""
    __slots__ = ("index", "number_format", "attr")

    def __init__(self, index: int, number_format: str | None = None):
        self.index, self.number_format = index, number_format
        self.attr = f' s="{index}"'


class StreamSheet:
    """One worksheet: rows in order, then widths, panes and an autofilter for its head."""

    def __init__(self, name: str):
        self.name = name
        self.file = tempfile.TemporaryFile()
        self.rows = 0              # rows written
        self.columns = 0           # widest row
        self.widths: list = []     # characters shown, per column
        self.frozen = (0, 0)       # rows, columns
        self.filter = False
        self.parts: list = []
        self.pending = 0
        self.letters: list = []

    def row(self, cells) -> None:
        """Append one row; `cells` as described in the module."""
        if self.rows >= MAX_ROWS:
            raise TooManyRows(self.name)
        self.rows += 1
        r = str(self.rows)
        if len(cells) > len(self.letters):
            self.letters = [get_column_letter(i + 1) for i in range(len(cells))]
        if len(cells) > self.columns:
            self.columns = len(cells)
        parts = self.parts
        parts.append(f'<row r="{r}">')
        special, letters = _XML_SPECIAL.search, self.letters
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            is_number, value, style = cell
            s = style.attr if style is not None else ""
            if is_number:
                parts.append(f'<c r="{letters[i]}{r}"{s}><v>{value}</v></c>')
            else:
                if special(value):
                    value = escape_text(value)
                space = ' xml:space="preserve"' if value and (value[0].isspace() or value[-1].isspace()) else ""
                parts.append(f'<c r="{letters[i]}{r}"{s} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        parts.append("</row>")
        self.pending += 1
        if self.pending >= ROW_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.file.write("".join(self.parts).encode("utf-8"))
            self.parts.clear()
        self.pending = 0

    def freeze(self, rows: int, columns: int) -> None:
        self.frozen = (rows, columns)

    def extent(self) -> str:
        return f"A1:{get_column_letter(max(self.columns, 1))}{max(self.rows, 1)}"

    def head(self, selected: bool) -> str:
        tab = ' tabSelected="1"' if selected else ""
        out = [_HEAD, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">', f'<dimension ref="{self.extent()}"/>',
               f'<sheetViews><sheetView{tab} workbookViewId="0">{self._pane()}</sheetView></sheetViews>',
               '<sheetFormatPr defaultRowHeight="15"/>']
        if self.widths:
            out.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{column_width(w)}" customWidth="1"/>'
                                          for i, w in enumerate(self.widths, 1)) + "</cols>")
        out.append("<sheetData>")
        return "".join(out)

    def _pane(self) -> str:
        rows, cols = self.frozen
        if not rows and not cols:
            return ""
        corner = f"{get_column_letter(cols + 1)}{rows + 1}"
        if rows and cols:
            return (f'<pane xSplit="{cols}" ySplit="{rows}" topLeftCell="{corner}" activePane="bottomRight" '
                    f'state="frozen"/><selection pane="topRight" activeCell="{get_column_letter(cols + 1)}1" '
                    f'sqref="{get_column_letter(cols + 1)}1"/><selection pane="bottomLeft" activeCell="A{rows + 1}" '
                    f'sqref="A{rows + 1}"/><selection pane="bottomRight" activeCell="{corner}" sqref="{corner}"/>')
        split, pane = (f'ySplit="{rows}"', "bottomLeft") if rows else (f'xSplit="{cols}"', "topRight")
        return (f'<pane {split} topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
                f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>')

    def tail(self) -> str:
        auto = f'<autoFilter ref="{self.extent()}"/>' if self.filter and self.rows > 1 else ""
        return ('</sheetData>' + auto + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                'header="0.3" footer="0.3"/></worksheet>')

    def size(self) -> int:
        self.flush()
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


class StreamBook:
    """A workbook of StreamSheets; `close()` (or the with block) removes their files."""

    def __init__(self, font: str = "宋体", size: int = 11):
        self.font, self.size = font, size
        self.sheets: list = []
        self.xfs: list = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        self.formats: dict = {}    # custom format code -> id
        self.styles: dict = {}     # style key -> Style

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.close()

    def style(self, *, number_format: str | None = None, bold=False, center=False, wrap=False,
              quote_prefix=False) -> Style:
        key = (number_format, bold, center, wrap, quote_prefix)
        if key in self.styles:
            return self.styles[key]
        fmt = 0
        if number_format and number_format != "General":
            fmt = BUILTIN_FORMATS_REVERSE.get(number_format)
            if fmt is None:
                fmt = self.formats.setdefault(number_format, 164 + len(self.formats))
        attrs = f'numFmtId="{fmt}" fontId="{1 if bold else 0}" fillId="0" borderId="0" xfId="0"'
        if quote_prefix:
            attrs += ' quotePrefix="1"'
        if fmt:
            attrs += ' applyNumberFormat="1"'
        if bold:
            attrs += ' applyFont="1"'
        if center or wrap:
            alignment = (' horizontal="center" vertical="center"' if center else "") + (' wrapText="1"' if wrap else "")
            self.xfs.append(f'<xf {attrs} applyAlignment="1"><alignment{alignment}/></xf>')
        else:
            self.xfs.append(f"<xf {attrs}/>")
        style = self.styles[key] = Style(len(self.xfs) - 1, number_format)
        return style

    def add_sheet(self, name: str) -> StreamSheet:
        sheet = StreamSheet(name)
        self.sheets.append(sheet)
        return sheet

    # ------------------------------------------------------------ the package
    def save(self, out, *, title: str = "", author: str = "biaoge", when: datetime = datetime(2000, 1, 1)) -> None:
        """Write the workbook as an xlsx to the binary file `out`."""
        stamp = zip_time(when)

        def member(name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE << 16
            return info

        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            def put(name: str, text: str) -> None:
                z.writestr(member(name), text.encode("utf-8"))

            put("[Content_Types].xml", self._content_types())
            put("_rels/.rels", _rels([(f"{_REL}/officeDocument", "xl/workbook.xml"),
                                      (f"{_PKG_REL}/metadata/core-properties", "docProps/core.xml"),
                                      (f"{_REL}/extended-properties", "docProps/app.xml")]))
            put("docProps/app.xml", self._app())
            put("docProps/core.xml", _core(title, author, when))
            put("xl/workbook.xml", self._workbook())
            put("xl/_rels/workbook.xml.rels", _rels([(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml")
                                                     for i in range(1, len(self.sheets) + 1)]
                                                    + [(f"{_REL}/styles", "styles.xml")]))
            put("xl/styles.xml", self._styles())
            for i, sheet in enumerate(self.sheets, 1):
                head, tail = sheet.head(i == 1).encode("utf-8"), sheet.tail().encode("utf-8")
                info = member(f"xl/worksheets/sheet{i}.xml")
                info.file_size = len(head) + sheet.size() + len(tail)     # lets zipfile choose ZIP64 ahead
                with z.open(info, "w") as dst:
                    dst.write(head)
                    sheet.file.seek(0)
                    shutil.copyfileobj(sheet.file, dst, COPY_BUFFER)
                    dst.write(tail)

    def _content_types(self) -> str:
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                         f'ContentType="{_TYPES}spreadsheetml.worksheet+xml"/>' for i in range(1, len(self.sheets) + 1))
        return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/docProps/app.xml" ContentType="{_TYPES}extended-properties+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}spreadsheetml.styles+xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}spreadsheetml.sheet.main+xml"/>'
                f'{sheets}</Types>')

    def _app(self) -> str:
        names = "".join(f"<vt:lpstr>{escape(s.name)}</vt:lpstr>" for s in self.sheets)
        n = len(self.sheets)
        return (f'{_HEAD}<Properties xmlns="{_APP}" xmlns:vt="{_VT}">'
                '<Application>biaoge</Application><HeadingPairs><vt:vector size="2" baseType="variant">'
                f'<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant>'
                f'</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{names}'
                '</vt:vector></TitlesOfParts></Properties>')

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, 1))
        names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                        f'{escape(sheet_ref(s.name, _absolute(s.extent())))}</definedName>'
                        for i, s in enumerate(self.sheets) if s.filter and s.rows > 1)
        return (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/><bookViews><workbookView/>'
                f'</bookViews><sheets>{sheets}</sheets>'
                + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")

    def _styles(self) -> str:
        def font(bold):
            return (f'<font>{"<b/>" if bold else ""}<sz val="{self.size}"/><name val={quoteattr(self.font)}/>'
                    '<family val="2"/><charset val="134"/></font>')
        formats = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>' for code, i in self.formats.items())
        return (f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(self.formats)}">{formats}</numFmts>' if self.formats else "")
                + f'<fonts count="2">{font(False)}{font(True)}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(self.xfs)}">{"".join(self.xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '<dxfs count="0"/><tableStyles count="0"/></styleSheet>')


def _absolute(extent: str) -> str:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", extent)


def _rels(targets) -> str:
    body = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                   for i, (kind, target) in enumerate(targets, 1))
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{body}</Relationships>'


def _core(title: str, author: str, when: datetime) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>'
            f'<cp:lastModifiedBy>{escape(author)}</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
