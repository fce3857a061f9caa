"""Archive jobs: a large archive is built in the background into a file; its page shows the
progress and then offers the file; a restart leaves no job silently running."""
import io
import os
import re
import threading
import time
import zipfile

import pytest

from services import archive, archive_jobs

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}


@pytest.fixture
def app(tmp_path):
    import shutil

    from server.app import create_app

    from .conftest import SCHEMAS
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    config = {"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "test", "TESTING": False,
              "ARCHIVE_JOB_THRESHOLD": 2, "ARCHIVE_JOB_WORKERS": 1}
    app = create_app(config)
    app.test_config = config
    return app


def fill(client, n):
    for i in range(n):
        assert client.post("/api/forms/order_form/submissions", json={**ORDER, "customer_name": f"客户{i}"}) \
            .status_code == 201


def start_job(client, query=""):
    page = client.get(f"/forms/order_form/records{query}").get_data(as_text=True)
    assert 'id="archive-job"' in page and 'id="archive-link"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    action = re.search(r'id="archive-job-form" method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    r = client.post(action, data={"csrf_token": token})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"].rsplit("/", 1)[-1]


def wait(client, job_id, states=("done", "failed"), timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = client.get(f"/api/jobs/{job_id}").get_json()
        if doc["state"] in states:
            return doc
        time.sleep(0.1)
    raise AssertionError(f"job still {doc['state']}")


def test_a_job_completes_and_its_file_downloads(app, client):
    fill(client, 3)
    job_id = start_job(client, "?q=客户")
    doc = wait(client, job_id)
    assert doc["state"] == "done" and doc["done"] == doc["total"] == 3, doc
    assert doc["owner"] == "admin" and doc["selection"] == {"forms": ["order_form"], "filters": {"q": "客户"}}
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "归档已生成：共 3 条记录" in page and 'http-equiv="refresh"' not in page
    r = client.get(f"/jobs/{job_id}/archive.zip")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    assert sum(n.endswith(".pdf") for n in zf.namelist()) == 3 and zf.comment == b"biaoge archive: records=3 failed=0"
    # the direct download refuses a selection above the threshold, in Chinese, not a 5xx
    r = client.get("/forms/order_form/archive.zip")
    assert r.status_code == 409 and "后台任务" in r.get_data(as_text=True)


def test_bad_requests_are_4xx_in_chinese(app, client):
    fill(client, 3)
    assert client.get("/jobs/../../etc").status_code == 404
    r = client.get("/jobs/" + "0" * 32)
    assert r.status_code == 404 and "找不到这个归档任务" in r.get_data(as_text=True)
    assert client.get("/api/jobs/nonsense").get_json()["error"]["status"] == 404
    from .people import signed_in_session
    session = signed_in_session(app)        # a browser session (an API token needs no CSRF token)
    assert session.post("/forms/order_form/archive-jobs").status_code == 403   # no CSRF token
    page = client.get("/forms/order_form/records").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/forms/order_form/archive-jobs?from=2026-13-45", data={"csrf_token": token})
    assert r.status_code == 400
    r = client.post("/forms/order_form/archive-jobs?q=没有这个客户", data={"csrf_token": token})
    assert r.status_code == 404 and "没有符合条件的记录" in r.get_data(as_text=True)


@pytest.fixture
def fake_render(monkeypatch):
    """Rendering without WeasyPrint; the second batch waits for `go`."""
    go, calls = threading.Event(), []

    def render(task):
        calls.append(task)
        if len(calls) == 2:
            assert go.wait(30)
        return [(seq, {"pdf": b"%PDF-1.4 fake " + str(seq).encode()}, 1, None) for seq, _ in task[2]]
    monkeypatch.setattr(archive, "_render_batch", render)
    monkeypatch.setattr(archive_jobs, "HEARTBEAT_SECONDS", 0)
    return go


def test_the_page_shows_the_progress(app, client, fake_render):
    fill(client, 30)
    job_id = start_job(client)
    deadline = time.monotonic() + 30
    while client.get(f"/api/jobs/{job_id}").get_json()["done"] < 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "正在生成归档：已完成 25 / 30 条（83%）" in page and 'http-equiv="refresh" content="2"' in page
    assert client.get(f"/jobs/{job_id}/archive.zip").status_code == 409
    fake_render.set()
    assert wait(client, job_id)["state"] == "done"
    assert "归档已生成：共 30 条记录" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def left_running(app, **extra):
    """A job document as a server process that died mid-archive leaves it."""
    with app.app_context():
        from server import context
        job_id = "a" * 32
        context.store().put_doc("jobs", job_id, {
            "id": job_id, "kind": "archive", "state": "running", "owner": "admin", "title": "商品订货单",
            "selection": {"forms": ["order_form"], "filters": {}}, "total": 3, "done": 1,
            "created": "2026-12-01T10:00:00Z", "updated": "2026-12-01T10:00:05Z", "error": None, "note": None,
            "host": __import__("socket").gethostname(), "pid": os.getpid(), "runner": "gone", "heartbeat": 0,
            **extra})
    return job_id


def restarted(app, **config):
    from server.app import create_app
    return create_app({**app.test_config, **config}).test_client()


def test_a_restart_marks_a_left_running_job_failed_and_says_so(app, client):
    fill(client, 3)
    job_id = left_running(app)
    client = restarted(app, ARCHIVE_JOB_RESUME=False)
    doc = client.get(f"/api/jobs/{job_id}").get_json()
    assert doc["state"] == "failed" and doc["error"] == archive_jobs.INTERRUPTED
    assert "归档失败：服务器在生成归档时重新启动" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_restart_resumes_a_left_running_job(app, client, fake_render):
    fake_render.set()
    fill(client, 3)
    job_id = left_running(app)
    client = restarted(app)
    doc = wait(client, job_id)
    assert doc["state"] == "done" and doc["done"] == 3 and doc["note"] == archive_jobs.RESUMED
    assert client.get(f"/jobs/{job_id}/archive.zip").status_code == 200


def test_a_job_beyond_the_size_cap_fails_and_leaves_no_file(app, client, fake_render, tmp_path):
    fake_render.set()
    fill(client, 3)
    with app.app_context():
        from server import context
        catalog = context.catalog()
        jobs = archive_jobs.ArchiveJobs(context.store(), lambda: catalog,
                                        archive_jobs.JobSettings(folder=tmp_path / "jobs", max_bytes=200, workers=1))
        from services.query import build_query
        form = context.find_form("order_form")
        doc = jobs.start(form, build_query(form))
        deadline = time.monotonic() + 30
        while jobs.get(doc["id"])["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
        final = jobs.get(doc["id"])
    assert final["state"] == "failed" and "大小上限" in final["error"]
    assert list((tmp_path / "jobs").iterdir()) == []


def test_a_scheduler_setting_that_is_no_address_stops_the_start(app):
    from server.app import create_app
    from services.archive_dask import SchedulerError
    with pytest.raises(SchedulerError, match="tcp://主机:8786"):
        create_app({**app.test_config, "DASK_SCHEDULER": "host:8786"})


def test_a_job_holds_what_its_owner_may_export_and_only_they_see_it(app):
    """A 销售主管 of 华东大区 archives: the zip holds their region's records only; another
    supervisor gets 404 for the job; an administrator may look at it."""
    from .people import client_as, person
    boss_sh = client_as(app, person(app, "zg_sh", roles=["销售主管"], department="华东大区"))
    boss_bj = client_as(app, person(app, "zg_bj", roles=["销售主管"], department="华北大区"))
    rep_sh = client_as(app, person(app, "ywy_sh", roles=["业务员"], department="上海办事处"))
    rep_bj = client_as(app, person(app, "ywy_bj", roles=["业务员"], department="北京办事处"))
    fill(rep_sh, 3)
    fill(rep_bj, 2)
    job_id = start_job(boss_sh)
    doc = wait(boss_sh, job_id)
    assert doc["state"] == "done" and doc["owner"] == "zg_sh" and doc["total"] == 3, doc
    zf = zipfile.ZipFile(io.BytesIO(boss_sh.get(f"/jobs/{job_id}/archive.zip").data))
    assert sum(n.endswith(".pdf") for n in zf.namelist()) == 3
    for other in (boss_bj, rep_sh):
        assert other.get(f"/jobs/{job_id}").status_code == 404
        assert other.get(f"/api/jobs/{job_id}").status_code == 404
        assert other.get(f"/jobs/{job_id}/archive.zip").status_code == 404
    assert rep_sh.post("/forms/order_form/archive-jobs").status_code == 403     # a rep exports nothing
    assert app.test_client().get(f"/jobs/{job_id}").status_code == 200          # the administrator
