"""Every catalog definition survives YAML -> workbook (.xlsx bytes) -> YAML with the same compiled form."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.definition import compile_definition
from forms.sheetform import compile_sheets, definition_to_sheets
from forms.source import parse
from renderers.sheetform_xlsx import read_sheets, write_sheets
from services.catalog import definition_files, load_catalog
from services.sheetform import shared_fields

ROOT = Path(__file__).resolve().parent.parent / "schemas"
FILES = definition_files(ROOT)
LAYOUT_KEYS = ("x-width", "x-span", "x-rows", "x-widget", "x-unit", "x-placeholder", "x-round", "x-sensitive")


@pytest.fixture(scope="module")
def shared():
    return shared_fields(ROOT)


def test_the_whole_catalog_is_covered():
    assert len(FILES) == 84
    assert len(load_catalog(ROOT).forms) == 84


def _plain(value):
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _fields(form) -> list:
    return [(f.key, f.title, f.kind, f.path, f.required, f.spec.get("x-compute"), f.spec.get("x-when"),
             _plain(f.choices) if f.is_value else None, _plain({k: f.spec.get(k) for k in LAYOUT_KEYS}),
             _plain({k: v for k, v in f.spec.items() if k not in ("properties", "items", "required")}))
            for f in form.walk()]


def _rules(form) -> list:
    return sorted((r.text, r.message, r.field.path) for r in form.rules)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_round_trip(path, shared):
    text = path.read_text("utf-8")
    before, problems = compile_definition(parse(text, str(path)), shared)
    assert not problems and before is not None
    workbook = write_sheets(definition_to_sheets(parse(text, str(path)).data))
    back = compile_sheets(read_sheets(workbook), shared, path.name)
    assert back.problems == []
    after = back.form
    assert (after.id, after.title, after.chapter, after.description, after.version) == \
        (before.id, before.title, before.chapter, before.description, before.version)
    assert _plain(after.layout) == _plain(before.layout)
    assert _plain(after.numbering) == _plain(before.numbering)
    assert _fields(after) == _fields(before)
    assert _rules(after) == _rules(before)
    assert after.computed_order == before.computed_order or \
        [f.path for f in after.computed_order] == [f.path for f in before.computed_order]
    # the whole document, x-approval, x-source, x-unique, x-chart … included (required as sets)
    assert _sorted_required(after.definition) == _sorted_required(before.definition)
    assert back.text.startswith("# ") and path.name in back.text.splitlines()[0]


def _sorted_required(doc):
    doc = _plain(doc)
    rules = doc.pop("x-rules", None)

    def walk(x):
        if isinstance(x, dict):
            return {k: sorted(v) if k == "required" and isinstance(v, list) else walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x
    return walk(doc), sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rules or [])
