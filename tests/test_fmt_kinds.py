"""Kinds time, datetime and list (issue 19): a value typed in the browser, written to Excel and read back,
printed on paper."""
import json
from pathlib import Path

from forms import submission
from forms.definition import compile_definition
from forms.kinds import KINDS
from forms.sample import sample_submission
from forms.source import parse
from renderers import base
from renderers.base import Filled
from renderers.xlsx.importer import import_workbook

HERE = Path(__file__).parent / "standard_schemas"


def _form(name):
    schema = json.loads((HERE / f"{name}.json").read_text("utf-8"))["schema"]
    form, problems = compile_definition(parse(json.dumps({**schema, "x-form": {"id": "demo"}}, ensure_ascii=False),
                                              "demo.yaml"))
    assert problems == []
    return form


def test_kinds_are_inferred_from_standard_keywords():
    assert [(f.key, f.kind) for f in _form("fmt_date_time").walk()] == [("arrived", "datetime"), ("visitor", "text")]
    assert [f.kind for f in _form("fmt_time").walk()] == ["time", "time"]
    assert [f.kind for f in _form("fmt_array_numbers").walk()] == ["text", "list", "list"]


def test_what_a_person_types_becomes_the_stored_value():
    dt, t = _form("fmt_date_time").fields["arrived"], _form("fmt_time").fields["start"]
    assert [dt.coerce(v) for v in ("2026-12-01T09:30", "2026-12-01 9:30", "2026年12月1日 9时30分")] == \
        ["2026-12-01T09:30:00"] * 3
    assert [t.coerce(v) for v in ("09:30", "9:30", "9时30分", "08:30:00+08:00")] == \
        ["09:30:00", "09:30:00", "09:30:00", "08:30:00+08:00"]
    assert dt.display("2026-12-01T09:30:00") == "2026年12月1日 09:30"
    assert t.display("08:05:00") == "08:05"
    numbers = _form("fmt_array_numbers").fields["readings"]
    assert numbers.coerce("12.5\n30\n") == [12.5, 30]
    assert numbers.coerce("12.5、30") == [12.5, 30]
    assert numbers.display([12.5, 30]) == "12.5\n30"


def test_bad_values_are_refused_with_the_field_named():
    result = submission.check(_form("fmt_date_time"), {"arrived": "2026-13-01T09:30:00"})
    assert [(e["path"], e["message"]) for e in result.errors] == \
        [("/arrived", "「到达时间」不是有效的日期时间（例如 2026-11-27T09:30）")]
    result = submission.check(_form("fmt_time"), {"start": "25:00"})
    assert [e["path"] for e in result.errors] == ["/start"]
    result = submission.check(_form("fmt_array_numbers"), {"batch": "A", "readings": [1, "三十"]})
    assert [(e["path"], e["message"]) for e in result.errors] == [("/readings/1", "「测量值」第 2 行应是数字，每行一项")]
    result = submission.check(_form("fmt_array_numbers"), {"batch": "A", "readings": "三十"})
    assert [(e["path"], e["message"]) for e in result.errors] == [("/readings", "「测量值」应是数字，每行一项")]


def test_excel_round_trip_keeps_values_and_lists():
    for name, data in (("fmt_date_time", {"arrived": "2026-12-01T09:30:00", "visitor": "张伟"}),
                       ("fmt_time", {"start": "08:30:00", "end": "17:45:00"}),
                       ("fmt_array_strings", {"who": "张伟", "companions": ["李娜", "王芳"]}),
                       ("fmt_array_numbers", {"batch": "A-01", "readings": [12.5, 30], "counts": [3, 4]})):
        form = _form(name)
        book = base.get("xlsx").render(form, Filled(data=data))
        result = import_workbook(form, book)
        assert result.ok, (name, result.errors)
        assert result.data == data, name


def test_excel_cells_are_typed():
    import io

    from openpyxl import load_workbook
    form = _form("fmt_time")
    book = load_workbook(io.BytesIO(base.get("xlsx").render(form, Filled(data={"start": "08:30:00"}))))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.number_format == "hh:mm"]
    assert [str(c.value) for c in cells if c.value is not None] == ["08:30:00"]


def test_browser_inputs_and_blank_paper():
    assert (KINDS["datetime"].input_type, KINDS["time"].input_type, KINDS["list"].widget) == \
        ("datetime-local", "time", "textarea")
    html = base.get("html").render(_form("fmt_date_time"))
    html = html.decode() if isinstance(html, bytes) else html
    assert 'type="datetime-local"' in html
    html = base.get("html").render(_form("fmt_array_strings"))
    html = html.decode() if isinstance(html, bytes) else html
    assert "<textarea" in html


def test_filled_pdf_prints_the_values():
    import io

    from pypdf import PdfReader
    for name, data, printed in (
            ("fmt_array_strings", {"who": "张伟", "companions": ["李娜", "王芳"]}, ["李娜", "王芳"]),
            ("fmt_array_numbers", {"batch": "A-01", "readings": [12.5, 30]}, ["12.5", "30"]),
            ("fmt_date_time", {"arrived": "2026-12-01T09:30:00"}, ["2026年12月1日 09:30"]),
            ("fmt_time", {"start": "08:30:00", "end": "17:45:00"}, ["08:30", "17:45"]),
            ("fmt_property_names", {"ship-to": "上海市黄浦区", "联系 电话": "021-12345678"}, ["上海市黄浦区", "ship-to"])):
        pdf = base.get("pdf").render(_form(name), Filled(data=data))
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        for value in printed:
            assert value in text, (name, value)


