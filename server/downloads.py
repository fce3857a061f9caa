"""A record (any revision) rendered for download, with the form version it was made with."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app

from renderers import base
from renderers.base import DoesNotFit
from services.rendering import RenderLimitError, RenderLimits, render_record

from . import context
from .errors import ApiError

FORMATS = ("pdf", "xlsx")


def record_for_render(form_id: str, record_id: int, revision: int | None):
    """(record, form it was made with, current form or None); 404 when unknown."""
    current = context.find_form(form_id)
    rec = context.records().get_record(form_id, record_id, revision)
    if rec is None:
        abort(404)
    form = context.records().form_of(form_id, rec, current)
    if form is None:
        abort(404)
    return rec, form, current


def file_response(content: bytes, renderer, filename: str) -> Response:
    resp = Response(content, mimetype=renderer.media_type.split(";")[0])
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def download_response(form_id: str, record_id: int, fmt: str, revision: int | None) -> Response:
    if fmt not in FORMATS:
        abort(404)
    rec, form, _ = record_for_render(form_id, record_id, revision)
    renderer = base.get(fmt)
    record = base.Filled(rec["data"], number=rec.get("number") or "", created=rec["created"][:10])
    name = f"{form.title}-{rec.get('number') or record_id}"
    if rec.get("revision", 1) > 1:
        name += f"-第{rec['revision']}版"
    try:
        content = render_record(fmt, form, context.records().definition_of(form)[1], record, render_limits())
    except (RenderLimitError, DoesNotFit) as exc:
        raise ApiError(422, str(exc)) from None
    return file_response(content, renderer, name + renderer.extension)


def render_limits() -> RenderLimits:
    cfg = current_app.config
    return RenderLimits(seconds=float(cfg["RENDER_SECONDS"]), memory_mb=int(cfg["RENDER_MEMORY_MB"]))
