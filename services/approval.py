"""The approval engine: where a record is in its flow (forms.flow), who may decide, and what a
decision does — kept in one store document per record (kind "flow", key "form:record"), changed
by Store.update_doc so that a decision is atomic across processes: of two deciders of one 或签
step at the same instant, exactly one counts, the other is told who was first.

    approvals = Approvals(store, accounts, audit)
    approvals.start(form, record, user)                    # 提交: 审批中 at the first step
    approvals.act(form, record, user, "同意", comment="…")  # 同意 不同意 驳回 退回 转交 撤回 确认 提交
    state_label(approvals.doc(form.id, record["id"]))      # 草稿 / 审批中 / 已通过 / 已驳回 / 已撤回

The document holds the state, the current step, who it waits on, and the decision log (every
decision: round, step, user, real name, decision, comment, time); each decision also enters the
audit chain. What a step's fields print comes from that log (services.approval_print), never from the data.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

KIND = "flow"
DRAFT, RUNNING, PASSED, REJECTED, WITHDRAWN = "草稿", "审批中", "已通过", "已驳回", "已撤回"
DECISIONS = ("同意", "不同意")
ACTIONS = ("同意", "不同意", "驳回", "退回", "转交", "撤回", "确认", "提交")
DECIDING = ("同意", "不同意", "驳回", "退回", "确认")     # after one of these the applicant may not 撤回
MAX_COMMENT = 1000
MAX_LOG = 400            # decisions one record keeps (a flow of 20 steps resubmitted many times)


class FlowError(Exception):
    """A decision that cannot be taken; `status` is the HTTP answer, the message is Chinese."""
    status = 409

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


def key(form_id: str, record_id: int) -> str:
    return f"{form_id}:{record_id}"


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def state_label(doc: dict | None) -> str:
    """The state a record is in, from its flow document (None: never submitted for approval).
    The one place that names a record's state: other states (已作废) extend it here."""
    if doc is None:
        return DRAFT
    return doc.get("state", DRAFT)


def editable(doc: dict | None) -> bool:
    """Whether the applicant's part may be changed: not while it is being approved or once approved."""
    return state_label(doc) in (DRAFT, WITHDRAWN) or (state_label(doc) == REJECTED and not doc.get("final"))


def overdue(doc: dict | None, flow, at: datetime | None = None) -> bool:
    if state_label(doc) != RUNNING or doc.get("step") is None:
        return False
    step = flow.steps[doc["step"]]
    if step.days is None:
        return False
    since = datetime.fromisoformat(doc["since"])
    return (at or datetime.now()) > since + timedelta(days=step.days)


