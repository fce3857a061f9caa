"""Read a filled copy of a form's Excel template back into a submission.

`import_workbook(form, content)` refuses anything that is not this form's
workbook *before* parsing it (size, zip structure, declared unpacked size,
compression ratio, DTDs), reads the input cells listed in the workbook's
hidden `_biaoge` map, converts cell types to submission values, skips
empty line-item rows and validates with `forms.submission.check`. Every
error names its cell, e.g. 订货明细第 3 行「数量」必须是不小于 0 的整数(商品订货单!E11).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from forms.kinds import NUMERIC_KINDS
from forms.submission import check, label

from .xlsx import META_FORMAT, META_SHEET, field_name, read_meta

MAX_MEMBERS = 2000
MAX_RATIO = 200             # uncompressed / compressed, per member larger than 1 MB
MAX_ROWS = 5000             # a map pointing further down is refused
MAX_COLS = 200
_COORD = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
_COL = re.compile(r"^[A-Z]{1,3}$")


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
        raise _Refused("文件不是 Excel 工作簿(.xlsx)")
    if len(content) > max_bytes:
        raise _Refused(f"文件太大(超过 {_mb(max_bytes)})")
    if not content.startswith(b"PK\x03\x04"):
        raise _Refused("文件不是 Excel 工作簿(.xlsx)" + (",可能是旧版 .xls 文件,请另存为 .xlsx 后再上传"
                                                       if content.startswith(b"\xd0\xcf\x11\xe0") else ""))
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _Refused("文件不是 Excel 工作簿(.xlsx)") from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _Refused("文件不是 Excel 工作簿(.xlsx)")
    if len(infos) > MAX_MEMBERS:
        raise _Refused("文件解压后过大,已拒绝")
    total = 0
    for i in infos:
        total += i.file_size
        if total > max_unpacked:
            raise _Refused("文件解压后过大,已拒绝")
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _Refused("文件解压后过大,已拒绝")
        if i.flag_bits & 0x1:
            raise _Refused("文件已加密,请取消密码保护后再上传")
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
                        raise _Refused("文件内容异常(含有文档类型声明),已拒绝")
                    tail = chunk[-16:]
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise _Refused("文件已损坏,无法读取") from None
    return zf


# ---------------------------------------------------------------- the map
def _check_map(form, doc) -> str | None:
    """A reason to refuse, or None when the map fits this form."""
    if doc is None:
        return (f"这个文件不是从本系统下载的「{form.title}」Excel 模板,无法导入。"
                f"请先下载「{form.title}」的 Excel 模板,填写后再上传")
    if doc.get("form") != form.id:
        other = doc.get("title") or doc.get("form") or "其他表单"
        return f"这个文件是「{other}」的模板,不是「{form.title}」的,请下载「{form.title}」的 Excel 模板后填写"
    if doc.get("version") != form.version or doc.get("format") != META_FORMAT:
        return (f"模板版本已过期(文件为第 {doc.get('version')} 版,当前为第 {form.version} 版),"
                f"请重新下载「{form.title}」的 Excel 模板后填写")
    if not isinstance(doc.get("fields"), dict) or not isinstance(doc.get("tables", {}), dict):
        return "模板中的位置信息已损坏,请重新下载模板后填写"
    for coord in doc["fields"].values():
        m = _COORD.match(coord) if isinstance(coord, str) else None
        if not m or int(m.group(2)) > MAX_ROWS or column_index_from_string(m.group(1)) > MAX_COLS:
            return "模板中的位置信息已损坏,请重新下载模板后填写"
    for t in doc.get("tables", {}).values():
        if not isinstance(t, dict) or not isinstance(t.get("first_row"), int) or not isinstance(t.get("rows"), int) \
                or not isinstance(t.get("columns"), dict) or not 1 <= t["first_row"] <= MAX_ROWS \
                or not 0 <= t["rows"] <= MAX_ROWS or t["first_row"] + t["rows"] > MAX_ROWS + 1:
            return "模板中的位置信息已损坏,请重新下载模板后填写"
        for col in t["columns"].values():
            if not isinstance(col, str) or not _COL.match(col) or column_index_from_string(col) > MAX_COLS:
                return "模板中的位置信息已损坏,请重新下载模板后填写"
    return None


# ---------------------------------------------------------------- values
class _Bad(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_MONTH_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _text_of(v) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def convert(f, value):
    """A cell value as the submission value of field f (strings the engine will reject are kept
    as they are, so its message tells what is wrong); None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    kind = f.kind
    if kind in NUMERIC_KINDS:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else value
        if isinstance(value, str):
            t = value.replace("¥", "").replace("￥", "").replace(" ", "")
            if kind == "percent" or f.spec.get("x-unit") == "%":
                t = t.rstrip("%")
            unit = f.spec.get("x-unit")
            if isinstance(unit, str) and unit and t.endswith(unit):
                t = t[: -len(unit)]
            if _NUMBER_TEXT.match(t):
                n = float(t.replace(",", ""))
                return int(n) if n.is_integer() and "." not in t else n
        return value if isinstance(value, str) else _text_of(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            v = value.upper()
            if v in ("是", "TRUE", "Y", "YES", "√", "对"):
                return True
            if v in ("否", "FALSE", "N", "NO", "×", "错"):
                return False
        return _text_of(value)
    if kind == "date":
        if isinstance(value, (datetime, date)):
            return (value.date() if isinstance(value, datetime) else value).isoformat()
        if isinstance(value, str):
            m = _DATE_TEXT.match(value)
            if m:
                try:
                    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
                except ValueError:
                    return value
        return _text_of(value)
    if kind == "month":
        if isinstance(value, (datetime, date)):
            return f"{value.year:04d}-{value.month:02d}"
        if isinstance(value, str):
            m = _MONTH_TEXT.match(value)
            if m and 1 <= int(m.group(2)) <= 12:
                return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        return _text_of(value)
    if kind == "multichoice":
        text = _text_of(value)
        return [p.strip() for p in re.split(r"[、,，;；\n]", text) if p.strip()]
    if kind == "choice":
        text = _text_of(value)
        for c in f.choices:   # a choice list may hold numbers
            if str(c) == text:
                return c
        return text
    return _text_of(value)


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
        return _refuse("文件已损坏,无法读取")
    try:
        try:
            doc = read_meta(wb)
        except Exception:  # noqa: BLE001
            doc = None
        reason = _check_map(form, doc)
        if reason:
            return _refuse(reason)
        visible = [n for n in wb.sheetnames if n != META_SHEET]
        name = doc.get("sheet") if doc.get("sheet") in visible else (visible[0] if visible else None)
        if name is None:
            return _refuse(f"工作簿里没有「{form.title}」工作表")
        try:
            grid = _read_cells(wb[name], doc)
        except Exception:  # noqa: BLE001
            return _refuse("文件已损坏,无法读取")
    finally:
        wb.close()
    return _collect(form, doc, name, grid)


def _read_cells(ws, doc) -> dict:
    """{(row, col): (value, data_type)} of the rows and columns the map points at."""
    rows, cols = [], []
    for coord in doc["fields"].values():
        m = _COORD.match(coord)
        rows.append(int(m.group(2)))
        cols.append(column_index_from_string(m.group(1)))
    for t in doc.get("tables", {}).values():
        if t["rows"]:
            rows.append(t["first_row"] + t["rows"] - 1)
        cols.extend(column_index_from_string(c) for c in t["columns"].values())
    if not rows:
        return {}
    out = {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max(rows), min_col=1, max_col=max(cols)), 1):
        for c, cell in enumerate(row, 1):
            v = getattr(cell, "value", None)
            if v is not None:
                out[(r, c)] = (v, getattr(cell, "data_type", "n"))
    return out


