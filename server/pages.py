"""The Chinese pages: catalog, fill online, records, downloads, Excel upload, revisions.

Every view declares who may use it (server.access); records outside the user's scope are, for
them, not there (404), and what they may not see is absent from every page and file.
"""
from __future__ import annotations

import math
import secrets

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from forms.extras import keep_extras, shown_extras
from forms.formdata import unflatten
from forms.submission import check
from renderers import base
from renderers.layout import display
from services.access import redact
from services.holds import Held
from services.approval_print import applicant_form
from services.query import QueryError, build_query, query_args
from services.records import Forbidden, search
from services.sorting import CREATED, NUMBER, SortTooBig, sorted_page
from services.voiding import MAX_REASON, VoidError, describe, voided, voided_ids

from . import context
from .access import access, for_form, record_or_404, signed_in
from .approvals import after_create, refuse_approver_fields, refuse_locked, shown_data
from .assets import fill_assets
from .downloads import download_response, record_for_render
from .listing import MAX_ALL_PAGES, across_forms, key_columns
from .params import int_arg

bp = Blueprint("pages", __name__)
NOT_FIELDS = ("csrf_token", "draft_id", "idempotency_key")     # posted with a form, not part of its data


# ---------------------------------------------------------------- CSRF
def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf():
    """Pages posted from a browser carry the session's CSRF token; a request made with an API token
    (a script) needs none."""
    current_user.is_authenticated     # load the user (a token sets g.token_auth)
    if g.get("token_auth"):
        return
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRFToken", "")
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
    links = [("表格 · 营销管理表单", url_for("pages.catalog")), ("我的草稿", url_for("drafts.mine")),
             ("全部记录", url_for("pages.all_records"))]
    if access().can(form, "read"):
        links.append(("记录", url_for("pages.records", form_id=form.id)))
    if access().can_create(form):
        links += [("空白 PDF", url_for("pages.blank", form_id=form.id, fmt="pdf")),
                  ("Excel 模板", url_for("pages.blank", form_id=form.id, fmt="xlsx"))]
    return links


def fill_page(form, values=None, errors=None, action=None, status=200, suffix="", notice="", draft_id=""):
    """The fill page as served: new records autosave as 草稿 and may be submitted offline (drafts.js)."""
    creating = action is None
    online = {"draft_url": url_for("drafts.save", form_id=form.id, draft_id="__id__") if creating else "",
              "draft_id": draft_id or request.form.get("draft_id", ""), "form_key": form.id if creating else "",
              "restore": creating and values is None, "sw": url_for("service_worker")}
    html = base.get("html").page(form, values=values, errors=errors, csrf_token=csrf_token(),
                                 action=action or url_for("pages.fill", form_id=form.id), links=nav(form),
                                 title_suffix=suffix, assets=fill_assets(), nonce=request.csp_nonce, notice=notice,
                                 online=online)
    return html, status


def posted_pairs() -> list:
    return [(k, v) for k, values in request.form.lists() if k not in NOT_FIELDS for v in values]


def stamp() -> dict:
    """Who a new record is made by: its creator and their department."""
    user = access().user
    return {"creator": user.login, "department": user.department} if user else {}


# ---------------------------------------------------------------- catalog
@bp.get("/")
@signed_in
def catalog():
    cat = context.catalog()
    q = request.args.get("q", "").strip()
    chapters: dict = {}
    for chapter, forms in cat.by_chapter().items():
        for form in forms:
            if access().uses(form):
                chapters.setdefault(chapter, []).append({"form": form, "problems": [], "title": form.title,
                                                         "can_create": access().can_create(form),
                                                         "can_read": access().can(form, "read")})
    if access().user is not None and access().user.admin:
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
def new_record_form(form):
    """The form as the user may fill it (without the fields they may not see, nor those its
    approvers sign)."""
    return applicant_form(access().view(form, None)[0])


