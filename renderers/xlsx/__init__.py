"""Excel: a form's workbook (format "xlsx"), its import, the records list and the handbook.

One job per module:

- `sheet`: a form laid out on a sheet like the paper form; the template (`FormSheet.build`)
- `geometry`: the sheet's columns for a layout, widths and heights, the print set-up
- `styles`: fonts, borders, alignments, protection, and setting them quickly
- `cells`: what goes into a cell (text that is never a formula, typed values)
- `formulas`: the formulas of computed fields and their cached results
- `validations`: data validations and prompts, from each kind's `validation(f)`
- `meta`: the hidden `_biaoge` map of a template, written and read by the same code
- `names`: valid, unique sheet names
- `importer`: a filled template read back into a checked submission
- `list_export`: every record of a form in one workbook (`stream` writes it)
- `stream`: a small xlsx writer that streams rows to disk and needs no private API
- `handbook`: every blank form of the catalog in one workbook
- `determinism`: byte-reproducible workbooks
"""
from __future__ import annotations

from ..base import Filled, Renderer, register
from .sheet import FormSheet


@register
class XlsxRenderer(Renderer):
    name = "xlsx"
    extension = ".xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    label = "Excel"

    def render(self, form, record: Filled | None = None) -> bytes:
        return FormSheet(form, record).build()


__all__ = ["XlsxRenderer"]
