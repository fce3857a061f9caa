"""Every size is bounded (forms.limits, services.rendering): each cap at the cap and one past it,
in the API, the web form post, the Excel import and the archive; a submission at every cap at
once renders within the render bounds; a rendering past its bounds stops, and the server goes on."""
import io
import json
import re
import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from forms import limits
from forms.kinds import NUMBER_LIMIT

from .conftest import SCHEMAS

CAPS_FORM = """
x-form: {id: caps_demo, title: 上限演示表, chapter: 第一章 销售管理}
properties:
  name: {title: 名称, x-kind: text}
  note: {title: 说明, x-kind: textarea}
  amount: {title: 数额, x-kind: number}
  small:
    title: 小明细
    x-kind: table
    maxItems: 3
    items:
      properties:
        what: {title: 品名, x-kind: text}
  big:
    title: 大明细
    x-kind: table
    maxItems: 1200
    items:
      properties:
        what: {title: 品名, x-kind: text}
"""


def cells_form(tables: int) -> str:
    """A form of `tables` tables of one number column each, allowed MAX_ROWS rows."""
    props = "".join(f"  t{i}:\n    title: 表{i}\n    x-kind: table\n    maxItems: {limits.MAX_ROWS}\n"
                    f"    items:\n      properties:\n        v: {{title: 数, x-kind: integer}}\n" for i in range(tables))
    return f"x-form: {{id: cells_demo, title: 格子演示表, chapter: 第一章 销售管理}}\nproperties:\n{props}"


@pytest.fixture
def app(tmp_path):
    from server.app import create_app
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "caps_demo.yaml").write_text(CAPS_FORM, "utf-8")
    (schemas / "cells_demo.yaml").write_text(cells_form(8), "utf-8")
    app = create_app({"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "t",
                      "MAX_CONTENT_LENGTH": 16 * 1024 * 1024})
    return app


def api(client, data, form="caps_demo"):
    return client.post(f"/api/forms/{form}/submissions", json=data)


def messages(r) -> list:
    return [e["message"] for e in r.get_json()["error"].get("errors", [])]


def count(client, form="caps_demo") -> int:
    return client.get(f"/api/forms/{form}/submissions").get_json()["total"]


def csrf(client, url) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', client.get(url).data).group(1).decode()


# ---------------------------------------------------------------- the API
def test_line_items_default_and_declared(client):
    rows = [{"what": "x"}]
    assert api(client, {"small": rows * 3}).status_code == 201
    r = api(client, {"small": rows * 4})
    assert r.status_code == 422 and messages(r) == ["「小明细」最多只能填 3 行（这里有 4 行）"]
    assert api(client, {"big": rows * 1200}).status_code == 201   # a definition raises the cap with maxItems
    assert messages(api(client, {"big": rows * 1201})) == ["「大明细」最多只能填 1,200 行（这里有 1,201 行）"]
    order = {"customer_name": "华联", "order_date": "2026-11-27", "pay_method": "现金"}
    item = {"product_name": "皂", "quantity": 1, "unit_price": 1}
    assert api(client, {**order, "items": [item] * limits.DEFAULT_ROWS}, "order_form").status_code == 201
    r = api(client, {**order, "items": [item] * (limits.DEFAULT_ROWS + 1)}, "order_form")
    assert messages(r) == ["「订货明细」最多只能填 1,000 行（这里有 1,001 行）"]
    assert count(client) == 2 and count(client, "order_form") == 1


@pytest.mark.parametrize("field,cap", [("name", 500), ("note", 5000)])
def test_text_per_kind(client, field, cap):
    assert api(client, {field: "字" * cap}).status_code == 201
    r = api(client, {field: "字" * (cap + 1)})
    assert r.status_code == 422 and messages(r)[0].endswith(f"不能超过 {cap:,} 个字")
    assert count(client) == 1


def test_all_text_together(client):
    rows = [{"what": "字" * 500}] * 390                               # 195,000 characters
    at_cap = {"big": rows, "note": "注" * 4500, "name": "名" * 500}   # … and 5,000 more: 200,000
    assert limits.MAX_CHARS == 200_000
    assert api(client, at_cap).status_code == 201
    r = api(client, {**at_cap, "note": "注" * 4501})                  # every field within its own cap
    assert messages(r) == [f"提交的文字太多：一份表单最多 {limits.MAX_CHARS:,} 个字"]


def build_cells(total: int, tables: int) -> dict:
    """A cells_demo submission of exactly `total` values (objects, lists and scalars counted)."""
    rows = (total - 1 - tables) // 2
    assert 1 + tables + 2 * rows == total and rows <= tables * limits.MAX_ROWS
    out = {f"t{i}": [] for i in range(tables)}
    for k in range(rows):
        out[f"t{k % tables}"].append({"v": 1})
    return out


