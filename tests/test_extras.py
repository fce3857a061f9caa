"""Extra properties (keys a record's data carries that its form does not define) are shown, never
dropped: listed on the record page under 其他字段 (escaped, bounded), returned by the API as stored,
kept when the record is revised through the page, and shown to nobody who may not read the record."""
from __future__ import annotations

import re

from forms import limits
from forms.submission import check

from .people import client_as, person
from .render_helpers import html_tree

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}
EXTRAS = {"crm_id": "C-1001", "来源系统": "<b>ERP</b>", "tags": ["a", 1], "long_note": "长" * 1000}


def _store_with_extras(app, creator="ywy_bj", department="北京办事处"):
    """A record of order_form whose data carries extra keys, at the top level and in a table row,
    written straight through the store (as a record of an open standard schema would be)."""
    records = app.extensions["biaoge.records"]
    form = records.catalog.require("order_form")
    data = check(form, ORDER).data
    data.update(EXTRAS)
    data["items"][0]["batch"] = "B-7"
    rec = records.save_new(form, data, creator=creator, department=department)
    return rec["id"]


def _listed(page_bytes) -> dict:
    tree = html_tree(page_bytes)
    section = tree.cssselect("section#extra-fields")
    assert section, "no 其他字段 section"
    assert section[0].cssselect("h2")[0].text_content() == "其他字段"
    keys = [dt.text_content() for dt in section[0].cssselect("dt.extra-key")]
    values = [dd.text_content() for dd in section[0].cssselect("dd.extra-value")]
    return dict(zip(keys, values))


def test_the_record_page_lists_extras_escaped_and_bounded(app):
    rid = _store_with_extras(app)
    admin = client_as(app, app.admin_token)
    page = admin.get(f"/forms/order_form/records/{rid}")
    assert page.status_code == 200
    listed = _listed(page.data)
    assert listed["crm_id"] == "C-1001"
    assert listed["来源系统"] == "<b>ERP</b>"                  # shown as text ...
    assert b"<b>ERP</b>" not in page.data and b"&lt;b&gt;ERP&lt;/b&gt;" in page.data   # ... escaped
    assert listed["tags"] == '["a", 1]'
    assert listed["items.1.batch"] == "B-7"
    assert listed["long_note"] == "长" * limits.MAX_EXTRA_CHARS + "…"
    assert "customer_name" not in listed                        # the form's own fields are not extras


def test_a_record_without_extras_has_no_section(app):
    admin = client_as(app, app.admin_token)
    assert admin.post("/api/forms/order_form/submissions", json=ORDER).status_code == 201
    assert not html_tree(admin.get("/forms/order_form/records/1").data).cssselect("#extra-fields")


def test_the_api_returns_extras_as_stored(app):
    rid = _store_with_extras(app)
    data = client_as(app, app.admin_token).get(f"/api/forms/order_form/submissions/{rid}").get_json()["data"]
    for key, value in EXTRAS.items():
        assert data[key] == value
    assert data["items"][0]["batch"] == "B-7"


def test_who_may_not_read_the_record_sees_no_extras(app):
    rid = _store_with_extras(app)                        # made in 北京办事处
    rep = client_as(app, person(app, "ywy", roles=["业务员"], department="上海办事处"))   # reads their own only
    page = rep.get(f"/forms/order_form/records/{rid}")
    assert page.status_code in (403, 404) and "C-1001" not in page.get_data(as_text=True)
    api = rep.get(f"/api/forms/order_form/submissions/{rid}")
    assert api.status_code in (403, 404) and "C-1001" not in api.get_data(as_text=True)
    own = client_as(app, person(app, "ywy_bj", roles=["业务员"], department="北京办事处"))
    assert _listed(own.get(f"/forms/order_form/records/{rid}").data)["crm_id"] == "C-1001"


def test_revising_through_the_page_keeps_the_extras(app):
    rid = _store_with_extras(app)
    admin = client_as(app, app.admin_token)
    url = f"/forms/order_form/records/{rid}/edit"
    token = re.search(rb'name="csrf_token" value="([^"]+)"', admin.get(url).data).group(1).decode()
    r = admin.post(url, data={"csrf_token": token, "customer_name": "新客户", "order_date": "2026-11-27",
                              "pay_method": "现金", "items.0.product_name": "洗衣粉", "items.0.quantity": "4",
                              "items.0.unit_price": "12.5"})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    latest = admin.get(f"/api/forms/order_form/submissions/{rid}").get_json()
    assert latest["revision"] == 2 and latest["data"]["customer_name"] == "新客户"
    for key, value in EXTRAS.items():
        assert latest["data"][key] == value
    assert latest["data"]["items"][0]["batch"] == "B-7"
    assert _listed(admin.get(f"/forms/order_form/records/{rid}").data)["crm_id"] == "C-1001"


def test_an_open_standard_form_keeps_what_a_client_sends_beyond_its_fields(tmp_path):
    """End to end: a standard schema that leaves additionalProperties open, posted through the API —
    the extra keys are stored, returned by the API and listed under 其他字段 (never silently dropped)."""
    import json
    import shutil

    from server.app import create_app

    from .conftest import SCHEMAS
    from .people import admin_token
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "title": "设备登记",
              "properties": {"sn": {"title": "序列号", "type": "string"}}, "required": ["sn"],
              "x-form": {"id": "device_register"}}
    (schemas / "09-business-documents" / "device_register.yaml").write_text(json.dumps(schema, ensure_ascii=False),
                                                                            "utf-8")
    app = create_app({"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "test",
                      "TESTING": False, "API_RATE": "100000 per minute", "ARCHIVE_JOB_WORKERS": 1})
    admin = client_as(app, admin_token(app))
    posted = admin.post("/api/forms/device_register/submissions", json={"sn": "A1", "vendor": "某厂", "n": 3})
    assert posted.status_code == 201, posted.get_json()
    rid = posted.get_json()["id"]
    got = admin.get(f"/api/forms/device_register/submissions/{rid}").get_json()
    assert got["data"]["vendor"] == "某厂" and got["data"]["n"] == 3
    assert _listed(admin.get(f"/forms/device_register/records/{rid}").data) == {"vendor": "某厂", "n": "3"}
