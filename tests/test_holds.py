"""Holds (销控): a unit of the 销控登记表 (楼栋 + 房号, x-unique) is held by one live record at a
time. 100 simultaneous attempts → exactly one holds it, 99 are told in Chinese who holds it and
under which 编号 — with threads against the HTTP app and with separate processes against the
store, on the folder store and on PostgreSQL. Cancelling the row (销控状态 已取消) or voiding the
record frees it; a failed or interrupted write never leaves a ghost hold."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from forms.definition import frozen
from store import open_store
from tests.conftest import ROOT, SCHEMAS
from tests.people import client_as, person
from tests.test_concurrency import folder, postgresql
from tests.render_helpers import html_tree


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """People are made with a cheap Argon2 (the real one takes about a second each here): what
    these tests check is not the password hash."""
    from argon2 import PasswordHasher
    monkeypatch.setattr("services.accounts._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

FORM = "sales_control_register"
ATTEMPTS = 100


def register(room="1201", building="1栋", status="销控中", consultant="置业顾问甲"):
    return {"project": "滨江花园", "register_month": "2026-11",
            "items": [{"control_date": "2026-11-20", "building": building, "room": room, "consultant": consultant,
                       "status": status}]}


BACKENDS = pytest.mark.parametrize("backend", [folder, postgresql], ids=["folder", "postgresql"])


def _app(tmp_path, location):
    from server.app import create_app
    return create_app({"SCHEMAS": str(SCHEMAS), "DATA": str(tmp_path / "data"), "STORE": location,
                       "SECRET_KEY": "test", "TESTING": False, "API_RATE": "100000 per minute"})


# ---------------------------------------------------------------- 100 threads against the app
@BACKENDS
def test_a_hundred_threads_one_unit_one_hold(tmp_path, backend):
    with backend(tmp_path) as location:
        app = _app(tmp_path, location)
        try:
            people = [(f"guwen{i}", f"顾问{'甲乙丙丁'[i]}") for i in range(4)]
            clients = [client_as(app, person(app, login, roles=["业务员"], department="上海办事处", real_name=name))
                       for login, name in people]
            go = threading.Barrier(ATTEMPTS)
            results = [None] * ATTEMPTS

            def attempt(k):
                c = clients[k % len(clients)]
                go.wait()
                r = c.post(f"/api/forms/{FORM}/submissions", json=register())
                results[k] = (k % len(clients), r.status_code, r.get_json())
            threads = [threading.Thread(target=attempt, args=(k,)) for k in range(ATTEMPTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            won = [r for r in results if r[1] == 201]
            lost = [r for r in results if r[1] != 201]
            assert len(won) == 1, [r[1] for r in results]
            winner, number = people[won[0][0]][1], won[0][2]["number"]
            assert len(lost) == ATTEMPTS - 1 and {r[1] for r in lost} == {409}, {r[1] for r in lost}
            for _, _, body in lost:
                message = body["error"]["message"]
                assert "楼栋 1栋、房号 1201" in message and winner in message and number in message, message
                assert body["error"]["errors"][0]["path"] == "/items/0/room"
            store = app.extensions["biaoge.records"].store
            assert store.query(FORM, limit=0)[1] == 1        # the 99 never took a record nor a number
            assert list(store.counters(FORM).values()) == [1]
            assert len(store.docs("hold")) == 1
            # the fill page says the same beside the unit, and keeps what was filled
            loser = clients[(won[0][0] + 1) % len(clients)]
            posted = {"project": "滨江花园", "register_month": "2026-11", "items.0.control_date": "2026-11-21",
                      "items.0.building": "1栋", "items.0.room": "1201", "items.0.consultant": "顾问乙",
                      "items.0.status": "销控中"}
            r = loser.post(f"/forms/{FORM}", data=posted)
            page = html_tree(r.data)
            errors = " ".join(page.xpath("//*[@role='alert']//li//text()"))
            assert r.status_code == 409 and winner in errors and number in errors, r.get_data(as_text=True)[:2000]
            assert page.xpath("//input[@name='project']/@value") == ["滨江花园"]
        finally:
            app.extensions["biaoge.records"].store.close()


# ---------------------------------------------------------------- processes against the store
CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
sys.modules["rfc3987_syntax"] = None   # jsonschema's optional IRI format check: 2.5 s of grammar at import, unused
from forms.definition import compile_frozen
from services.holds import Held
from services.records import Records
from store import open_store
location, definition, go, login, tries = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
form = compile_frozen(json.load(open(definition, encoding="utf-8")))
store = open_store(location)
records = Records(store, lambda: None)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
data = {"project": "滨江花园", "register_month": "2026-11",
        "items": [{"control_date": "2026-11-20", "building": "2栋", "room": "0808", "consultant": login,
                   "status": "销控中"}]}
for _ in range(tries):
    try:
        rec = records.save_new(form, data, creator=login, department="上海办事处")
        print(json.dumps({"ok": rec["number"], "by": login}, ensure_ascii=False), flush=True)
    except Held as exc:
        print(json.dumps({"held": exc.message, "status": exc.status}, ensure_ascii=False), flush=True)
store.close()
"""

