"""Archive downloads from the records list: streamed while they are built.

The zip is written by a background thread into a small bounded queue that the
response drains, so neither the server's memory nor the browser waits for the
whole archive. At most ARCHIVE_JOBS archives are built at once per process
(503 beyond); one whose client goes away stops at its next write.
"""
from __future__ import annotations

import queue
import threading
from urllib.parse import quote

from flask import Response, current_app

from services.archive import write_archive
from services.archive_source import collect

from . import context
from .errors import ApiError

_slots: dict = {}
_slots_lock = threading.Lock()
_END = object()


class _Closed(Exception):
    pass


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
    slot = _slot(app)
    if not slot.acquire(blocking=False):
        raise ApiError(503, "当前正在生成的归档太多,请稍后再试。")
    try:
        entries, definitions, titles, keys = collect(context.catalog(), context.store(), [(form, query)])
        if not entries:
            slot.release()
            raise ApiError(404, "没有符合条件的记录,无法生成归档。")
    except ApiError:
        raise
    except Exception:
        slot.release()
        raise

    q: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()

    def build():
        try:
            write_archive(entries, definitions, _QueueWriter(q, stop), titles=titles, jobs=1, key_fields=keys)
        except _Closed:
            pass
        except Exception:  # noqa: BLE001 - logged; the client sees a truncated download
            app.logger.exception("archive of %s failed", form.id)
        finally:
            q.put(_END)

    worker = threading.Thread(target=build, daemon=True)
    worker.start()

    def stream():
        try:
            while True:
                chunk = q.get()
                if chunk is _END:
                    return
                yield chunk
        finally:
            stop.set()
            slot.release()

    name = f"{form.title}-归档.zip"
    resp = Response(stream(), mimetype="application/zip")
    resp.headers["Content-Disposition"] = f"attachment; filename=\"archive.zip\"; filename*=UTF-8''{quote(name)}"
    resp.headers["Cache-Control"] = "no-store"
    return resp
