"""if/then/else and dependentRequired of a standard JSON Schema read as x-when + required (forms/standard_conditions.py):
the compiled fields, the submission check (shown and required only while the condition holds), the fill page's
show/hide, and the one coded refusal (E109) for what does not map."""
import json
from pathlib import Path

import pytest

from forms import submission
from forms.definition import compile_definition
from forms.errors import CATALOGUE
from forms.source import parse
from renderers import base
from tests.render_helpers import html_tree

HERE = Path(__file__).parent / "standard_schemas"
STD = "https://json-schema.org/draft/2020-12/schema"


def _form(name):
    schema = json.loads((HERE / f"{name}.json").read_text("utf-8"))["schema"]
    form, problems = compile_definition(parse(json.dumps({**schema, "x-form": {"id": "demo"}}, ensure_ascii=False),
                                              f"{name}.json"))
    assert problems == []
    return form


def _problems(schema):
    text = json.dumps({"$schema": STD, "title": "演示", "type": "object", "x-form": {"id": "demo"}, **schema},
                      ensure_ascii=False, indent=2)
    form, problems = compile_definition(parse(text, "demo.json"))
    assert form is None
    return [(p.code.code, p.pointer, p.message) for p in problems]


def test_then_gives_the_field_a_condition_and_required():
    form = _form("cond_if_then")
    tracking = form.fields["tracking"]
    assert form.definition["properties"]["tracking"]["x-when"] == 'ship == "快递"'
    assert (tracking.required, tracking.must_fill, tracking.spec["minLength"]) == (True, False, 8)
    assert "if" not in form.definition and "then" not in form.definition
    assert submission.check(form, {"ship": "快递"}).errors == [
        {"path": "/tracking", "field": "快递单号", "message": "「快递单号」为必填项"}]
    assert submission.check(form, {"ship": "自提"}).data == {"ship": "自提"}
    # hidden while the condition is false: its value is dropped, as for any x-when
    assert submission.check(form, {"ship": "自提", "tracking": "SF1"}).data == {"ship": "自提"}


def test_else_is_the_negation():
    form = _form("cond_if_then_else")
    assert form.definition["properties"]["receiver"]["x-when"] == 'not(pay == "转账")'
    assert [e["path"] for e in submission.check(form, {}).errors] == ["/receiver"]
    assert [e["path"] for e in submission.check(form, {"pay": "转账"}).errors] == ["/account"]
    assert submission.check(form, {"pay": "现金", "receiver": "张三", "account": "1"}).data == \
        {"pay": "现金", "receiver": "张三"}


def test_dependent_required_names_each_missing_field():
    form = _form("cond_dependent_required")
    assert form.definition["properties"]["park"]["x-when"] == 'car != ""'
    errors = submission.check(form, {"name": "王五", "car": "京A12345"}).errors
    assert [(e["path"], e["message"]) for e in errors] == [("/hours", "「停车时长」为必填项"), ("/park", "「停车位」为必填项")]


def test_a_condition_in_a_section_and_in_a_row():
    form = _form("cond_section")
    assert form.fields["trip"].children["flight"].when is not None
    assert submission.check(form, {"who": "赵六"}).data == {"who": "赵六"}   # the section left out stays out
    assert [e["message"] for e in submission.check(form, {"who": "赵六", "trip": {"mode": "飞机"}}).errors] == \
        ["行程 › 「航班号」为必填项"]
    form = _form("cond_row")
    # no `required` in `if`: an unfilled 是否归还 passes the if, as in JSON Schema
    assert form.definition["properties"]["rows"]["items"]["properties"]["date"]["x-when"] == \
        '(back == "" or back == "归还")'
    errors = submission.check(form, {"rows": [{"item": "笔", "back": "不归还"}, {"item": "相机"}]}).errors
    assert [(e["path"], e["message"]) for e in errors] == [("/rows/1/date", "明细第 2 行「归还日期」为必填项")]


def test_the_fill_page_hides_the_dependent_field_like_x_when():
    tree = html_tree(base.get("html").render(_form("cond_if_then")))
    assert tree.cssselect('[data-when] input[name="tracking"]')
    assert not tree.cssselect('[data-when] [name="ship"]')


@pytest.mark.parametrize("schema, path, why", [
    ({"properties": {"n": {"title": "数", "type": "integer"}, "m": {"title": "备注", "type": "string"}},
      "if": {"properties": {"n": {"minimum": 3}}, "required": ["n"]}, "then": {"required": ["m"]}},
     "/if", "if 对字段 'n' 只能用 const 或 enum 判断"),
    ({"properties": {"a": {"title": "甲", "type": "string"}, "b": {"title": "乙", "type": "string"}},
      "if": {"properties": {"a": {"const": "x"}}}, "then": {"properties": {"b": {"maxLength": 2}}}},
     "/then", "then/else 只能限制同一分支 required 列出的字段，'b' 不在其中"),
    ({"properties": {"a": {"title": "甲", "type": "string"}}, "then": {"required": ["a"]}},
     "/then", "then/else 要与 if 一起写"),
    ({"properties": {"n": {"title": "数", "type": "number"}, "b": {"title": "乙", "type": "string"}},
      "dependentRequired": {"n": ["b"]}},
     "/dependentRequired", "dependentRequired 只能按文字字段是否已填来判断，'n' 不是文字字段"),
    ({"properties": {"s": {"title": "组", "type": "object", "properties": {"a": {"title": "甲", "type": "string"}},
                           "if": {"properties": {"a": {"const": "x"}}}, "then": {"required": ["zz"]}}}},
     "/properties/s/then", "required 说到的 'zz' 不是这一层的字段"),
    ({"properties": {"s": {"title": "组", "type": "object", "properties": {}}, "b": {"title": "乙", "type": "string"}},
      "if": {"required": ["s"]}, "then": {"required": ["b"]}},
     "/if", "'s' 是分组或表格，条件只能判断一个值"),
])
def test_what_does_not_map_is_refused_once(schema, path, why):
    ((code, pointer, message),) = _problems(schema)
    assert (code, pointer) == ("E109", path)
    assert why in message and message.startswith(f"关键字 '{path.rsplit('/', 1)[1]}' 在纸面表格上没有对应")


def test_the_code_is_catalogued_once():
    assert CATALOGUE["condition-unsupported"].code == "E109"
    assert [e.code for e in CATALOGUE.values()].count("E109") == 1

