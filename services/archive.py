"""Batch archives: many stored records rendered into one zip.

    summary = write_archive(entries, definitions, out, fmt="pdf", merge=True, jobs=2)

The zip holds one file per record named by its 编号, a manifest (清单.xlsx and
manifest.csv: 编号, form, date, key fields, file name, SHA-256, pages, status)
and, with `merge`, one PDF of all records with a bookmark per record.

Speed: records of one form are laid out in batches, one WeasyPrint document
per batch (PdfRenderer.render_many), on Dask workers (services.archive_dask): a
LocalCluster of `jobs` worker processes, or the cluster of `scheduler`
(tcp://host:8786); `jobs=1` without a scheduler renders in this process. Memory
stays bounded: at most 2 × workers batches are in flight, results are written to
the zip as they arrive (in input order), nothing else is kept but the manifest
rows — and, with `merge`, the merged PDF's pages. A worker lost midway has its
batches rendered again elsewhere: the archive is the same, byte for byte.

Deterministic: fixed zip timestamps and order, PDFs without dates, manifest
workbook with fixed properties — the same records give the same bytes.
A record that fails is listed in the manifest with its error; the others go on.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from forms.submission import bounds

from .rendering import RenderLimits, is_small, render_record

FIXED_TIME = (2000, 1, 1, 0, 0, 0)
PDF_ENGINE = "pdf2"      # the two-layer engine (falls back to the flow engine "pdf" per record)
BATCH = 25
MANIFEST_COLUMNS = ["序号", "编号", "表单", "日期", "主要内容", "文件名", "SHA-256", "页数", "状态", "错误", "二维码链接"]
NO_LINK = "未印二维码：不知道系统的公开网址（设置 PUBLIC_URL / BIAOGE_PUBLIC_URL，或 biaoge archive --public-url）"


def record_link(public_url: str | None, form_id: str, record_id) -> str:
    """A record's address for people (what its QR code holds): the public base URL and the record
    page's path (server.pages.record); "" when no base URL is known or the record has no id."""
    if not public_url or record_id is None:
        return ""
    return f"{public_url.rstrip('/')}/forms/{form_id}/records/{record_id}"


@dataclass
class Entry:
    """One stored record to archive: its form id, the digest of the definition it was made
    with, and the record dict of the store (id, number, created, data …)."""
    form_id: str
    digest: str
    record: dict


@dataclass
class Summary:
    records: int = 0
    pages: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"已归档 {self.records} 条记录，共 {self.pages} 页，用时 {self.seconds:.1f} 秒，"
                f"{self.rate:.1f} 条/秒；失败 {self.failed} 条。")


# ---------------------------------------------------------------- names
_UNSAFE = re.compile(r"[^\w\-.()\u3400-\u9fff]+")


def safe_name(text: str, fallback: str) -> str:
    """A file name that stays where it is put: no separators, no '..', no leading dot."""
    name = _UNSAFE.sub("_", str(text or "")).strip("._")
    name = re.sub(r"\.{2,}", "_", name)[:80]
    return name or fallback


# ---------------------------------------------------------------- workers
_FORMS: dict = {}
_DEFINITIONS: dict = {}


_LIMITS = [RenderLimits()]


def _init_worker(definitions: dict, limits: RenderLimits = RenderLimits()) -> None:
    _DEFINITIONS.clear()
    _DEFINITIONS.update(definitions)
    _FORMS.clear()
    _LIMITS[0] = limits


def render_task(digest: str, definition: dict | None, limits: RenderLimits, fmt: str, items,
                engine: str = PDF_ENGINE, public_url: str | None = None) -> list:
    """One batch on a Dask worker: the frozen definition travels with its records (compiled once
    per worker and digest)."""
    if len(_DEFINITIONS) > 64:   # a long-lived worker of a real cluster: bounded caches
        _FORMS.clear()
        _DEFINITIONS.clear()
    if _DEFINITIONS.get(digest) != definition:
        _DEFINITIONS[digest] = definition
        _FORMS.pop(digest, None)
    _LIMITS[0] = limits
    return _render_batch((digest, fmt, items, engine, public_url))


def _form(digest: str):
    if digest not in _FORMS:
        from forms.definition import compile_frozen
        definition = _DEFINITIONS.get(digest)
        _FORMS[digest] = compile_frozen(definition, f"{digest}.json") if definition is not None else None
    return _FORMS[digest]


