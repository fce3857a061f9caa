"""The approval engine on both store backends: 会签, 或签, 见习权, 驳回 and resubmission, 退回,
转交, 撤回, the audit chain — and two deciders of one 或签 step in separate processes at the
same instant, of whom exactly one counts."""
from __future__ import annotations

import multiprocessing
from contextlib import contextmanager

import pytest

from services import approval as engine
from services import approval_print as printing
from services.accounts import Accounts
from services.audit import Audit
from services.catalog import load_catalog
from services.records import Records
from store import open_store

from .approval_helpers import fast_passwords  # noqa: F401 - autouse fixture
from .pg_helpers import database

ORG = """
departments:
  总部:
    一部: {}
roles:
  员工:
    - {forms: ["*"], create: true, read: own}
  班子:
    - {forms: ["*"], read: all}
  管理部:
    - {forms: ["*"], read: all}
  经理:
    - {forms: ["*"], read: all}
  见习经理:
    - {forms: ["*"], read: all}
"""

FORM = """
x-form: {id: expense, title: 费用申请, version: 1}
properties:
  item: {title: 事项, x-kind: text}
  amount: {title: 金额, x-kind: money}
  board_opinion: {title: 班子意见, x-kind: textarea}
  office_note: {title: 管理部备注, x-kind: text}
  result: {title: 审批结论, x-kind: choice, enum: [同意, 不同意]}
  signer: {title: 审批人/日期, x-kind: signature}
x-approval:
  steps:
    - {id: board, title: 班子会签, decider: 班子, mode: 会签, fields: {opinion: board_opinion}}
    - {id: office, title: 管理部审核, decider: 管理部, mode: 或签, on-reject: 退回, fills: [office_note], days: 2}
    - {id: boss, title: 经理审批, decider: 经理, trainee: 见习经理, fields: {conclusion: result, signer: signer}}
    - {id: big, title: 大额复核, decider: 班子, mode: 或签, when: 金额 > 10000}
"""

PEOPLE = {"a1": ("员工", "一部"), "b1": ("班子", "总部"), "b2": ("班子", "总部"), "o1": ("管理部", "总部"),
          "o2": ("管理部", "总部"), "o3": ("管理部", "总部"), "o4": ("管理部", "总部"), "m1": ("经理", "总部"),
          "m2": ("经理", "总部"),
          "j1": ("见习经理", "总部")}


@contextmanager
def folder(tmp_path):
    yield str(tmp_path.parent / f"{tmp_path.name}-data")     # not under the definitions' folder


@contextmanager
def postgresql(tmp_path):
    with database() as url:
        yield url


BACKENDS = pytest.mark.parametrize("backend", [folder, postgresql], ids=["folder", "postgresql"])


class World:
    def __init__(self, schemas, location, people=True):
        self.schemas, self.location = schemas, location
        self.catalog = load_catalog(schemas, display_root=schemas)
        assert self.catalog.ok, [str(p) for p in self.catalog.problems]
        self.form = self.catalog.require("expense")
        self.store = open_store(location)
        self.accounts = Accounts(self.store, lambda: self.catalog.policy)
        self.audit = Audit(self.store)
        self.flows = engine.Approvals(self.store, self.accounts, self.audit)
        self.records = Records(self.store, self.catalog)
        if people:
            for login, (role, dept) in PEOPLE.items():
                if self.accounts.get(login) is None:
                    self.accounts.add(login, "password-123", real_name=f"姓名{login}", department=dept, roles=[role])

    def user(self, login):
        return self.accounts.get(login)

    def new(self, item="差旅费", **more):
        rec = self.records.save_new(self.form, {"item": item, **more}, creator="a1", department="一部")
        self.flows.start(self.form, rec, self.user("a1"))
        return rec

    def act(self, rec, login, action, **kw):
        return self.flows.act(self.form, rec, self.user(login), action, **kw)

    def doc(self, rec):
        return self.flows.doc("expense", rec["id"])


@pytest.fixture
def schemas(make_schemas):
    return make_schemas({"_org.yaml": ORG, "expense.yaml": FORM})


@pytest.fixture
def world(schemas, tmp_path):
    w = World(schemas, str(tmp_path.parent / f"{tmp_path.name}-data"))
    yield w
    w.store.close()


def through_board(w, rec):
    w.act(rec, "b1", "同意")
    return w.act(rec, "b2", "同意")


