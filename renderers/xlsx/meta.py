"""The hidden map of a template: which form and version the workbook was made from and where
every input cell is, so that a filled copy can be read back (`importer`).

One versioned structure, `SheetMap`, written by `write_map` (the template) and read by
`read_map` (the import), both here. It lives on a very hidden sheet `_biaoge`:

    A1 biaoge   B1 <FORMAT>
    A2 form     B2 <form id>
    A3 version  B3 <form version>
    A4 map      B4, B5 … the map as JSON, in pieces of 30,000 characters

The JSON holds {format, form, title, version, sheet, filled, number, number_cell,
fields: {name: cell}, computed: {name: cell}, tables: {name: {first_row, rows,
columns: {key: column letter}, computed: {key: column letter}}}}, where a name is a
field's data path joined by dots (`map_key`). A map pointing outside the area a
template can fill (`MAX_ROWS`, `MAX_COLS`) is `damaged`. Columns E… of the sheet may
hold long drop-down lists (`validations.ChoiceLists`).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from openpyxl.utils import column_index_from_string

from forms import limits

from .cells import set_text

META_SHEET = "_biaoge"
FORMAT = 1                  # the map's layout; a workbook with another one is refused (re-download)
PIECE = 30000               # characters of JSON per cell
MAX_PIECES = 37             # rows B4 … B40
MAX_ROWS = limits.MAX_ROWS + 2000   # a map pointing further down is damaged (line items and the layout around)
MAX_COLS = 200
_COORD = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
_COL = re.compile(r"^[A-Z]{1,3}$")


def map_key(path) -> str:
    """Key of a field path in the map: ('customer', 'phone') -> 'customer.phone'."""
    return ".".join(str(p) for p in path)


def cell_position(coord: str) -> tuple[int, int]:
    """(row, column) of a map coordinate such as 'E11'."""
    m = _COORD.match(coord)
    return int(m.group(2)), column_index_from_string(m.group(1))


@dataclass
class TableMap:
    first_row: int
    rows: int
    columns: dict                          # input column key -> column letter
    computed: dict = field(default_factory=dict)


@dataclass
class SheetMap:
    form: str
    title: str = ""
    version: int | None = None
    sheet: str = ""
    filled: bool = False
    number: str = ""
    number_cell: str | None = None
    fields: dict = field(default_factory=dict)      # name -> cell of an input field
    computed: dict = field(default_factory=dict)    # name -> cell of a computed field
    tables: dict = field(default_factory=dict)      # name -> TableMap
    format: int = FORMAT
    damaged: bool = False                           # read back with positions it cannot have

    def to_json(self) -> str:
        doc = {"format": self.format, "form": self.form, "title": self.title, "version": self.version,
               "sheet": self.sheet, "filled": self.filled, "number": self.number, "number_cell": self.number_cell,
               "fields": self.fields, "computed": self.computed,
               "tables": {name: asdict(t) for name, t in self.tables.items()}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, doc: dict) -> "SheetMap":
        """The map of a parsed JSON document; `damaged` when its positions are not a template's."""
        m = cls(form=doc.get("form"), title=doc.get("title") or "", version=doc.get("version"),
                sheet=doc.get("sheet") or "", filled=bool(doc.get("filled")), number=doc.get("number") or "",
                number_cell=doc.get("number_cell"), format=doc.get("format"))
        fields, tables = doc.get("fields"), doc.get("tables", {})
        if not isinstance(fields, dict) or not isinstance(tables, dict) \
                or not all(_cell_ok(c) for c in fields.values()) or not all(_table_ok(t) for t in tables.values()):
            m.damaged = True
            return m
        computed = doc.get("computed") if isinstance(doc.get("computed"), dict) else {}
        m.fields, m.computed = dict(fields), dict(computed)
        m.tables = {name: TableMap(t["first_row"], t["rows"], dict(t["columns"]),
                                   dict(t["computed"]) if isinstance(t.get("computed"), dict) else {})
                    for name, t in tables.items()}
        return m


def _cell_ok(coord) -> bool:
    m = _COORD.match(coord) if isinstance(coord, str) else None
    return bool(m) and int(m.group(2)) <= MAX_ROWS and column_index_from_string(m.group(1)) <= MAX_COLS


def _column_ok(col) -> bool:
    return isinstance(col, str) and bool(_COL.match(col)) and column_index_from_string(col) <= MAX_COLS


def _table_ok(t) -> bool:
    return (isinstance(t, dict) and isinstance(t.get("first_row"), int) and isinstance(t.get("rows"), int)
            and isinstance(t.get("columns"), dict) and 1 <= t["first_row"] <= MAX_ROWS
            and 0 <= t["rows"] <= MAX_ROWS and t["first_row"] + t["rows"] <= MAX_ROWS + 1
            and all(_column_ok(c) for c in t["columns"].values()))


def meta_sheet(wb):
    """The workbook's very hidden `_biaoge` sheet, made when missing."""
    if META_SHEET in wb.sheetnames:
        return wb[META_SHEET]
    ws = wb.create_sheet(META_SHEET)
    ws.sheet_state = "veryHidden"
    return ws


def write_map(wb, m: SheetMap) -> None:
    """Write `m` on the workbook's `_biaoge` sheet."""
    ws = meta_sheet(wb)
    text = m.to_json()
    set_text(ws["A1"], "biaoge")
    ws["B1"] = m.format
    set_text(ws["A2"], "form")
    set_text(ws["B2"], m.form)
    set_text(ws["A3"], "version")
    ws["B3"] = m.version
    set_text(ws["A4"], "map")
    for i in range(0, max(len(text), 1), PIECE):
        set_text(ws.cell(4 + i // PIECE, 2), text[i:i + PIECE])


def read_map(wb) -> SheetMap | None:
    """The map of an openpyxl workbook (also one opened read-only); None when it has none or it
    cannot be read."""
    if META_SHEET not in wb.sheetnames:
        return None
    rows = list(wb[META_SHEET].iter_rows(min_row=1, max_row=3 + MAX_PIECES, min_col=1, max_col=2,
                                         values_only=True))
    if not rows or rows[0][0] != "biaoge":
        return None
    text = "".join(b for _, b in rows[3:] if isinstance(b, str))
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return SheetMap.from_json(doc) if isinstance(doc, dict) else None
