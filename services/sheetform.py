"""Forms designed in a spreadsheet: a workbook in, a compiled YAML definition out, and back."""
from __future__ import annotations

from pathlib import Path

from forms.definition import check_shared
from forms.sheetform import Compiled, compile_sheets, definition_to_sheets
from forms.source import parse
from renderers.sheetform_xlsx import SheetReadError, read_sheets, write_sheets
from services.catalog import shared_file


def shared_fields(root: Path):
    """The shared fields (_shared.yaml) a definition under `root` may x-use, or None."""
    sf = shared_file(Path(root))
    if sf is None:
        return None
    shared, _problems = check_shared(parse(sf.read_text("utf-8"), str(sf)))
    return shared


def import_workbook(content: bytes, root: Path, source: str = "") -> Compiled:
    """A workbook read and compiled against the shared fields of the definitions folder `root`."""
    try:
        sheets = read_sheets(content)
    except SheetReadError as exc:
        return Compiled(None, None, exc.problems)
    return compile_sheets(sheets, shared_fields(root), source)


def export_workbook(form) -> bytes:
    """The workbook of a catalog form, from the definition as written (x-use kept)."""
    return write_sheets(definition_to_sheets(form_source(form)))


def form_source(form) -> dict:
    """The definition dict as written in its file."""
    path = Path(form.filename)
    if path.is_file():
        return parse(path.read_text("utf-8"), form.filename).data
    return form.definition      # shared fields merged in: compiles the same
