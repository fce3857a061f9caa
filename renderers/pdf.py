"""PDF (format "pdf"): the print HTML laid out by WeasyPrint.

Builds on PrintHtmlRenderer. Each copy of a 一式N联 form is laid out as its
own document so that 第 x 页 共 y 页 counts within the copy, then the pages
are joined. Nothing is fetched while rendering: every asset is inline and the
URL fetcher refuses every URL (but a PNG data: URI), whatever a definition or a value contains.
"""
from __future__ import annotations

import ctypes.util
import io
import logging
import shutil
import subprocess
import threading
import warnings
from functools import lru_cache

from markupsafe import Markup

from .base import Filled, register
from .layout import build_layout
from .print_html import PrintHtmlRenderer, paginate
from .templating import asset, environment

_local = threading.local()


@lru_cache(maxsize=1)
def _print_ua():
    from weasyprint import CSS
    from weasyprint.html import UA_COUNTER_STYLE
    return CSS(string=asset("print-ua.css"), counter_style=UA_COUNTER_STYLE)


def print_html(string: str):
    """A WeasyPrint HTML of our own print templates: the small user-agent stylesheet
    (static/print-ua.css, about 15% faster than WeasyPrint's HTML5 one) and no fetching."""
    from weasyprint import HTML

    class PrintHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [_print_ua()]
    return PrintHTML(string=string, url_fetcher=refuse_fetch)


def font_config():
    """One WeasyPrint FontConfiguration per thread, reused across documents (about 20% faster)."""
    if getattr(_local, "fonts", None) is None:
        from weasyprint.text.fonts import FontConfiguration
        _local.fonts = FontConfiguration()
    return _local.fonts

FONT_FAMILIES = {"AR PL UMing CN": "fonts-arphic-uming", "WenQuanYi Micro Hei": "fonts-wqy-microhei"}
FALLBACK_FAMILIES = {"Noto Serif CJK SC": "fonts-noto-cjk", "Noto Sans CJK SC": "fonts-noto-cjk"}


class FontMissingError(RuntimeError):
    pass


class FetchRefused(ValueError):
    pass


PNG_DATA = "data:image/png;base64,"


def refuse_fetch(url, *args, **kwargs):
    """URL fetcher that fetches nothing: all assets are inline (a handwritten signature is a PNG
    data: URI, decoded here, never fetched)."""
    if url.startswith(PNG_DATA):
        import base64

        from weasyprint.urls import URLFetcherResponse
        return URLFetcherResponse(url, base64.b64decode(url[len(PNG_DATA):]), {"Content-Type": "image/png"})
    raise FetchRefused(f"biaoge does not fetch {url!r} while rendering")


@lru_cache(maxsize=1)
def check_fonts() -> None:
    """Raise FontMissingError, naming the Debian packages, when no CJK font is installed
    (and warn, once, when HarfBuzz's subsetter is missing)."""
    warn_without_subsetter()
    if shutil.which("fc-list") is None:
        return
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    have = set()
    for line in out.splitlines():
        have.update(name.strip() for name in line.split(","))
    missing = [pkg for fam, pkg in FONT_FAMILIES.items() if fam not in have]
    if missing and not any(f in have for f in FALLBACK_FAMILIES):
        packages = " ".join(sorted(set(FONT_FAMILIES.values())))
        raise FontMissingError(
            f"找不到中文字体,无法生成 PDF。请安装字体软件包:sudo apt-get install {packages}"
            f"(或 fonts-noto-cjk)。No CJK font found: install the Debian packages {packages}.")


@lru_cache(maxsize=1)
def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def warn_without_subsetter() -> None:
    if not harfbuzz_subset_available():
        warnings.warn("libharfbuzz-subset0 is not installed: WeasyPrint will subset CJK fonts with fontTools, "
                      "which takes seconds per page (apt-get install libharfbuzz-subset0)", RuntimeWarning)


@register
class PdfRenderer(PrintHtmlRenderer):
    name = "pdf"
    extension = ".pdf"
    media_type = "application/pdf"
    label = "PDF"

    def render(self, form, record: Filled | None = None) -> bytes:
        return self.write(self.documents(form, record), form, record)

    def documents(self, form, record: Filled | None = None) -> list:
        """Laid-out WeasyPrint documents: one per copy label."""
        check_fonts()
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        copies = build_layout(form).copies or [""]
        return [print_html(self.document(form, record, [label])).render(font_config=font_config())
                for label in copies]

    def render_many(self, form, records: list) -> list:
        """Many records of one form laid out as one document, then split: one PDF (bytes) per
        record. About twice as fast per record as separate documents (layout set-up and font
        subsetting are shared). Named pages number each record's pages on their own (第 x 页 共 y 页);
        when the pages do not come out as paginated, each record is laid out on its own instead."""
        from pypdf import PdfReader, PdfWriter
        check_fonts()
        if len(records) == 1:
            return [self.render(form, records[0])]
        lay = build_layout(form)
        copies = lay.copies or [""]
        expected = [len(paginate(build_layout(form, r.data), r.data)) for r in records]
        body = "".join(self.sheets(form, r, copies, batch=True) for r in records)
        html = environment().get_template("print.html.j2").render(
            form=form, record=None, sheets=Markup(body), css=asset("print.css"), batch=sorted(set(expected)),
            paper=f"{lay.paper} {lay.orientation}")
        doc = print_html(html).render(font_config=font_config())
        sizes = [n * len(copies) for n in expected]
        if len(doc.pages) != sum(sizes):  # some record overflowed its pages: lay each out alone
            return [self.render(form, r) for r in records]
        doc.metadata.authors = ["biaoge"]
        reader = PdfReader(io.BytesIO(doc.write_pdf()))
        out, start = [], 0
        for record, size in zip(records, sizes):
            # every sheet starts a page and each record made exactly its pages, so they follow in order
            writer = PdfWriter()
            writer.append(reader, pages=(start, start + size))
            start += size
            writer.add_metadata({"/Title": form.title + (f" {record.number}" if record.number else ""),
                                 "/Author": "biaoge"})
            buf = io.BytesIO()
            writer.write(buf)
            out.append(buf.getvalue())
        return out

    @staticmethod
    def write(documents: list, form, record: Filled | None) -> bytes:
        first = documents[0]
        doc = first.copy([page for d in documents for page in d.pages]) if len(documents) > 1 else first
        doc.metadata.title = form.title + (f" {record.number}" if record and record.number else "")
        doc.metadata.authors = ["biaoge"]
        return doc.write_pdf()