def test_samples_are_valid():
    for name in ("fmt_date_time", "fmt_time", "fmt_array_strings", "fmt_array_numbers"):
        form = _form(name)
        for seed in range(5):
            result = submission.check(form, sample_submission(form, seed))
            assert result.ok, (name, result.errors)


def test_property_names_that_are_not_identifiers_are_kept_as_keys():
    """`ship-to`, `联系 电话`: the field's key (and so the data's name) is the schema's own; untitled, it is the title."""
    form = _form("fmt_property_names")
    assert [(f.key, f.title) for f in form.walk()] == [
        ("ship-to", "ship-to"), ("联系 电话", "联系电话"), ("bill-to", "结算地址"), ("post-code", "post-code"),
        ("line items", "明细"), ("unit price", "单价")]
    data = {"ship-to": "上海", "联系 电话": "021-12345678", "bill-to": {"post-code": "200001"},
            "line items": [{"unit price": 12.5}]}
    assert submission.check(form, data).data == data
    assert [e["path"] for e in submission.check(form, {"ship-to": "上海"}).errors] == ["/联系 电话"]


def test_non_identifier_names_through_browser_post_and_excel():
    from forms.formdata import unflatten
    form = _form("fmt_property_names")
    html = base.get("html").render(form)
    html = html.decode() if isinstance(html, bytes) else html
    assert 'name="联系 电话"' in html and 'id="f-联系~电话"' in html and 'for="f-联系~电话"' in html
    assert 'name="bill-to.post-code"' in html and 'name="line items.0.unit price"' in html
    assert 'id="f-line~items.0.unit~price"' in html
    posted = [("ship-to", "上海"), ("联系 电话", "021-12345678"), ("bill-to.post-code", "200001"),
              ("line items.0.unit price", "12.5")]
    data = {"ship-to": "上海", "联系 电话": "021-12345678", "bill-to": {"post-code": "200001"},
            "line items": [{"unit price": 12.5}]}
    assert submission.check(form, unflatten(form, posted)).data == data
    result = import_workbook(form, base.get("xlsx").render(form, Filled(data=data)))
    assert result.ok, result.errors
    assert result.data == data


def test_identifiers_still_required_in_biaoge_own_dialect():
    text = json.dumps({"x-form": {"id": "demo", "title": "演示"}, "properties": {"ship-to": {"title": "收货"}}},
                      ensure_ascii=False)
    form, problems = compile_definition(parse(text, "demo.yaml"))
    assert form is None and [(p.code.code, p.pointer) for p in problems] == [("E106", "/properties/ship-to")]


def test_names_no_layer_can_carry_are_refused_in_a_standard_schema():
    for name in ("a.b", "a/b", "12", " lead", 'say "hi"', "a\\b", "x-" * 33):
        text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "演示",
                           "x-form": {"id": "demo"}, "properties": {name: {"type": "string"}}}, ensure_ascii=False)
        form, problems = compile_definition(parse(text, "demo.yaml"))
        assert form is None and [p.code.code for p in problems] == ["E106"], name


def test_spaced_names_and_new_inputs_in_browser(page, tmp_path):
    """Rows added to a table named `line items` keep ids and labels paired; time inputs post what the kinds read."""
    form = _form("fmt_property_names")
    path = tmp_path / "ship.html"
    path.write_bytes(base.get("html").render(form))
    page.goto(path.as_uri())
    page.click("button.add-row")
    page.fill('[name="line items.1.unit price"]', "3")
    assert page.get_attribute('[name="line items.1.unit price"]', "id") == "f-line~items.1.unit~price"
    assert page.eval_on_selector('label[for="f-line~items.1.unit~price"]', "l => l.control && l.control.name") == \
        "line items.1.unit price"
    assert page.errors == []
    form = _form("fmt_date_time")
    path.write_bytes(base.get("html").render(form))
    page.goto(path.as_uri())
    page.fill('[name="arrived"]', "2026-12-01T09:30")
    assert form.fields["arrived"].coerce(page.input_value('[name="arrived"]')) == "2026-12-01T09:30:00"
    form = _form("fmt_time")
    path.write_bytes(base.get("html").render(form))
    page.goto(path.as_uri())
    page.fill('[name="start"]', "08:30")
    assert form.fields["start"].coerce(page.input_value('[name="start"]')) == "08:30:00"
    assert submission.check(form, {"start": "08:30"}).ok
    assert page.errors == []


def test_blank_paper_prints_the_kinds_blanks():
    import io

    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(base.get("pdf").render(_form("fmt_time")))).pages)
    assert text.replace(" ", "").replace("　", "").count("时分") == 2
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(base.get("pdf").render(_form("fmt_date_time")))).pages)
    assert "年月日时分" in text.replace(" ", "").replace("　", "")
