"""Formula cells of a form sheet: a computed field's formula (`forms.expr.to_excel` over the
cells the sheet put its inputs in), and the engine's results stored as their cached values.

A formula is what the kind makes of the expression (`Kind.excel_formula`: ROUND to the
field's decimals, 是/否 for a yes/no), left empty ("") while every input it depends on,
directly or through other computed fields, is empty — as on the paper form.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from forms import expr as ex

from ..layout import TableBlock
from .cells import clean_text

GUARD_CHUNK = 30            # cells per COUNTA() (Excel takes at most 255 arguments)


@dataclass
class TablePlace:
    """Where the sheet put a table's line items."""
    block: TableBlock
    first: int                  # sheet row of the first line item
    rows: int                   # line-item rows
    columns: dict               # column key -> column letter

    def column_range(self, key: str) -> str:
        col = self.columns[key]
        return f"{col}{self.first}:{col}{self.first + self.rows - 1}"


class _Addresses:
    """Cell addresses of the refs of one formula (for forms.expr.to_excel)."""

    def __init__(self, formulas: "Formulas", table: TableBlock | None, row: int | None):
        self.formulas, self.table, self.r = formulas, table, row

    @staticmethod
    def _wrap(f, addr):
        # a computed number left empty ("") counts as 0, as in the engine
        return f"N({addr})" if f is not None and f.computed and f.kind_def.numeric else addr

    def field(self, path):
        return self._wrap(self.formulas.form.field_at(path), self.formulas.addr[tuple(path)])

    def row(self, key):
        place = self.formulas.tables[self.table.field.path]
        return self._wrap(self.table.field.children.get(key), f"{place.columns[key]}{self.r}")

    def column(self, table_path, key):
        return self.formulas.tables[tuple(table_path)].column_range(key)


class _RowRuleAddresses(_Addresses):
    """Addresses of a row rule's validation formula: written for the first line item, the current
    row's cells relative (Excel moves them down each row), everything else absolute."""

    @staticmethod
    def _absolute(addr: str) -> str:
        return re.sub(r"(?<![$A-Z])([A-Z]{1,3})(\d+)", r"$\1$\2", addr)

    def field(self, path):
        return self._absolute(super().field(path))

    def column(self, table_path, key):
        return self._absolute(super().column(table_path, key))


class _Inputs:
    """What a ref reads: (its field, identity); identity ('f', path) of a form-level field, ('r', key)
    of the current row of `table`, ('c', table path, key) of a whole column."""

    def __init__(self, form, table: TableBlock | None):
        self.form, self.table = form, table

    def field(self, path):
        return self.form.field_at(path), ("f", path)

    def row(self, key):
        return (self.table.field.children.get(key) if self.table else None), ("r", key)

    def column(self, table_path, key):
        return self.form.field_at(table_path + (key,)), ("c", table_path, key)


class Formulas:
    """The formulas of one sheet, once its cells are placed: `addr` (form-level field path ->
    cell) and `tables` (table path -> TablePlace)."""

    def __init__(self, form, addr: dict, tables: dict):
        self.form, self.addr, self.tables = form, addr, tables

    def inputs_of(self, f, table: TableBlock | None = None, seen=None) -> list:
        """The input cells a computed field depends on (transitively), as identities (see _Inputs)."""
        seen = seen if seen is not None else set()
        out = []
        for ref in ex.refs(f.compute or ("num", 0)):
            g, ident = ex.locate(ref, _Inputs(self.form, table))
            if ident in seen or g is None:
                continue
            seen.add(ident)
            if not g.computed:
                out.append(ident)
            elif ident[0] == "c":   # a computed column: the columns its rows are computed from
                table_path = ident[1]
                inner = self.tables[table_path].block if table_path in self.tables else None
                for x in self.inputs_of(g, inner, seen):
                    out.append(("c", table_path, x[1]) if x[0] == "r" else x)
            else:
                out.extend(self.inputs_of(g, table, seen))
        return out

    def formula(self, f, table: TableBlock | None = None, row: int | None = None) -> str:
        """The formula (with its '=') of computed field `f`, in sheet row `row` of `table` for a column."""
        cells = _Addresses(self, table, row)
        body = ex.to_excel(f.compute, cells) if f.compute is not None else '""'
        body = f.kind_def.excel_formula(f, body)
        if f.compute is not None:
            body = ex.excel_empty_when_missing(f.compute, body)   # empty, as the engine leaves it
        guard = []
        for ident in self.inputs_of(f, table):
            if ident[0] == "f" and ident[1] in self.addr:
                guard.append(self.addr[ident[1]])
            elif ident[0] == "r":
                guard.append(f"{self.tables[table.field.path].columns[ident[1]]}{row}")
            elif ident[0] == "c" and ident[1] in self.tables:
                guard.append(cells.column(ident[1], ident[2]))
        guard = list(dict.fromkeys(guard))
        if guard:
            chunks = ["COUNTA(" + ",".join(guard[i:i + GUARD_CHUNK]) + ")" for i in range(0, len(guard), GUARD_CHUNK)]
            body = f'IF({"+".join(chunks)}=0,"",{body})'
        return "=" + body


    def rule_formula(self, rule) -> str | None:
        """A cross-field rule as a validation formula of its field's (first) cell: TRUE when it holds
        or cannot be worked out yet (an empty date), as the engine checks it. None when the sheet
        did not place what the rule reads."""
        if rule.table is not None:
            place = self.tables.get(rule.table.path)
            if place is None:
                return None
            cells = _RowRuleAddresses(self, place.block, place.first)
        else:
            cells = _Addresses(self, None, None)
        try:
            body = ex.to_excel(rule.check, cells)
        except KeyError:
            return None
        return f"IFERROR({body},TRUE)"


def add_cached_values(content: bytes, member: str, values: dict) -> bytes:
    """Store the engine's results as the cached values of formula cells, so that viewers
    that do not calculate (previews, openpyxl data_only) show them; Excel recalculates anyway."""
    from lxml import etree

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    src = zipfile.ZipFile(io.BytesIO(content))
    root = etree.fromstring(src.read(member))
    for c in root.iter(f"{{{ns}}}c"):
        coord = c.get("r")
        if coord not in values or c.find(f"{{{ns}}}f") is None:
            continue
        v = values[coord]
        el = c.find(f"{{{ns}}}v")
        if el is None:
            el = etree.SubElement(c, f"{{{ns}}}v")
        if isinstance(v, bool):
            c.set("t", "str")
            el.text = "是" if v else "否"
        elif isinstance(v, (int, float)):
            el.text = repr(float(v)) if isinstance(v, float) else str(v)
        else:
            c.set("t", "str")
            el.text = clean_text(v)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) \
                if info.filename == member else src.read(info.filename)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
