"""Every route, as every role, against own, same-department and other-department records.

The expected outcome comes from this file's own reading of the default policy (schemas/_org.yaml),
written out by hand below — not from the code under test. A GET the policy allows answers 200; a
form the role may not use answers 403; a record outside the role's scope is, for them, not there
(404); anonymous users get the login page (pages) or 401 (API)."""
from __future__ import annotations

import re

import pytest

from forms.sample import sample_submission
from tests.people import client_as, person

# ---------------------------------------------------------------- the policy, by hand
# department -> the departments it contains (itself included), for the departments used here
UNDER = {"华东大区": {"华东大区", "上海办事处", "杭州办事处"}, "上海办事处": {"上海办事处"},
         "北京办事处": {"北京办事处"}, "财务部": {"财务部"}, "人力资源部": {"人力资源部"},
         "总经理办公室": {"总经理办公室"}}
N, OWN, DEPT, ALL = "none", "own", "department", "all"


def grant(create, read, update, print_, export, void="none"):
    return {"create": create, "read": read, "update": update, "print": print_, "export": export, "void": void}


NOTHING = grant(False, N, N, N, N)
SALES_REP = grant(True, OWN, OWN, OWN, N)
SUPERVISOR = grant(True, DEPT, DEPT, DEPT, DEPT)
FINANCE_ALL = grant(True, ALL, ALL, ALL, ALL)
EVERYTHING = grant(True, ALL, ALL, ALL, ALL, ALL)

# role -> (login, department, {form: grant})
ROLES = {
    "业务员": ("ywy", "上海办事处", {"order_form": SALES_REP, "collection_notice": SALES_REP,
                                 "salary_adjustment": NOTHING}),
    "销售主管": ("zhuguan", "华东大区", {"order_form": SUPERVISOR, "collection_notice": SUPERVISOR,
                                    "salary_adjustment": NOTHING}),
    # 销售部经理 also voids (作废) the records of their department, sales and finance forms alike
    "销售部经理": ("jingli", "华东大区", {"order_form": grant(True, DEPT, DEPT, DEPT, DEPT, DEPT),
                                     "collection_notice": grant(True, DEPT, DEPT, DEPT, DEPT, DEPT),
                                     "salary_adjustment": NOTHING}),
    # 财务: reads, prints and exports every sales record but creates none and changes none;
    # the finance forms (催款通知单 is one) fully.
    "财务": ("caiwu", "财务部", {"order_form": grant(False, ALL, N, ALL, ALL),
                             "collection_notice": grant(True, ALL, ALL, ALL, ALL, ALL),
                             "salary_adjustment": NOTHING}),
    "人事": ("renshi", "人力资源部", {"order_form": NOTHING, "collection_notice": NOTHING,
                                 "salary_adjustment": grant(True, ALL, ALL, ALL, ALL)}),
    "管理员": ("admin", "总经理办公室", {"order_form": EVERYTHING, "collection_notice": EVERYTHING,
                                   "salary_adjustment": EVERYTHING}),
}
FORMS = ("order_form", "collection_notice", "salary_adjustment")

# the records: who made them (login, department)
MAKERS = {"own": None, "same": ("ywy2", "上海办事处"), "other": ("ywy_bj", "北京办事处")}


def covered(scope, user, department, record) -> bool:
    creator, dept = record
    if scope == ALL:
        return True
    if scope == OWN:
        return creator == user
    if scope == DEPT:
        return creator == user or dept in UNDER[department]
    return False


