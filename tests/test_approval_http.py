"""The seed's 审批 flow over HTTP, as five people: 申请人 → 部门经理 → 销售管理部 (制约权) →
上一级 when they disagree; decisions print from the log into the PDF; an approved PDF is frozen."""
from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from forms.sample import sample_submission
from services.approval_print import applicant_form
from tests.approval_helpers import fast_passwords  # noqa: F401 - autouse fixture
from tests.people import client_as, person

FORM = "business_approval_application"


@pytest.fixture
def five(app):
    """申请人 in 上海办事处, its 部门经理 in 华东大区, 销售管理部, 上一级 (中心总经理), and a
    colleague of the applicant who decides nothing."""
    people = {
        "applicant": person(app, "shenqing", roles=["业务员"], department="上海办事处", real_name="王申请"),
        "manager": person(app, "jingli", roles=["销售部经理"], department="华东大区", real_name="李经理"),
        "admin": person(app, "guanli", roles=["销售管理部"], department="销售管理部", real_name="赵管理"),
        "upper": person(app, "zongjingli", roles=["中心总经理"], department="营销中心", real_name="钱总"),
        "other": person(app, "tongshi", roles=["业务员"], department="上海办事处", real_name="孙同事"),
    }
    return {k: client_as(app, t) for k, t in people.items()}


def application(app, **extra):
    form = app.extensions["biaoge.records"].catalog.require(FORM)
    data = sample_submission(applicant_form(form), seed=3, rows=1)
    data.update(category="销售类", business_item="价格管理", subject="调整华东区批发价", **extra)
    return data


def submit(clients, app, **extra) -> int:
    r = clients["applicant"].post(f"/api/forms/{FORM}/submissions", json=application(app, **extra))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def decide(client, rid, action, comment="", **kw):
    return client.post(f"/api/forms/{FORM}/submissions/{rid}/approval",
                       json={"action": action, "comment": comment, **kw})


def pdf_text(content: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_disagreement_goes_to_the_next_level_and_prints_every_decision(app, five):
    rid = submit(five, app)
    flow = five["applicant"].get(f"/api/forms/{FORM}/submissions/{rid}/approval").get_json()
    assert flow["state"] == "审批中" and flow["step"] == "manager"
    assert [w["real_name"] for w in flow["waiting"]] == ["李经理"]

    # only the step's decider: 403 with the step named for a reader, 404 for someone who cannot read it
    r = decide(five["admin"], rid, "同意")
    assert r.status_code == 403 and "中心总经理/部门经理审核" in r.get_json()["error"]["message"]
    assert decide(five["other"], rid, "同意").status_code == 404
    r = five["admin"].post(f"/forms/{FORM}/records/{rid}/approval", data={"action": "同意"})
    assert r.status_code == 403 and "审批人" in r.get_data(as_text=True)
    # the applicant's part is locked while it is being approved
    page = five["applicant"].get(f"/forms/{FORM}/records/{rid}/edit")
    assert page.status_code == 409 and "审批中" in page.get_data(as_text=True)

    assert decide(five["manager"], rid, "同意", "情况属实，同意调价").status_code == 200
    # printed from the log: who has not signed prints nothing
    text = pdf_text(five["applicant"].get(f"/forms/{FORM}/records/{rid}.pdf").data)
    assert "李经理" in text and "情况属实" in text and "赵管理" not in text and "钱总" not in text
    # the record page's timeline and decision form, the inboxes
    page = five["admin"].get(f"/forms/{FORM}/records/{rid}").get_data(as_text=True)
    assert 'id="approval-timeline"' in page and "李经理" in page and "情况属实，同意调价" in page
    assert 'value="同意"' in page and 'name="v:admin_review.completeness"' in page
    assert [i["record"] for i in five["admin"].get("/api/approvals").get_json()["todo"]] == [rid]
    assert five["manager"].get("/api/approvals").get_json()["done"][0]["record"] == rid
    assert five["applicant"].get("/api/approvals").get_json()["mine"][0]["record"] == rid
    assert "待我审批（1）" in five["admin"].get("/approvals").get_data(as_text=True)
    catalog_page = five["admin"].get("/").get_data(as_text=True)
    assert 'id="inbox-counts"' in catalog_page and "待我审批 1" in catalog_page

    r = decide(five["admin"], rid, "不同意", "调价幅度超出预算",
               values={"admin_review.completeness": "完整", "admin_review.reasonableness": "不合理"})
    assert r.status_code == 200, r.get_json()
    flow = r.get_json()
    assert flow["state"] == "审批中" and flow["step"] == "upper"        # the veto sends it up a level
    assert flow["log"][-1]["consistent"] == "不一致"
    assert decide(five["manager"], rid, "同意").status_code == 403
    flow = decide(five["upper"], rid, "同意", "二次审批通过").get_json()
    assert flow["state"] == "已通过"
    assert [(e["name"], e["action"]) for e in flow["log"]] == [
        ("王申请", "提交"), ("李经理", "同意"), ("赵管理", "不同意"), ("钱总", "同意")]

    first = five["applicant"].get(f"/forms/{FORM}/records/{rid}.pdf")
    assert first.status_code == 200
    text = pdf_text(first.data)
    day = flow["log"][-1]["at"][:10]
    for name, words in (("李经理", "情况属实，同意调价"), ("赵管理", "调价幅度超出预算"), ("钱总", "二次审批通过")):
        assert f"{name} {day}" in text and words in text
    assert "否决" in text and "不一致" in text and "不合理" in text
    # frozen: the same bytes on every download, and its hash is the one kept with the flow
    again = five["manager"].get(f"/forms/{FORM}/records/{rid}.pdf")
    assert again.data == first.data
    kept = five["applicant"].get(f"/api/forms/{FORM}/submissions/{rid}/approval").get_json()["pdf_sha256"]
    assert kept == hashlib.sha256(first.data).hexdigest()


def test_agreement_passes_without_the_extra_step_and_the_applicant_signs_nothing(app, five, client):
    data = application(app)
    data["manager_review"] = {"result": "同意", "reviewer": "王申请 自己签"}
    r = five["applicant"].post(f"/api/forms/{FORM}/submissions", json=data)
    assert r.status_code == 403
    assert "审批栏" in r.get_json()["error"]["message"] and "审核结论" in r.get_json()["error"]["message"]
    r = five["applicant"].post(f"/forms/{FORM}", data={"manager_review.result": "同意", "subject": "x"})
    assert r.status_code == 403 and "审批栏" in r.get_data(as_text=True)

    rid = submit(five, app)
    decide(five["manager"], rid, "同意", "同意")
    flow = decide(five["admin"], rid, "同意", "资料完整合理").get_json()
    assert flow["state"] == "已通过"
    assert "钱总" not in [e["name"] for e in flow["log"]]
    text = pdf_text(five["applicant"].get(f"/forms/{FORM}/records/{rid}.pdf").data)
    assert "赵管理" in text and "钱总" not in text and "一致" in text
    # an archive prints the decisions too
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/forms/{FORM}/archive.zip").data))
    [name] = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert "赵管理" in pdf_text(archive.read(name)) and "资料完整合理" in pdf_text(archive.read(name))
