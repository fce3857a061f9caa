"""The server: pages, JSON API, errors, CSRF, revisions, hot reload, versions."""
import re
import time

import pytest

from forms.submission import check

from .render_helpers import html_tree, pdf_pages, squash

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5},
                   {"product_name": "肥皂", "quantity": 10, "unit_price": 2.05}]}


def post_order(client, data=None):
    return client.post("/api/forms/order_form/submissions", json=data or ORDER)


def csrf(client, url):
    page = client.get(url)
    return re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()


# ---------------------------------------------------------------- API
def test_api_forms_and_definition(client):
    forms = client.get("/api/forms").get_json()["forms"]
    assert {"order_form", "collection_notice"} <= {f["id"] for f in forms}
    d = client.get("/api/forms/order_form").get_json()
    assert d["title"] == "商品订货单" and d["definition"]["properties"]["items"]["title"] == "订货明细"


def test_api_submit_201_with_id_and_number(client):
    r = post_order(client)
    assert r.status_code == 201
    body = r.get_json()
    assert body["id"] == 1 and re.fullmatch(r"DH-202611-0001", body["number"])
    assert body["data"]["total"] == 58 and body["data"]["total_in_words"] == "伍拾捌元整"
    assert r.headers["Location"].endswith("/api/forms/order_form/submissions/1")
    assert post_order(client).get_json()["number"] == "DH-202611-0002"
    got = client.get("/api/forms/order_form/submissions/1").get_json()
    assert got["number"] == "DH-202611-0001" and got["data"]["items"][0]["amount"] == 37.5


def test_api_422_lists_every_error(client):
    r = post_order(client, {"items": [{"quantity": -1}]})
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["status"] == 422 and err["code"] == "invalid"
    paths = {e["path"]: e for e in err["errors"]}
    assert paths["/customer_name"]["message"] == "「客户名称」为必填项"
    assert paths["/items/0/quantity"]["field"] == "数量"
    assert client.get("/api/forms/order_form/submissions").get_json()["total"] == 0


@pytest.mark.parametrize("url", ["/api/forms/nope", "/api/forms/order_form/submissions/99",
                                 "/api/forms/bad-id!/submissions/1", "/api/forms/bad-id!/submissions/1.pdf",
                                 "/api/forms/order_form/submissions/99.pdf", "/api/nothing-here"])
