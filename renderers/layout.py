"""The arrangement of a form on paper, shared by the print HTML (and so the
PDF) and the Excel workbook so that both look the same.

Top-level fields become blocks in definition order: runs of simple fields
become a bordered grid of label/value pairs (`x-layout.columns` pairs per
row, `x-span` to widen one), a table becomes a table block whose total row
holds the form's `sum(table.column)` fields and whose last row holds the
`daxie(total)` amount in words, and a section becomes a titled block of its
own. Fields printed in the header line, the signature line or the letter
text are not repeated in the grid.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from forms.expr import Ref, evaluate, truthy



@dataclass
class LineItem:
    kind: str                  # field | text | blank
    label: str = ""
    field: object = None
    blank: str = "line"        # line | date | number

    @property
    def is_text(self) -> bool:
        """Words printed on the line, with no value box."""
        return self.kind == "text"


@dataclass
class Cell:
    field: object
    span: int = 1              # in label/value pairs


@dataclass
class Grid:
    rows: list                 # of lists of Cell
    columns: int


@dataclass
class TableBlock:
    field: object
    columns: list              # row fields
    widths: list               # per column, in Chinese characters
    blank_rows: int
    totals: dict = field(default_factory=dict)      # column key -> form field holding sum(column)
    words: list = field(default_factory=list)       # daxie(total) fields

    @property
    def subtotal_columns(self) -> list:
        """Columns summed on each page (本页小计): the totalled columns of a table that totals money."""
        money = {c.key: c.kind_def.money for c in self.columns}
        if not any(money[k] for k in self.totals):
            return []
        return [c.key for c in self.columns if c.key in self.totals]


@dataclass
class SectionBlock:
    field: object
    blocks: list


@dataclass
class Layout:
    form: object
    header: list
    signatures: list
    intro: list
    closing: list
    notes: list
    copies: list
    blocks: list
    columns: int
    paper: str
    orientation: str


def column_width(f) -> float:
    w = f.spec.get("x-width")
    if isinstance(w, (int, float)) and w > 0:
        return w
    return max(f.kind_def.width, min(len(f.title), 10))


def _sum_column(tree):
    if tree and tree[0] == "call" and tree[1] == "sum" and len(tree[2]) == 1:
        arg = tree[2][0]
        if arg[0] == "ref" and isinstance(arg[1], Ref) and arg[1].kind == "column":
            return arg[1]
    return None


def _words_of(tree):
    if tree and tree[0] == "call" and tree[1] == "daxie" and len(tree[2]) == 1:
        arg = tree[2][0]
        if arg[0] == "ref" and arg[1].kind == "field":
            return arg[1].path
    return None


def build_layout(form, data: dict | None = None) -> Layout:
    """The paper arrangement; with `data`, fields whose x-when is false are left out."""
    lay = form.layout
    columns = int(lay.get("columns") or 2)

    def items(raw):
        out = []
        for it in raw or []:
            if not isinstance(it, dict):
                continue
            if "field" in it and it["field"] in form.fields:
                out.append(LineItem("field", it.get("label") or form.fields[it["field"]].title,
                                    form.fields[it["field"]]))
            elif "label" in it:
                out.append(LineItem("blank", it["label"], blank=it.get("blank", "line")))
            elif "text" in it:
                out.append(LineItem("text", it["text"]))
        return out

    header, signatures = items(lay.get("header")), items(lay.get("signatures"))
    placed = {id(i.field) for i in header + signatures if i.field is not None}
    for text in list(lay.get("intro") or []) + list(lay.get("closing") or []):
        for name in re.findall(r"\{([^{}]+)\}", text):
            if name in form.fields:
                placed.add(id(form.fields[name]))

    tables = {}
    for f in form.walk():
        if f.is_table:
            tables[f.path] = TableBlock(f, list(f.children.values()), [column_width(c) for c in f.children.values()],
                                        int(f.spec.get("x-rows", 5)))
    totals_by_path = {}
    for f in form.computed_order:
        ref = _sum_column(f.compute) if f.table is None else None
        if ref and ref.path in tables:
            tables[ref.path].totals[ref.key] = f
            totals_by_path[f.path] = tables[ref.path]
            placed.add(id(f))
    for f in form.computed_order:
        target = _words_of(f.compute) if f.table is None else None
        if target in totals_by_path:
            totals_by_path[target].words.append(f)
            placed.add(id(f))

    def blocks_of(fields: dict) -> list:
        out, run = [], []

        def flush():
            if run:
                out.append(Grid(pack(run, columns), columns))
                run.clear()

        for f in fields.values():
            if id(f) in placed or (data is not None and f.when is not None and f.table is None
                                   and not truthy(evaluate(f.when, data))):
                continue
            if f.is_table:
                flush()
                out.append(tables[f.path])
            elif f.is_section:
                flush()
                out.append(SectionBlock(f, blocks_of(f.children)))
            else:
                run.append(f)
        flush()
        return out

    return Layout(form=form, header=header, signatures=signatures, intro=list(lay.get("intro") or []),
                  closing=list(lay.get("closing") or []), notes=list(lay.get("notes") or []),
                  copies=list(lay.get("copies") or []), blocks=blocks_of(form.fields), columns=columns,
                  paper=lay.get("paper", "A4"), orientation=lay.get("orientation", "portrait"))


def pack(fields, columns) -> list:
    """Fields into grid rows of `columns` label/value pairs (x-span widens one; the last of a row
    takes what is left)."""
    rows, row, used = [], [], 0
    for f in fields:
        span = f.spec.get("x-span") or (columns if f.kind_def.wide else 1)
        span = max(1, min(int(span), columns))
        if used + span > columns:
            if row:
                row[-1].span += columns - used
                rows.append(row)
            row, used = [], 0
        row.append(Cell(f, span))
        used += span
    if row:
        row[-1].span += columns - used
        rows.append(row)
    return rows


def text_parts(template: str, form, data: dict | None) -> list:
    """Letter text split into (text, is_blank) parts: {field} becomes the field's value,
    or a blank to write on when there is none."""
    parts, pos = [], 0
    for m in re.finditer(r"\{([^{}]+)\}", template):
        f = form.fields.get(m.group(1))
        if f is None:
            continue
        parts.append((template[pos:m.start()], False))
        value = (data or {}).get(f.key)
        parts.append((display(f, value), False) if value not in (None, "") else ("", True))
        pos = m.end()
    parts.append((template[pos:], False))
    return [p for p in parts if p[0] or p[1]]


def display(f, value) -> str:
    """A value as printed on paper (its kind decides)."""
    return f.display(value)