# ---------------------------------------------------------------- the routes, by hand
# endpoint -> (kind, method, the action it needs); kind: "open" (anyone), "signed" (any user),
# "admin", "form" (a form-level action) or "record" (a record-level action)
ROUTES = {
    "assets": ("open", "GET", None), "auth.login": ("open", "GET", None), "auth.setup": ("open", "GET", None),
    "auth.logout": ("open", "POST", None), "auth.account": ("signed", "GET", None),
    "auth.people": ("admin", "GET", None), "auth.audit_log": ("admin", "GET", None),
    "sheetforms.upload": ("admin", "POST", None),
    "pages.catalog": ("signed", "GET", None), "api.openapi": ("signed", "GET", None),
    "api.list_forms": ("signed", "GET", None),
    "api.get_form": ("form", "GET", "use"),
    "pages.fill": ("form", "GET", "create"), "pages.submit": ("form", "POST", "create"),
    "pages.upload": ("form", "POST", "create"), "pages.blank": ("form", "GET", "create"),
    "api.create_submission": ("form", "POST", "create"),
    "pages.records": ("form", "GET", "read"), "api.list_submissions": ("form", "GET", "read"),
    "pages.archive": ("form", "GET", "export"), "exports.records_xlsx": ("form", "GET", "export"),
    "pages.record": ("record", "GET", "read"), "api.get_submission": ("record", "GET", "read"),
    "pages.download": ("record", "GET", "print"), "api.get_submission_file": ("record", "GET", "print"),
    "pages.edit": ("record", "GET", "update"),
    "pages.overprint": ("record", "GET", "print"), "pages.overprint_calibration": ("form", "GET", "print"),
    "pages.overprint_settings": ("signed", "GET", None),
    "jobs.start": ("form", "POST", "export"),
    "voids.void_page": ("record", "POST", "void"), "voids.void_api": ("record", "POST", "void"),
    "reports.generate_report": ("form", "POST", "create"), "reports.submit_generated": ("form", "POST", "create"),
    "reports.sources": ("record", "GET", "read"), "reports.records_chart": ("form", "GET", "read"),
    "drafts.save": ("form", "POST", "create"), "drafts.delete": ("form", "POST", "create"),
    "drafts.mine": ("signed", "GET", None), "pages.all_records": ("signed", "GET", None), "service_worker": ("open", "GET", None),
    # an archive job is its owner's (and administrators'); a job id nobody owns is not there
    "jobs.page": ("job", "GET", None), "jobs.api": ("job", "GET", None), "jobs.download": ("job", "GET", None),
    # approvals: the inboxes are everyone's own; a record's flow reads as the record does; a decision
    # is for the step's deciders (these records are not submitted: only their applicant may submit one
    # of a form with a flow — 员工调薪表 — and a record the user cannot read is, for them, not there)
    "approvals.inbox_page": ("signed", "GET", None), "approvals.inbox_api": ("signed", "GET", None),
    "approvals.flow_api": ("flow", "GET", "read"),
    "approvals.decide_api": ("decide", "POST", "read"), "approvals.decide_page": ("decide", "POST", "read"),
}
FLOWS = {"salary_adjustment"}      # the forms here with an x-approval


@pytest.fixture
def world(app):
    """The six roles' people (plus two more sales reps) and, for each form, a record made by the
    role's own user, one by a colleague in 上海办事处 and one by a rep in 北京办事处."""
    tokens = {role: person(app, login, roles=[role], department=dept) for role, (login, dept, _) in ROLES.items()}
    tokens["ywy2"] = person(app, "ywy2", roles=["业务员"], department="上海办事处")
    tokens["ywy_bj"] = person(app, "ywy_bj", roles=["业务员"], department="北京办事处")
    catalog = app.extensions["biaoge.records"].catalog
    records = app.extensions["biaoge.records"]
    made = {}
    for form_id in FORMS:
        form = catalog.require(form_id)
        data = sample_submission(form, seed=1, rows=1)
        for key, maker in MAKERS.items():
            if maker is not None:
                rec = records.save_new(form, data, creator=maker[0], department=maker[1])
                made[(form_id, key, None)] = (rec["id"], maker)
        for role, (login, dept, _) in ROLES.items():
            rec = records.save_new(form, data, creator=login, department=dept)
            made[(form_id, "own", role)] = (rec["id"], (login, dept))
    return tokens, made


def _url(rule, form_id, record_id):
    url = rule.rule.replace("<form_id>", form_id).replace("<int:record_id>", str(record_id))
    url = url.replace("<fmt>", "pdf").replace("<name>", "form.css").replace("<job_id>", "0" * 32)
    return url


def _expected(kind, method, action, role, form_id, record, api):
    """The status the policy gives (None: anonymous handled apart)."""
    if kind == "open":
        return {"auth.setup": 302}.get(None, None)
    login, dept, grants = ROLES[role]
    if kind == "job":
        return 404
    if kind == "signed":
        return 200
    if kind == "admin":       # an administrator's post without its file is refused for that (400)
        return ("posted" if method == "POST" else 200) if role == "管理员" else 403
    g = grants[form_id]
    if kind == "flow" and g["read"] == N:
        return 403                            # declared for_form("read")
    if kind in ("flow", "decide"):
        reads = g["read"] != N and covered(g["read"], login, dept, record)
        if not reads:
            return 404
        if form_id not in FLOWS:
            return 404                        # no flow to show or decide
        if kind == "flow":
            return 200
        return "posted" if record[0] == login else 403   # the applicant may submit their draft
    if kind == "form":
        if action == "use":
            allowed = g["create"] or any(g[a] != N for a in ("read", "update", "print", "export", "void"))
        elif action == "create":
            allowed = g["create"]
        else:
            allowed = g[action] != N
        if not allowed:
            return 403
        return 200 if method == "GET" else "posted"
    if g[action] == N:
        return 403
    if not covered(g[action], login, dept, record):
        return 404
    return "posted" if method == "POST" else 200


