"""Read a filled copy of a form's Excel template back into a submission.

`import_workbook(form, content)` refuses anything that is not this form's
workbook *before* parsing it (size, zip structure, declared unpacked size,
compression ratio, DTDs), reads the input cells listed in the workbook's
hidden map (`meta.read_map`), turns cell values into submission values as
the browser post does (`Kind.coerce`), skips empty line-item rows and
validates with `forms.submission.check`. Every error names its cell, e.g.
订货明细第 3 行「数量」必须是不小于 0 的整数(商品订货单!E11).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from forms.submission import check, label

from .meta import FORMAT, META_SHEET, cell_position, map_key, read_map

MAX_MEMBERS = 2000
MAX_RATIO = 200             # uncompressed / compressed, per member larger than 1 MB


@dataclass
class ImportResult:
    data: dict | None = None
    errors: list = field(default_factory=list)    # {path, field, cell, message}

    @property
    def ok(self) -> bool:
        return not self.errors


class _Refused(Exception):
    pass


def _refuse(message):
    return ImportResult(None, [{"path": "", "field": "", "cell": "", "message": message}])


def _mb(n: int) -> str:
    v = n / (1024 * 1024)
    return f"{v:g} MB" if v >= 1 else f"{n // 1024} KB"


# ---------------------------------------------------------------- refusals before parsing
def _screen(content: bytes, max_bytes: int, max_unpacked: int):
    if not isinstance(content, (bytes, bytearray)):
        raise _Refused("文件不是 Excel 工作簿（.xlsx）")
    if len(content) > max_bytes:
        raise _Refused(f"文件太大（超过 {_mb(max_bytes)}）")
    if not content.startswith(b"PK\x03\x04"):
        raise _Refused("文件不是 Excel 工作簿（.xlsx）" + ("，可能是旧版 .xls 文件，请另存为 .xlsx 后再上传"
                                                       if content.startswith(b"\xd0\xcf\x11\xe0") else ""))
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _Refused("文件不是 Excel 工作簿（.xlsx）") from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _Refused("文件不是 Excel 工作簿（.xlsx）")
    if len(infos) > MAX_MEMBERS:
        raise _Refused("文件解压后过大，已拒绝")
    total = 0
    for i in infos:
        total += i.file_size
        if total > max_unpacked:
            raise _Refused("文件解压后过大，已拒绝")
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _Refused("文件解压后过大，已拒绝")
        if i.flag_bits & 0x1:
            raise _Refused("文件已加密，请取消密码保护后再上传")
    # Python's zipfile never inflates past a member's declared size, so reading is bounded by
    # max_unpacked. An xlsx never holds a DTD: refuse entity tricks before any XML parser sees them.
    for i in infos:
        if not i.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with zf.open(i) as fh:
                tail = b""
                while True:
                    chunk = fh.read(256 * 1024)
                    if not chunk:
                        break
                    window = tail + chunk
                    if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                        raise _Refused("文件内容异常（含有文档类型声明），已拒绝")
                    tail = chunk[-16:]
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise _Refused("文件已损坏，无法读取") from None
    return zf


# ---------------------------------------------------------------- the map
def _check_map(form, m) -> str | None:
    """A reason to refuse, or None when the map fits this form."""
    if m is None:
        return (f"这个文件不是从本系统下载的「{form.title}」Excel 模板，无法导入。"
                f"请先下载「{form.title}」的 Excel 模板，填写后再上传")
    if m.form != form.id:
        other = m.title or m.form or "其他表单"
        return f"这个文件是「{other}」的模板，不是「{form.title}」的，请下载「{form.title}」的 Excel 模板后填写"
    if m.version != form.version or m.format != FORMAT:
        return (f"模板版本已过期（文件为第 {m.version} 版，当前为第 {form.version} 版）,"
                f"请重新下载「{form.title}」的 Excel 模板后填写")
    if m.damaged:
        return "模板中的位置信息已损坏，请重新下载模板后填写"
    return None


# ---------------------------------------------------------------- import
def import_workbook(form, content: bytes, *, max_bytes: int = 5 * 1024 * 1024,
                    max_unpacked: int = 50 * 1024 * 1024) -> ImportResult:
    """A filled copy of `form`'s Excel template as a checked submission, or its errors."""
    try:
        _screen(content, max_bytes, max_unpacked)
    except _Refused as exc:
        return _refuse(str(exc))
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - any parser failure means a broken file
        return _refuse("文件已损坏，无法读取")
    try:
        try:
            m = read_map(wb)
        except Exception:  # noqa: BLE001
            m = None
        reason = _check_map(form, m)
        if reason:
            return _refuse(reason)
        visible = [n for n in wb.sheetnames if n != META_SHEET]
        name = m.sheet if m.sheet in visible else (visible[0] if visible else None)
        if name is None:
            return _refuse(f"工作簿里没有「{form.title}」工作表")
        try:
            grid = _read_cells(wb[name], m)
        except Exception:  # noqa: BLE001
            return _refuse("文件已损坏，无法读取")
    finally:
        wb.close()
    return _collect(form, m, name, grid)