def _render_batch(task):
    """Render one batch: (digest, fmt, [(seq, record)], engine, public base URL) -> [(seq, {format: bytes},
    pages, error)]; engine and URL may be left off (pdf2, no link)."""
    digest, fmt, items, *rest = task
    engine = rest[0] if rest else PDF_ENGINE
    public_url = rest[1] if len(rest) > 1 else None
    from renderers import base
    try:
        form = _form(digest)
    except Exception as exc:  # noqa: BLE001 - reported per record
        return [(seq, {}, 0, f"表单定义无法使用：{exc}") for seq, _ in items]
    if form is None:
        return [(seq, {}, 0, "找不到这条记录所用的表单定义版本") for seq, _ in items]
    records, bad = [], []
    for seq, rec in items:
        data = rec.get("data") if isinstance(rec, dict) else None
        if not isinstance(data, dict):
            bad.append((seq, {}, 0, "记录数据已损坏（不是一个对象）"))
            continue
        beyond = bounds(form, data)
        if beyond:   # stored before today's caps, or written by another tool
            bad.append((seq, {}, 0, f"记录超出上限，未生成：{beyond[0]['message']}"))
            continue
        records.append((seq, base.Filled(data, number=rec.get("number") or "",
                                         created=str(rec.get("created", ""))[:10], void="作废" if rec.get("void") else "",
                                         link=record_link(public_url, form.id, rec.get("id")),
                                         signatures=rec.get("signatures") or {})))
    out = list(bad)
    definition = _DEFINITIONS.get(digest)
    pdfs = {}
    frozen = {seq: rec["frozen_pdf"] for seq, rec in items if isinstance(rec, dict) and rec.get("frozen_pdf")}
    if fmt in ("pdf", "both") and records:      # an approved record's frozen PDF goes in as it is
        rest = [(s, r) for s, r in records if s not in frozen]
        pdfs = (_pdfs(form, definition, rest, engine) if rest else {}) | frozen
    for seq, record in records:
        files, error = {}, None
        if fmt in ("pdf", "both"):
            result = pdfs.get(seq)
            if isinstance(result, Exception):
                error = f"PDF 生成失败：{result}"
            else:
                files["pdf"] = result
        if fmt in ("xlsx", "both") and error is None:
            try:
                from renderers.xlsx.determinism import deterministic_xlsx
                files["xlsx"] = deterministic_xlsx(render_record("xlsx", form, definition, record, _LIMITS[0]))
            except Exception as exc:  # noqa: BLE001 - reported per record
                error = f"Excel 生成失败：{exc}"
        pages = _count_pages(files.get("pdf")) if error is None else 0
        out.append((seq, files if error is None else {}, pages, error))
    out.sort(key=lambda r: r[0])
    return out


def _pdfs(form, definition, records, engine: str = PDF_ENGINE) -> dict:
    """PDFs by seq: small records laid out together, large ones each on its own within bounds."""
    from renderers import base
    pdf = base.get(engine)
    small = [(s, r) for s, r in records if is_small(r)]
    out = {}
    try:
        out.update(zip((s for s, _ in small), pdf.render_many(form, [r for _, r in small])))
    except Exception:  # noqa: BLE001 - isolate the failing record(s): each on its own below
        out = {}
    for seq, record in records:
        if seq in out:
            continue
        try:
            out[seq] = render_record(engine, form, definition, record, _LIMITS[0])
        except Exception as exc:  # noqa: BLE001
            out[seq] = exc
    return out


def _count_pages(content: bytes | None) -> int:
    if not content:
        return 0
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(content)).pages)


# ---------------------------------------------------------------- driver
def _batches(entries, fmt, size=BATCH, engine=PDF_ENGINE, public_url=None):
    """Consecutive entries of one definition, at most `size` at a time."""
    batch, key = [], None
    for seq, entry in enumerate(entries):
        if batch and (entry.digest != key or len(batch) >= size):
            yield (key, fmt, batch, engine, public_url)
            batch = []
        key = entry.digest
        batch.append((seq, entry.record))
    if batch:
        yield (key, fmt, batch, engine, public_url)


def _results(tasks, definitions, limits, jobs, scheduler, client):
    """(seq, files, pages, error) in input order: in this process, or rendered ahead on Dask."""
    if client is None and not scheduler and jobs <= 1:
        _init_worker(definitions, limits)
        for task in tasks:
            yield from _render_batch(task)
        return
    from .archive_dask import dask_client, dask_results
    with contextlib.nullcontext(client) if client is not None else dask_client(jobs, scheduler) as used:
        for batch in dask_results(used, tasks, definitions, limits):
            yield from batch