@bp.get("/forms/<form_id>")
@for_form("create")
def fill(form_id):
    """The form to fill; ?draft=<id> resumes one of the user's 草稿 (server/drafts.py)."""
    from .drafts import draft_pairs
    form = new_record_form(form_or_404(form_id))
    draft_id = request.args.get("draft", "")
    pairs = draft_pairs(form.id, draft_id) if draft_id else None
    if draft_id and pairs is None:
        return fill_page(form, notice="没有找到这份草稿（可能已提交或已被替换），请重新填写。", status=404)
    return fill_page(form, values=unflatten(form, pairs) if pairs else None, draft_id=draft_id if pairs else "",
                     notice="已恢复草稿，可继续填写。" if pairs else "")


@bp.post("/forms/<form_id>")
@for_form("create")
def submit(form_id):
    form = form_or_404(form_id)
    check_csrf()
    shown = new_record_form(form)
    refuse_approver_fields(form, unflatten(form, posted_pairs()))
    data = unflatten(shown, posted_pairs())
    result = check(form, data)
    if not result.ok:
        return fill_page(shown, values=data, errors=result.errors, status=422)
    from . import drafts, idempotency

    def make():
        record = context.records().save_new(form, result.data, **stamp())
        context.audit("create", form=form, record=record["id"])
        after_create(form, record)
        return record
    try:
        record_id, _ = idempotency.create_once(form, idempotency.key_of(request), make)
    except Held as exc:    # the unit is held by another record: say who, on the page as filled
        return fill_page(shown, values=data, errors=[exc.error()], status=exc.status)
    drafts.forget(form.id, request.form.get("draft_id"))
    return redirect(url_for("pages.record", form_id=form.id, record_id=record_id, new=1), code=303)


@bp.post("/forms/<form_id>/upload")
@for_form("create")
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
    hidden = access().hidden(form, None)
    if hidden and redact(result.data, hidden) != result.data:
        return render_template("error.html", status=403, message="上传的 Excel 含有您无权填写的字段，未保存。",
                               errors=[]), 403
    refuse_approver_fields(form, result.data)
    record = context.records().save_new(form, result.data, **stamp())
    context.audit("create", form=form, record=record["id"], detail={"from": "excel"})
    after_create(form, record)
    return redirect(url_for("pages.record", form_id=form.id, record_id=record["id"], new=1), code=303)


# ---------------------------------------------------------------- records
@bp.get("/forms/<form_id>/records")
@for_form("read")
def records(form_id):
    form = form_or_404(form_id)
    per_page = current_per_page()
    page = int_arg("page", 1)
    query = list_query(form)
    view_form = access().view(form, {"creator": None, "department": None})[0]
    columns = key_columns(view_form)
    order = list_order(columns)
    try:
        items, total = sorted_page(context.store(), form, access(), query, order["sort"], order["dir"] == "desc",
                                   offset=(page - 1) * per_page, limit=per_page, title=order["title"])
    except SortTooBig as exc:
        abort(400, description=str(exc))
    except Forbidden as exc:
        abort(403, description=str(exc))
    void_marks = voided_ids(context.store(), form.id) if items else {}
    shown = [dict(r, data=access().view(form, r)[1], printable=access().allows(form, "print", r),
                  void=void_marks.get(r["id"])) for r in items]
    context.audit("list", form=form, detail={"query": query_args(query), "page": page, "shown": len(shown),
                                             "sort": order["sort"], "dir": order["dir"]})
    sorting = {} if order["default"] else {"sort": order["sort"], "dir": order["dir"]}
    return render_template("records.html", form=form, items=shown, total=total, page=page,
                           pages=max(1, math.ceil(total / per_page)), columns=columns, date_from=query.date_from,
                           date_to=query.date_to, q=query.text, where=[f"{k}={v}" for k, v in query.where],
                           filters=query_args(query), order=order, paged={**query_args(query), **sorting},
                           sort_choices=[(CREATED, "提交时间"), (NUMBER, "编号")] + [(f.key, f.title) for f in columns],
                           can_export=access().can(form, "export"), can_create=access().can_create(form))


