"""Archives on Dask distributed: a worker process killed midway has its batches rendered again
elsewhere and the archive equals the unbroken run byte for byte; a scheduler that does not
answer is a Chinese error."""
import io
import os
import signal
import zipfile

import pytest

from services.archive import write_archive
from services.archive_source import collect

from .test_archive import fill_store


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc, \
            Client(lc, set_as_default=False) as client:
        yield client


class KillOneWorker:
    """A progress callback: after the first records are written, SIGKILL a worker process that
    is rendering a batch of this archive (its nanny starts a new one)."""

    def __init__(self, client):
        self.client, self.killed = client, None

    def update(self, done: int) -> None:
        if self.killed or done < 3:
            return
        busy = [w for w, keys in self.client.processing().items() if keys]
        if not busy:
            return
        pid = self.client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        self.killed = (busy[0], pid)

    def done(self) -> None:
        pass


def test_a_killed_worker_leaves_the_archive_byte_identical(catalog, tmp_path, cluster):
    form = catalog.require("order_form")
    store = fill_store(form, tmp_path / "data", 24)
    entries, definitions, titles, keys = collect(catalog, store, [(form, None)])

    def run(**kw):
        buf = io.BytesIO()
        summary = write_archive(entries, definitions, buf, titles=titles, merge=True, key_fields=keys, batch=3, **kw)
        assert summary.records == 24 and summary.failed == 0
        return buf.getvalue()

    unbroken = run(jobs=1)
    pids_before = set(cluster.run(os.getpid).values())
    killer = KillOneWorker(cluster)
    broken = run(client=cluster, progress=killer)
    assert killer.killed, "no worker was busy when the archive was a tenth done"
    assert killer.killed[1] not in set(cluster.run(os.getpid).values()) and killer.killed[1] in pids_before
    assert broken == unbroken
    assert sum(n.endswith(".pdf") for n in zipfile.ZipFile(io.BytesIO(broken)).namelist()) == 25


def test_a_scheduler_that_does_not_answer_is_a_chinese_error(catalog, tmp_path):
    from click.testing import CliRunner

    from cli import main

    from .conftest import SCHEMAS
    fill_store(catalog.require("order_form"), tmp_path / "data", 2)
    r = CliRunner().invoke(main, ["archive", "order_form", "--schemas", str(SCHEMAS), "--data",
                                  str(tmp_path / "data"), "-o", str(tmp_path / "a.zip"),
                                  "--scheduler", "tcp://127.0.0.1:9"])
    assert r.exit_code == 1 and "无法连接 Dask 调度器" in r.output, r.output
    assert not (tmp_path / "a.zip").exists()
    r = CliRunner().invoke(main, ["archive", "order_form", "--schemas", str(SCHEMAS), "--data",
                                  str(tmp_path / "data"), "-o", str(tmp_path / "a.zip"), "--scheduler", "host:8786"])
    assert r.exit_code != 0 and "tcp://" in r.output and "Traceback" not in r.output
