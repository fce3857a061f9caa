"""Approval flows (x-approval): ordered steps, who decides each, and the 制约权 veto — compiled
into a frozen `Flow`, every problem collected with its path. No I/O here.

    x-approval:
      steps:
        - id: manager
          title: 部门经理审核
          decider: 销售部经理          # a role of _org.yaml
          within: 申请人部门           # 全部 (default) | 申请人部门 (nearest holders up from the applicant's) | 上级部门
          mode: 单人                  # 单人 | 会签 (every holder) | 或签 (the first holder)
          fields: {conclusion: manager_review.result, opinion: manager_review.opinion,
                   signer: manager_review.reviewer, date: manager_review.date}
          fills: [manager_review.extra]   # further fields this step's decider writes
          on-reject: 驳回               # 驳回 (to the applicant) | 退回 (previous step) | 结束
          trainee: 见习经理             # 见习权 J: this role's decisions wait for the decider's confirmation
          days: 2                      # time limit
          on-veto-only: true           # reached only when a veto sends the request here
          when: business_item == "价格管理"   # routing: the step applies only when this holds
      veto: {step: admin, against: manager, then: upper, field: admin_review.consistent}
      applicant: filler_sign       # prints the applicant's name and the day they submitted

Roles are checked against the organisation by the catalog (`check_roles`), which knows _org.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import Problem, suggestion

MODES = {"单人": "one", "会签": "all", "或签": "any"}
REJECTS = {"驳回": "applicant", "退回": "previous", "结束": "end"}
WITHIN = ("全部", "申请人部门", "上级部门")
FIELD_ROLES = ("conclusion", "opinion", "signer", "date")
STEP_KEYS = ("id", "title", "decider", "within", "mode", "fields", "fills", "on-reject", "trainee", "days",
             "on-veto-only", "when")
YES_WORDS = ("同意", "通过", "批准", "合格", "可行", "是")
NO_WORDS = ("不同意", "否决", "不通过", "不批准", "不合格", "不可行", "否")


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    decider: str                 # role
    within: str = "全部"
    mode: str = "one"            # one | all | any
    fields: tuple = ()           # ((field role, dotted path), …)
    fills: tuple = ()            # dotted paths
    on_reject: str = "applicant"  # applicant | previous | end
    trainee: str | None = None   # role whose decisions need confirmation
    days: float | None = None
    veto_only: bool = False
    when: tuple | None = None    # a bound condition on the record's data: the step applies only when true

    def field(self, role: str) -> str | None:
        return dict(self.fields).get(role)

    def paths(self) -> tuple:
        """Every field this step writes (dotted)."""
        return tuple(p for _, p in self.fields) + self.fills


@dataclass(frozen=True)
class Veto:
    step: str          # the step holding 制约权
    against: str       # the top approver's step it is compared with
    then: str          # where a disagreement goes
    field: str | None = None   # a field that prints 一致 / 不一致


@dataclass(frozen=True)
class Flow:
    steps: tuple
    veto: Veto | None = None
    applicant: str | None = None    # a field printing the applicant's name and the day they submitted

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)

    def approver_paths(self) -> frozenset:
        """Dotted paths of every field a decider writes (the applicant may not)."""
        own = {self.applicant} if self.applicant else set()
        veto = {self.veto.field} if self.veto and self.veto.field else set()
        return frozenset(p for s in self.steps for p in s.paths()) | own | veto

    def roles(self) -> set:
        return {s.decider for s in self.steps} | {s.trainee for s in self.steps if s.trainee}


def words_for(f) -> tuple:
    """(the value printed for 同意, for 不同意) in a conclusion field: its choices' words, or the words."""
    choices = [str(c) for c in (f.choices if f is not None and f.kind_def.enumerated else [])]
    if not choices:
        return "同意", "不同意"
    def first(words, unless=()):
        for w in words:          # 同意 before 同意签订: an exact word first, then a choice it begins
            for c in sorted(choices, key=len):
                if c.startswith(w) and not any(c.startswith(u) for u in unless):
                    return c
        return None
    return first(YES_WORDS, NO_WORDS), first(NO_WORDS)


