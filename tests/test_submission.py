"""Submissions: normalized output or every error, with Chinese messages naming field and row."""
import pytest

from forms.submission import check

ORDER = {
    "customer_name": "华联超市", "order_date": "2026-11-27",
    "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5},
              {"product_name": "肥皂", "quantity": 10, "unit_price": 2.05}],
}


def test_computes_amounts_total_and_words(order_form):
    r = check(order_form, ORDER)
    assert r.ok, r.errors
    assert [i["amount"] for i in r.data["items"]] == [37.5, 20.5]
    assert r.data["total"] == 58
    assert r.data["total_in_words"] == "伍拾捌元整"


def test_client_values_for_computed_fields_are_never_trusted(order_form):
    sent = {**ORDER, "total": 1, "total_in_words": "壹元整",
            "items": [{**ORDER["items"][0], "amount": 999}]}
    r = check(order_form, sent)
    assert r.ok
    assert r.data["items"][0]["amount"] == 37.5
    assert r.data["total"] == 37.5
    assert r.data["total_in_words"] == "叁拾柒元伍角"


def test_defaults_applied(order_form):
    assert check(order_form, ORDER).data["pay_method"] == "转账"


def test_input_is_not_modified(order_form):
    sent = {**ORDER, "total": 5}
    check(order_form, sent)
    assert sent["total"] == 5


def test_every_error_reported_with_row_and_field(order_form):
    bad = {"order_date": "2026-13-40", "zzz": 1,
           "items": [{"product_name": "洗衣粉", "quantity": -3, "unit_price": 12.555},
                     {"product_name": "肥皂", "quantity": 2.5, "unit_price": "abc"}, {}]}
    r = check(order_form, bad)
    assert not r.ok and r.data is None
    messages = {e["path"]: e["message"] for e in r.errors}
    assert messages["/customer_name"] == "「客户名称」为必填项"
    assert messages["/order_date"].startswith("「订货日期」不是有效的日期")
    assert messages["/items/0/quantity"] == "订货明细第 1 行「数量」必须是不小于 0 的整数"
    assert messages["/items/1/quantity"] == "订货明细第 2 行「数量」必须是不小于 0 的整数"
    assert messages["/items/0/unit_price"] == "订货明细第 1 行「单价」最多保留 2 位小数"
    assert "/items/1/unit_price" in messages
    assert messages["/items/2/product_name"] == "订货明细第 3 行「商品名称」为必填项"
    assert messages["/zzz"] == "'zzz' 不是这个表单的字段"
    fields = {e["path"]: e["field"] for e in r.errors}
    assert fields["/items/0/quantity"] == "数量"


def test_choice_and_empty_table(order_form):
    r = check(order_form, {**ORDER, "pay_method": "赊账", "items": []})
    messages = {e["path"]: e["message"] for e in r.errors}
    assert messages["/pay_method"] == "「付款方式」必须是以下选项之一：现金、转账、支票"
    assert messages["/items"] == "「订货明细」至少要填 1 行"


def test_conditional_field_dropped_when_condition_false(order_form):
    r = check(order_form, {**ORDER, "pay_method": "现金", "bank_account": "6222"})
    assert r.ok and "bank_account" not in r.data
    r = check(order_form, {**ORDER, "pay_method": "转账", "bank_account": "6222"})
    assert r.data["bank_account"] == "6222"


def test_conditional_field_required_only_when_shown(make_schemas):
    from services.catalog import load_catalog
    folder = make_schemas({"f.yaml": """
        x-form: {id: f, title: 测试}
        required: [method, other]
        properties:
          method: {title: 投诉方式, enum: [电话, 其他]}
          other: {title: 其他方式说明, x-kind: text, x-when: method == "其他"}
    """})
    form = load_catalog(folder).require("f")
    assert check(form, {"method": "电话"}).ok
    r = check(form, {"method": "其他"})
    assert [e["message"] for e in r.errors] == ["「其他方式说明」为必填项"]
    assert check(form, {"method": "其他", "other": "微信"}).ok


def test_empty_strings_and_nulls_mean_not_filled(order_form):
    r = check(order_form, {**ORDER, "contact": "", "phone": None})
    assert r.ok and "contact" not in r.data and "phone" not in r.data


@pytest.mark.parametrize("kind,good,bad,message", [
    ("phone", "13800138000", "12345", "不是有效的电话号码"),
    ("phone", "010-12345678", "abc", "不是有效的电话号码"),
    ("email", "a@b.cn", "a@b", "不是有效的电子邮箱"),
    ("idcard", "11010519491231002X", "110105194912310021", "不是有效的身份证号码"),
    ("month", "2026-11", "2026-13", "不是有效的月份"),
    ("year", 2026, 1800, "必须是 1900 到 2100 之间的整数"),
    ("money", 12.34, 12.345, "最多保留 2 位小数"),
    ("boolean", True, "yes", "只能是「是」或「否」"),
])
def test_kinds(make_schemas, kind, good, bad, message):
    from services.catalog import load_catalog
    folder = make_schemas({"k.yaml": f"x-form: {{id: k, title: 测试}}\nproperties:\n  v: {{title: 值, x-kind: {kind}}}\n"})
    form = load_catalog(folder).require("k")
    assert check(form, {"v": good}).ok
    r = check(form, {"v": bad})
    assert r.errors and message in r.errors[0]["message"], r.errors


def test_not_an_object(order_form):
    assert check(order_form, [1, 2]).errors[0]["message"].startswith("提交的内容必须是")


def test_validator_built_once(order_form):
    from forms.submission import validator_of
    assert validator_of(order_form) is validator_of(order_form)
