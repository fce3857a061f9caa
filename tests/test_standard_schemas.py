"""Standard JSON Schema 2020-12 in (issue 19, item 1): each file of tests/standard_schemas/ holds a schema written
without biaoge's dialect, with valid and invalid data. biaoge accepts it with only `x-form: {id}` added — or refuses
it with the one coded message for its keyword — and on what it accepts it agrees with jsonschema's own verdict."""
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import main
from forms import submission
from forms.definition import compile_definition
from forms.errors import CATALOGUE
from forms.source import parse
from renderers import base

HERE = Path(__file__).parent / "standard_schemas"
CASES = sorted(HERE.glob("*.json"))


def _case(path):
    return json.loads(path.read_text("utf-8"))


def _definition_text(schema, form_id):
    """The schema unchanged but for `x-form: {id}`, as a JSON text (JSON is YAML) with one key a line."""
    return json.dumps({**schema, "x-form": {"id": form_id}}, ensure_ascii=False, indent=2)


def _compile(path):
    case = _case(path)
    text = _definition_text(case["schema"], path.stem.lower())
    form, problems = compile_definition(parse(text, path.name))
    return case, text, form, problems


def test_there_are_enough_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_standard_schema(path):
    case, text, form, problems = _compile(path)
    standard = jsonschema.Draft202012Validator(case["schema"])
    jsonschema.Draft202012Validator.check_schema(case["schema"])
    for data in case["valid"]:
        assert standard.is_valid(data), data
    for data in case["invalid"]:
        assert not standard.is_valid(data), data
    refused = case.get("refused")
    if refused:
        assert form is None
        assert [(p.code.code, p.pointer) for p in problems] == [(refused["code"], refused["path"])]
        (p,) = problems
        assert f"关键字 '{refused['keyword']}' 在纸面表格上没有对应" in p.message
        # file:line points at the keyword's own line in the JSON text
        line = next(n for n, t in enumerate(text.splitlines(), 1) if f'"{refused["keyword"]}":' in t)
        assert (p.file, p.line) == (path.name, line)
        return
    assert problems == [], "\n".join(map(str, problems))
    assert form.title == case["schema"]["title"]
    assert form.description == case["schema"].get("description", "")
    for data in case["valid"]:
        result = submission.check(form, data)
        assert result.ok, (data, result.errors)
    for data in case["invalid"]:
        assert not submission.check(form, data).ok, data
    if "kept" in case:   # what the check returns: open extras kept (never dropped), nested defaults applied
        assert submission.check(form, case["valid"][0]).data == case["kept"]


@pytest.mark.parametrize("path", [p for p in CASES if "refused" not in _case(p)], ids=lambda p: p.stem)
def test_accepted_schema_renders(path):
    case, _, form, _ = _compile(path)
    html = base.get("html").render(form)
    html = html.decode("utf-8") if isinstance(html, bytes) else html
    assert case["schema"]["title"] in html
    for name, spec in case["schema"]["properties"].items():
        assert spec.get("title", name) in html   # untitled: the property's own name is printed
    assert base.get("pdf").render(form)[:5] == b"%PDF-"
    assert base.get("xlsx").render(form)[:2] == b"PK"


def test_nested_default_is_applied():
    _, _, form, _ = _compile(HERE / "nested_default.json")
    assert submission.check(form, {}).data == {"addr": {"city": "北京"}}
    assert submission.check(form, {"addr": {"street": "长安街"}}).data == {"addr": {"city": "北京", "street": "长安街"}}
    assert submission.check(form, {"addr": {"city": "上海"}}).data == {"addr": {"city": "上海"}}


def test_x_form_title_wins_over_the_standard_title():
    schema = {"title": "标准标题", "description": "标准说明", "type": "object", "properties": {}}
    text = json.dumps({**schema, "x-form": {"id": "demo", "title": "表单标题", "description": "表单说明"}},
                      ensure_ascii=False)
    form, problems = compile_definition(parse(text, "demo.yaml"))
    assert problems == [] and (form.title, form.description) == ("表单标题", "表单说明")


def test_no_title_anywhere_is_still_refused():
    form, problems = compile_definition(parse('{"x-form": {"id": "demo"}, "properties": {}}', "demo.yaml"))
    assert form is None
    assert [(p.code.code, p.pointer, p.message) for p in problems] == [("E104", "/x-form", "缺少必需的关键字 'title'")]


def test_the_refusal_code_is_catalogued_once():
    assert CATALOGUE["no-paper-meaning"].code == "E108"
    assert [e.code for e in CATALOGUE.values()].count("E108") == 1


