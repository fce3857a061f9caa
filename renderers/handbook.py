"""The printed handbook: every blank form of the catalog in one PDF, ordered
by chapter, with a cover, a table of contents whose page numbers WeasyPrint
fills in (target-counter), a bookmark per chapter and per form, and page
numbers — the paper binder an office keeps.

All forms are laid out as one document so that page numbers run through the
binder; each form keeps its own paper size through a named page.
"""
from __future__ import annotations

import logging
from datetime import date

from markupsafe import Markup

from .layout import build_layout
from .pdf import check_fonts, font_config, print_html
from .print_html import PrintHtmlRenderer
from .templating import asset, environment

TITLE = "营销管理表格"


def handbook_html(catalog, title: str = TITLE) -> str:
    chapters = []
    sizes = {}
    for chapter, forms in catalog.by_chapter().items():
        entries = []
        for form in forms:
            lay = build_layout(form)
            size = f"{lay.paper} {lay.orientation}"
            page_name = sizes.setdefault(size, f"paper{len(sizes)}")
            entries.append({"form": form, "page": page_name,
                            "sheets": Markup(PrintHtmlRenderer.sheets(form, None, [""]))})
        chapters.append({"title": chapter, "forms": entries})
    return environment().get_template("handbook.html.j2").render(
        title=title, chapters=chapters, sizes=sizes, css=asset("print.css"), today=date.today(),
        count=sum(len(c["forms"]) for c in chapters))


def handbook_pdf(catalog, title: str = TITLE) -> bytes:
    check_fonts()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    doc = print_html(handbook_html(catalog, title)).render(font_config=font_config())
    doc.metadata.title = title
    doc.metadata.authors = ["biaoge"]
    return doc.write_pdf()
