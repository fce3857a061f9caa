"""Archive batches rendered on Dask distributed: a LocalCluster by default, or a real cluster.

    with dask_client(jobs=2) as client:                       # one worker process per job
        for batch_result in dask_results(client, tasks, definitions, limits): ...

    with dask_client(scheduler="tcp://host:8786") as client:  # workers started elsewhere

Each task is one batch (frozen definition, records) rendered by services.archive.render_task on
a worker; the worker returns the PDF (and Excel) bytes. At most `window` batches are in flight
(submitted but not yet written); results are handed back in submission order, the next ones
wait in the cluster's memory until their turn (the reorder buffer, bounded by the window).
A worker that dies mid-archive loses its tasks: the scheduler reschedules them on the others
(and `retries` covers a task that raised), so the archive completes, byte-identical — rendering
is deterministic. Workers of a real cluster must be able to import this project (same code,
PYTHONPATH) and have its fonts installed.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections import deque

RETRIES = 3
ENV_SCHEDULER = "BIAOGE_DASK_SCHEDULER"


class SchedulerError(RuntimeError):
    """The Dask scheduler given cannot be reached; the message is Chinese."""


def check_scheduler(address: str | None) -> str | None:
    """A scheduler address as given (tcp:// or tls://host:port), None for none; else SchedulerError."""
    address = (address or "").strip()
    if not address:
        return None
    if len(address) > 200 or not re.fullmatch(r"(tcp|tls)://[\w.\-\[\]:]+:\d{1,5}", address):
        raise SchedulerError(f"Dask 调度器地址应形如 tcp://主机:8786，而不是：{address[:60]}")
    return address


@contextlib.contextmanager
def dask_client(jobs: int | None = None, scheduler: str | None = None, timeout: float = 5):
    """A Client of `scheduler` (tcp://host:8786), else of a fresh LocalCluster with one worker
    process per job (default: per core), one thread each; closed (cluster stopped) on exit."""
    from distributed import Client, LocalCluster
    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"无法连接 Dask 调度器 {scheduler}：{exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    import dask
    n = max(1, int(jobs or os.cpu_count() or 1))
    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with dask.config.set({"distributed.worker.multiprocessing-method": _start_method()}):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, \
                Client(cluster, set_as_default=False) as client:
            yield client


# Imported once by the fork server; every worker process forked from it has them already
# (spawned workers would each import WeasyPrint and the renderers again: seconds per archive).
PRELOAD = ["distributed", "services.archive", "renderers.pdf", "renderers.overlay", "weasyprint", "pypdf",
           "reportlab.pdfgen.canvas"]


def _start_method() -> str:
    """forkserver (with PRELOAD) where there is one, else spawn (Dask's default)."""
    import multiprocessing
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    import dask
    from distributed.utils import get_mp_context
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        ctx = get_mp_context()   # Dask sets its own preload list once; ours adds to it
    ctx.set_forkserver_preload(PRELOAD)
    return "forkserver"


def _workers(client) -> int:
    try:
        return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    except TypeError:   # older distributed: no n_workers argument
        return max(1, len(client.scheduler_info()["workers"]))


def dask_results(client, tasks, definitions: dict, limits, window: int | None = None):
    """Render `tasks` ((digest, fmt, items) batches) on the cluster: each batch's result list, in
    the order of `tasks`, with at most `window` (default 2 × workers) batches in flight."""
    from .archive import render_task
    window = max(1, window or 2 * _workers(client))
    run = uuid.uuid4().hex[:12]
    pending: deque = deque()
    try:
        for n, (digest, fmt, items, *engine) in enumerate(tasks):
            pending.append(client.submit(render_task, digest, definitions.get(digest), limits, fmt, items, *engine,
                                         key=f"biaoge-archive-{run}-{n}", pure=False, retries=RETRIES))
            while len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:   # stopped early: nothing more is rendered for this archive
            fut.cancel()
