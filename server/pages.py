"""The Chinese pages: catalog, fill online, records, downloads, Excel upload, revisions."""
from __future__ import annotations

import math
import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from forms.formdata import unflatten
from forms.submission import check
from renderers import base
from renderers.layout import display

from services.query import QueryError, build_query, query_args

from . import context
from .assets import fill_assets
from .downloads import download_response, record_for_render
from .params import int_arg

bp = Blueprint("pages", __name__)
LIST_COLUMNS = 4


# ---------------------------------------------------------------- CSRF
def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf():
    sent = request.form.get("csrf_token", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(403)


@bp.app_context_processor
def _context():
    return {"csrf_token": csrf_token}


@bp.app_template_filter("display")
def _display(value, f):
    return display(f, value)


# ---------------------------------------------------------------- helpers
def form_or_404(form_id: str):
    form = context.find_form(form_id)
    if form is None:
        abort(404)
    return form


def nav(form) -> list:
    return [("表格 · 营销管理表单", url_for("pages.catalog")), ("记录", url_for("pages.records", form_id=form.id)),
            ("空白 PDF", url_for("pages.blank", form_id=form.id, fmt="pdf")),
            ("Excel 模板", url_for("pages.blank", form_id=form.id, fmt="xlsx"))]


def fill_page(form, values=None, errors=None, action=None, status=200, suffix=""):
    html = base.get("html").page(form, values=values, errors=errors, csrf_token=csrf_token(),
                                 action=action or url_for("pages.fill", form_id=form.id), links=nav(form),
                                 title_suffix=suffix, assets=fill_assets(), nonce=request.csp_nonce)
    return html, status


# ---------------------------------------------------------------- catalog
@bp.get("/")
def catalog():
    cat = context.catalog()
    q = request.args.get("q", "").strip()
    chapters: dict = {}
    for chapter, forms in cat.by_chapter().items():
        for form in forms:
            chapters.setdefault(chapter, []).append({"form": form, "problems": [], "title": form.title})
    broken = {}
    for p in cat.problems:
        broken.setdefault(p.file, []).append(p)
    for file, problems in broken.items():
        title = file.rsplit("/", 1)[-1]
        chapters.setdefault("定义有错误的表单", []).append({"form": None, "problems": problems, "title": title,
                                                      "file": file})
    total = sum(len(v) for v in chapters.values())
    if q:
        chapters = {c: [e for e in es if q.lower() in e["title"].lower()] for c, es in chapters.items()}
        chapters = {c: es for c, es in chapters.items() if es}
    return render_template("catalog.html", chapters=list(chapters.items()), q=q, total=total,
                           shown=sum(len(v) for v in chapters.values()))


# ---------------------------------------------------------------- fill and submit
@bp.get("/forms/<form_id>")
def fill(form_id):
    return fill_page(form_or_404(form_id))


@bp.post("/forms/<form_id>")
def submit(form_id):
    form = form_or_404(form_id)
    check_csrf()
    pairs = [(k, v) for k, values in request.form.lists() if k != "csrf_token" for v in values]
    data = unflatten(form, pairs)
    result = check(form, data)
    if not result.ok:
        return fill_page(form, values=data, errors=result.errors, status=422)
    record = context.records().save_new(form, result.data)
    return redirect(url_for("pages.record", form_id=form.id, record_id=record["id"], new=1), code=303)


@bp.post("/forms/<form_id>/upload")
def upload(form_id):
    from renderers.xlsx.importer import import_workbook
    form = form_or_404(form_id)
    check_csrf()
    file = request.files.get("file")
    if file is None or not file.filename:
        return render_template("error.html", status=400, message="请选择要上传的 Excel 文件（.xlsx）。", errors=[]), 400
    result = import_workbook(form, file.read(), max_unpacked=current_app.config["MAX_UPLOAD_UNPACKED"])
    if result.errors:
        return render_template("error.html", status=422, message=f"上传的 Excel 有 {len(result.errors)} 处错误，未保存：",
                               errors=result.errors), 422
    record = context.records().save_new(form, result.data)
    return redirect(url_for("pages.record", form_id=form.id, record_id=record["id"], new=1), code=303)


# ---------------------------------------------------------------- records
@bp.get("/forms/<form_id>/records")
def records(form_id):
    form = form_or_404(form_id)
    per_page = current_per_page()
    page = int_arg("page", 1)
    query = list_query(form)
    items, total = context.store().query(form.id, query, offset=(page - 1) * per_page, limit=per_page)
    columns = form.summary_fields()[:LIST_COLUMNS]
    return render_template("records.html", form=form, items=items, total=total, page=page,
                           pages=max(1, math.ceil(total / per_page)), columns=columns, date_from=query.date_from,
                           date_to=query.date_to, q=query.text, where=[f"{k}={v}" for k, v in query.where],
                           filters=query_args(query))


def current_per_page() -> int:
    return int(current_app.config["PER_PAGE"])


def list_query(form):
    """The records query of the list page, its archive and its export: from, to, q, where (repeated)."""
    try:
        return build_query(form, date_from=request.args.get("from"), date_to=request.args.get("to"),
                           text=request.args.get("q"), where=request.args.getlist("where"))
    except QueryError as exc:
        abort(400, description=str(exc))


@bp.get("/forms/<form_id>/archive.zip")
def archive(form_id):
    from .archive_download import archive_response
    form = form_or_404(form_id)
    query = list_query(form)
    _, total = context.store().query(form.id, query, offset=0, limit=1)
    if total > int(current_app.config.get("ARCHIVE_JOB_THRESHOLD", 200)):
        abort(409, description=f"记录较多（共 {total} 条），请在记录页点击“生成归档（后台任务）”，生成后在任务页下载。")
    return archive_response(form, query)


@bp.get("/forms/<form_id>/records/<int:record_id>")
def record(form_id, record_id):
    rev = int_arg("rev")
    rec, form, current = record_for_render(form_id, record_id, rev)
    history = context.store().history(form_id, record_id)
    return render_template("record.html", form=form, form_id=form_id, record=rec, rev=rev, history=history,
                           new=request.args.get("new") == "1", editable=current is not None,
                           old_definition=form is not current)


@bp.get("/forms/<form_id>/records/<int:record_id>.<fmt>")
def download(form_id, record_id, fmt):
    return download_response(form_id, record_id, fmt, int_arg("rev"))


@bp.get("/forms/<form_id>/blank.<fmt>")
def blank(form_id, fmt):
    form = form_or_404(form_id)
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    renderer = base.get(fmt)
    from .downloads import file_response
    return file_response(renderer.render(form), renderer, f"{form.title}-空白{renderer.extension}")


@bp.route("/forms/<form_id>/records/<int:record_id>/edit", methods=["GET", "POST"])
def edit(form_id, record_id):
    form = form_or_404(form_id)
    rec = context.records().get_record(form_id, record_id)
    if rec is None:
        abort(404)
    action = url_for("pages.edit", form_id=form_id, record_id=record_id)
    suffix = f"修改 {rec.get('number') or '#' + str(record_id)}"
    if request.method == "GET":
        return fill_page(form, values=rec["data"], action=action, suffix=suffix)
    check_csrf()
    pairs = [(k, v) for k, values in request.form.lists() if k != "csrf_token" for v in values]
    data = unflatten(form, pairs)
    result = check(form, data)
    if not result.ok:
        return fill_page(form, values=data, errors=result.errors, action=action, status=422, suffix=suffix)
    context.records().save_revision(form, record_id, result.data)
    return redirect(url_for("pages.record", form_id=form_id, record_id=record_id), code=303)
