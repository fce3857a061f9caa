"""PDF (format "pdf"): the print HTML laid out by WeasyPrint.

Builds on PrintHtmlRenderer. Each copy of a 一式N联 form is laid out as its
own document so that 第 x 页 共 y 页 counts within the copy, then the pages
are joined. Nothing is fetched while rendering: every asset is inline and the
URL fetcher refuses every URL, whatever a definition or a value contains.
"""
from __future__ import annotations

import ctypes.util
import logging
import shutil
import subprocess
import warnings
from functools import lru_cache

from .base import Record, register
from .layout import build_layout
from .print_html import PrintHtmlRenderer

FONT_FAMILIES = {"AR PL UMing CN": "fonts-arphic-uming", "WenQuanYi Micro Hei": "fonts-wqy-microhei"}
FALLBACK_FAMILIES = {"Noto Serif CJK SC": "fonts-noto-cjk", "Noto Sans CJK SC": "fonts-noto-cjk"}


class FontMissingError(RuntimeError):
    pass


class FetchRefused(ValueError):
    pass


def refuse_fetch(url, *args, **kwargs):
    """URL fetcher that fetches nothing: all assets are inline."""
    raise FetchRefused(f"biaoge does not fetch {url!r} while rendering")


@lru_cache(maxsize=1)
def check_fonts() -> None:
    """Raise FontMissingError, naming the Debian packages, when no CJK font is installed."""
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

    def render(self, form, record: Record | None = None) -> bytes:
        return self.write(self.documents(form, record), form, record)

    def documents(self, form, record: Record | None = None) -> list:
        """Laid-out WeasyPrint documents: one per copy label."""
        from weasyprint import HTML
        check_fonts()
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        copies = build_layout(form).copies or [""]
        return [HTML(string=self.document(form, record, [label]), url_fetcher=refuse_fetch).render()
                for label in copies]

    @staticmethod
    def write(documents: list, form, record: Record | None) -> bytes:
        first = documents[0]
        doc = first.copy([page for d in documents for page in d.pages]) if len(documents) > 1 else first
        doc.metadata.title = form.title + (f" {record.number}" if record and record.number else "")
        doc.metadata.authors = ["biaoge"]
        return doc.write_pdf()