def _collect(form, doc, sheet, grid) -> ImportResult:
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
                           "message": f"{label(form, path)}不能填写公式,请直接填写内容({sheet}!{addr})"})
            return None
        return convert(f, v)

    for name, coord in doc["fields"].items():
        path = tuple(name.split("."))
        f = form.field_at(path)
        if f is None or f.computed or f.table is not None or f.kind in ("table", "section"):
            continue
        m = _COORD.match(coord)
        value = cell_value(int(m.group(2)), column_index_from_string(m.group(1)), f, path)
        if value is not None:
            _put(data, path, value)

    for name, t in doc.get("tables", {}).items():
        tpath = tuple(name.split("."))
        tf = form.field_at(tpath)
        if tf is None or tf.kind != "table":
            continue
        cols = {k: column_index_from_string(c) for k, c in t["columns"].items()
                if k in tf.children and not tf.children[k].computed}
        out_rows, sheet_rows = [], []
        for i in range(t["rows"]):
            r = t["first_row"] + i
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
        where[tpath] = f"{get_column_letter(min(cols.values(), default=1))}{t['first_row']}"
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
        addr = _address(path, where, rows_of, doc, form)
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


def _address(path, where, rows_of, doc, form):
    if path in where:
        return where[path]
    for tpath, rows in rows_of.items():   # a missing cell inside a table row
        n = len(tpath)
        if tuple(path[:n]) == tpath and len(path) > n + 1 and isinstance(path[n], int) and path[n] < len(rows):
            t = doc["tables"][field_name(tpath)]
            col = t["columns"].get(path[n + 1]) or t.get("computed", {}).get(path[n + 1])
            if col:
                return f"{col}{rows[path[n]][1]}"
        if tuple(path[:n]) == tpath:
            return where.get(tpath)
    while path:                             # a section: its first field
        path = path[:-1]
        if path in where:
            return where[path]
    return None