def compile_flow(spec, form, add, condition=lambda text, at: None) -> Flow | None:
    """The form's flow, or None. `add(name, path, **params)` reports a problem at a definition path;
    `condition(text, path)` binds a step's `when` formula (None when it does not compile)."""
    if spec is None:
        return None
    here = ("x-approval",)
    if not isinstance(spec, dict) or not isinstance(spec.get("steps"), list) or not spec["steps"]:
        add("flow-no-steps", here)
        return None
    steps, ids = [], []
    for i, raw in enumerate(spec["steps"]):
        at = here + ("steps", i)
        if not isinstance(raw, dict):
            continue
        step = _step(raw, at, form, add, len(steps))
        if isinstance(raw.get("when"), str):
            step = replace(step, when=condition(raw["when"], at + ("when",)))
        if step.id in ids:
            add("flow-duplicate-step", at + ("id",), value=step.id)
        ids.append(step.id)
        steps.append(step)
    veto = _veto(spec.get("veto"), here + ("veto",), steps, form, add)
    applicant = spec.get("applicant")
    if applicant is not None and not _check_field(form, applicant, here + ("applicant",), add):
        applicant = None
    targets = {veto.then} if veto else set()
    for i, step in enumerate(steps):
        if step.veto_only and step.id not in targets:
            add("flow-unreachable", here + ("steps", i, "on-veto-only"), title=step.title)
    for i, step in enumerate(steps):
        f = form.field_at(tuple(step.field("conclusion").split("."))) if step.field("conclusion") else None
        if f is not None and f.kind_def.enumerated and None in words_for(f):
            add("flow-conclusion-words", here + ("steps", i, "fields", "conclusion"), title=f.title,
                choices="、".join(map(str, f.choices)))
    flow = Flow(tuple(steps), veto, applicant)
    for path in sorted(flow.approver_paths()):
        f = form.field_at(tuple(path.split(".")))
        if f is not None and f.required:
            add("flow-required-approver", f.def_path, title=f.title)
    return flow


def _step(raw, at, form, add, n) -> Step:
    sid = str(raw.get("id") or f"step{n + 1}")
    title = str(raw.get("title") or sid)
    decider = raw.get("decider")
    if not isinstance(decider, str) or not decider.strip():
        add("missing-keyword", at, key="decider")
        decider = ""
    within = _one_of(raw, "within", WITHIN, "全部", "未知的审批人范围", at, add)
    mode = _one_of(raw, "mode", MODES, "单人", "未知的审批方式", at, add)
    reject = _one_of(raw, "on-reject", REJECTS, "驳回", "未知的不同意处理方式", at, add)
    fields = []
    given = raw.get("fields") if isinstance(raw.get("fields"), dict) else {}
    for role, path in given.items():
        if role not in FIELD_ROLES:
            add("unknown-keyword", at + ("fields", role), key=role, suggestion=suggestion(role, FIELD_ROLES))
            continue
        if _check_field(form, path, at + ("fields", role), add):
            fields.append((role, path))
    fills = []
    for k, path in enumerate(raw.get("fills") or [] if isinstance(raw.get("fills"), list) else []):
        if _check_field(form, path, at + ("fills", k), add):
            fills.append(path)
    days = raw.get("days")
    return Step(sid, title, decider, within, MODES[mode], tuple(fields), tuple(fills), REJECTS[reject],
                raw.get("trainee") if isinstance(raw.get("trainee"), str) else None,
                float(days) if isinstance(days, (int, float)) and not isinstance(days, bool) else None,
                raw.get("on-veto-only") is True)


def _one_of(raw, key, allowed, default, what, at, add):
    """raw[key] when it is one of `allowed` (else reported, with the closest spelling)."""
    value = raw.get(key, default)
    if value in allowed:
        return value
    add("unknown-value", at + (key,), what=what, value=value, suggestion=suggestion(str(value), allowed),
        choices="、".join(allowed))
    return default


def _check_field(form, path, at, add) -> bool:
    f = form.field_at(tuple(path.split("."))) if isinstance(path, str) else None
    if f is None or not f.is_value:
        names = [".".join(x.path) for x in form.walk() if x.is_value and x.table is None]
        add("flow-unknown-field", at, value=path, suggestion=suggestion(str(path), names))
        return False
    return True


def _veto(raw, at, steps, form, add) -> Veto | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        add("wrong-type", at, key="veto", expected="「step / against / then」", actual="其他")
        return None
    ids = [s.id for s in steps]
    ok = True
    for key in ("step", "against"):
        value = raw.get(key)
        if value not in ids:
            add("flow-unknown-step", at + (key,), value=value, suggestion=suggestion(str(value), ids))
            ok = False
    then = raw.get("then")
    if then is None:
        add("flow-veto-no-then", at)
        return None
    if then not in ids:
        add("flow-unknown-step", at + ("then",), value=then, suggestion=suggestion(str(then), ids))
        return None
    if ok and ids.index(then) <= max(ids.index(raw["step"]), ids.index(raw["against"])):
        add("flow-veto-no-then", at + ("then",))
        ok = False
    field = raw.get("field")
    if field is not None and not _check_field(form, field, at + ("field",), add):
        field = None
    return Veto(raw["step"], raw["against"], then, field) if ok else None


def check_roles(flow: Flow, roles) -> list:
    """((path, role), …) of the roles a flow names that the organisation does not declare."""
    out = []
    for i, s in enumerate(flow.steps):
        if s.decider not in roles:
            out.append((("x-approval", "steps", i, "decider"), s.decider))
        if s.trainee and s.trainee not in roles:
            out.append((("x-approval", "steps", i, "trainee"), s.trainee))
    return out


def problem_for_role(path, role, roles, filename, locate) -> Problem:
    line, col = locate(path)
    return Problem("flow-unknown-role", path, filename, line, col, value=role, suggestion=suggestion(role, roles))
