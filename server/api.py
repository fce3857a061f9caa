"""The JSON API under /api (documented by /api/openapi.json)."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, request, url_for

from forms.definition import frozen
from forms.submission import check

from services.query import QueryError, build_query

from . import context
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


def public(rec: dict) -> dict:
    return {k: rec[k] for k in ("id", "number", "revision", "created", "updated", "version", "data") if k in rec}


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(context.catalog()))


@bp.get("/forms")
def list_forms():
    cat = context.catalog()
    forms = [summary(f) for forms in cat.by_chapter().values() for f in forms]
    broken = sorted({p.file for p in cat.problems})
    return jsonify({"forms": forms, "broken": broken})


@bp.get("/forms/<form_id>")
def get_form(form_id):
    form = form_or_404(form_id)
    return jsonify({**summary(form), "definition": frozen(form)})


@bp.post("/forms/<form_id>/submissions")
def create_submission(form_id):
    form = form_or_404(form_id)
    if not request.is_json:
        raise ApiError(415)
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "请求体不是有效的 JSON。")
    result = check(form, payload)
    if not result.ok:
        raise ApiError(422, f"提交的数据有 {len(result.errors)} 处错误。", result.errors)
    rec = context.records().save_new(form, result.data)
    body = {**public(rec), "url": url_for("api.get_submission", form_id=form.id, record_id=rec["id"])}
    resp = jsonify(body)
    resp.status_code = 201
    resp.headers["Location"] = body["url"]
    return resp


@bp.get("/forms/<form_id>/submissions")
def list_submissions(form_id):
    form = form_or_404(form_id)
    page = int_arg("page", 1)
    per_page = int_arg("per_page", int(current_app.config["PER_PAGE"]), maximum=200)
    try:
        query = build_query(form, date_from=request.args.get("from"), date_to=request.args.get("to"),
                            text=request.args.get("q"), where=request.args.getlist("where"))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from None
    items, total = context.store().query(form.id, query, offset=(page - 1) * per_page, limit=per_page)
    return jsonify({"items": [public(r) for r in items], "total": total, "page": page, "per_page": per_page,
                    "pages": max(1, math.ceil(total / per_page))})


@bp.get("/forms/<form_id>/submissions/<int:record_id>")
def get_submission(form_id, record_id):
    rec = context.records().get_record(form_id, record_id, int_arg("rev"))
    if rec is None:
        raise ApiError(404, f"表单 '{form_id}' 没有编号为 {record_id} 的记录。")
    return jsonify(public(rec))


@bp.get("/forms/<form_id>/submissions/<int:record_id>.<fmt>")
def get_submission_file(form_id, record_id, fmt):
    if fmt not in ("pdf", "xlsx"):
        raise ApiError(404)
    return download_response(form_id, record_id, fmt, int_arg("rev"))