class Approvals:
    def __init__(self, store, accounts, audit=None):
        self.store, self.accounts, self.audit = store, accounts, audit

    # -- reading --------------------------------------------------------------------------------
    def doc(self, form_id: str, record_id: int) -> dict | None:
        found = self.store.get_doc(KIND, key(form_id, record_id))
        return found[0] if found else None

    def all_docs(self) -> list[dict]:
        return [d for _, d, _ in self.store.docs(KIND)]

    def holders(self, role: str, department: str | None, within: str) -> list[str]:
        """Active people holding `role`: all of them, or the nearest ones from the applicant's
        department (申请人部门) or its parent (上级部门) up the tree."""
        people = [u for u in self.accounts.all() if u.active and role in u.roles]
        if within == "全部" or department is None:
            return sorted(u.login for u in people)
        policy = self.accounts.policy
        path = policy.path(department)
        if within == "上级部门":
            path = path[:-1]
        for dept in reversed(path):
            here = sorted(u.login for u in people if u.department == dept)
            if here:
                return here
        return []

    def deciders(self, step, doc) -> list[str]:
        """Who the step waits on when entered: holders of its role (单人: the first of them; 转交 passes
        it on) and of its 见习 role."""
        found = [x for x in self.holders(step.decider, doc.get("department"), step.within)
                 if x != doc.get("applicant")]
        if step.mode == "one":
            found = found[:1]
        if step.trainee:
            found += [x for x in self.holders(step.trainee, doc.get("department"), step.within) if x not in found]
        return [x for x in found if x != doc.get("applicant")]     # nobody approves their own request

    def waiting(self, form, doc) -> list[str]:
        """Who the current step waits on (people added since it was entered count too)."""
        if state_label(doc) != RUNNING:
            return []
        step = form.flow.steps[doc["step"]]
        if doc.get("pending"):
            return doc["pending"]["confirmers"]
        listed = [x for x in doc.get("waiting", []) if x not in doc.get("decided", [])]
        return listed if doc.get("waiting") else self.deciders(step, doc)

    def actions_for(self, form, doc, user, record: dict | None = None) -> list[str]:
        """What `user` may do now with this record's flow."""
        if form.flow is None or user is None:
            return []
        state = state_label(doc)
        applicant = doc.get("applicant") if doc is not None else (record or {}).get("creator")
        mine = applicant is not None and applicant == user.login
        out = []
        if state == RUNNING:
            if user.login in self.waiting(form, doc):
                out += ["确认", "同意", "不同意", "驳回", "退回", "转交"] if doc.get("pending") else \
                    ["同意", "不同意", "驳回", "退回", "转交"]
            if mine and not self._decided_this_round(doc):
                out.append("撤回")
        elif mine and editable(doc):
            out.append("提交")
        return out

    @staticmethod
    def _decided_this_round(doc) -> bool:
        return any(e["round"] == doc["round"] and e["action"] in DECIDING for e in doc["log"])

    # -- changing ----------------------------------------------------------------------------------
    def start(self, form, record: dict, user) -> dict | None:
        """Submit a new record for approval (when its form has a flow)."""
        if form.flow is None:
            return None
        return self.act(form, record, user, "提交")

    def act(self, form, record: dict, user, action: str, *, comment: str = "", values: dict | None = None,
            to: str | None = None, step: str | None = None, signature: str | None = None) -> dict:
        """Take one action atomically; raises FlowError (403 not yours, 409 the flow moved on,
        422 what was sent is wrong) and leaves everything as it was. `step`: the step the decider
        saw (a page, a client): when the flow has moved on since, 409 names who moved it. `signature`:
        the sha256 of a handwritten signature kept by services.approval_signature.keep."""
        flow = form.flow
        if flow is None:
            raise FlowError(f"「{form.title}」没有审批流程。", 404)
        if action not in ACTIONS:
            raise FlowError(f"未知的操作「{action}」；可选：{'、'.join(ACTIONS)}。", 422)
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise FlowError(f"意见最多 {MAX_COMMENT} 个字，这里有 {len(comment)} 个。", 422)
        values = self._check_values(form, values or {})
        target = self._check_target(to) if action == "转交" else None
        entry_base = {"user": user.login, "name": user.real_name, "action": action, "comment": comment,
                      "at": now()} | ({"signature": signature} if signature else {})

        def change(doc):
            doc = copy.deepcopy(doc) if doc is not None else {
                "form": form.id, "record": record["id"], "state": DRAFT, "round": 0, "step": None,
                "applicant": record.get("creator"), "department": record.get("department"), "log": []}
            if len(doc["log"]) >= MAX_LOG:
                raise FlowError("这份记录的审批记录已达上限，请联系管理员。")
            if step is not None:
                self._expect(form, doc, step)
            self._apply(form, doc, user, action, entry_base, values, target, record.get("data") or {})
            return doc

        doc = self.store.update_doc(KIND, key(form.id, record["id"]), change)
        if self.audit is not None:
            last = doc["log"][-1]
            self.audit.record("approval", user=user, form=form.id, record=record["id"],
                              detail={k: last.get(k) for k in ("round", "step", "title", "action", "decision",
                                                               "comment", "to")} | {"state": doc["state"]})
        return doc

    @staticmethod
    def _expect(form, doc, step_id):
        current = form.flow.steps[doc["step"]].id if doc.get("step") is not None else None
        if current == step_id and state_label(doc) == RUNNING:
            return
        by = next((e for e in reversed(doc["log"]) if e.get("step") == step_id and e["round"] == doc["round"]), None)
        title = next((s.title for s in form.flow.steps if s.id == step_id), step_id)
        raise FlowError(f"「{title}」已由{by['name']}于 {by['at'].replace('T', ' ')} {by['action']}，"
                        f"您的操作未生效；这份记录现在{state_label(doc)}。" if by else
                        f"这份记录已不在「{title}」这一步（现在{state_label(doc)}），请刷新后再处理。")

    def _check_values(self, form, values: dict) -> dict:
        if not isinstance(values, dict) or len(values) > 50:
            raise FlowError("审批填写的内容应为「字段: 值」（最多 50 项）。", 422)
        out = {}
        for path, value in values.items():
            f = form.field_at(tuple(str(path).split(".")))
            if f is None or not f.is_value:
                raise FlowError(f"没有字段「{path}」。", 422)
            if value in (None, ""):
                continue
            if len(str(value)) > MAX_COMMENT:
                raise FlowError(f"「{f.title}」最多 {MAX_COMMENT} 个字。", 422)
            try:
                out[str(path)] = f.coerce(value)
            except (TypeError, ValueError):
                raise FlowError(f"「{f.title}」的值不对：{value}", 422) from None
            if f.choices and out[str(path)] not in f.choices:
                raise FlowError(f"「{f.title}」只能选 {'、'.join(map(str, f.choices))}。", 422)
        return out

    def _check_target(self, to):
        target = self.accounts.get(to) if to else None
        if target is None or not target.active:
            raise FlowError(f"转交的对象「{to or ''}」不存在或已停用。", 422)
        return target

    def _apply(self, form, doc, user, action, base, values, target, data):
        flow, state = form.flow, state_label(doc)
        entry = dict(base, round=doc["round"])
        if action == "提交":
            if user.login != doc["applicant"]:
                raise FlowError("只有申请人本人可以提交审批。", 403)
            if state == RUNNING or not editable(doc):
                raise FlowError(f"这份记录{state}，不能再提交。")
            doc["round"] += 1
            doc["results"] = {}
            entry.update(round=doc["round"], step=None, title="提交申请")
            doc["log"].append(entry)
            doc["state"] = RUNNING
            self._advance(form, doc, -1, data)
            return
        if action == "撤回":
            if user.login != doc["applicant"]:
                raise FlowError("只有申请人本人可以撤回。", 403)
            if state != RUNNING:
                raise FlowError(f"这份记录{state}，不能撤回。")
            if self._decided_this_round(doc):
                raise FlowError("已有审批人处理过，不能撤回；如需修改请联系当前审批人退回。")
            entry.update(step=flow.steps[doc["step"]].id, title="撤回申请")
            doc["log"].append(entry)
            doc.update(state=WITHDRAWN, step=None, waiting=[], decided=[], pending=None)
            return
        if state != RUNNING:
            raise FlowError(f"这份记录{state}，没有等待审批的步骤。")
        step = flow.steps[doc["step"]]
        entry.update(step=step.id, title=step.title)
        waiting = self.waiting(form, doc)
        if not doc.get("waiting") and not doc.get("pending"):
            doc["waiting"] = waiting          # nobody held the role when the step was entered
        if user.login not in waiting:
            done = [e for e in doc["log"] if e["round"] == doc["round"] and e.get("step") == step.id]
            if user.login in doc.get("decided", []) or (done and done[-1]["user"] == user.login):
                raise FlowError(f"您已处理过「{step.title}」。")
            raise FlowError(f"您不是「{step.title}」的审批人（需要角色「{step.decider}」），不能处理这份记录。", 403)
        allowed = set(step.paths()) - {p for r, p in step.fields if r in ("conclusion", "signer", "date")}
        extra = set(values) - allowed
        if extra:
            names = "、".join(form.field_at(tuple(p.split("."))).title for p in sorted(extra))
            raise FlowError(f"「{step.title}」不能填写：{names}。", 403)
        entry["values"] = values
        if action == "转交":
            if target.login in waiting or step.decider not in target.roles:
                raise FlowError(f"只能转交给另一位「{step.decider}」，{target.real_name}不是或已在审批人之列。", 422)
            entry["to"], entry["to_name"] = target.login, target.real_name
            doc["log"].append(entry)
            doc["waiting"] = [target.login if x == user.login else x for x in (doc.get("waiting") or waiting)]
            return
        if action == "驳回":
            doc["log"].append(entry)
            self._to_applicant(doc, final=False)
            return
        if action == "退回":
            doc["log"].append(entry)
            self._back(form, doc, doc["step"])
            return
        pending = doc.get("pending")
        if action == "确认":
            if not pending:
                raise FlowError("没有等待确认的见习审批。", 422)
            entry.update(decision=pending["decision"], confirms=pending["user"], confirms_name=pending["name"])
            doc["log"].append(entry)
            doc["pending"] = None
            self._outcome(form, doc, step, pending["decision"], data)
            return
        entry["decision"] = action
        if step.trainee and step.decider not in user.roles and step.trainee in user.roles and not pending:
            entry["pending"] = True
            doc["log"].append(entry)
            holders = self.holders(step.decider, doc.get("department"), step.within)
            confirmers = [x for x in waiting if x in holders] or holders
            doc["pending"] = {"user": user.login, "name": user.real_name, "decision": action,
                              "confirmers": confirmers}
            return
        doc["pending"] = None
        doc["log"].append(entry)
        if step.mode == "all" and action == "同意":
            doc["decided"] = doc.get("decided", []) + [user.login]
            if [x for x in doc.get("waiting", []) if x not in doc["decided"]]:
                return
        self._outcome(form, doc, step, action, data)

    def _outcome(self, form, doc, step, decision, data):
        flow = form.flow
        doc.setdefault("results", {})[step.id] = decision
        i = flow.index(step.id)
        veto = flow.veto
        if veto is not None and step.id == veto.step and veto.against in doc["results"]:
            agree = doc["results"][veto.against] == decision
            doc["log"][-1]["consistent"] = "一致" if agree else "不一致"
            if not agree:
                self._enter(form, doc, flow.index(veto.then))
                return
        elif veto is not None and step.id == veto.against and flow.index(veto.step) > i:
            self._advance(form, doc, i, data)   # the 制约权 holder reviews whatever the top approver said
            return
        if decision == "同意":
            self._advance(form, doc, i, data)
        elif step.on_reject == "previous":
            self._back(form, doc, i)
        else:
            self._to_applicant(doc, final=step.on_reject == "end")

    def _advance(self, form, doc, after: int, data: dict):
        """To the next step that applies (not reserved for the veto; its `when` holds), or 已通过."""
        from forms import expr
        steps = form.flow.steps
        nxt = next((j for j in range(after + 1, len(steps)) if not steps[j].veto_only
                    and (steps[j].when is None or expr.condition(steps[j].when, data))), None)
        if after >= 0 and steps[after].veto_only:   # the further step decides for good
            nxt = None
        if nxt is None:
            doc.update(state=PASSED, step=None, waiting=[], decided=[], pending=None, passed=now())
        else:
            self._enter(form, doc, nxt)

    def _enter(self, form, doc, index: int):
        step = form.flow.steps[index]
        doc.update(step=index, decided=[], pending=None, since=now(), since_log=len(doc["log"]))
        doc["waiting"] = self.deciders(step, doc)

    def _back(self, form, doc, index: int):
        """退回: to the step decided before this one in this round, or to the applicant."""
        earlier = [e["step"] for e in doc["log"] if e["round"] == doc["round"] and e.get("decision")
                   and e.get("step") is not None and form.flow.index(e["step"]) < index]
        if earlier:
            self._enter(form, doc, form.flow.index(earlier[-1]))
            doc["results"].pop(earlier[-1], None)
        else:
            self._to_applicant(doc, final=False)

    @staticmethod
    def _to_applicant(doc, *, final: bool):
        doc.update(state=REJECTED, step=None, waiting=[], decided=[], pending=None, final=final)
