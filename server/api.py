"""The JSON API under /api (documented by /api/openapi.json)."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, request, url_for

from forms.definition import frozen
from forms.submission import check

from services.query import QueryError, build_query
from services.records import Forbidden, search

from . import context
from .access import access, for_form, signed_in
from .downloads import download_response
from .errors import ApiError
from .openapi import openapi_document
from .params import int_arg

bp = Blueprint("api", __name__, url_prefix="/api")


def form_or_404(form_id: str):
    form = context.find_form(form_id)
    if form is None:
        raise ApiError(404, f"没有 id 为 '{form_id}' 的表单。")
    return form


def summary(form) -> dict:
    return {"id": form.id, "title": form.title, "chapter": form.chapter, "version": form.version,
            "url": url_for("api.get_form", form_id=form.id)}


def public(form, rec: dict) -> dict:
    """A record as the API shows it to this user: what they may not see is absent."""
    out = {k: rec[k] for k in ("id", "number", "revision", "created", "updated", "version", "data") if k in rec}
    out["data"] = access().view(form, rec)[1]
    return out


@bp.get("/openapi.json")
@signed_in
def openapi():
    return jsonify(openapi_document(context.catalog()))


@bp.get("/forms")
@signed_in
def list_forms():
    cat = context.catalog()
    forms = [summary(f) for forms in cat.by_chapter().values() for f in forms if access().uses(f)]
    broken = sorted({p.file for p in cat.problems}) if access().user.admin else []
    return jsonify({"forms": forms, "broken": broken})


@bp.get("/forms/<form_id>")
@signed_in
def get_form(form_id):
    form = form_or_404(form_id)
    if not access().uses(form):
        raise ApiError(403, f"您没有权限使用「{form.title}」。")
    return jsonify({**summary(form), "definition": frozen(access().view(form, None)[0])})


@bp.post("/forms/<form_id>/submissions")
@for_form("create")
def create_submission(form_id):
    form = form_or_404(form_id)
    from .pages import check_csrf, stamp
    check_csrf()   # a browser session needs the X-CSRFToken header; an API token does not
    if not request.is_json:
        raise ApiError(415)
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "请求体不是有效的 JSON。")
    hidden = access().hidden(form, None)
    if hidden and isinstance(payload, dict):
        from services.access import redact
        if redact(payload, hidden) != payload:
            raise ApiError(403, "提交的数据含有您无权填写的字段。")
    result = check(form, payload)
    if not result.ok:
        raise ApiError(422, f"提交的数据有 {len(result.errors)} 处错误。", result.errors)
    from . import idempotency
    from .approvals import after_create, refuse_approver_fields
    refuse_approver_fields(form, result.data)

    def make():
        rec = context.records().save_new(form, result.data, **stamp())
        context.audit("create", form=form, record=rec["id"], detail={"via": "api"})
        after_create(form, rec)
        return rec
    record_id, made = idempotency.create_once(form, idempotency.key_of(request), make)
    rec = context.records().get_record(form.id, record_id)
    body = {**public(form, rec), "url": url_for("api.get_submission", form_id=form.id, record_id=rec["id"])}
    resp = jsonify(body)
    resp.status_code = 201 if made else 200
    resp.headers["Location"] = body["url"]
    return resp


@bp.get("/forms/<form_id>/submissions")
@for_form("read")
def list_submissions(form_id):
    form = form_or_404(form_id)
    page = int_arg("page", 1)
    per_page = int_arg("per_page", int(current_app.config["PER_PAGE"]), maximum=200)
    try:
        query = build_query(form, date_from=request.args.get("from"), date_to=request.args.get("to"),
                            text=request.args.get("q"), where=request.args.getlist("where"))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from None
    try:
        items, total = search(context.store(), form, access(), query, offset=(page - 1) * per_page, limit=per_page)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    context.audit("list", form=form, detail={"via": "api", "page": page, "shown": len(items)})
    return jsonify({"items": [public(form, r) for r in items], "total": total, "page": page, "per_page": per_page,
                    "pages": max(1, math.ceil(total / per_page))})


@bp.get("/forms/<form_id>/submissions/<int:record_id>")
@for_form("read")
def get_submission(form_id, record_id):
    form = form_or_404(form_id)
    rec = context.records().get_record(form_id, record_id, int_arg("rev"))
    if rec is None or not access().allows(form, "read", rec):
        raise ApiError(404, f"表单 '{form_id}' 没有编号为 {record_id} 的记录。")
    context.audit("read", form=form, record=record_id, detail={"via": "api", "revision": rec.get("revision")})
    return jsonify(public(form, rec))


@bp.get("/forms/<form_id>/submissions/<int:record_id>.<fmt>")
@for_form("print")
def get_submission_file(form_id, record_id, fmt):
    if fmt not in ("pdf", "xlsx"):
        raise ApiError(404)
    return download_response(form_id, record_id, fmt, int_arg("rev"))