def test_values_together(client):
    assert api(client, build_cells(limits.MAX_CELLS, 7), "cells_demo").status_code == 201
    r = api(client, build_cells(limits.MAX_CELLS + 1, 8), "cells_demo")
    assert messages(r) == [f"提交的内容太多：一份表单最多 {limits.MAX_CELLS:,} 个值"]


def test_nesting_depth(client):
    def nest(depth):   # the document itself is level 1
        v = 1
        for _ in range(depth - 2):
            v = [v]
        return {"x": v}
    r = api(client, nest(limits.MAX_DEPTH))
    assert messages(r) == ["'x' 不是这个表单的字段"]   # refused for what it is, not for its depth
    r = api(client, nest(limits.MAX_DEPTH + 1))
    assert r.status_code == 422 and "嵌套太深" in messages(r)[0]


def test_numbers(client):
    biggest = int(NUMBER_LIMIT) - 1
    assert api(client, {"amount": biggest}).status_code == 201
    assert api(client, {"amount": -biggest}).status_code == 201
    r = api(client, {"amount": biggest + 1})
    assert messages(r) == ["「数额」数值过大（绝对值须小于 1,000,000,000,000,000）"]


# ---------------------------------------------------------------- the web form post
def test_web_form_post(client):
    url = "/forms/caps_demo"
    token = csrf(client, url)
    rows = {f"small.{i}.what": "x" for i in range(3)}
    assert client.post(url, data={"csrf_token": token, **rows}).status_code == 303
    r = client.post(url, data={"csrf_token": token, **rows, "small.3.what": "x"})
    assert r.status_code == 422 and "「小明细」最多只能填 3 行（这里有 4 行）" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "small.999999.what": "远"})   # row numbers only order the rows
    assert r.status_code == 303
    assert client.get("/api/forms/caps_demo/submissions/2").get_json()["data"]["small"] == [{"what": "远"}]
    assert client.post(url, data={"csrf_token": token, "name": "字" * 500}).status_code == 303
    r = client.post(url, data={"csrf_token": token, "name": "字" * 501})
    assert r.status_code == 422 and "「名称」不能超过 500 个字" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "amount": "1" + "0" * 15})
    assert r.status_code == 422 and "「数额」数值过大" in r.get_data(as_text=True)
    assert count(client) == 3


def test_web_form_keeps_every_row_at_the_cap(client):
    assert api(client, {"big": [{"what": f"品{i}"} for i in range(1200)]}).status_code == 201
    page = client.get("/forms/caps_demo/records/1/edit").get_data(as_text=True)
    assert 'name="big.1199.what"' in page and 'name="big.1200.what"' not in page


# ---------------------------------------------------------------- the Excel import
def fill_template(client, values: dict, rows: list) -> bytes:
    from renderers.xlsx.meta import read_map
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/forms/caps_demo/blank.xlsx").data))
    m = read_map(wb)
    ws = wb[m.sheet]
    for name, v in values.items():
        ws[m.fields[name]] = v
    t = m.tables["small"]
    for i, v in enumerate(rows):
        ws[f"{t.columns['what']}{t.first_row + i}"] = v
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), t.rows


def upload(client, content):
    token = csrf(client, "/forms/caps_demo/records")
    return client.post("/forms/caps_demo/upload", data={"csrf_token": token, "file": (io.BytesIO(content), "a.xlsx")},
                       content_type="multipart/form-data")


def test_excel_import(client):
    content, room = fill_template(client, {"name": "字" * 500}, ["甲", "乙", "丙"])
    assert room == 3   # the template holds as many line items as the form allows, no more
    assert upload(client, content).status_code == 303
    content, _ = fill_template(client, {"name": "字" * 501}, ["甲"])
    r = upload(client, content)
    assert r.status_code == 422 and "「名称」不能超过 500 个字" in r.get_data(as_text=True)
    assert count(client) == 1


# ---------------------------------------------------------------- the archive
def test_archive_refuses_a_stored_record_beyond_the_caps(app, client):
    assert api(client, {"small": [{"what": "x"}] * 3}).status_code == 201
    assert api(client, {"small": [{"what": "y"}]}).status_code == 201
    chunk = next((Path(app.config["DATA"]) / "caps_demo").glob("records-*.json"))
    raw = json.loads(chunk.read_text("utf-8"))
    raw["records"]["2"]["revisions"][-1]["data"]["small"] = [{"what": "y"}] * 4   # as an older version stored it
    chunk.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    zf = zipfile.ZipFile(io.BytesIO(client.get("/forms/caps_demo/archive.zip").data))
    rows = zf.read("manifest.csv").decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == 2 and ",成功," in rows[0]
    assert "失败" in rows[1] and "记录超出上限，未生成：「小明细」最多只能填 3 行（这里有 4 行）" in rows[1]
    assert sum(n.endswith(".pdf") for n in zf.namelist()) == 1


