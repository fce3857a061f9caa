"""A record (any revision) rendered for download, with the form version it was made with."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, request, url_for

from renderers import base
from renderers.base import DoesNotFit
from services.rendering import RenderLimitError, RenderLimits, render_record

from . import context
from .errors import ApiError

FORMATS = ("pdf", "xlsx")
ENGINES = {"pdf": "pdf2"}    # a record's PDF: the two-layer engine (it falls back to the flow engine per record)


def record_for_render(form_id: str, record_id: int, revision: int | None, action: str):
    """(record, form it was made with, current form or None); 404 when unknown or outside the
    user's scope for `action` (the scope of a record is its creator and department, whatever the
    revision)."""
    from .access import access, record_or_404
    current = context.find_form(form_id)
    rec = context.records().get_record(form_id, record_id, revision)
    if rec is None:
        abort(404)
    form = context.records().form_of(form_id, rec, current)
    if form is None:
        abort(404)
    record_or_404(current or form, action, rec)
    return rec, form, current


def file_response(content: bytes, renderer, filename: str, inline: bool = False) -> Response:
    """The file to save (or, `inline`, to show in the browser: 打印 opens the PDF)."""
    resp = Response(content, mimetype=renderer.media_type.split(";")[0])
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    resp.headers["Content-Disposition"] = (f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def download_response(form_id: str, record_id: int, fmt: str, revision: int | None, inline: bool = False) -> Response:
    if fmt not in FORMATS:
        abort(404)
    from .access import access
    rec, form, _ = record_for_render(form_id, record_id, revision, "print")
    complete = not access().hidden(form, rec)
    form, data = access().view(form, rec)
    from .approvals import frozen_or_render, shown_data, signature_images
    data = shown_data(form, rec, data)
    renderer = base.get(fmt)
    from services.voiding import voided
    record = base.Filled(data, number=rec.get("number") or "", created=rec["created"][:10],
                         void="作废" if voided(context.store(), form_id, record_id) else "",
                         link=record_link(form_id, record_id), signatures=signature_images(form, rec))
    name = f"{form.title}-{rec.get('number') or record_id}"
    if rec.get("revision", 1) > 1:
        name += f"-第{rec['revision']}版"
    try:
        content = frozen_or_render(form, rec, fmt, complete, lambda: render_record(
            ENGINES.get(fmt, fmt), form, context.records().definition_of(form)[1], record, render_limits()))
    except (RenderLimitError, DoesNotFit) as exc:
        raise ApiError(422, str(exc)) from None
    context.audit("download", form=form_id, record=record_id, detail={"format": fmt, "revision": rec.get("revision")})
    return file_response(content, renderer, name + renderer.extension, inline=inline and fmt == "pdf")


def record_link(form_id: str, record_id: int) -> str:
    """The record's address for people: PUBLIC_URL (the address staff reach the server at, e.g. behind
    a proxy) when configured, else the address this request came to."""
    root = (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")
    return root + url_for("pages.record", form_id=form_id, record_id=record_id)


def render_limits() -> RenderLimits:
    cfg = current_app.config
    return RenderLimits(seconds=float(cfg["RENDER_SECONDS"]), memory_mb=int(cfg["RENDER_MEMORY_MB"]))


def overprint_response(form_id: str, record_id: int, revision: int | None) -> Response:
    """The record's values alone (套打), placed with the user's printer calibration."""
    from flask_login import current_user

    from services import calibration

    from .access import access
    rec, form, _ = record_for_render(form_id, record_id, revision, "print")
    form, data = access().view(form, rec)
    renderer = base.get("overprint")
    record = base.Filled(data, number=rec.get("number") or "", created=rec["created"][:10])
    try:
        content = renderer.render(form, record, calibration=calibration.load(context.store(), current_user.login))
    except DoesNotFit as exc:
        raise ApiError(422, str(exc)) from None
    context.audit("download", form=form_id, record=record_id, detail={"format": "overprint",
                                                                      "revision": rec.get("revision")})
    return file_response(content, renderer, f"{form.title}-{rec.get('number') or record_id}-套打.pdf")


def calibration_response(form) -> Response:
    """The form's calibration page, with the user's calibration applied."""
    from flask_login import current_user

    from services import calibration
    renderer = base.get("overprint")
    content = renderer.render(form, None, calibration=calibration.load(context.store(), current_user.login))
    return file_response(content, renderer, f"{form.title}-套打校准页.pdf")
