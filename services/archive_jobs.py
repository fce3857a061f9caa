"""Archive jobs: a large archive built in the background into a file, its state in the store.

    jobs = ArchiveJobs(store, catalog, JobSettings(folder=Path("data/archive-jobs")))
    jobs.recover()                           # on start: jobs a dead process left running
    doc = jobs.start(form, query, owner=None)
    jobs.get(doc["id"])                      # state, done / total, error
    jobs.file(doc["id"])                     # the finished zip, or None

A job is a document of kind "jobs" (Store.get_doc / update_doc), so every server process and
host over one store sees it: who asked (`owner`) and the selection it was made from (forms and
filters), so that permissions can be applied to it; state queued → running → done | failed,
progress (done of total), and where the runner is (host, pid, runner token, heartbeat).
The zip is written to `<folder>/<id>.zip.part` and renamed when complete; it stops with a
Chinese error beyond `max_bytes`. At most `max_active` jobs are queued or running at once, at
most `parallel` of them render at a time in one process, and only the `keep` newest finished
jobs (and their files) are kept.

A job whose runner is gone — its process died, or this process started again — is resumed from
the start (the archive is deterministic, so the file is the same) or, with `resume=False`,
marked failed with a message saying why; a job on another host whose heartbeat stopped for
STALE_SECONDS counts as gone too.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .archive import write_archive
from .archive_source import collect
from .query import QueryError, build_query, query_args
from .rendering import RenderLimits

log = logging.getLogger("biaoge.jobs")

KIND = "jobs"
JOB_ID = re.compile(r"[0-9a-f]{32}")
STALE_SECONDS = 120
HEARTBEAT_SECONDS = 1.0
ACTIVE = ("queued", "running")
INTERRUPTED = "服务器在生成归档时重新启动，任务已中断，请重新生成归档。"
RESUMED = "服务器重新启动后，归档任务已从头重新开始。"
_LIVE: set = set()   # runner tokens of the ArchiveJobs of this process


class JobError(Exception):
    """A job that cannot be started or read: a status (4xx/503) and a Chinese message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class TooLarge(Exception):
    pass


@dataclass
class JobSettings:
    folder: Path
    max_bytes: int = 2 * 1024 ** 3
    max_active: int = 4
    parallel: int = 1
    keep: int = 50
    resume: bool = True
    scheduler: str | None = None   # tcp://host:8786; None: a LocalCluster of `workers`
    workers: int | None = None     # 1: rendered in the job's own thread
    limits: RenderLimits = field(default_factory=RenderLimits)
    public_url: str | None = None  # printed in each record's QR code; None: no code (the manifest says so)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


class _Capped:
    """A write-only file that refuses to grow beyond `cap` bytes."""

    def __init__(self, out, cap: int):
        self.out, self.cap, self.size = out, cap, 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise TooLarge()
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


class _Progress:
    """write_archive's progress: the job document's `done`, at most once a second (a heartbeat)."""

    def __init__(self, jobs: "ArchiveJobs", job_id: str):
        self.jobs, self.job_id, self.last = jobs, job_id, 0.0

    def update(self, done: int) -> None:
        t = time.monotonic()
        if t - self.last >= HEARTBEAT_SECONDS:
            self.last = t
            self.jobs._change(self.job_id, done=done, updated=now(), heartbeat=time.time())

    def done(self) -> None:
        pass


