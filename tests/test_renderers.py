"""The contract every renderer keeps, for every definition in schemas/: renders
blank and filled, and the output shows every field's title (a renderer that
silently drops a field fails). Plus the registry's own rules."""
import re

import pytest

from services.catalog import definition_files
from forms.expr import evaluate, truthy
from forms.sample import sample_submission
from forms.submission import check
from renderers import base
from renderers.base import Filled, Renderer, register
from renderers.layout import SectionBlock, TableBlock, build_layout, display

from .conftest import ROOT, SCHEMAS
from .render_helpers import TEXT_OF, squash

FILES = [p.relative_to(ROOT).as_posix() for p in definition_files(SCHEMAS)]
# The two-layer engines have their own sweep over every definition (tests/test_overlay_fidelity.py:
# pdf2 against pdf, word for word; tests/test_overlay_overprint.py: 套打 prints values only, no titles).
TWO_LAYER = {"pdf2", "overprint"}
FORMATS = [name for name in base.names() if name not in TWO_LAYER]


def visible_titles(form, data, fmt):
    """What must be seen of each field: its title; on paper (print, pdf, xlsx), for a table total
    the table's 合计 row, and for a field written into letter text its value (filled)."""
    if fmt == "html":
        return [f.title for f in form.walk() if data is None or f.when is None or f.table is not None
                or truthy(evaluate(f.when, data))]
    lay = build_layout(form)
    totals = {id(f) for t in _tables(lay.blocks) for f in t.totals.values()}
    in_text = {name for text in lay.intro + lay.closing for name in re.findall(r"\{([^{}]+)\}", text)}
    # a header or sign-off line that names its own label prints that label (销售助理：) for its field
    labelled = {id(i.field): i.label for i in lay.header + lay.signatures if i.field is not None and i.label}
    titles = []
    for f in form.walk():
        if data is not None and f.when is not None and f.table is None and not truthy(evaluate(f.when, data)):
            continue
        if id(f) in totals:
            titles.append("合计")
        elif id(f) in labelled:
            titles.append(labelled[id(f)])
        elif f.table is None and f.key in in_text and len(f.path) == 1:
            if data is not None and data.get(f.key) not in (None, ""):
                titles.append(display(f, data[f.key]))
        else:
            titles.append(f.title)
    return titles


def _tables(blocks):
    for b in blocks:
        if isinstance(b, TableBlock):
            yield b
        elif isinstance(b, SectionBlock):
            yield from _tables(b.blocks)


def test_registry_has_the_formats():
    assert {"html", "print", "pdf", "xlsx"} <= set(FORMATS)


def test_registry_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        @register
        class Again(Renderer):
            name = "pdf"


def test_unknown_format():
    with pytest.raises(KeyError, match="未知的格式"):
        base.get("docx")


def test_pdf_builds_on_print_html():
    assert isinstance(base.get("pdf"), type(base.get("print")))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", FILES)
def test_contract(catalog, name, fmt):
    form = catalog.files[name]
    renderer = base.get(fmt)
    data = check(form, sample_submission(form, seed=1)).data
    for record in (None, Filled(data, number="T-0001", created="2026-11-27")):
        content = renderer.render(form, record)
        assert isinstance(content, bytes) and content
        text = squash(TEXT_OF[fmt](content))
        missing = [t for t in visible_titles(form, record.data if record else None, fmt) if squash(t) not in text]
        assert not missing, f"{fmt} {'filled' if record else 'blank'} drops {missing}"
        assert squash(form.title) in text