# ---------------------------------------------------------------- rendering
def at_every_cap() -> dict:
    """A 商品订货单 at every cap at once: the most line items, the most text, the largest amounts
    whose totals still fit."""
    rows = limits.DEFAULT_ROWS
    per_row = (limits.MAX_CHARS - 600) // rows
    item = {"product_name": "洗" * 60, "spec": "规" * 40, "unit": "箱", "quantity": 9999, "unit_price": 9999.99}
    item["remark"] = "备" * min(200, per_row - 101)
    return {"customer_name": "华" * 100, "order_date": "2026-11-27", "pay_method": "现金", "remark": "注" * 200,
            "items": [dict(item) for _ in range(rows)]}


def test_a_record_at_every_cap_renders_within_the_bounds(app, client):
    data = at_every_cap()
    chars = sum(len(v) for it in data["items"] for v in it.values() if isinstance(v, str)) + 300
    assert chars > limits.MAX_CHARS * 0.95 and len(data["items"]) == limits.DEFAULT_ROWS
    assert api(client, data, "order_form").status_code == 201
    started = time.monotonic()
    r = client.get("/api/forms/order_form/submissions/1.pdf")
    took = time.monotonic() - started
    assert r.status_code == 200 and r.data[:5] == b"%PDF-", r.get_data(as_text=True)[:300]
    assert took < app.config["RENDER_SECONDS"]   # and within RENDER_MEMORY_MB: the child had no more
    assert client.get("/api/forms/order_form/submissions/1").status_code == 200   # served normally after


@pytest.mark.parametrize("setting,value,message", [("RENDER_SECONDS", 1, "1 秒内未能生成PDF，已停止"),
                                                   ("RENDER_MEMORY_MB", 200, "所需内存超过 200 MB，已停止")])
def test_a_rendering_past_its_bounds_stops_and_the_server_goes_on(app, client, setting, value, message):
    import resource
    app.config[setting] = value
    item = {"product_name": "洗衣粉" * 20, "quantity": 1, "unit_price": 2}
    assert api(client, {"customer_name": "华联", "order_date": "2026-11-27", "pay_method": "现金",
                        "items": [item] * 600}, "order_form").status_code == 201
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = client.get("/api/forms/order_form/submissions/1.pdf")
    assert r.status_code == 422 and message in r.get_json()["error"]["message"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000   # KB: the child's, not ours
    small = {"customer_name": "华联", "order_date": "2026-11-27", "pay_method": "现金", "items": [item]}
    assert api(client, small, "order_form").status_code == 201
    r = client.get("/api/forms/order_form/submissions/2.pdf")
    assert r.status_code == 200 and r.data[:5] == b"%PDF-"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
def test_a_record_at_the_row_cap_exports_to_excel_whole(client, tmp_path):
    import csv
    import subprocess

    from openpyxl.utils import column_index_from_string

    from renderers.xlsx.meta import read_map
    n = limits.DEFAULT_ROWS
    items = [{"product_name": f"品{i:04d}", "quantity": 1, "unit_price": 2 + (i % 3)} for i in range(n)]
    expected = sum(it["unit_price"] for it in items)   # independent of the engine: 1 × price each
    r = api(client, {"customer_name": "华联", "order_date": "2026-11-27", "pay_method": "现金", "items": items},
            "order_form")
    assert r.status_code == 201
    content = client.get("/forms/order_form/records/1.xlsx").data
    (tmp_path / "order.xlsx").write_bytes(content)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    m = read_map(wb)
    t = m.tables["items"]
    col = t.columns["product_name"]
    names = [wb[m.sheet][f"{col}{t.first_row + i}"].value for i in range(t.rows)]
    assert t.rows == n and names == [it["product_name"] for it in items]
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "order.xlsx")], check=True, capture_output=True,
                   timeout=180)
    table = list(csv.reader((tmp_path / "order.csv").open(encoding="utf-8")))
    coord = m.computed["total"]
    letters = "".join(ch for ch in coord if ch.isalpha())
    assert table[int(coord[len(letters):]) - 1][column_index_from_string(letters) - 1] == f"¥{expected:,.2f}"
