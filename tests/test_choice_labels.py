"""Labelled choices (issue 19): a standard oneOf/anyOf of {const, title} and an enum of objects show their
labels on paper, in the browser and in Excel, and store the value; a label typed into a workbook or posted
by a browser comes back as the value (or the object)."""
import io
import json
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from forms import formdata, submission
from forms.definition import compile_definition
from forms.source import parse
from renderers import base
from renderers.base import Filled
from renderers.xlsx.importer import import_workbook
from renderers.xlsx.meta import read_map

from .render_helpers import html_tree, squash

HERE = Path(__file__).parent / "standard_schemas"
NY = {"name": "New York", "code": "NY"}
LA = {"name": "Los Angeles", "code": "LA"}


def _form(stem):
    schema = json.loads((HERE / f"{stem}.json").read_text("utf-8"))["schema"]
    text = json.dumps({**schema, "x-form": {"id": stem}}, ensure_ascii=False)
    form, problems = compile_definition(parse(text, f"{stem}.yaml"))
    assert problems == [], problems
    return form


def _pdf_text(form, data=None) -> str:
    pdf = base.get("pdf").render(form, Filled(data) if data is not None else None)
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return squash(out.stdout.decode("utf-8"))


def _options(form, data=None) -> dict:
    """Each control's name -> [(value posted, text shown)] of its <option>s, radios and checkboxes."""
    html = base.get("html").render(form, Filled(data) if data is not None else None)
    tree = html_tree(html)
    out: dict = {}
    for sel in tree.xpath("//select"):
        out[sel.get("name")] = [(o.get("value"), o.text_content().strip()) for o in sel.xpath("option")
                                if o.get("value")]
    for box in tree.xpath("//input[@type='checkbox' or @type='radio']"):
        out.setdefault(box.get("name"), []).append((box.get("value"), box.getparent().text_content().strip()))
    return out