class ArchiveJobs:
    def __init__(self, store, catalog, settings: JobSettings, access_for=None):
        """`catalog`: a function returning the current catalog (forms by id). `access_for`: owner
        login -> their services.access.Access, so that a job holds what its owner may export and
        see when it runs (also after a restart), and nothing of a disabled account."""
        self.store, self.catalog, self.settings = store, catalog, settings
        self.access_for = access_for
        self.folder = Path(settings.folder)
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.slots = threading.BoundedSemaphore(max(1, settings.parallel))
        _LIVE.add(self.token)

    # ------------------------------------------------------------ reading
    def get(self, job_id: str) -> dict | None:
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            return None
        found = self.store.get_doc(KIND, job_id)
        return found[0] if found else None

    def file(self, job_id: str) -> Path | None:
        doc = self.get(job_id)
        if not doc or doc.get("state") != "done":
            return None
        path = self.folder / f"{job_id}.zip"
        return path if path.is_file() else None

    # ------------------------------------------------------------ starting
    def start(self, form, query, owner: str | None = None, total: int | None = None) -> dict:
        """A new job for the records of `form` that `query` selects; its document."""
        self._prune()
        active = [d for _, d, _ in self.store.docs(KIND) if d.get("state") in ACTIVE]
        if len(active) >= self.settings.max_active:
            raise JobError(503, "当前排队的归档任务太多，请稍后再试。")
        job_id = uuid.uuid4().hex
        stamp = now()
        doc = {"id": job_id, "kind": "archive", "state": "queued", "owner": owner,
               "selection": {"forms": [form.id], "filters": query_args(query)}, "title": form.title,
               "total": total, "done": 0, "created": stamp, "updated": stamp, "error": None, "note": None,
               "size": None, "failed_records": None}
        self.store.put_doc(KIND, job_id, self._claimed(doc), expect=0)
        self._launch(job_id)
        return doc

    def _claimed(self, doc: dict) -> dict:
        return {**doc, "host": self.host, "pid": os.getpid(), "runner": self.token, "heartbeat": time.time()}

    def _launch(self, job_id: str) -> None:
        threading.Thread(target=self._run, args=(job_id,), daemon=True, name=f"archive-job-{job_id[:8]}").start()

    # ------------------------------------------------------------ running
    def _change(self, job_id: str, **fields) -> dict | None:
        def change(doc):
            if doc is None or doc.get("runner") != self.token:
                raise _NotOurs()
            return {**doc, **fields}
        try:
            return self.store.update_doc(KIND, job_id, change)
        except _NotOurs:
            return None

    def _selection(self, doc: dict):
        catalog = self.catalog()
        selections = []
        for form_id in doc["selection"]["forms"]:
            form = catalog.get(form_id)
            if form is None:
                raise JobError(404, f"表单 '{form_id}' 已不存在。")
            f = doc["selection"].get("filters") or {}
            try:
                selections.append((form, build_query(form, date_from=f.get("from"), date_to=f.get("to"),
                                                     text=f.get("q"), where=f.get("where") or [])))
            except QueryError as exc:
                raise JobError(400, str(exc))
        return catalog, selections

    def _run(self, job_id: str) -> None:
        with self.slots:
            doc = self._change(job_id, state="running", started=now(), updated=now(), heartbeat=time.time())
            if doc is None:
                return
            part = self.folder / f"{job_id}.zip.part"
            try:
                catalog, selections = self._selection(doc)
                access = self.access_for(doc.get("owner")) if self.access_for else None
                entries, definitions, titles, keys = collect(catalog, self.store, selections, access=access)
                if not entries:
                    raise JobError(404, "没有符合条件的记录，无法生成归档。")
                self._change(job_id, total=len(entries))
                self.folder.mkdir(parents=True, exist_ok=True)
                with part.open("wb") as fh:
                    summary = write_archive(entries, definitions, _Capped(fh, self.settings.max_bytes),
                                            titles=titles, key_fields=keys, limits=self.settings.limits,
                                            jobs=self.settings.workers, scheduler=self.settings.scheduler,
                                            progress=_Progress(self, job_id), public_url=self.settings.public_url)
                part.replace(self.folder / f"{job_id}.zip")
                self._change(job_id, state="done", done=summary.records, failed_records=summary.failed,
                             size=(self.folder / f"{job_id}.zip").stat().st_size, finished=now(), updated=now())
            except Exception as exc:  # noqa: BLE001 - the job says so, in Chinese
                part.unlink(missing_ok=True)
                if isinstance(exc, JobError):
                    message = exc.message
                elif isinstance(exc, TooLarge):
                    message = f"归档超过大小上限（{self.settings.max_bytes // 1024 ** 2} MB），已停止。请缩小筛选范围。"
                else:
                    log.exception("archive job %s failed", job_id)
                    message = f"归档生成失败：{exc}"
                self._change(job_id, state="failed", error=message, finished=now(), updated=now())

    # ------------------------------------------------------------ after a restart
    def _orphaned(self, doc: dict) -> bool:
        if doc.get("state") not in ACTIVE or doc.get("runner") in _LIVE:
            return False
        if doc.get("host") == self.host:
            return doc.get("pid") == os.getpid() or not _pid_alive(doc.get("pid"))
        return time.time() - float(doc.get("heartbeat") or 0) > STALE_SECONDS

    def recover(self) -> list[str]:
        """Resume (or mark failed) every job whose runner is gone; the ids touched."""
        touched = []
        for job_id, doc, _ in self.store.docs(KIND):
            if not self._orphaned(doc):
                continue
            old = doc.get("runner")

            def change(current, old=old):
                if current is None or current.get("runner") != old or current.get("state") not in ACTIVE:
                    raise _NotOurs()   # another process took it meanwhile
                if self.settings.resume:
                    return self._claimed({**current, "state": "queued", "done": 0, "note": RESUMED,
                                          "updated": now()})
                return {**current, "state": "failed", "error": INTERRUPTED, "finished": now(), "updated": now()}
            try:
                self.store.update_doc(KIND, job_id, change)
            except _NotOurs:
                continue
            (self.folder / f"{job_id}.zip.part").unlink(missing_ok=True)
            touched.append(job_id)
            if self.settings.resume:
                self._launch(job_id)
        return touched

    def _prune(self) -> None:
        """Only the `keep` newest finished jobs stay, with their files."""
        finished = sorted(((d.get("finished") or "", k) for k, d, _ in self.store.docs(KIND)
                           if d.get("state") in ("done", "failed")), reverse=True)
        for _, job_id in finished[self.settings.keep:]:
            (self.folder / f"{job_id}.zip").unlink(missing_ok=True)
            self.store.delete_doc(KIND, job_id)

    def close(self) -> None:
        _LIVE.discard(self.token)


class _NotOurs(Exception):
    pass
