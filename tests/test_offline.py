"""Offline and exactly once (issue 15): a submission carrying an Idempotency-Key is stored once however
often it is retried (pages and API, both store backends); in the browser, a submission made offline
waits in the outbox and is sent when the connection returns — one record."""
from __future__ import annotations

import shutil

import pytest

from tests.conftest import SCHEMAS
from tests.browser_helpers import fast_passwords  # noqa: F401  (cheap hashes for the test people)

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "items": [
    {"product_name": "洗衣粉", "quantity": 2, "unit_price": 12.5}]}
FORM = {"customer_name": "华联超市", "order_date": "2026-11-27", "items.0.product_name": "洗衣粉",
        "items.0.quantity": "2", "items.0.unit_price": "12.5"}


def _app(tmp_path, store=None):
    from server.app import create_app
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    return create_app({"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "t",
                       "STORE": store, "API_RATE": "100000 per minute"})


def _count(app, form_id="order_form"):
    return app.extensions["biaoge.records"].store.query(form_id, None, limit=0)[1]


@pytest.fixture(params=["embedded", "postgres"])
def backend_app(request, tmp_path):
    if request.param == "embedded":
        yield _app(tmp_path)
        return
    from tests.pg_helpers import database
    with database() as url:
        app = _app(tmp_path, url)
        yield app
        app.extensions["biaoge.records"].store.close()


def test_the_same_key_twice_stores_one_record(backend_app):
    app = backend_app
    client = app.test_client()
    key = {"Idempotency-Key": "order-7f3a9c2e-0001"}
    first = client.post("/api/forms/order_form/submissions", json=ORDER, headers=key)
    again = client.post("/api/forms/order_form/submissions", json=ORDER, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert _count(app) == 1
    # the page's post, retried with its own key: one more record, the same answer each time
    pk = {"Idempotency-Key": "page-0b9d1e44-0002"}
    answers = [client.post("/forms/order_form", data=FORM, headers=pk) for _ in range(3)]
    assert {r.status_code for r in answers} == {303} and len({r.headers["Location"] for r in answers}) == 1
    assert _count(app) == 2
    # without a key, each post is a new record
    assert client.post("/api/forms/order_form/submissions", json=ORDER).status_code == 201
    assert _count(app) == 3
    _a_key_being_stored_answers_409_and_a_bad_key_400(app, client)


def _a_key_being_stored_answers_409_and_a_bad_key_400(app, client):
    store = app.extensions["biaoge.records"].store
    before = _count(app)
    store.put_doc("idempotency", "admin:pending-key-0001", {"form_id": "order_form", "record": None,
                                                           "at": "2099-01-01T00:00:00+00:00"})
    r = client.post("/api/forms/order_form/submissions", json=ORDER, headers={"Idempotency-Key": "pending-key-0001"})
    assert r.status_code == 409 and "正在处理" in r.get_json()["error"]["message"]
    r = client.post("/api/forms/order_form/submissions", json=ORDER, headers={"Idempotency-Key": "空格 不行"})
    assert r.status_code == 400
    assert _count(app) == before
    # a refused submission leaves the key free for the corrected one
    bad = client.post("/api/forms/order_form/submissions", json={"customer_name": "x"},
                      headers={"Idempotency-Key": "fix-then-send-01"})
    assert bad.status_code == 422
    good = client.post("/api/forms/order_form/submissions", json=ORDER, headers={"Idempotency-Key": "fix-then-send-01"})
    assert good.status_code == 201 and _count(app) == before + 1


def test_a_submission_made_offline_is_sent_once_when_back_online(live_server, page, app):
    page.goto(f"{live_server}/forms/order_form")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()                                  # now through the service worker, which keeps a copy
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.reload()                                  # no connection: the page still opens, with its scripts
    assert page.locator('[name="customer_name"]').is_visible()
    assert page.evaluate("typeof BiaogeForm") == "object"
    for name, value in FORM.items():
        page.fill(f'[name="{name}"]', value)
    assert page.text_content('output[name="total"]') == "25.00"
    page.click("#biaoge-form button[type=submit]")
    page.wait_for_selector("#save-status:has-text('联网后会自动提交')")
    assert _count(app) == 0
    queued = page.evaluate("JSON.parse(localStorage.getItem('biaoge:outbox'))")
    assert len(queued) == 1 and len(queued[0]["key"]) >= 8
    page.context.set_offline(False)
    page.wait_for_selector("#save-status:has-text('已提交')", timeout=20000)
    stored = page.get_attribute("#save-status a", "href")
    # the same submission sent again (another tab, a flaky link): the same record, still one
    again = page.evaluate("""(item) => fetch(item.url, {method: 'POST', credentials: 'same-origin', body: item.body,
        headers: {'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': item.key}}).then(r => r.url)""",
                          queued[0])
    assert again.endswith(stored)
    assert page.evaluate("JSON.parse(localStorage.getItem('biaoge:outbox'))") == []
    assert _count(app) == 1
    assert page.errors == []