def test_biaoge_check_cli_agrees(tmp_path):
    case = _case(HERE / "title_and_description.json")
    (tmp_path / "room.yaml").write_text(_definition_text(case["schema"], "room_std"), "utf-8")
    runner = CliRunner()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(case["valid"][0], ensure_ascii=False), "utf-8")
    bad.write_text(json.dumps(case["invalid"][0], ensure_ascii=False), "utf-8")
    ok = runner.invoke(main, ["check", "room_std", str(good), "--schemas", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"room": "一号", "people": 3}
    no = runner.invoke(main, ["check", "room_std", str(bad), "--schemas", str(tmp_path)])
    assert no.exit_code == 1


def test_the_docs_worked_example_compiles():
    from .conftest import ROOT
    doc = (ROOT / "docs" / "authoring.md").read_text("utf-8")
    section = doc.split("## Standard JSON Schema in", 1)[1].split("\n## ", 1)[0]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    form, problems = compile_definition(parse(example, "delivery.yaml"))
    assert problems == [] and (form.id, form.title) == ("delivery_address", "收货地址登记")
    assert form.description == "客户的收货地址，供发货使用。"
    assert submission.check(form, {"name": "李四", "state": "已发货"}).data == \
        {"name": "李四", "addr": {"city": "北京"}, "state": "待发货"}
    assert form.fields["addr"].children["city"].title == "城市"
    refused = json.loads(example)
    refused["properties"]["code"] = {"title": "代码", "type": "string", "not": {"const": "x"}}
    _, problems = compile_definition(parse(json.dumps(refused, ensure_ascii=False), "delivery.yaml"))
    assert [p.message for p in problems][0] in section


def test_biaoge_dialect_still_refuses_unknown_keys():
    """No `$schema` and no `additionalProperties`: biaoge's own definition, closed as before."""
    text = json.dumps({"x-form": {"id": "demo", "title": "演示表"}, "properties": {"a": {"title": "甲"}}},
                      ensure_ascii=False)
    form, problems = compile_definition(parse(text, "demo.yaml"))
    assert problems == []
    result = submission.check(form, {"a": "1", "b": "2"})
    assert [e["path"] for e in result.errors] == ["/b"]
    opened = json.dumps({"x-form": {"id": "demo", "title": "演示表"}, "additionalProperties": True,
                         "properties": {"a": {"title": "甲"}}}, ensure_ascii=False)
    form, _ = compile_definition(parse(opened, "demo.yaml"))
    assert submission.check(form, {"a": "1", "b": "2"}).data == {"a": "1", "b": "2"}


def test_const_refusal_names_the_field():
    _, _, form, _ = _compile(HERE / "const_field.json")
    errors = submission.check(form, {"ver": "v1"}).errors
    assert [e["path"] for e in errors] == ["/ver"]
    assert "版本" in errors[0]["message"]


def test_nullable_means_optional():
    """["string", "null"]: a blank on paper. Listed in `required`, it still may be left empty (null)."""
    _, _, form, _ = _compile(HERE / "nullable_type_array.json")
    assert (form.fields["note"].kind, form.fields["note"].must_fill) == ("text", False)
    assert form.fields["score"].kind == "integer"
    assert submission.check(form, {"note": None, "score": None}).data == {}


def test_a_ref_to_another_file_is_refused():
    text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "甲", "x-form": {"id": "a"},
                       "properties": {"c": {"title": "代码", "$ref": "other.json#/c"}}}, ensure_ascii=False)
    form, problems = compile_definition(parse(text, "a.yaml"))
    assert form is None and [(p.code.code, p.pointer) for p in problems] == [("E101", "/properties/c/$ref")]


@pytest.mark.parametrize("path", [p for p in CASES if "refused" not in _case(p)], ids=lambda p: p.stem)
def test_the_published_schema_agrees_on_the_samples(path):
    """`biaoge schema` of an accepted standard schema gives jsonschema the same verdict as the schema itself
    on every sample (an open level stays open: extra keys the form keeps are valid there too)."""
    from forms.published import submission_schema
    case, _, form, problems = _compile(path)
    assert not problems
    published = jsonschema.Draft202012Validator(submission_schema(form), format_checker=jsonschema.FormatChecker())
    original = jsonschema.Draft202012Validator(case["schema"], format_checker=jsonschema.FormatChecker())
    for sample in case["valid"] + case["invalid"]:
        assert published.is_valid(sample) == original.is_valid(sample), sample


def test_read_only_is_shown_not_editable():
    """`readOnly: true`: the fill page shows the value (its default on a new record) with no control to post it."""
    import lxml.html
    _, _, form, problems = _compile(HERE / "read_only_default.json")
    assert not problems
    page = lxml.html.fromstring(base.get("html").render(form))
    shown = page.cssselect("output#f-state")
    assert [o.text_content().strip() for o in shown] == ["待处理"]
    assert not page.cssselect('input[name="state"], select[name="state"], textarea[name="state"]')
    assert page.cssselect('[name="what"]')