@BACKENDS
def test_a_whole_flow_on_each_backend(schemas, tmp_path, backend):
    with backend(tmp_path) as location:
        w = World(schemas, location)
        try:
            rec = w.new()
            assert engine.state_label(w.doc(rec)) == "审批中"
            through_board(w, rec)
            w.act(rec, "o1", "同意", values={"office_note": "票据齐全"})
            doc = w.act(rec, "m1", "同意", comment="准予报销")
            assert doc["state"] == "已通过"
            printed = printing.printed(w.form, {"item": "差旅费", "result": "申请人自填", "signer": "某人"}, doc)
            day = doc["log"][-1]["at"][:10]
            assert printed == {"item": "差旅费", "result": "同意", "signer": f"姓名m1 {day}", "office_note": "票据齐全"}
            approvals = [e for e in w.audit.entries() if e["action"] == "approval"]
            assert [(e["user"], e["detail"]["action"]) for e in approvals] == [
                ("a1", "提交"), ("b1", "同意"), ("b2", "同意"), ("o1", "同意"), ("m1", "同意")]
            assert w.audit.verify() == []
        finally:
            w.store.close()


def test_countersign_needs_every_member(world):
    rec = world.new()
    doc = world.act(rec, "b1", "同意", comment="同意")
    assert doc["step"] == 0 and world.flows.waiting(world.form, doc) == ["b2"]
    with pytest.raises(engine.FlowError, match="已处理"):
        world.act(rec, "b1", "同意")
    doc = world.act(rec, "b2", "同意", comment="原则同意")
    assert doc["step"] == 1
    assert printing.printed(world.form, {}, doc)["board_opinion"] == "同意；原则同意"


def test_countersign_one_no_is_a_no(world):
    rec = world.new()
    doc = world.act(rec, "b1", "不同意", comment="预算不足")
    assert doc["state"] == "已驳回"


def test_a_step_applies_only_when_its_condition_holds(world):
    small, large = world.new(amount=800), world.new(amount=25000)
    for rec in (small, large):
        through_board(world, rec)
        world.act(rec, "o1", "同意")
    assert world.act(small, "m1", "同意")["state"] == "已通过"
    doc = world.act(large, "m1", "同意")
    assert doc["state"] == "审批中" and world.form.flow.steps[doc["step"]].id == "big"
    assert world.act(large, "b2", "同意")["state"] == "已通过"


def test_a_step_past_its_time_limit_is_overdue(world):
    from datetime import datetime, timedelta
    rec = world.new()
    doc = through_board(world, rec)
    entered = datetime.fromisoformat(doc["since"])
    assert not engine.overdue(doc, world.form.flow, entered + timedelta(days=1, hours=23))
    assert engine.overdue(doc, world.form.flow, entered + timedelta(days=2, minutes=1))
    assert not engine.overdue(world.act(rec, "o1", "同意"), world.form.flow, entered + timedelta(days=9))  # 经理: no limit


def test_or_sign_takes_the_first(world):
    rec = world.new()
    through_board(world, rec)
    assert sorted(world.flows.waiting(world.form, world.doc(rec))) == ["o1", "o2", "o3", "o4"]
    doc = world.act(rec, "o2", "同意")
    assert doc["step"] == 2
    with pytest.raises(engine.FlowError) as err:
        world.act(rec, "o1", "同意")
    assert err.value.status == 403
    assert [e["user"] for e in world.doc(rec)["log"] if e["step"] == "office"] == ["o2"]


def test_reject_edit_resubmit_keeps_both_rounds(world):
    rec = world.new("差旅费")
    doc = world.act(rec, "b1", "驳回", comment="请补充发票")
    assert doc["state"] == "已驳回" and engine.editable(doc)
    assert world.flows.actions_for(world.form, doc, world.user("a1")) == ["提交"]
    world.records.save_revision(world.form, rec["id"], {"item": "差旅费（已补发票）"}, by="a1")
    doc = world.act(rec, "a1", "提交")
    assert doc["state"] == "审批中" and doc["round"] == 2 and doc["step"] == 0
    through_board(world, rec)
    rounds = [(e["round"], e["user"], e["action"]) for e in world.doc(rec)["log"]]
    assert rounds == [(1, "a1", "提交"), (1, "b1", "驳回"), (2, "a1", "提交"), (2, "b1", "同意"), (2, "b2", "同意")]


def test_send_back_to_the_previous_step(world):
    rec = world.new()
    through_board(world, rec)
    world.act(rec, "o1", "同意")
    doc = world.act(rec, "m1", "退回", comment="管理部再核一下")
    assert doc["step"] == 1 and doc["state"] == "审批中"
    assert printing.printed(world.form, {}, doc).get("office_note") is None
    doc = world.act(rec, "o3", "不同意", comment="不合规")          # on-reject: 退回 → back to the board
    assert doc["step"] == 0 and sorted(world.flows.waiting(world.form, doc)) == ["b1", "b2"]
    assert "board_opinion" not in printing.printed(world.form, {}, doc)    # being decided again: blank


