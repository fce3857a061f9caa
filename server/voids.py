"""作废 a record, from its page (a form with the reason) or the API; and how a refused hold or
void is answered (409 / 422, in Chinese) wherever it is raised."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for

from services.holds import Held
from services.voiding import VoidError, void

from . import context
from .access import access, for_form, record_or_404
from .errors import ApiError, respond

bp = Blueprint("voids", __name__)


def _void(form_id: str, record_id: int, reason) -> tuple:
    """`reason()` reads the reason from the request (after the record is known to be there)."""
    from .pages import check_csrf, form_or_404
    form = form_or_404(form_id)
    check_csrf()
    rec = record_or_404(form, "void", context.records().get_record(form_id, record_id))
    mark = void(context.store(), context.audit_log(), form, rec, reason=reason(), by=access().user)
    return form, mark


@bp.post("/forms/<form_id>/records/<int:record_id>/void")
@for_form("void")
def void_page(form_id, record_id):
    _void(form_id, record_id, lambda: request.form.get("reason"))
    return redirect(url_for("pages.record", form_id=form_id, record_id=record_id), code=303)


@bp.post("/api/forms/<form_id>/submissions/<int:record_id>/void")
@for_form("void")
def void_api(form_id, record_id):
    def reason():
        payload = request.get_json(silent=True) if request.is_json else None
        if not isinstance(payload, dict):
            raise ApiError(400, "请以 JSON 提交作废原因，例如 {\"reason\": \"客户取消订单\"}。")
        return payload.get("reason")
    _, mark = _void(form_id, record_id, reason)
    return jsonify({"voided": mark})


def register(app):
    app.register_blueprint(bp)

    @app.errorhandler(VoidError)
    def _void_error(exc):
        return respond(exc.status, str(exc))

    @app.errorhandler(Held)
    def _held(exc):
        return respond(exc.status, exc.message, [exc.error()])
