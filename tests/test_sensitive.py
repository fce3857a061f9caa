"""A sensitive field (x-sensitive: 薪酬 on 员工调薪表) is absent from every output a user who may
read the record but not see the class can get — page, API JSON, PDF, Excel, list export, archive,
search, revisions — and present in each for a user who may see it."""
from __future__ import annotations

import io
import zipfile

import pytest

from tests.people import client_as, person

BEFORE, AFTER = 76543, 87654
# every way the values can be written out: digits, grouped, the difference and the totals
SECRETS = ("76543", "76,543", "87654", "87,654", "11111", "11,111")
EXTRA_ROLE = """
  人事专员:
    - forms: [人事]
      read: all
      update: all
      print: all
      export: all
      see: [身份证号]
"""


@pytest.fixture
def hr(app):
    org = app.schemas_path / "_org.yaml"
    org.write_text(org.read_text("utf-8") + EXTRA_ROLE, "utf-8")
    records = app.extensions["biaoge.records"]
    form = records.catalog.require("salary_adjustment")
    assert "人事专员" in records.catalog.policy.roles
    data = {"employee_name": "李四", "department": "华东大区", "apply_date": "2026-11-20", "adjust_type": "年度调薪",
            "effective_date": "2026-12-01", "reason": "年度绩效优秀",
            "items": [{"pay_item": "基本工资", "before": BEFORE, "after": AFTER}]}
    from forms.submission import check
    result = check(form, data)
    assert result.ok, result.errors
    rec = records.save_new(form, result.data, creator="renshi", department="人力资源部")
    revised = dict(result.data, reason="年度绩效优秀，复核后调整")
    records.save_revision(form, rec["id"], check(form, revised).data, by="renshi")
    tokens = {"seen": person(app, "renshi", roles=["人事"], department="人力资源部"),
              "hidden": person(app, "zhuanyuan", roles=["人事专员"], department="人力资源部")}
    return rec["id"], tokens


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def _zip_text(data: bytes) -> bytes:
    """Every member of a zip (an xlsx or an archive) as stored, PDFs also as their text, workbooks
    also as their cells' values (their XML may write characters as references)."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            body = z.read(name)
            out.append(body)
            if name.endswith(".pdf"):
                out.append(_pdf_text(body).encode())
            elif name.endswith(".xlsx"):
                out.append(_zip_text(body))
        if "xl/workbook.xml" in z.namelist():
            out.append(_cells(data))
    return b"\n".join(out)


def _cells(data: bytes) -> bytes:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None).encode()


def outputs(client, rid) -> dict:
    """name -> bytes of every output about the record the user can get."""
    base = f"/forms/salary_adjustment/records/{rid}"
    api = f"/api/forms/salary_adjustment/submissions/{rid}"
    got = {}
    for name, url in [("page", base), ("page rev 1", base + "?rev=1"), ("api", api), ("api rev 1", api + "?rev=1"),
                      ("api list", "/api/forms/salary_adjustment/submissions"),
                      ("list page", "/forms/salary_adjustment/records"),
                      ("search api", "/api/forms/salary_adjustment/submissions?q=87654"),
                      ("search page", "/forms/salary_adjustment/records?q=87654"),
                      ("edit page", base + "/edit")]:
        r = client.get(url)
        assert r.status_code == 200, (name, r.status_code)
        # the search box and the pager repeat what the user typed: that is not the record's value
        got[name] = r.data.replace(b'value="87654"', b"").replace(b"q=87654", b"")
    for name, url in [("pdf", base + ".pdf"), ("pdf rev 1", base + ".pdf?rev=1"), ("api pdf", api + ".pdf")]:
        r = client.get(url)
        assert r.status_code == 200, (name, r.status_code)
        got[name] = _pdf_text(r.data).encode()
    for name, url in [("xlsx", base + ".xlsx"), ("list export", "/forms/salary_adjustment/records.xlsx"),
                      ("archive", "/forms/salary_adjustment/archive.zip")]:
        r = client.get(url)
        assert r.status_code == 200, (name, r.status_code)
        got[name] = _zip_text(r.data)
    return got


def test_a_restricted_reader_gets_no_byte_of_a_sensitive_field(app, hr):
    rid, tokens = hr
    hidden = outputs(client_as(app, tokens["hidden"]), rid)
    hits = [(name, s) for name, body in hidden.items() for s in SECRETS if s.encode() in body]
    assert hits == []
    # what they may see is there: the record itself, with the employee's name
    assert all("李四".encode() in hidden[n] for n in ("page", "api", "pdf", "xlsx", "list export", "archive"))
    # nor do the labels of what they may not see show up (no blank with a label that tells)
    assert "调整后金额".encode() not in hidden["page"] and "调整后金额".encode() not in hidden["pdf"]
    # a search for the hidden value finds nothing; a where filter on it is refused
    c = client_as(app, tokens["hidden"])
    assert c.get("/api/forms/salary_adjustment/submissions?q=87654").get_json()["total"] == 0
    assert "共 0 条记录" in c.get("/forms/salary_adjustment/records?q=87654").get_data(as_text=True)
    assert c.get("/api/forms/salary_adjustment/submissions?where=total_after=87654").status_code in (400, 403)


def test_the_permitted_reader_sees_it_everywhere(app, hr):
    rid, tokens = hr
    seen = outputs(client_as(app, tokens["seen"]), rid)
    missing = [name for name, body in seen.items()
               if name not in ("search page", "search api") and not any(s.encode() in body for s in SECRETS)]
    assert missing == [] or set(missing) <= {"list page", "api list"}   # the list shows summary columns only
    c = client_as(app, tokens["seen"])
    assert c.get("/api/forms/salary_adjustment/submissions?q=87654").get_json()["total"] == 1


def test_an_edit_by_a_restricted_user_keeps_what_they_cannot_see(app, hr):
    rid, tokens = hr
    c = client_as(app, tokens["hidden"])
    page = c.get(f"/forms/salary_adjustment/records/{rid}/edit").get_data(as_text=True)
    import re
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields.update({k: v for k, v in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)})
    for name, value in re.findall(r'<input type="radio" name="([^"]+)" value="([^"]*)"[^>]*checked', page):
        fields[name] = value
    fields["reason"] = "专员修改了原因"
    fields.pop("csrf_token", None)
    r = c.post(f"/forms/salary_adjustment/records/{rid}/edit", data=fields)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    latest = app.extensions["biaoge.records"].get_record("salary_adjustment", rid)
    assert latest["data"]["reason"] == "专员修改了原因"
    assert latest["data"]["items"][0]["after"] == AFTER and latest["data"]["total_after"] == AFTER
    assert latest["by"] == "zhuanyuan"