PROCS, TRIES = 2, 50        # 100 attempts by 2 processes at once (one per core)


@BACKENDS
def test_a_hundred_attempts_from_two_processes_one_hold(tmp_path, backend, catalog):
    from services.accounts import Accounts
    with backend(tmp_path) as location:
        store = open_store(location)
        names = {f"p{i}": f"进程顾问{i}" for i in range(PROCS)}
        accounts = Accounts(store, lambda: catalog.policy)
        for login, name in names.items():
            accounts.add(login, "password-123", real_name=name, department="上海办事处", roles=["业务员"])
        definition = tmp_path / "register.json"
        definition.write_text(json.dumps(frozen(catalog.require(FORM)), ensure_ascii=False), "utf-8")
        go = tmp_path / "go"
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), location, str(definition), str(go), login,
                                   str(TRIES)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for login in names]
        try:
            for p in procs:
                assert p.stdout.readline().strip() == "ready", p.stderr.read()
            go.touch()
            outs = [p.communicate(timeout=120) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        lines = [json.loads(line) for out, err in outs for line in out.splitlines()]
        assert len(lines) == PROCS * TRIES, [err[-2000:] for _, err in outs]
        won = [x for x in lines if "ok" in x]
        assert len(won) == 1, won
        winner = names[won[0]["by"]]
        held = [x for x in lines if "held" in x]
        assert len(held) == PROCS * TRIES - 1
        assert all(winner in x["held"] and won[0]["ok"] in x["held"] and x["status"] == 409 for x in held), held[:3]
        try:
            assert store.query(FORM, limit=0)[1] == 1
        finally:
            store.close()


@pytest.fixture
def bare(tmp_path, catalog):
    from services.records import Records
    store = open_store(str(tmp_path / "data"))
    yield store, Records(store, lambda: catalog), catalog.require(FORM)
    store.close()


# ---------------------------------------------------------------- freeing, revising, the fill page
def test_cancelling_or_voiding_frees_the_unit_and_a_revision_cannot_take_a_held_one(bare, catalog):
    from services.accounts import Accounts
    from services.holds import Held
    from services.voiding import void
    store, records, form = bare
    Accounts(store, lambda: catalog.policy).add("guwen1", "password-123", real_name="顾问甲", department="上海办事处",
                                                roles=["业务员"])
    first = records.save_new(form, register(), creator="guwen1", department="上海办事处")
    other = records.save_new(form, register(room="1202"), creator="guwen2", department="上海办事处")
    with pytest.raises(Held, match="顾问甲"):     # a revision may not take a unit someone holds
        records.save_revision(form, other["id"], register(room="1201"), by="guwen2")
    # …nor one submission hold it twice (422, beside the second row)
    twice = register()
    twice["items"].append(dict(twice["items"][0], room="１２０１"))   # full-width digits are the same room
    with pytest.raises(Held) as exc:
        records.save_new(form, twice, creator="guwen3")
    assert exc.value.status == 422 and exc.value.path == "/items/1/room"
    # 已落订 still holds; 已取消 frees
    records.save_revision(form, first["id"], register(status="已落订"), by="guwen1")
    with pytest.raises(Held):
        records.save_new(form, register(), creator="guwen3")
    records.save_revision(form, first["id"], register(status="已取消"), by="guwen1")
    second = records.save_new(form, register(), creator="guwen3")
    # voiding frees too
    void(store, None, form, records.get_record(FORM, second["id"]), reason="客户放弃", by="jingli")
    third = records.save_new(form, register(), creator="guwen4")
    assert third["number"].startswith("XK-") and len({first["number"], second["number"], third["number"]}) == 3
    # and the un-cancelled first one cannot take it back
    with pytest.raises(Held):
        records.save_revision(form, first["id"], register(status="销控中"), by="guwen1")


# ---------------------------------------------------------------- no ghost holds
def test_a_failed_write_leaves_no_hold(bare):
    from services.holds import hold_new
    store, records, form = bare

    def broken():
        raise OSError("disk full")
    with pytest.raises(OSError):
        hold_new(store, form, register(), holder="guwen1", write=broken)
    assert store.docs("hold") == []
    assert records.save_new(form, register(), creator="guwen2")["id"] == 1


def test_an_interrupted_claim_blocks_only_for_the_grace_period(bare, monkeypatch):
    from services import holds
    store, records, form = bare
    monkeypatch.setattr(holds, "WAIT", 0.2)     # how long a loser waits for a pending winner's 编号
    [(key, _)] = holds.live_values(form, register()).items()
    # a writer died after claiming and before writing: fresh, its claim is respected …
    claim = {"form": FORM, "value": "1201", "label": "楼栋 1栋、房号 1201", "state": "pending", "token": "dead",
             "holder": "guwen1", "record": None, "number": "", "at": time.time()}
    store.put_doc("hold", key, claim)
    with pytest.raises(holds.Held, match="正在由"):
        records.save_new(form, register(), creator="guwen2")
    # … stale, it is taken over (no record holds the unit)
    store.put_doc("hold", key, dict(claim, at=time.time() - holds.GRACE - 1))
    rec = records.save_new(form, register(), creator="guwen2")
    assert store.get_doc("hold", key)[0]["record"] == rec["id"]


def test_a_record_written_but_not_confirmed_is_found_and_keeps_its_hold(bare):
    from services import holds
    store, records, form = bare
    rec = records.save_new(form, register(), creator="guwen1")
    [(key, _)] = holds.live_values(form, register()).items()
    # as if the writer died between writing the record and confirming its claim
    doc = store.get_doc("hold", key)[0]
    store.put_doc("hold", key, dict(doc, state="pending", record=None, number="", at=time.time() - holds.GRACE - 1))
    with pytest.raises(holds.Held, match=rec["number"]):
        records.save_new(form, register(), creator="guwen2")
    assert store.get_doc("hold", key)[0]["record"] == rec["id"]      # adopted for the record found


def test_a_writer_slower_than_the_grace_period_loses_and_its_record_is_voided(bare):
    from services import holds
    from services.voiding import voided
    store, records, form = bare
    [(key, _)] = holds.live_values(form, register()).items()

    def slow():
        rec = store.add(FORM, register(), version=1, definition="x", created="2026-11-20T10:00:00", period="2026-11",
                        make_number=lambda n: f"XK-202611-{n:04d}", creator="guwen1")
        doc = store.get_doc("hold", key)[0]          # meanwhile someone took the stale claim over
        store.put_doc("hold", key, dict(doc, token="theirs", state="held", record=99, holder="guwen2"))
        return rec
    with pytest.raises(holds.Held):
        holds.hold_new(store, form, register(), holder="guwen1", write=slow)
    mark = voided(store, FORM, 1)
    assert mark is not None and "系统作废" in mark["reason"]
    assert store.get(FORM, 1)["number"] == "XK-202611-0001"         # kept, accounted for


# ---------------------------------------------------------------- the linter
@pytest.mark.parametrize("spec, code, line, pointer, says", [
    ("x-unique: true\n    x-kind: table\n    items: {properties: {a: {title: 甲, x-kind: text}}}", "unique-not-value",
     7, "/properties/room/x-unique", "表格"),
    ("x-kind: text\n    x-unique: {with: [bulding]}", "unique-unknown-field", 8, "/properties/room/x-unique/with/0",
     "是否想写 'building'"),
    ("x-kind: text\n    x-unique: {unless: {status: [已取销]}}", "unique-unknown-choice", 8,
     "/properties/room/x-unique/unless/status/0", "已取消"),
])
def test_the_linter_checks_x_unique(make_schemas, spec, code, line, pointer, says):
    from services.catalog import load_catalog
    text = f"""
x-form: {{id: demo, title: 演示表}}
properties:
  building: {{title: 楼栋, x-kind: text}}
  status: {{title: 状态, x-kind: choice, enum: [销控中, 已取消]}}
  room:
    title: 房号
    {spec}
"""
    folder = make_schemas({"demo.yaml": text})
    problems = load_catalog(folder, display_root=folder).problems
    assert [(p.name, p.line, p.pointer) for p in problems] == [(code, line, pointer)], [str(p) for p in problems]
    assert says in str(problems[0]) and str(problems[0]).startswith(f"demo.yaml:{line}:")
