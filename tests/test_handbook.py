"""The printed handbook: one bookmark per chapter and per form, and a table of
contents whose page numbers are right."""
import io
import re

import pytest
from pypdf import PdfReader

from renderers.handbook import handbook_pdf

from .render_helpers import squash


@pytest.fixture(scope="module")
def handbook(catalog):
    return PdfReader(io.BytesIO(handbook_pdf(catalog)))


def outline(reader):
    out = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title, reader.get_destination_page_number(item) + 1))
    walk(reader.outline, 1)
    return out


def test_bookmarks_per_chapter_and_form(catalog, handbook):
    marks = outline(handbook)
    chapters = [(t, p) for level, t, p in marks if level == 1]
    forms = [(t, p) for level, t, p in marks if level == 2]
    expected = catalog.by_chapter()
    assert [t for t, _ in chapters] == list(expected)
    assert [squash(t) for t, _ in forms] == [squash(f.title) for fs in expected.values() for f in fs]
    for title, page in forms:
        assert squash(title) in squash(handbook.pages[page - 1].extract_text())


def test_contents_page_numbers_are_right(catalog, handbook):
    contents = ""
    for page in handbook.pages[1:6]:
        text = page.extract_text()
        if "目" in text[:5] or contents:
            contents += text + "\n"
        if "." not in text:
            break
    entries = re.findall(r"^(\S+?)\s*(?:\.\s*)+(\d+)\s*$", contents, re.M)
    titles = [f.title for fs in catalog.by_chapter().values() for f in fs]
    assert [t for t, _ in entries] == titles
    for title, page in entries:
        text = squash(handbook.pages[int(page) - 1].extract_text())
        assert squash(title) in text, f"contents say {title} is on page {page}"
        assert f"第{page}页" in text


def test_cli_handbook(tmp_path):
    from click.testing import CliRunner

    from cli import main

    from .conftest import SCHEMAS
    out = tmp_path / "营销管理表格.pdf"
    r = CliRunner().invoke(main, ["handbook", "-o", str(out), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:4] == b"%PDF"
