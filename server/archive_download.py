"""Archive downloads from the records list: streamed while they are built.

The zip is written by a background thread into a small bounded queue that the
response drains, so neither the server's memory nor the browser waits for the
whole archive. At most ARCHIVE_JOBS archives are built at once per process
(503 beyond). The slot is given back when the WSGI server closes the response,
whatever happened: finished, failed, a HEAD request whose body is never read, or
a client that went away (the builder then stops at its next write).

A record that cannot be rendered is listed in the manifest as 失败, as the CLI
does. If the archive itself fails midway, the stream is cut off before the zip's
central directory: the client holds an invalid zip and the WSGI server aborts the
transfer, so the download looks failed — never like a shorter complete archive.
The records page's script says so in words.
"""
from __future__ import annotations

import queue
import threading
from urllib.parse import quote

from flask import Response, current_app, request

from services.archive import write_archive
from services.archive_source import collect

from . import context
from .downloads import render_limits
from .errors import ApiError

_slots: dict = {}
_slots_lock = threading.Lock()
_END = object()


class ArchiveFailed(RuntimeError):
    """Raised into the WSGI server so that it aborts the transfer of a broken archive."""


class _Closed(Exception):
    pass


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


class _QueueWriter:
    """A write-only, unseekable file whose chunks go to a bounded queue."""

    def __init__(self, q: queue.Queue, stop: threading.Event):
        self.q, self.stop = q, stop

    def write(self, data) -> int:
        data = bytes(data)
        while not self.stop.is_set():
            try:
                self.q.put(data, timeout=0.5)
                return len(data)
            except queue.Full:
                continue
        raise _Closed()

    def flush(self) -> None:
        pass


def _slot(app) -> threading.BoundedSemaphore:
    with _slots_lock:
        if app not in _slots:
            _slots[app] = threading.BoundedSemaphore(max(0, int(app.config.get("ARCHIVE_JOBS", 2))))
        return _slots[app]


def archive_response(form, query) -> Response:
    app = current_app._get_current_object()
    limits = render_limits()
    public_url = app.config.get("PUBLIC_URL") or request.url_root       # as a record's own PDF (record_link)
    slot = _slot(app)
    if not slot.acquire(blocking=False):
        raise ApiError(503, "当前正在生成的归档太多，请稍后再试。")
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            slot.release()

    try:
        from .access import access
        entries, definitions, titles, keys = collect(context.catalog(), context.store(), [(form, query)],
                                                     access=access())
        if not entries:
            raise ApiError(404, "没有符合条件的记录，无法生成归档。")
        context.audit("archive", form=form, detail={"records": len(entries)})
    except BaseException:
        release()
        raise

    q: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()

    def build():
        try:
            write_archive(entries, definitions, _QueueWriter(q, stop), titles=titles, jobs=1, key_fields=keys,
                          limits=limits, public_url=public_url)
            outcome = _END
        except _Closed:
            return
        except Exception as exc:  # noqa: BLE001 - logged, and the stream is cut off
            app.logger.exception("archive of %s failed", form.id)
            outcome = _Failure(exc)
        while not stop.is_set():
            try:
                q.put(outcome, timeout=0.5)
                return
            except queue.Full:
                continue

    started = threading.Event()

    def closed():
        stop.set()
        release()

    def stream():
        if not started.is_set():
            started.set()
            threading.Thread(target=build, daemon=True, name=f"archive-{form.id}").start()
        try:
            while True:
                try:
                    chunk = q.get(timeout=0.5)
                except queue.Empty:
                    if stop.is_set():
                        return
                    continue
                if chunk is _END:
                    return
                if isinstance(chunk, _Failure):
                    raise ArchiveFailed(f"归档生成失败：{chunk.exc}") from chunk.exc
                yield chunk
        finally:
            closed()   # finished, failed or abandoned: the slot is free at once

    name = f"{form.title}-归档.zip"
    resp = Response(stream(), mimetype="application/zip")
    resp.call_on_close(closed)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"archive.zip\"; filename*=UTF-8''{quote(name)}"
    resp.headers["Cache-Control"] = "no-store"
    return resp