def _read_cells(ws, m) -> dict:
    """{(row, col): (value, data_type)} of the rows and columns the map points at."""
    rows, cols = [], []
    for coord in m.fields.values():
        r, c = cell_position(coord)
        rows.append(r)
        cols.append(c)
    for t in m.tables.values():
        if t.rows:
            rows.append(t.first_row + t.rows - 1)
        cols.extend(column_index_from_string(c) for c in t.columns.values())
    if not rows:
        return {}
    out = {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max(rows), min_col=1, max_col=max(cols)), 1):
        for c, cell in enumerate(row, 1):
            v = getattr(cell, "value", None)
            if v is not None:
                out[(r, c)] = (v, getattr(cell, "data_type", "n"))
    return out


def _collect(form, m, sheet, grid) -> ImportResult:
    data: dict = {}
    errors: list = []
    where: dict = {}           # data path -> cell address
    rows_of: dict = {}         # table path -> [sheet row of data index i]

    def cell_value(coord_row, coord_col, f, path):
        addr = f"{get_column_letter(coord_col)}{coord_row}"
        where[path] = addr
        v, dtype = grid.get((coord_row, coord_col), (None, "n"))
        if dtype == "f" or (isinstance(v, str) and v.startswith("=") and dtype != "s"):
            errors.append({"path": _pointer(path), "field": f.title, "cell": f"{sheet}!{addr}",
                           "message": f"{label(form, path)}不能填写公式，请直接填写内容（{sheet}!{addr}）"})
            return None
        return f.coerce(v)

    for name, coord in m.fields.items():
        path = tuple(name.split("."))
        f = form.field_at(path)
        if f is None or f.computed or f.table is not None or not f.is_value:
            continue
        value = cell_value(*cell_position(coord), f, path)
        if value is not None:
            _put(data, path, value)

    for name, t in m.tables.items():
        tpath = tuple(name.split("."))
        tf = form.field_at(tpath)
        if tf is None or not tf.is_table:
            continue
        cols = {k: column_index_from_string(c) for k, c in t.columns.items()
                if k in tf.children and not tf.children[k].computed}
        out_rows, sheet_rows = [], []
        for i in range(t.rows):
            r = t.first_row + i
            if all(_blank(grid.get((r, c), (None, "n"))[0]) for c in cols.values()):
                continue
            k = len(out_rows)
            row = {}
            for key, c in cols.items():
                v = cell_value(r, c, tf.children[key], tpath + (k, key))
                if v is not None:
                    row[key] = v
            out_rows.append(row)
            sheet_rows.append((i, r))
        rows_of[tpath] = sheet_rows
        where[tpath] = f"{get_column_letter(min(cols.values(), default=1))}{t.first_row}"
        if out_rows:
            _put(data, tpath, out_rows)

    failed = {e["path"] for e in errors}
    result = check(form, data)
    if not errors and result.ok:
        return ImportResult(result.data, [])
    for e in result.errors:
        if e["path"] in failed:
            continue
        path = _unpointer(e["path"])
        addr = _address(path, where, rows_of, m)
        message = e["message"]
        shown = _sheet_path(path, rows_of)
        if shown != path:
            old, new = label(form, path), label(form, shown)
            if message.startswith(old):
                message = new + message[len(old):]
        cell = f"{sheet}!{addr}" if addr else ""
        errors.append({"path": e["path"], "field": e["field"], "cell": cell,
                       "message": f"{message}({cell})" if cell else message})
    for e in errors:
        e.setdefault("cell", "")
    return ImportResult(None, errors)


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _put(data, path, value):
    cur = data
    for part in path[:-1]:
        cur = cur.setdefault(part, {})
    cur[path[-1]] = value


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else ""


def _unpointer(pointer: str) -> tuple:
    if not pointer:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in pointer.lstrip("/").split("/"))


def _sheet_path(path, rows_of):
    """The same path with each table index replaced by its line number on the sheet."""
    out = list(path)
    for tpath, rows in rows_of.items():
        n = len(tpath)
        if tuple(out[:n]) == tpath and len(out) > n and isinstance(out[n], int) and out[n] < len(rows):
            out[n] = rows[out[n]][0]
    return tuple(out)


def _address(path, where, rows_of, m):
    if path in where:
        return where[path]
    for tpath, rows in rows_of.items():   # a missing cell inside a table row
        n = len(tpath)
        if tuple(path[:n]) == tpath and len(path) > n + 1 and isinstance(path[n], int) and path[n] < len(rows):
            t = m.tables[map_key(tpath)]
            col = t.columns.get(path[n + 1]) or t.computed.get(path[n + 1])
            if col:
                return f"{col}{rows[path[n]][1]}"
        if tuple(path[:n]) == tpath:
            return where.get(tpath)
    while path:                             # a section: its first field
        path = path[:-1]
        if path in where:
            return where[path]
    return None
