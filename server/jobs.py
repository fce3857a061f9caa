"""Archive jobs on the server: a large archive (more than ARCHIVE_JOB_THRESHOLD records) is
built in the background (services.archive_jobs) instead of within one request.

    POST /forms/<form_id>/archive-jobs?from=…&to=…&q=…&where=…   start one: 303 to its page
    GET  /jobs/<id>               its page: progress (refreshes itself), then the download
    GET  /jobs/<id>/archive.zip   the finished zip
    GET  /api/jobs/<id>           its state as JSON

Configuration: ARCHIVE_JOB_THRESHOLD (records above which an archive is a job; 200),
ARCHIVE_JOB_DIR (where the zips are kept; default DATA/archive-jobs), ARCHIVE_JOB_MAX_MB (size
cap of one zip), ARCHIVE_JOB_ACTIVE (jobs queued or running at once), ARCHIVE_JOB_KEEP (finished
jobs kept), ARCHIVE_JOB_RESUME (after a restart: start left-running jobs again, or mark them
failed), ARCHIVE_JOB_WORKERS (Dask LocalCluster workers; 1 renders in the job's thread),
DASK_SCHEDULER (env BIAOGE_DASK_SCHEDULER: tcp://host:8786, render on that cluster).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, redirect, render_template, send_file, url_for

from services.archive_dask import check_scheduler
from services.archive_jobs import ArchiveJobs, JobError, JobSettings

from services.access import Access
from services.records import Forbidden, search

from . import context
from .access import access, for_form, signed_in
from .errors import ApiError

bp = Blueprint("jobs", __name__)


def current_user_name() -> str | None:
    """Who is asking: the job's `owner`, whose permissions the job applies when it runs."""
    user = access().user
    return user.login if user is not None else None


def _owner_access(records, accounts):
    def access_for(owner):
        user = accounts.get(owner) if owner else None
        return Access(records.catalog.policy, user if user is not None and user.active else None)
    return access_for


def register(app) -> None:
    """The app's ArchiveJobs; jobs that a previous process left running are resumed or failed.
    A DASK_SCHEDULER that is no tcp:// or tls:// address stops the start (SchedulerError)."""
    cfg = app.config
    folder = Path(cfg.get("ARCHIVE_JOB_DIR") or Path(cfg["DATA"]) / "archive-jobs")
    from services.rendering import RenderLimits
    limits = RenderLimits(seconds=float(cfg["RENDER_SECONDS"]), memory_mb=int(cfg["RENDER_MEMORY_MB"]))
    settings = JobSettings(folder=folder, max_bytes=int(cfg.get("ARCHIVE_JOB_MAX_MB", 2048)) * 1024 ** 2,
                           max_active=int(cfg.get("ARCHIVE_JOB_ACTIVE", 4)), keep=int(cfg.get("ARCHIVE_JOB_KEEP", 50)),
                           resume=bool(cfg.get("ARCHIVE_JOB_RESUME", True)),
                           scheduler=check_scheduler(cfg.get("DASK_SCHEDULER")),
                           workers=cfg.get("ARCHIVE_JOB_WORKERS") or None, limits=limits,
                           public_url=cfg.get("PUBLIC_URL") or None)
    records = app.extensions["biaoge.records"]
    jobs = ArchiveJobs(records.store, lambda: records.catalog, settings,
                       access_for=_owner_access(records, app.extensions["biaoge.accounts"]))
    app.extensions["biaoge.jobs"] = jobs
    app.register_blueprint(bp)
    jobs.recover()


def jobs() -> ArchiveJobs:
    return current_app.extensions["biaoge.jobs"]


def threshold() -> int:
    return int(current_app.config.get("ARCHIVE_JOB_THRESHOLD", 200))


def _job_or_404(job_id: str) -> dict:
    """The job if it is the user's own (an administrator sees every job); else it is not there."""
    doc = jobs().get(job_id)
    user = access().user
    if doc is None or user is None or (doc.get("owner") != user.login and not user.admin):
        raise ApiError(404, "找不到这个归档任务，它可能已过期被清理。")
    return doc


@bp.post("/forms/<form_id>/archive-jobs")
@for_form("export")
def start(form_id):
    from .pages import check_csrf, form_or_404, list_query
    check_csrf()
    form = form_or_404(form_id)
    query = list_query(form)
    try:
        _, total = search(context.store(), form, access(), query, action="export", limit=0)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    if not total:
        raise ApiError(404, "没有符合条件的记录，无法生成归档。")
    try:
        doc = jobs().start(form, query, owner=current_user_name(), total=total)
        context.audit("archive", form=form, detail={"job": doc["id"], "records": total})
    except JobError as exc:
        raise ApiError(exc.status, exc.message)
    return redirect(url_for("jobs.page", job_id=doc["id"]), code=303)


def public(doc: dict) -> dict:
    """What a client sees of a job (not where it runs)."""
    out = {k: doc.get(k) for k in ("id", "state", "owner", "selection", "title", "total", "done", "created",
                                   "updated", "finished", "error", "note", "size", "failed_records")}
    if doc.get("state") == "done":
        out["download"] = url_for("jobs.download", job_id=doc["id"])
    return out


@bp.get("/jobs/<job_id>")
@signed_in
def page(job_id):
    doc = _job_or_404(job_id)
    total, done = doc.get("total") or 0, doc.get("done") or 0
    percent = min(100, int(100 * done / total)) if total else 0
    return render_template("job.html", job=public(doc), percent=percent)


@bp.get("/api/jobs/<job_id>")
@signed_in
def api(job_id):
    return jsonify(public(_job_or_404(job_id)))


@bp.get("/jobs/<job_id>/archive.zip")
@signed_in
def download(job_id):
    doc = _job_or_404(job_id)
    path = jobs().file(job_id)
    if path is not None:
        context.audit("download", detail={"job": job_id, "what": "archive"})
    if path is None:
        raise ApiError(409 if doc.get("state") in ("queued", "running") else 404,
                       "归档尚未生成完成，请稍候。" if doc.get("state") in ("queued", "running")
                       else "这个归档任务没有可下载的文件。")
    resp = send_file(path, mimetype="application/zip", conditional=True, max_age=0)
    name = f"{doc.get('title') or '归档'}-归档.zip"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"archive.zip\"; filename*=UTF-8''{quote(name)}"
    return resp
