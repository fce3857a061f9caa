"""Reading rendered outputs back: PDF text, Excel cells, HTML trees."""
import io
import re

import lxml.html
import openpyxl
from pypdf import PdfReader


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def squash(text: str) -> str:
    """Text without whitespace (titles are letter-spaced on paper)."""
    return re.sub(r"\s+", "", text)


def html_tree(content: bytes):
    return lxml.html.fromstring(content)


def html_text(content: bytes) -> str:
    """What the page shows: its text and the values in its inputs."""
    tree = html_tree(content)
    for bad in tree.xpath("//script | //style | //template"):
        bad.drop_tree()
    values = [el.get("value", "") for el in tree.xpath("//input[not(@type='hidden')]")
              if el.get("type") not in ("radio", "checkbox")]
    return tree.text_content() + "\n" + "\n".join(values)


def xlsx_text(content: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    parts = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows(values_only=True):
            parts += [str(v) for v in row if v is not None]
    return "\n".join(parts)


TEXT_OF = {"html": html_text, "print": html_text, "pdf": lambda c: "\n".join(pdf_pages(c)), "xlsx": xlsx_text}
