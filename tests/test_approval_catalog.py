"""Every flow of the catalog, through to 已通过: the applicant submits, each step's decider
agrees, and the PDF prints each decider's real name and the applicant's in the sign-off line."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from forms.sample import sample_submission
from services.approval_print import applicant_form
from services.catalog import load_catalog
from tests.conftest import SCHEMAS
from tests.approval_helpers import fast_passwords  # noqa: F401 - autouse fixture
from tests.people import client_as, person

FLOWS = sorted(f.id for f in load_catalog(SCHEMAS).forms.values() if f.flow is not None)


def test_the_ten_forms_of_the_issue_have_flows():
    assert len(FLOWS) >= 10


def test_each_catalog_flow_runs_to_approved(app):
    """One app for every form (an app costs seconds here); a failing form is named."""
    applicant = client_as(app, person(app, "shenqing", roles=["管理员"], department="上海办事处", real_name="王申请"))
    roles = sorted({r for fid in FLOWS for r in app.extensions["biaoge.records"].catalog.require(fid).flow.roles()})
    logins = {}
    for i, role in enumerate(roles):
        person(app, f"p{i}", roles=[role], department="上海办事处", real_name=f"审批{i}号")
        logins[f"p{i}"] = client_as(app, person(app, f"p{i}"))
    for form_id in FLOWS:
        run_to_approved(app, applicant, logins, form_id)


def run_to_approved(app, applicant, deciders, form_id):
    form = app.extensions["biaoge.records"].catalog.require(form_id)
    r = applicant.post(f"/api/forms/{form_id}/submissions", json=sample_submission(applicant_form(form), seed=5, rows=1))
    assert r.status_code == 201, (form_id, r.get_json())
    rid = r.get_json()["id"]
    url = f"/api/forms/{form_id}/submissions/{rid}/approval"
    signed = []
    for _ in form.flow.steps:
        flow = applicant.get(url).get_json()
        if flow["state"] != "审批中":
            break
        (waiting,) = flow["waiting"]
        page = deciders[waiting["login"]].get(f"/forms/{form_id}/records/{rid}")   # they see what they decide
        assert page.status_code == 200 and 'value="同意"' in page.get_data(as_text=True), (form_id, waiting)
        r = deciders[waiting["login"]].post(url, json={"action": "同意", "comment": f"{waiting['real_name']}同意",
                                                       "step": flow["step"]})
        assert r.status_code == 200, (form_id, r.get_json())
        signed.append(waiting["real_name"])
    flow = applicant.get(url).get_json()
    assert flow["state"] == "已通过", form_id
    assert len(signed) == len([s for s in form.flow.steps if not s.veto_only]), form_id
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(applicant.get(
        f"/forms/{form_id}/records/{rid}.pdf").data)).pages).replace("\n", "")
    day = flow["log"][-1]["at"][:10]
    for name in signed + (["王申请"] if form.flow.applicant else []):
        assert name in text, (name, form_id)
    assert day in text, form_id