def list_order(columns) -> dict:
    """The list's order from `sort` (提交时间 created, 编号 number, or a key column) and `dir` (asc|desc);
    400 on anything else. Default: newest first."""
    titles = {CREATED: "提交时间", NUMBER: "编号", **{f.key: f.title for f in columns}}
    key = (request.args.get("sort") or CREATED).strip()
    if key not in titles:
        abort(400, description=f"不能按「{key[:30]}」排序；可以排序的列：{'、'.join(titles.values())}。")
    direction = (request.args.get("dir") or ("desc" if key == CREATED else "asc")).strip()
    if direction not in ("asc", "desc"):
        abort(400, description=f"排序方向应为 asc（从小到大）或 desc（从大到小），这里是 '{direction[:20]}'。")
    return {"sort": key, "dir": direction, "title": titles[key], "default": key == CREATED and direction == "desc"}


@bp.get("/records")
@signed_in
def all_records():
    """全部记录: the newest records of every form the user may read, searched by text (编号, a name…)."""
    q = request.args.get("q", "").strip()[:100]
    per_page = current_per_page()
    page = int_arg("page", 1, maximum=MAX_ALL_PAGES)
    found, total = across_forms(context.store(), context.catalog(), access(), lambda form: build_query(form, text=q),
                                offset=(page - 1) * per_page, limit=per_page)
    items = [{"form": form, "record": r, "data": access().view(form, r)[1]} for form, r in found]
    context.audit("list", detail={"query": {"q": q} if q else {}, "all_forms": True, "page": page, "shown": len(items)})
    pages = max(1, min(MAX_ALL_PAGES, math.ceil(total / per_page)))
    return render_template("all_records.html", items=items, q=q, key_columns=key_columns, total=total, page=page,
                           pages=pages, capped=total > MAX_ALL_PAGES * per_page, paged={"q": q} if q else {})


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
@for_form("export")
def archive(form_id):
    from .archive_download import archive_response
    form = form_or_404(form_id)
    query = list_query(form)
    try:
        _, total = search(context.store(), form, access(), query, action="export", limit=0)
    except Forbidden as exc:
        abort(403, description=str(exc))
    if total > int(current_app.config.get("ARCHIVE_JOB_THRESHOLD", 200)):
        abort(409, description=f"记录较多（共 {total} 条），请在记录页点击“生成归档（后台任务）”，生成后在任务页下载。")
    return archive_response(form, query)


@bp.get("/forms/<form_id>/records/<int:record_id>")
@for_form("read")
def record(form_id, record_id):
    rev = int_arg("rev")
    rec, form, current = record_for_render(form_id, record_id, rev, "read")
    view_form, data = access().view(form, rec)
    data = shown_data(form, rec, data)
    history = context.store().history(form_id, record_id)
    context.audit("read", form=form_id, record=record_id, detail={"revision": rec.get("revision")})
    people = {u.login: u.real_name for u in context.accounts().all()}
    mark = voided(context.store(), form_id, record_id)
    extras, more_extras = shown_extras(form, data)
    return render_template("record.html", form=view_form, form_id=form_id, record=dict(rec, data=data), rev=rev,
                           extras=extras, more_extras=more_extras, history=history, people=people, new=request.args.get("new") == "1", void=mark,
                           can_void=mark is None and current is not None and access().allows(current, "void", rec),
                           void_text=describe(mark) if mark else "", max_reason=MAX_REASON,
                           editable=mark is None and current is not None and access().allows(current, "update", rec),
                           printable=access().allows(form, "print", rec), old_definition=form is not current,
                           can_create=current is not None and access().can_create(current))


@bp.get("/forms/<form_id>/records/<int:record_id>.<fmt>")
@for_form("print")
def download(form_id, record_id, fmt):
    return download_response(form_id, record_id, fmt, int_arg("rev"), inline=request.args.get("inline") == "1")