def test_every_route_as_every_role(app, world):
    tokens, made = world
    rules = [r for r in app.url_map.iter_rules()]
    assert {r.endpoint for r in rules} == set(ROUTES), "a route was added or removed: declare it in ROUTES"
    anonymous = app.test_client(token=None)
    clients = {role: client_as(app, tokens[role]) for role in ROLES}
    checked, unexpected = 0, []
    for rule in rules:
        kind, method, action = ROUTES[rule.endpoint]
        api = rule.rule.startswith("/api/")
        targets = [(None, None, None)]
        if kind in ("form", "record", "flow", "decide"):
            targets = [(f, key, owner) for f in FORMS for key in ("own", "same", "other")
                       for owner in (ROLES if key == "own" else [None])] if kind in ("record", "flow", "decide") else \
                [(f, None, None) for f in FORMS]
        for form_id, key, owner in targets:
            for role, client in [(None, anonymous), *clients.items()]:
                if kind in ("record", "flow", "decide"):
                    if key == "own" and owner != role and role is not None:
                        continue
                    record_id, maker = made[(form_id, key, owner if key == "own" else None)]
                else:
                    record_id, maker = 0, None
                url = _url(rule, form_id or "order_form", record_id)
                if method == "POST":
                    r = client.post(url, data={}, headers={"Content-Type": "application/json"} if api else {})
                else:
                    r = client.get(url)
                status = r.status_code
                r.close()
                checked += 1
                if role is None:
                    want = 200 if kind == "open" and method == "GET" and rule.endpoint != "auth.setup" else \
                        (302 if rule.endpoint == "auth.setup" else (303 if rule.endpoint == "auth.logout" else
                                                                   (401 if api else 302)))
                    if kind == "open" and rule.endpoint == "auth.logout":
                        want = 403      # a browser post without its CSRF token
                elif kind == "open":
                    want = {"auth.setup": 302, "auth.logout": 303}.get(rule.endpoint, 200)
                else:
                    want = _expected(kind, method, action, role, form_id, maker, api)
                # a permitted post is taken, or refused for what it says (400/415/422), or for being
                # one archive job too many at once (503): never 401/403/404
                ok = (status in (200, 201, 303, 400, 415, 422, 503) if want == "posted" else status == want)
                # 套打 of a record its pre-printed form cannot hold (a letter with values inlined) is
                # refused for that (422) once access is granted
                ok = ok or (rule.endpoint == "pages.overprint" and want == 200 and status == 422)
                if not ok:
                    unexpected.append((rule.endpoint, url, role, key, want, status))
    assert not unexpected, f"{len(unexpected)} of {checked} requests answered otherwise:\n" + \
        "\n".join(map(str, unexpected[:40]))
    assert checked > 500, checked
    print(f"route x role x record matrix: {checked} requests")


def test_lists_show_only_the_scope(app, world):
    tokens, made = world
    for role, (login, dept, grants) in ROLES.items():
        client = client_as(app, tokens[role])
        for form_id in FORMS:
            g = grants[form_id]
            r = client.get(f"/api/forms/{form_id}/submissions?per_page=200")
            if g["read"] == N:
                assert r.status_code == 403
                continue
            ids = {item["id"] for item in r.get_json()["items"]}
            want = {rid for (f, _, _), (rid, maker) in made.items()
                    if f == form_id and covered(g["read"], login, dept, maker)}
            assert ids == want, (role, form_id)
            assert r.get_json()["total"] == len(want)   # counts tell nothing more than the list


def test_a_route_without_a_declaration_stops_the_app(tmp_path, monkeypatch):
    from server import access as access_module
    from server import app as app_module
    real = access_module.check_declared

    def with_an_undeclared_route(app):
        app.add_url_rule("/undeclared-for-test", "undeclared", lambda: "x")
        real(app)
    monkeypatch.setattr(access_module, "check_declared", with_an_undeclared_route)
    with pytest.raises(RuntimeError, match="undeclared"):
        app_module.create_app({"SCHEMAS": "schemas", "DATA": str(tmp_path / "d")})


def test_anonymous_gets_the_login_page_and_the_api_401(app):
    anonymous = app.test_client(token=None)
    r = anonymous.get("/forms/order_form/records")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    page = anonymous.get(r.headers["Location"]).get_data(as_text=True)
    assert "登录" in page and re.search(r'name="password"', page)
    r = anonymous.get("/api/forms/order_form/submissions")
    assert r.status_code == 401 and "登录" in r.get_json()["error"]["message"]
