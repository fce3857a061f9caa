"""Approvals on the web: deciding (a page form and the JSON API), a record's flow as JSON, the
inbox (待我审批 / 我发起的 / 我已处理), and the hooks the record views call.

Who may decide is the flow's business, not the form grant's: the decision routes are open to
signed-in users and answer 404 when the record is not there for the user (not readable and not
waiting on them), 403 with a Chinese message when it waits on someone else.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from services import approval as engine
from services import approval_print as printing
from services import approval_signature as signatures

from . import context
from .access import access, for_form, signed_in
from .errors import ApiError

bp = Blueprint("approvals", __name__)


def approvals() -> engine.Approvals:
    return current_app.extensions["biaoge.approvals"]


def register(app) -> None:
    app.extensions["biaoge.approvals"] = engine.Approvals(app.extensions["biaoge.records"].store,
                                                          app.extensions["biaoge.accounts"],
                                                          app.extensions["biaoge.audit"])
    app.register_blueprint(bp)
    app.jinja_env.globals["approval_panel"] = panel
    app.jinja_env.globals["approval_counts"] = counts


# ---------------------------------------------------------------- hooks of the record views
def refuse_approver_fields(form, data) -> None:
    """An applicant may not fill what a decider signs (403, naming the fields)."""
    names = printing.approver_fields_in(form, data)
    if names:
        raise ApiError(403, f"审批栏由审批人在审批时填写，申请人不能填写：{'、'.join(names)}。")


def after_create(form, record) -> None:
    """A new record of a form with a flow goes for approval at once."""
    if form.flow is not None:
        try:
            approvals().start(form, record, access().user)
        except engine.FlowError as exc:
            raise ApiError(exc.status, str(exc)) from None


def refuse_locked(form, record) -> None:
    """The applicant's part is locked while it is being approved and once approved."""
    if form.flow is None:
        return
    doc = approvals().doc(form.id, record["id"])
    if not engine.editable(doc):
        raise ApiError(409, f"这份记录{engine.state_label(doc)}，不能修改；如需修改，请审批人驳回或退回。")


def signature_images(form, record) -> dict:
    """{signer field path: [data URI]} of the record's signed decisions (for its PDF)."""
    if form.flow is None:
        return {}
    return signatures.images(context.store(), form, approvals().doc(form.id, record["id"]))


def shown_data(form, record, data):
    """A record's data as pages and files show it: approver fields from the decision log."""
    if form.flow is None:
        return data
    return printing.printed(form, data, approvals().doc(form.id, record["id"]))


# ---------------------------------------------------------------- deciding
def _target(form_id, record_id):
    """(form, record, flow document) when the record is there for the user, else 404."""
    form = context.find_form(form_id)
    rec = context.records().get_record(form_id, record_id) if form is not None else None
    if rec is None:
        raise ApiError(404, "找不到这份记录。")
    doc = approvals().doc(form_id, record_id)
    user = access().user
    waits_on_me = form.flow is not None and user.login in approvals().waiting(form, doc) if doc else False
    if not waits_on_me and not access().allows(form, "read", rec):
        raise ApiError(404, "找不到这份记录。")
    if form.flow is None:
        raise ApiError(404, f"「{form.title}」没有审批流程。")
    if not approvals().actions_for(form, doc, user, rec):
        step = form.flow.steps[doc["step"]] if doc and doc.get("step") is not None else None
        raise ApiError(403, f"您不是「{step.title}」的审批人（需要角色「{step.decider}」）。" if step else
                       f"这份记录{engine.state_label(doc)}，您没有可以进行的审批操作。")
    return form, rec


def _decide(form, rec, action, comment, values, to, step=None, signature=None):
    """Take the decision; a handwritten signature (a PNG data URL) is checked and kept first."""
    sha, new = None, False
    try:
        if signature:
            sha, new = signatures.keep(context.store(), form.id, rec["id"], signatures.check(signature))
        doc = approvals().act(form, rec, access().user, action, comment=comment, values=values, to=to, step=step,
                              signature=sha)
    except engine.FlowError as exc:
        if new:
            signatures.drop(context.store(), form.id, rec["id"], sha)
        raise ApiError(exc.status, str(exc)) from None
    return doc


def flow_json(form, doc) -> dict:
    step = form.flow.steps[doc["step"]] if doc and doc.get("step") is not None else None
    return {"state": engine.state_label(doc), "step": step.id if step else None,
            "step_title": step.title if step else None,
            "waiting": [{"login": x, "real_name": _name(x)} for x in approvals().waiting(form, doc)] if doc else [],
            "pdf_sha256": (doc or {}).get("pdf_sha256"),
            "log": [{k: e.get(k) for k in ("round", "step", "title", "user", "name", "action", "decision",
                                            "comment", "values", "at", "to", "to_name", "pending", "consistent", "signature")}
                    for e in (doc or {}).get("log", [])]}


def _name(login):
    u = context.accounts().get(login)
    return u.real_name if u else login