def test_transfer_is_logged_and_only_to_a_holder_of_the_role(world):
    rec = world.new()
    through_board(world, rec)
    doc = world.act(rec, "o1", "同意")
    assert world.flows.waiting(world.form, doc) == ["m1", "j1"]      # 单人: the first 经理 (and the 见习)
    with pytest.raises(engine.FlowError, match="只能转交"):
        world.act(rec, "m1", "转交", to="o2")
    doc = world.act(rec, "m1", "转交", to="m2", comment="我出差")
    last = doc["log"][-1]
    assert (last["action"], last["user"], last["to"], last["to_name"]) == ("转交", "m1", "m2", "姓名m2")
    assert world.flows.waiting(world.form, doc) == ["m2", "j1"]
    with pytest.raises(engine.FlowError):
        world.act(rec, "m1", "同意")
    assert world.act(rec, "m2", "同意")["state"] == "已通过"


def test_withdraw_only_before_the_first_decision(world):
    rec = world.new()
    with pytest.raises(engine.FlowError) as err:
        world.act(rec, "b1", "撤回")
    assert err.value.status == 403
    doc = world.act(rec, "a1", "撤回")
    assert doc["state"] == "已撤回" and engine.editable(doc)
    doc = world.act(rec, "a1", "提交")
    world.act(rec, "b1", "同意")
    with pytest.raises(engine.FlowError, match="已有审批人处理过"):
        world.act(rec, "a1", "撤回")


def test_a_trainee_decision_waits_for_confirmation(world):
    rec = world.new()
    through_board(world, rec)
    world.act(rec, "o1", "同意")
    doc = world.act(rec, "j1", "同意", comment="见习意见：同意")
    assert doc["state"] == "审批中" and doc["step"] == 2 and doc["pending"]["user"] == "j1"
    assert world.flows.waiting(world.form, doc) == ["m1"]
    assert "result" not in printing.printed(world.form, {}, doc)          # not decided until confirmed
    doc = world.act(rec, "m1", "确认")
    assert doc["state"] == "已通过"
    signer = printing.printed(world.form, {}, doc)["signer"]
    assert "姓名m1" in signer and "姓名j1" in signer


def test_the_applicant_may_not_approve_and_approvers_write_only_their_fields(world):
    rec = world.new()
    with pytest.raises(engine.FlowError) as err:
        world.act(rec, "a1", "同意")
    assert err.value.status == 403
    with pytest.raises(engine.FlowError) as err:
        world.act(rec, "b1", "同意", values={"office_note": "越权填写"})
    assert err.value.status == 403 and "管理部备注" in str(err.value)
    assert world.doc(rec)["log"][-1]["action"] == "提交"            # nothing changed


def _race(schemas, location, record_id, login, barrier, results):
    try:
        w = World(schemas, location, people=False)
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        results.put((login, repr(exc)))
        raise
    try:
        rec = w.records.get_record("expense", record_id)
        barrier.wait(30)
        try:
            w.act(rec, login, "同意", comment=f"{login} 同意", step="office")
            results.put((login, "ok"))
        except engine.FlowError as exc:
            results.put((login, exc.status))
    finally:
        w.store.close()


@BACKENDS
def test_two_deciders_of_one_or_sign_step_at_once_exactly_one_counts(schemas, tmp_path, backend):
    with backend(tmp_path) as location:
        w = World(schemas, location)
        recs = []
        for _ in range(3):
            rec = w.new()
            through_board(w, rec)
            recs.append(rec)
        ctx = multiprocessing.get_context("fork")
        for rec in recs:
            barrier, results = ctx.Barrier(4), ctx.Queue()
            procs = [ctx.Process(target=_race, args=(schemas, location, rec["id"], login, barrier, results))
                     for login in ("o1", "o2", "o3", "o4")]
            for p in procs:
                p.start()
            outcomes = [results.get(timeout=60) for _ in procs]
            for p in procs:
                p.join(30)
            assert sorted(o for _, o in outcomes if o == "ok") == ["ok"], outcomes
            assert sorted(o for _, o in outcomes if o != "ok") == [409, 409, 409], outcomes
            doc = w.doc(rec)
            office = [e for e in doc["log"] if e["step"] == "office"]
            assert len(office) == 1 and doc["step"] == 2
            assert office[0]["user"] == next(login for login, o in outcomes if o == "ok")
        w.store.close()