def test_api_404_has_the_error_shape(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert set(r.get_json()["error"]) >= {"status", "code", "message"}


def test_api_413_and_415(client):
    big = {**ORDER, "remark": "很" * 200_000}
    r = post_order(client, big)
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
    r = client.post("/api/forms/order_form/submissions", data="customer_name=x",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"
    r = client.post("/api/forms/order_form/submissions", data="{bad json", content_type="application/json")
    assert r.status_code == 400


def test_no_stack_trace_reaches_the_client(client, monkeypatch):
    from server import api

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(api, "check", boom)
    r = post_order(client)
    assert r.status_code == 500
    assert b"secret internal detail" not in r.data and b"Traceback" not in r.data
    assert r.get_json()["error"]["code"] == "internal_error"


def test_api_list_paged_and_filtered(client):
    for i in range(5):
        post_order(client, {**ORDER, "customer_name": f"客户{i}"})
    r = client.get("/api/forms/order_form/submissions?per_page=2&page=1").get_json()
    assert r["total"] == 5 and r["pages"] == 3 and [x["id"] for x in r["items"]] == [5, 4]
    r = client.get("/api/forms/order_form/submissions?q=客户3").get_json()
    assert [x["data"]["customer_name"] for x in r["items"]] == ["客户3"]
    assert client.get("/api/forms/order_form/submissions?from=2999-01-01").get_json()["total"] == 0


def test_api_record_files(client):
    post_order(client)
    pdf = client.get("/api/forms/order_form/submissions/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "伍拾捌元整" in squash("".join(pdf_pages(pdf.data)))
    xlsx = client.get("/api/forms/order_form/submissions/1.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_openapi_matches_the_routes(app, client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    with app.app_context():
        from server import context
        ids = set(context.catalog().forms)
    concrete = {p for p in doc["paths"] if re.match(r"^/api/forms/[a-z0-9_]+/submissions", p)}
    assert {p.split("/")[3] for p in concrete} == ids   # every form has its own submission paths
    for p in concrete:   # … with that form's own schemas
        fid = p.split("/")[3]
        for op in doc["paths"][p].values():
            text = str(op)
            assert f"#/components/schemas/{fid}.record" in text
            if "requestBody" in op:
                assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"] == \
                    f"#/components/schemas/{fid}.submission"
    schema = doc["components"]["schemas"]["order_form.submission"]
    assert schema["properties"]["total"]["readOnly"] is True and "total" not in schema.get("required", [])
    assert schema["properties"]["items"]["items"]["properties"]["amount"]["readOnly"] is True
    assert schema["properties"]["items"]["maxItems"] == 1000
    documented = {(re.sub(r"^/api/forms/[a-z0-9_]+/", "/api/forms/{form_id}/", path), method)
                  for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes == documented


# ---------------------------------------------------------------- pages
def test_catalog_by_chapter_with_search(client):
    tree = html_tree(client.get("/").data)
    chapters = [h.text_content() for h in tree.cssselect("h2.chapter")]
    assert chapters[0] == "第一章 销售管理"
    assert tree.cssselect('a[href="/forms/order_form"]')
    tree = html_tree(client.get("/?q=商品订货").data)
    titles = [a.text_content() for a in tree.cssselect(".forms-grid li > a")]
    assert titles == ["商品订货单"]


def test_fill_submit_confirm_and_download(client):
    token = csrf(client, "/forms/order_form")
    r = client.post("/forms/order_form", data={
        "csrf_token": token, "customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
        "items.0.product_name": "洗衣粉", "items.0.quantity": "3", "items.0.unit_price": "12.5",
        "items.1.product_name": "", "items.1.quantity": "", "items.1.unit_price": ""})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    tree = html_tree(page.data)
    assert tree.cssselect("#record-number")[0].text_content() == "DH-202611-0001"
    pdf_link = tree.cssselect("#pdf-link")[0].get("href")
    pdf = client.get(pdf_link)
    assert "叁拾柒元伍角" in squash("".join(pdf_pages(pdf.data)))


def test_form_post_needs_csrf(app):
    from tests.people import signed_in_session
    client = signed_in_session(app)
    r = client.post("/forms/order_form", data={"customer_name": "x"})
    assert r.status_code == 403 and "CSRF" in r.get_data(as_text=True)


def test_invalid_post_shows_errors_beside_fields(client):
    token = csrf(client, "/forms/order_form")
    r = client.post("/forms/order_form", data={"csrf_token": token, "order_date": "2026-11-27",
                                               "items.0.product_name": "洗衣粉", "items.0.quantity": "-2",
                                               "items.0.unit_price": "1"})
    assert r.status_code == 422
    tree = html_tree(r.data)
    assert tree.cssselect("p.error#e-customer_name")[0].text_content() == "「客户名称」为必填项"
    assert "必须是不小于 0 的整数" in tree.cssselect('p.error[id="e-items.0.quantity"]')[0].text_content()
    assert tree.cssselect('input[name="items.0.product_name"][value="洗衣粉"]'), "nothing typed is lost"


def test_records_list_and_blank_downloads(client):
    post_order(client)
    tree = html_tree(client.get("/forms/order_form/records").data)
    assert "DH-202611-0001" in tree.cssselect("table.list")[0].text_content()
    assert client.get("/forms/order_form/blank.pdf").mimetype == "application/pdf"
    assert client.get("/forms/order_form/blank.xlsx").data[:2] == b"PK"
    assert client.get("/forms/nope").status_code == 404
    assert "找不到" in client.get("/forms/nope").get_data(as_text=True)


def test_edit_makes_a_revision_and_the_old_one_stays_printable(client):
    post_order(client)
    token = csrf(client, "/forms/order_form/records/1/edit")
    r = client.post("/forms/order_form/records/1/edit", data={
        "csrf_token": token, "customer_name": "新客户", "order_date": "2026-11-27", "pay_method": "现金",
        "items.0.product_name": "洗衣粉", "items.0.quantity": "4", "items.0.unit_price": "12.5"})
    assert r.status_code == 303
    latest = client.get("/api/forms/order_form/submissions/1").get_json()
    assert latest["revision"] == 2 and latest["number"] == "DH-202611-0001" and latest["data"]["total"] == 50
    first = client.get("/api/forms/order_form/submissions/1?rev=1").get_json()
    assert first["data"]["customer_name"] == "华联超市"
    old_pdf = squash("".join(pdf_pages(client.get("/forms/order_form/records/1.pdf?rev=1").data)))
    assert "华联超市" in old_pdf and "伍拾捌元整" in old_pdf
    page = client.get("/forms/order_form/records/1").get_data(as_text=True)
    assert "修订记录" in page and "第 1 版" in page


def test_upload_filled_excel_template(client):
    import io

    from server import context
    with client.application.app_context():
        form = context.catalog().require("order_form")
    blank = client.get("/forms/order_form/blank.xlsx").data
    from tests.test_xlsx import fill  # the Excel tests' own filler
    filled = fill(form, blank, check(form, ORDER).data)
    token = csrf(client, "/forms/order_form/records")
    r = client.post("/forms/order_form/upload", data={"csrf_token": token,
                                                      "file": (io.BytesIO(filled), "订货单.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    assert client.get("/api/forms/order_form/submissions/1").get_json()["data"]["total"] == 58
    r = client.post("/forms/order_form/upload", data={"csrf_token": token,
                                                      "file": (io.BytesIO(b"not excel"), "x.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Excel" in r.get_data(as_text=True)


# ---------------------------------------------------------------- definitions while running
def touch_later(path, text):
    time.sleep(0.01)
    path.write_text(text, "utf-8")


def test_new_and_edited_definitions_show_up_without_restart(app, client):
    schemas = app.schemas_path
    assert client.get("/api/forms/visit_log").status_code == 404
    touch_later(schemas / "visit_log.yaml", "x-form: {id: visit_log, title: 客户拜访记录, chapter: 第四章 客户服务管理}\n"
                "properties:\n  customer: {title: 客户名称, x-kind: text}\n")
    assert client.get("/api/forms/visit_log").status_code == 200
    assert "客户拜访记录" in client.get("/").get_data(as_text=True)
    touch_later(schemas / "visit_log.yaml", "x-form: {id: visit_log, title: 客户拜访记录, chapter: 第四章 客户服务管理}\n"
                "properties:\n  customer: {title: 客户名称, x-kind: text}\n  result: {title: 拜访结果, x-kind: text}\n")
    assert "拜访结果" in client.get("/forms/visit_log").get_data(as_text=True)


def test_a_broken_definition_shows_its_errors_and_the_rest_works(app, client):
    touch_later(app.schemas_path / "broken.yaml", "x-form: {id: broken, title: 坏表}\nproperties:\n"
                "  a: {title: 甲, x-kind: nubmer}\n")
    page = client.get("/")
    assert page.status_code == 200
    tree = html_tree(page.data)
    broken = tree.cssselect(".forms-grid li.broken")[0].text_content()
    assert "broken.yaml" in broken and "是否想写 'number'" in broken and "第 3 行" in broken
    assert tree.cssselect('a[href="/forms/order_form"]')
    assert post_order(client).status_code == 201
    assert "schemas/broken.yaml" in client.get("/api/forms").get_json()["broken"]


def test_old_records_render_after_their_definition_changes(app, client):
    post_order(client)
    path = app.schemas_path / "01-sales" / "05-order_form.yaml"
    text = path.read_text("utf-8").replace("title: 订货明细", "title: 商品明细").replace("version: 1", "version: 2")
    text = re.sub(r"\n  remark:\n    x-use: remark\n    x-kind: textarea\n    x-span: 2\n", "\n", text)
    touch_later(path, text)
    assert "商品明细" in client.get("/forms/order_form").get_data(as_text=True)
    old = squash("".join(pdf_pages(client.get("/forms/order_form/records/1.pdf").data)))
    assert "订货明细" in old and "商品明细" not in old and "伍拾捌元整" in old
    assert client.get("/forms/order_form/records/1").status_code == 200
    assert post_order(client).get_json()["version"] == 2
    new = squash("".join(pdf_pages(client.get("/forms/order_form/records/2.pdf").data)))
    assert "商品明细" in new


def test_catalog_page_in_the_seed_order(app, client):
    from services.catalog import load_catalog
    tree = html_tree(client.get("/").data)
    page = [a.text_content() for a in tree.cssselect(".forms-grid li > a")]
    expected = [f.title for fs in load_catalog(app.schemas_path).by_chapter().values() for f in fs]
    assert page == expected and len(page) == 84
    assert [h.text_content() for h in tree.cssselect("h2.chapter")][-1] == "业务单据"


def test_archive_download_is_streamed_and_capped(app, client):
    import io
    import zipfile
    for i in range(3):
        post_order(client, {**ORDER, "customer_name": f"客户{i}"})
    tree = html_tree(client.get("/forms/order_form/records").data)
    href = tree.cssselect("#archive-link")[0].get("href")
    r = client.get(href)
    assert r.status_code == 200 and r.mimetype == "application/zip" and r.is_streamed
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert sorted(n for n in names if n.endswith(".pdf")) == ["DH-202611-0001.pdf", "DH-202611-0002.pdf",
                                                              "DH-202611-0003.pdf"]
    assert {"manifest.csv", "清单.xlsx"} <= set(names)
    r = client.get("/forms/order_form/archive.zip?q=客户1")
    assert [n for n in zipfile.ZipFile(io.BytesIO(r.data)).namelist() if n.endswith(".pdf")] == ["DH-202611-0002.pdf"]
    assert client.get("/forms/order_form/archive.zip?from=2999-01-01").status_code == 404
    from server.archive_download import _slot
    slot = _slot(app)
    assert slot.acquire(blocking=False) and slot.acquire(blocking=False)  # two jobs running
    try:
        r = client.get("/forms/order_form/archive.zip")
        assert r.status_code == 503 and "太多" in r.get_data(as_text=True)
    finally:
        slot.release()
        slot.release()