@bp.get("/forms/<form_id>/records/<int:record_id>/overprint.pdf")
@for_form("print")
def overprint(form_id, record_id):
    from .downloads import overprint_response
    return overprint_response(form_id, record_id, int_arg("rev"))


@bp.get("/forms/<form_id>/overprint-calibration.pdf")
@for_form("print")
def overprint_calibration(form_id):
    from .downloads import calibration_response
    return calibration_response(form_or_404(form_id))


@bp.route("/account/overprint", methods=["GET", "POST"])
@signed_in
def overprint_settings():
    """One's printer calibration for 套打 (offsets in mm, scale)."""
    from services import calibration
    message = error = None
    store = context.store()
    if request.method == "POST":
        check_csrf()
        try:
            calibration.save(store, current_user.login, request.form.get("dx", ""), request.form.get("dy", ""),
                             request.form.get("scale", ""))
            message = "已保存套打校准。"
        except calibration.CalibrationError as exc:
            error = str(exc)
    return render_template("overprint.html", cal=calibration.load(store, current_user.login), message=message,
                           error=error), 400 if error else 200


@bp.get("/forms/<form_id>/blank.<fmt>")
@for_form("create")
def blank(form_id, fmt):
    form = new_record_form(form_or_404(form_id))
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    renderer = base.get(fmt)
    from .downloads import file_response
    return file_response(renderer.render(form), renderer, f"{form.title}-空白{renderer.extension}")


@bp.route("/forms/<form_id>/records/<int:record_id>/edit", methods=["GET", "POST"])
@for_form("update")
def edit(form_id, record_id):
    form = form_or_404(form_id)
    rec = record_or_404(form, "update", context.records().get_record(form_id, record_id))
    mark = voided(context.store(), form_id, record_id)
    if mark is not None:
        raise VoidError(f"这条记录已{describe(mark)}，不能再修改。", 409)
    refuse_locked(form, rec)
    shown, values = access().view(form, rec)
    shown = applicant_form(shown)
    action = url_for("pages.edit", form_id=form_id, record_id=record_id)
    suffix = f"修改 {rec.get('number') or '#' + str(record_id)}"
    if request.method == "GET":
        return fill_page(shown, values=values, action=action, suffix=suffix)
    check_csrf()
    data = unflatten(shown, posted_pairs())
    refuse_approver_fields(form, unflatten(form, posted_pairs()))
    data = keep_hidden(data, rec["data"], access().hidden(form, rec))
    result = check(form, data)
    if not result.ok:
        return fill_page(shown, values=data, errors=result.errors, action=action, status=422, suffix=suffix)
    try:
        context.records().save_revision(form, record_id, keep_extras(form, rec["data"], result.data),
                                        by=access().user.login)
    except Held as exc:
        return fill_page(shown, values=data, errors=[exc.error()], action=action, status=exc.status, suffix=suffix)
    context.audit("revise", form=form, record=record_id)
    return redirect(url_for("pages.record", form_id=form_id, record_id=record_id), code=303)


def keep_hidden(posted: dict, stored: dict, hidden) -> dict:
    """What the editor could not see stays as it was: the hidden fields of the stored record go
    into the new revision unchanged (a hidden table column: row by row, as far as rows remain)."""
    for path in hidden:
        _copy_path(stored, posted, list(path))
    return posted


def _copy_path(src, dst, path):
    if not isinstance(src, dict) or not isinstance(dst, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if head not in src:
        return
    if not rest:
        dst[head] = src[head]
    elif isinstance(src[head], list) and isinstance(dst.get(head), list):
        for a, b in zip(src[head], dst[head]):
            _copy_path(a, b, rest)
    elif isinstance(src[head], dict):
        _copy_path(src[head], dst.setdefault(head, {}), rest)


@bp.app_errorhandler(Forbidden)
def _forbidden(exc):
    from .errors import respond
    return respond(403, str(exc))

