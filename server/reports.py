"""Reports that fill themselves: the 生成 button, the generated draft's submission, and a stored
report's trace back to its source records.

    POST /forms/<id>/generate            period (+ the fields its filters name) → the fill page, prefilled
    POST /forms/<id>/generated?run=…     the checked draft submitted: stored with its 编号 and its trace
    GET  /forms/<id>/records/<n>/sources the records behind each row (only those the user may read)
    GET  /forms/<id>/chart.svg?by=month&of=count|money   the records list's chart

The draft (its generated data and trace) waits in a store document (`report_run`) until the
person submits it; the trace of a submitted report is a document keyed by the record.
"""
from __future__ import annotations

import base64
import secrets

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from forms.formdata import unflatten
from forms.report_source import compile_sources, parameters
from forms.submission import check
from renderers.charts import bar_chart, form_chart, stacked_bar_chart
from services.charts import chart_data
from services.reports import (MAX_SHOWN, RUN_KIND, ReportError, generate, is_report, keep_trace,
                              trace_of, traced_records)
from services.record_state import states

from . import context
from .access import access, for_form, record_or_404
from .pages import check_csrf, fill_page, form_or_404, new_record_form, posted_pairs, stamp
from .security import POLICY

bp = Blueprint("reports", __name__)
# app.extensions[STATE_EXTENSION], when set, replaces services.record_state.states (the real states:
# 已作废, the approval flow's, else 已提交); tests set it to plant states
STATE_EXTENSION = "biaoge.record_state"


def _run_prefix(form, user) -> str:
    return f"{form.id}/{user.login if user else '-'}/"


def _report_or_400(form_id):
    form = form_or_404(form_id)
    if not is_report(form):
        abort(400, description=f"「{form.title}」没有声明数据来源，不能自动生成。")
    return form


def report_inputs(form) -> dict:
    """What the 生成 button asks for: the period field and the fields the filters name."""
    sources, _ = compile_sources(form, context.catalog().forms)
    period = form.fields[sources[0].period] if sources else None
    return {"period": period, "parameters": [form.fields[k] for k in parameters(sources)]}


@bp.post("/forms/<form_id>/generate")
@for_form("create")
def generate_report(form_id):
    form = _report_or_400(form_id)
    check_csrf()
    inputs = report_inputs(form)
    period = request.form.get("period", "").strip()
    values = {f.key: request.form.get(f.key, "").strip() for f in inputs["parameters"]}
    try:
        gen = generate(context.catalog(), context.store(), access(), form, period, values=values,
                       state_of=current_app.extensions.get(STATE_EXTENSION)
                       or states(context.store(), context.catalog()))
    except ReportError as exc:
        abort(400, description=str(exc))
    run = secrets.token_urlsafe(16)
    user = access().user
    store = context.store()
    for key, _, _ in store.docs(RUN_KIND, _run_prefix(form, user)):    # one waiting draft per person and report
        store.delete_doc(RUN_KIND, key)
    store.put_doc(RUN_KIND, _run_prefix(form, user) + run, {"form": form.id, "user": user.login if user else None,
                                                            "period": period, "trace": gen.trace})
    context.audit("generate", form=form, detail={"period": period, "read": gen.counts})
    return fill_page(new_record_form(form), values=gen.data,
                     action=url_for("reports.submit_generated", form_id=form.id, run=run), suffix="（自动生成，请核对）")


@bp.post("/forms/<form_id>/generated")
@for_form("create")
def submit_generated(form_id):
    form = _report_or_400(form_id)
    check_csrf()
    user = access().user
    run_id = request.args.get("run", "")
    key = _run_prefix(form, user) + run_id
    found = context.store().get_doc(RUN_KIND, key) if run_id.replace("-", "").replace("_", "").isalnum() \
        and len(run_id) < 40 else None
    if found is None or found[0].get("form") != form.id or found[0].get("user") != (user.login if user else None):
        abort(400, description="这份自动生成的报表已失效，请回到记录页重新生成。")
    run = found[0]
    shown = new_record_form(form)
    data = unflatten(shown, posted_pairs())
    result = check(form, data)
    if not result.ok:
        return fill_page(shown, values=data, errors=result.errors, status=422,
                         action=url_for("reports.submit_generated", form_id=form.id, run=run_id))
    record = context.records().save_new(form, result.data, **stamp())
    keep_trace(context.store(), form.id, record["id"], run["trace"], run.get("period"))
    context.store().delete_doc(RUN_KIND, key)
    context.audit("create", form=form, record=record["id"], detail={"from": "report", "period": run.get("period")})
    return redirect(url_for("pages.record", form_id=form.id, record_id=record["id"], new=1), code=303)


@bp.get("/forms/<form_id>/records/<int:record_id>/sources")
@for_form("read")
def sources(form_id, record_id):
    form = form_or_404(form_id)
    rec = record_or_404(form, "read", context.store().get(form_id, record_id))
    kept = trace_of(context.store(), form_id, record_id)
    sections = []
    for key, entries in ((kept or {}).get("trace") or {}).items():
        f = form.fields.get(key)
        if f is None:
            continue
        rows = entries if f.is_table else [entries]
        for i, row in enumerate(rows):
            found = traced_records(context.catalog(), context.store(), access(), row)
            sections.append({"field": f, "row": i + 1 if f.is_table else None, "records": found})
    context.audit("read", form=form_id, record=record_id, detail={"sources": True})
    return render_template("report_sources.html", form=form, record=rec, sections=sections, traced=kept is not None,
                           too_many=(kept or {}).get("too_many"), shown=MAX_SHOWN)


BY_NAMES = {"day": "日", "week": "周", "month": "月"}


@bp.get("/forms/<form_id>/chart.svg")
@for_form("read")
def records_chart(form_id):
    form = form_or_404(form_id)
    by = request.args.get("by", "month")
    of = request.args.get("of", "count")
    if by not in BY_NAMES or of not in ("count", "money"):
        abort(400, description="图表参数应为 by=day|week|month，of=count|money。")
    data = chart_data(context.store(), form, access(), by)
    if of == "money" and data["money"]:
        svg = stacked_bar_chart(f"{form.title} · 每{BY_NAMES[by]}{data['money']}（按{data['by']}）", data["labels"],
                                list(data["sums"].items()) or [("—", [0] * len(data["labels"]))])
    else:
        svg = bar_chart(f"{form.title} · 每{BY_NAMES[by]}记录数", data["labels"], [("记录数", data["counts"])])
    return Response(svg, mimetype="image/svg+xml")


# the SVG's own inline styles (pygal's); it is shown as an image and runs nothing
records_chart.talisman_view_options = {"content_security_policy": {**POLICY, "style-src": "'unsafe-inline'"}}


def report_chart_uri(form, data) -> str | None:
    """A report's x-chart as a data: URL for an <img> on its record page (the page's CSP allows data: images)."""
    svg = form_chart(form, data)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii") if svg else None


def has_trace(form_id, record_id) -> bool:
    return trace_of(context.store(), form_id, record_id) is not None


def register(app) -> None:
    app.register_blueprint(bp)
    app.add_template_global(has_trace, "report_has_trace")
    app.add_template_global(is_report, "is_report")
    app.add_template_global(report_inputs, "report_inputs")
    app.add_template_global(report_chart_uri, "report_chart_uri")
