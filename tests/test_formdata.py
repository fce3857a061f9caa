"""What a browser posts without JavaScript becomes a submission the engine computes."""
from forms.formdata import unflatten
from forms.submission import check


def test_posted_pairs_become_a_computed_submission(order_form):
    pairs = [("customer_name", "华联超市"), ("order_date", "2026-11-27"), ("pay_method", "转账"),
             ("items.0.product_name", "洗衣粉"), ("items.0.quantity", "3"), ("items.0.unit_price", "12.50"),
             ("items.1.product_name", ""), ("items.1.quantity", ""), ("items.1.unit_price", ""),
             ("items.2.product_name", "肥皂"), ("items.2.quantity", "10"), ("items.2.unit_price", "2.05"),
             ("total", "1"), ("csrf_token", "x")]
    data = unflatten(order_form, [p for p in pairs if p[0] != "csrf_token"])
    assert data["items"][0]["quantity"] == 3 and data["items"][0]["unit_price"] == 12.5
    assert len(data["items"]) == 2, "empty rows are dropped"
    r = check(order_form, data)
    assert r.ok, r.errors
    assert r.data["total"] == 58 and r.data["total_in_words"] == "伍拾捌元整"


def test_text_that_is_not_a_number_is_reported(order_form):
    data = unflatten(order_form, [("customer_name", "甲"), ("order_date", "2026-11-27"),
                                  ("items.0.product_name", "洗衣粉"), ("items.0.quantity", "三"),
                                  ("items.0.unit_price", "1,200.50")])
    assert data["items"][0]["unit_price"] == 1200.5
    r = check(order_form, data)
    assert [e["message"] for e in r.errors] == ["订货明细第 1 行「数量」必须是不小于 0 的整数"]


def test_checkboxes_and_hostile_names(catalog):
    form = catalog.require("customer_complaint_register")
    f = next(x for x in form.walk() if x.kind == "multichoice")
    name = ".".join(f.path)
    data = unflatten(form, [(name, f.choices[0]), (name, f.choices[1]), ("a..b", "x"), ("items.99999.x", "1"),
                            ("__proto__.x", "1")])
    cur = data
    for part in f.path:
        cur = cur[part]
    assert cur == f.choices[:2]
    assert "a" not in data and not data.get("items"), "malformed names and huge indices are ignored"
    messages = [e["message"] for e in check(form, data).errors]
    assert "'__proto__' 不是这个表单的字段" in messages