def write_archive(entries, definitions: dict, out, *, titles: dict | None = None, fmt: str = "pdf",
                  merge: bool = False, jobs: int | None = None, progress=None, key_fields=None,
                  limits: RenderLimits = RenderLimits(), scheduler: str | None = None, client=None,
                  batch: int = BATCH, runner=None, engine: str = PDF_ENGINE, public_url: str | None = None) -> Summary:
    """Write the archive of `entries` (a list of Entry) into the binary stream `out`. Rendered on
    `client` (a dask Client) if given, else on the Dask cluster of `scheduler`, else on a
    LocalCluster of `jobs` processes (default: one per core; 1: in this process). `runner`
    (tasks, definitions, limits) -> batch results replaces all that (benchmarks). `engine`: the
    PDF renderer ("pdf2" two-layer, "pdf" flow). `public_url`: the address people reach the server at;
    each record's PDF then carries its QR code (编号 and link), else the manifest says why not."""
    entries = list(entries)
    started = time.perf_counter()
    # If anything fails midway the zip must stay unfinished (no central directory), so that a
    # streamed download that breaks off can never pass for a complete archive.
    sink = _Sink(out)
    archive = _Archive(sink, titles or {}, fmt, merge, key_fields, several=len({e.form_id for e in entries}) > 1,
                       public_url=public_url)
    try:
        tasks = _batches(entries, fmt, max(1, batch), engine, public_url)
        if runner is not None:
            results = (r for rs in runner(tasks, definitions, limits) for r in rs)
        else:
            results = _results(tasks, definitions, limits, jobs or os.cpu_count() or 1, scheduler, client)
        for seq, files, pages, error in results:
            archive.add(seq, entries[seq], files, pages, error)
            if progress:
                progress.update(archive.summary.records)
        archive.finish()
    except BaseException:
        sink.abort()   # nothing more reaches `out`, not even from ZipFile's own clean-up
        raise
    archive.summary.seconds = time.perf_counter() - started
    if progress:
        progress.done()
    return archive.summary


class _Sink:
    """The output stream, until abort(): then writes are dropped."""

    def __init__(self, out):
        self.out, self.aborted = out, False

    def write(self, data) -> int:
        return len(data) if self.aborted else self.out.write(data)

    def flush(self) -> None:
        if not self.aborted and hasattr(self.out, "flush"):
            self.out.flush()

    def abort(self) -> None:
        self.aborted = True


class _Archive:
    """The zip being written: one file per record as results arrive, then the manifest."""

    def __init__(self, out, titles: dict, fmt: str, merge: bool, key_fields, several: bool, public_url=None):
        self.zf = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        self.public_url = public_url
        self.titles, self.key_fields, self.several = titles, key_fields, several
        self.merged = _Merged() if merge and fmt in ("pdf", "both") else None
        self.summary, self.rows, self.used = Summary(), [], set()

    def add(self, seq: int, entry: Entry, files: dict, pages: int, error: str | None) -> None:
        rec = entry.record if isinstance(entry.record, dict) else {}
        title = self.titles.get(entry.form_id, entry.form_id)
        stem = safe_name(rec.get("number") or f"{entry.form_id}-{rec.get('id', seq + 1)}", f"record-{seq + 1}")
        folder = safe_name(title, entry.form_id) + "/" if self.several else ""
        try:
            keys = self.key_fields(entry) if self.key_fields else ""
        except Exception as exc:  # noqa: BLE001 - a record that cannot even be summarised is a failed one
            keys, files, pages = "", {}, 0
            error = error or f"记录数据无法读取：{type(exc).__name__}"
        names = []
        for ext in ("pdf", "xlsx"):
            if ext in files:
                name = _unique(f"{folder}{stem}.{ext}", self.used)
                _write(self.zf, name, files[ext], zipfile.ZIP_STORED if ext == "pdf" else zipfile.ZIP_DEFLATED)
                names.append((name, hashlib.sha256(files[ext]).hexdigest()))
        summary = self.summary
        summary.records += 1
        summary.pages += pages
        if error:
            summary.failed += 1
            summary.failures.append((rec.get("number") or rec.get("id"), error))
        elif self.merged is not None and "pdf" in files:
            self.merged.add(files["pdf"], f"{title} {rec.get('number') or rec.get('id')}")
        self.rows.append([seq + 1, str(rec.get("number") or ""), title, str(rec.get("created", ""))[:10], keys,
                          "; ".join(n for n, _ in names), "; ".join(h for _, h in names), pages,
                          "失败" if error else "成功", error or "",
                          record_link(self.public_url, entry.form_id, rec.get("id")) or NO_LINK])

    def finish(self) -> None:
        if self.merged is not None:
            _write(self.zf, "合并.pdf", self.merged.bytes(), zipfile.ZIP_DEFLATED)
        _write(self.zf, "manifest.csv", _csv(self.rows), zipfile.ZIP_DEFLATED)
        _write(self.zf, "清单.xlsx", _manifest_xlsx(self.rows), zipfile.ZIP_DEFLATED)
        self.zf.comment = summary_comment(self.summary)
        self.zf.close()