def _dropdowns(content) -> dict:
    """Cell coordinate -> the labels its list validation offers (inline or from the list sheet)."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb[read_map(wb).sheet]
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        formula = dv.formula1
        if formula.startswith('"'):
            values = formula.strip('"').split(",")
        else:
            sheet, ref = formula.rsplit("!", 1)
            src = wb[sheet.strip("'")]
            values = [c.value for row in src[ref.replace("$", "")] for c in (row if isinstance(row, tuple) else (row,))]
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0]] = values
    return out


def _filled_workbook(form, cells: dict) -> bytes:
    """The blank template with a person's text typed into the named fields' cells."""
    wb = load_workbook(io.BytesIO(base.get("xlsx").render(form)))
    meta = read_map(wb)
    for name, text in cells.items():
        wb[meta.sheet][meta.fields[name]] = text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_oneof_labels_on_paper_in_the_browser_and_in_excel():
    form = _form("choice_oneof_labels")
    blank = _pdf_text(form)
    assert "☐国内出差" in blank and "☐出国出差" in blank and "☐三级" in blank
    assert "domestic" not in blank and "abroad" not in blank
    filled = _pdf_text(form, {"trip": "abroad", "grade": 2})
    assert "出国出差" in filled and "二级" in filled and "abroad" not in filled
    assert _options(form)["trip"] == [("domestic", "国内出差"), ("abroad", "出国出差")]
    assert _options(form)["grade"] == [("1", "一级"), ("2", "二级"), ("3", "三级")]
    meta = read_map(load_workbook(io.BytesIO(base.get("xlsx").render(form))))
    lists = _dropdowns(base.get("xlsx").render(form))
    assert lists[meta.fields["trip"]] == ["国内出差", "出国出差"]
    assert lists[meta.fields["grade"]] == ["一级", "二级", "三级"]


def test_a_label_typed_in_excel_or_posted_comes_back_as_the_value():
    form = _form("choice_oneof_labels")
    result = import_workbook(form, _filled_workbook(form, {"trip": "出国出差", "grade": "三级"}))
    assert result.errors == [] and result.data == {"trip": "abroad", "grade": 3}
    posted = formdata.unflatten(form, [("trip", "domestic"), ("grade", "2")])
    assert posted == {"trip": "domestic", "grade": 2}
    assert submission.check(form, posted).ok
    wrong = submission.check(form, {"trip": "火星"})
    assert not wrong.ok and "国内出差、出国出差" in wrong.errors[0]["message"]


def test_a_filled_workbook_shows_the_label():
    form = _form("choice_oneof_labels")
    wb = load_workbook(io.BytesIO(base.get("xlsx").render(form, Filled({"trip": "abroad", "grade": 1}))))
    meta = read_map(wb)
    assert wb[meta.sheet][meta.fields["trip"]].value == "出国出差"
    assert wb[meta.sheet][meta.fields["grade"]].value == "一级"


def test_anyof_labels():
    form = _form("choice_anyof_labels")
    assert _options(form)["speed"] == [("std", "标准件"), ("exp", "特快件")]
    assert "☐标准件" in _pdf_text(form)
    assert import_workbook(form, _filled_workbook(form, {"speed": "特快件"})).data == {"speed": "exp"}


def test_multichoice_labels():
    form = _form("choice_multi_labels")
    assert _options(form)["hobby"] == [("read", "读书"), ("run", "跑步"), ("swim", "游泳")]
    blank = _pdf_text(form)
    assert "☐读书" in blank and "☐游泳" in blank and "read" not in blank
    filled = _pdf_text(form, {"hobby": ["run", "swim"]})
    assert "☑跑步" in filled and "☑游泳" in filled and "☐读书" in filled
    result = import_workbook(form, _filled_workbook(form, {"hobby": "跑步、游泳"}))
    assert result.errors == [] and result.data == {"hobby": ["run", "swim"]}
    assert formdata.unflatten(form, [("hobby", "read"), ("hobby", "swim")]) == {"hobby": ["read", "swim"]}


def test_object_choices_print_a_name_never_a_repr():
    form = _form("choice_object_enum")
    blank = _pdf_text(form)
    for shown in ("☐NewYork", "☐LosAngeles", "☐上海浦东", "☐北京首都", "☐CAN"):
        assert shown in blank
    assert "{" not in blank and "'code'" not in blank
    filled = _pdf_text(form, {"city": LA})
    assert "LosAngeles" in filled and "{" not in filled
    options = _options(form)
    assert options["city"] == [("New York", "New York"), ("Los Angeles", "Los Angeles")]
    assert [t for _, t in options["port"]] == ["上海浦东", "北京首都", "CAN"]
    content = base.get("xlsx").render(form)
    meta = read_map(load_workbook(io.BytesIO(content)))
    assert _dropdowns(content)[meta.fields["city"]] == ["New York", "Los Angeles"]


def test_object_choice_comes_back_as_the_object():
    form = _form("choice_object_enum")
    result = import_workbook(form, _filled_workbook(form, {"city": "Los Angeles", "port": "北京首都"}))
    assert result.errors == []
    assert result.data == {"city": {"name": "Los Angeles", "code": "LA"}, "port": {"code": "PEK", "label": "北京首都"}}
    posted = formdata.unflatten(form, [("city", "New York")])
    assert posted == {"city": {"name": "New York", "code": "NY"}}
    assert submission.check(form, posted).ok
    wb = load_workbook(io.BytesIO(base.get("xlsx").render(form, Filled({"city": NY}))))
    meta = read_map(wb)
    assert wb[meta.sheet][meta.fields["city"]].value == "New York"


def test_other_oneof_is_refused_with_one_coded_message():
    text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "甲", "x-form": {"id": "a"},
                       "properties": {"c": {"title": "代码", "anyOf": [{"const": "x", "title": "某"}, {"type": "integer"}]}}},
                      ensure_ascii=False)
    form, problems = compile_definition(parse(text, "a.yaml"))
    assert form is None
    assert [(p.code.code, p.pointer) for p in problems] == [("E108", "/properties/c/anyOf")]
    assert "const: 值，title: 标签" in problems[0].message


def test_hand_written_labels_must_match_the_enum():
    text = json.dumps({"x-form": {"id": "a", "title": "甲"}, "properties": {
        "c": {"title": "代码", "enum": ["x", "y"], "x-labels": ["某"]},
        "d": {"title": "多选", "type": "array", "items": {"enum": ["x", "y"], "x-labels": ["某", "另", "三"]}}}},
        ensure_ascii=False)
    form, problems = compile_definition(parse(text, "a.yaml"))
    assert [(p.code.code, p.pointer) for p in problems] == [("E105", "/properties/c/x-labels"),
                                                           ("E105", "/properties/d/items/x-labels")]
    assert "enum 有 2 项，这里有 1 项" in problems[0].message


def test_hand_written_labels_in_biaoge_dialect():
    text = json.dumps({"x-form": {"id": "a", "title": "甲"}, "properties": {
        "c": {"title": "代码", "enum": ["x", "y"], "x-labels": ["某甲", "某乙"], "x-widget": "radio"}}},
        ensure_ascii=False)
    form, problems = compile_definition(parse(text, "a.yaml"))
    assert problems == []
    assert _options(form)["c"] == [("x", "某甲"), ("y", "某乙")]
    assert form.fields["c"].display("y") == "某乙"
    assert form.fields["c"].coerce("某甲") == "x"