@bp.post("/api/forms/<form_id>/submissions/<int:record_id>/approval")
@signed_in
def decide_api(form_id, record_id):
    form, rec = _target(form_id, record_id)
    from .pages import check_csrf
    check_csrf()
    payload = request.get_json(silent=True) if request.is_json else None
    if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
        raise ApiError(400, f"请以 JSON 提交审批操作，例如 {{\"action\": \"同意\", \"comment\": \"…\"}}；"
                            f"可选操作：{'、'.join(engine.ACTIONS)}。")
    doc = _decide(form, rec, payload["action"], str(payload.get("comment") or ""), payload.get("values") or {},
                  payload.get("to"), payload.get("step") if isinstance(payload.get("step"), str) else None,
                  payload.get("signature"))
    return jsonify(flow_json(form, doc))


@bp.post("/forms/<form_id>/records/<int:record_id>/approval")
@signed_in
def decide_page(form_id, record_id):
    form, rec = _target(form_id, record_id)
    from .pages import check_csrf
    check_csrf()
    values = {k[len("v:"):]: v for k, v in request.form.items() if k.startswith("v:") and v != ""}
    _decide(form, rec, request.form.get("action", ""), request.form.get("comment", ""), values,
            request.form.get("to") or None, request.form.get("step") or None, request.form.get("signature") or None)
    return redirect(url_for("pages.record", form_id=form_id, record_id=record_id), code=303)


@bp.get("/api/forms/<form_id>/submissions/<int:record_id>/approval")
@for_form("read")
def flow_api(form_id, record_id):
    form = context.find_form(form_id)
    rec = context.records().get_record(form_id, record_id)
    if rec is None or not access().allows(form, "read", rec):
        raise ApiError(404, "找不到这份记录。")
    if form.flow is None:
        raise ApiError(404, f"「{form.title}」没有审批流程。")
    return jsonify(flow_json(form, approvals().doc(form_id, record_id)))


# ---------------------------------------------------------------- the inbox
def inbox(user) -> dict:
    """{"todo": [...], "mine": [...], "done": [...]}: what waits on the user, what they applied
    for, what they decided; each item (form, record id, state, step title, overdue)."""
    out = {"todo": [], "mine": [], "done": []}
    catalog = context.catalog()
    for doc in approvals().all_docs():
        form = catalog.forms.get(doc.get("form"))
        if form is None or form.flow is None:
            continue
        step = form.flow.steps[doc["step"]] if doc.get("step") is not None else None
        item = {"form": form.id, "form_title": form.title, "record": doc["record"],
                "state": engine.state_label(doc), "step": step.title if step else "",
                "overdue": engine.overdue(doc, form.flow), "since": doc.get("since", "")}
        if user.login in approvals().waiting(form, doc):
            out["todo"].append(item)
        if doc.get("applicant") == user.login:
            out["mine"].append(item)
        if any(e["user"] == user.login and e.get("step") for e in doc.get("log", [])):
            out["done"].append(item)
    return out


def counts() -> dict:
    """The inbox counts for the catalog page (empty when nothing waits, nothing was asked for)."""
    user = access().user
    if user is None:
        return {}
    boxes = inbox(user)
    return {k: len(v) for k, v in boxes.items()} if any(boxes.values()) else {}


@bp.get("/approvals")
@signed_in
def inbox_page():
    tab = request.args.get("tab", "todo")
    if tab not in ("todo", "mine", "done"):
        abort(404)
    boxes = inbox(access().user)
    return render_template("approvals.html", boxes=boxes, tab=tab)


@bp.get("/api/approvals")
@signed_in
def inbox_api():
    return jsonify(inbox(access().user))


def panel(form_id, record):
    """The record page's flow block: its state, a timeline, and the actions open to the user."""
    form = context.find_form(form_id)
    if form is None or form.flow is None:
        return ""
    doc = approvals().doc(form_id, record["id"])
    user = access().user
    acts = approvals().actions_for(form, doc, user, record)
    step = form.flow.steps[doc["step"]] if doc and doc.get("step") is not None else None
    fills = []
    if step is not None and acts:
        fills = [form.field_at(tuple(p.split("."))) for p in step.fills]
        fills = [(".".join(f.path), f) for f in fills]
    return Markup(render_template("approval_panel.html", form=form, form_id=form_id, record=record, doc=doc,
                                  state=engine.state_label(doc), step=step, actions=acts, fills=fills,
                                  waiting=[_name(x) for x in approvals().waiting(form, doc)] if doc else [],
                                  overdue=engine.overdue(doc, form.flow)))


def frozen_or_render(form, rec, fmt, complete: bool, render) -> bytes:
    """An approved record's latest revision prints the same PDF bytes for ever (for someone who
    sees every field; a redacted copy is rendered as it is asked)."""
    if form.flow is None or fmt != "pdf":
        return render()
    doc = approvals().doc(form.id, rec["id"])
    latest = context.records().get_record(form.id, rec["id"])
    if engine.state_label(doc) != engine.PASSED or latest is None or latest["revision"] != rec["revision"] \
            or not complete:
        return render()
    return printing.frozen_pdf(context.store(), form.id, rec["id"], rec["revision"], render)