def summary_comment(summary: Summary) -> bytes:
    """The zip's comment: what the archive holds, for a page that has only the file to go by."""
    return f"biaoge archive: records={summary.records} failed={summary.failed}".encode("ascii")


def _unique(name: str, used: set) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{stem}({n}).{ext}"
        n += 1
    used.add(candidate)
    return candidate


def _write(zf, name: str, content: bytes, compress) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    zf.writestr(info, content)


def _csv(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _manifest_xlsx(rows) -> bytes:
    import xlsxwriter
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    wb.set_properties({"title": "归档清单", "author": "biaoge", "created": datetime(*FIXED_TIME)})
    ws = wb.add_worksheet("清单")
    bold = wb.add_format({"bold": True, "bg_color": "#F0F3F6", "border": 1})
    ws.write_row(0, 0, MANIFEST_COLUMNS, bold)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    for c, width in enumerate([6, 18, 14, 11, 36, 30, 20, 6, 6, 30]):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(MANIFEST_COLUMNS) - 1)
    wb.close()
    return buf.getvalue()


class _Merged:
    """All records in one PDF, a bookmark per record. A two-layer record's frame (a Form XObject
    marked with its frame's key) is embedded once and shared by every page drawn on it, and the
    values of all two-layer records are drawn again in one ReportLab document (from the runs each
    PDF carries), so their fonts are subset once: 1,000 records carry one grid and one font set.
    Flow records' pages are copied as they are."""

    def __init__(self):
        self.items: list = []      # (title, reader, runs or None)

    def add(self, content: bytes, title: str) -> None:
        from pypdf import PdfReader

        from renderers.overlay import runs_of_pdf
        reader = PdfReader(io.BytesIO(content))
        self.items.append((title, reader, runs_of_pdf(reader)))

    def bytes(self) -> bytes:
        from pypdf import PdfReader, PdfWriter

        from renderers.overlay import MARKER, XOBJECT, put_under
        writer = PdfWriter()
        drawn = [got for _, _, got in self.items if got is not None]
        values = PdfReader(io.BytesIO(draw_all(drawn))) if drawn else None
        frames: dict = {}
        k = 0
        for title, reader, got in self.items:
            start = len(writer.pages)
            if got is None:
                writer.append(reader, import_outline=False)
            else:
                for page in reader.pages:
                    frame = page["/Resources"]["/XObject"][XOBJECT].get_object()
                    key = str(frame[MARKER])
                    if key not in frames:
                        frames[key] = writer._add_object(frame.clone(writer))
                    put_under(writer, writer.add_page(values.pages[k]), frames[key])
                    k += 1
            writer.add_outline_item(title=title, page_number=start)
        writer.add_metadata({"/Title": "归档合并", "/Author": "biaoge"})
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()


def draw_all(drawn) -> bytes:
    """Every two-layer record's values, page after page, in one ReportLab document."""
    from renderers.overlay_draw import draw
    pages = [(size, page) for size, record in drawn for page in record]
    return draw([p for _, p in pages], pages[0][0], "归档合并", sizes=[s for s, _ in pages])


class Progress:
    """归档 123/1000 (12%) 18.2 条/秒 剩余 48 秒 — on a terminal only."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.started = time.perf_counter()
        self.active = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = 0.0

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if not self.active or (now - self.last < 0.2 and done < self.total):
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0
        eta = (self.total - done) / rate if rate else 0
        pct = 100 * done / self.total if self.total else 100
        self.stream.write(f"\r归档 {done}/{self.total} ({pct:.0f}%) {rate:.1f} 条/秒 剩余 {eta:.0f} 秒   ")
        self.stream.flush()

    def done(self) -> None:
        if self.active:
            self.stream.write("\n")
            self.stream.flush()
