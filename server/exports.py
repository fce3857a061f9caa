"""The records list as Excel (下载 Excel on the records page): the records the list shows,
with the list's own filters (from, to, q, where), one row each (services.export)."""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, send_file

from renderers import base
from renderers.base import DoesNotFit
from services.export import export_name, export_records

from services.query import query_args

from . import context
from .access import access, for_form
from .pages import form_or_404, list_query

bp = Blueprint("exports", __name__)
SPOOL = 8 * 1024 * 1024     # a workbook up to this size stays in memory, a larger one goes to a file


@bp.get("/forms/<form_id>/records.xlsx")
@for_form("export")
def records_xlsx(form_id):
    form = form_or_404(form_id)
    query = list_query(form)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    try:
        count = export_records(form, context.store(), query, out, access())
    except DoesNotFit as exc:   # too many rows for a sheet, a text longer than a cell: refused, never cut
        out.close()
        abort(422, description=str(exc))
    except BaseException:
        out.close()
        raise
    context.audit("export", form=form, detail={"query": query_args(query), "records": count})
    out.seek(0)
    resp = send_file(out, mimetype=base.get("xlsx").media_type, as_attachment=True,
                     download_name=export_name(form), max_age=0)
    resp.headers["Cache-Control"] = "no-store"
    return resp
