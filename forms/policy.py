"""The organisation and who may do what: `_org.yaml`, compiled and checked like a definition.

    departments:            # a tree: every department under the one above it
      销售管理中心:
        华东大区:
          上海办事处: {}
    sensitive: [薪酬, 身份证号]    # classes a field may carry with x-sensitive
    groups:                 # names for sets of forms (a chapter, or form ids)
      销售: {chapters: [第一章 销售管理], forms: [business_sales_order]}
    roles:
      业务员:
        - forms: [销售]            # groups, form ids, or "*" for every form
          create: true
          read: own                # none | own | department | all
          update: own
          print: own               # a record's PDF and Excel
          export: none             # list export and archives
          void: none               # 作废 a record (it keeps its 编号; nothing is deleted)
          see: []                  # sensitive classes visible on the records this grant reads

A user's roles give the union of their grants — but a sensitive field is shown on a record only
when one and the same grant both reads that record and sees the field's class, so that two roles
together never show what neither shows alone. No I/O here: `compile_policy(source, forms)`
returns (Policy, problems) with file:line for every problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problem, suggestion

SCOPES = ("none", "own", "department", "all")
ACTIONS = ("read", "update", "print", "export", "void")
_RANK = {s: i for i, s in enumerate(SCOPES)}


@dataclass(frozen=True)
class Grant:
    forms: frozenset                 # form ids ("*": every form)
    create: bool = False
    scopes: tuple = ()               # ((action, scope), …) for ACTIONS
    see: frozenset = frozenset()     # sensitive classes

    def scope(self, action: str) -> str:
        return dict(self.scopes).get(action, "none")

    def covers(self, form_id: str) -> bool:
        return "*" in self.forms or form_id in self.forms


@dataclass
class Policy:
    parents: dict = field(default_factory=dict)      # department -> its parent (None at the top)
    classes: frozenset = frozenset()
    groups: dict = field(default_factory=dict)       # group -> frozenset of form ids
    roles: dict = field(default_factory=dict)        # role -> tuple of Grant
    filename: str = ""

    def departments(self) -> list:
        return list(self.parents)

    def subtree(self, department: str) -> frozenset:
        """A department and every department under it."""
        out = {department}
        changed = True
        while changed:
            changed = False
            for d, parent in self.parents.items():
                if parent in out and d not in out:
                    out.add(d)
                    changed = True
        return frozenset(out)

    def path(self, department: str) -> list:
        """销售管理中心 › 华东大区 › 上海办事处."""
        out = []
        while department is not None and department not in out:
            out.insert(0, department)
            department = self.parents.get(department)
        return out

    def grants(self, roles) -> list:
        return [g for r in roles for g in self.roles.get(r, ())]


def open_policy() -> Policy:
    """What applies without an _org.yaml: one department, one role that may do everything."""
    everything = Grant(frozenset({"*"}), True, tuple((a, "all") for a in ACTIONS), frozenset())
    return Policy(parents={"本单位": None}, roles={"管理员": (everything,)}, filename="")


def compile_policy(src, forms: dict, chapters: dict) -> tuple[Policy, list]:
    """`forms`: form id -> title; `chapters`: chapter -> [form ids]. Returns (policy, problems)."""
    problems = list(src.problems)
    policy = Policy(filename=src.filename)
    data = src.data if isinstance(src.data, dict) else None

    def add(name, path, **params):
        line, col = src.locate(path)
        problems.append(Problem(name, path, src.filename, line, col, **params))

    if data is None:
        if src.data is not None:
            add("not-mapping", ())
        return policy, problems
    for key in data:
        if key not in ("departments", "sensitive", "groups", "roles"):
            add("unknown-keyword", (key,), key=key,
                suggestion=suggestion(key, ["departments", "sensitive", "groups", "roles"]))

    def tree(node, parent, path):
        if node is None:
            return
        if not isinstance(node, dict):
            add("wrong-type", path, key=path[-1] if path else "departments", expected="「部门: 下级部门」的形式",
                actual="其他")
            return
        for name, children in node.items():
            name = str(name)
            if name in policy.parents:
                add("policy-duplicate", path + (name,), what="部门", value=name)
                continue
            policy.parents[name] = parent
            tree(children, name, path + (name,))
    tree(data.get("departments"), None, ("departments",))

    classes = data.get("sensitive") or []
    if not isinstance(classes, list):
        add("wrong-type", ("sensitive",), key="sensitive", expected="列表（每项以 - 开头）", actual="其他")
        classes = []
    policy.classes = frozenset(str(c) for c in classes)

    for name, spec in (data.get("groups") or {}).items():
        here = ("groups", name)
        members = set()
        if not isinstance(spec, dict):
            add("wrong-type", here, key=name, expected="「chapters / forms」", actual="其他")
            continue
        for key in spec:
            if key not in ("chapters", "forms"):
                add("unknown-keyword", here + (key,), key=key, suggestion=suggestion(key, ["chapters", "forms"]))
        for i, chapter in enumerate(spec.get("chapters") or []):
            if chapter not in chapters:
                add("policy-unknown", here + ("chapters", i), what="章", value=chapter,
                    suggestion=suggestion(chapter, chapters))
            members |= set(chapters.get(chapter, ()))
        for i, fid in enumerate(spec.get("forms") or []):
            if fid not in forms:
                add("policy-unknown", here + ("forms", i), what="表单", value=fid, suggestion=suggestion(fid, forms))
            members.add(fid)
        policy.groups[str(name)] = frozenset(members)

    for role, grants in (data.get("roles") or {}).items():
        here = ("roles", role)
        if not isinstance(grants, list):
            add("wrong-type", here, key=role, expected="列表（每项以 - 开头）", actual="其他")
            continue
        compiled = []
        for i, g in enumerate(grants):
            at = here + (i,)
            if not isinstance(g, dict):
                add("wrong-type", at, key=f"{role} 的第 {i + 1} 项", expected="「关键字: 值」的形式", actual="其他")
                continue
            known = ("forms", "create", "see") + ACTIONS
            for key in g:
                if key not in known:
                    add("unknown-keyword", at + (key,), key=key, suggestion=suggestion(key, known))
            members = set()
            for k, item in enumerate(g.get("forms") or []):
                item = str(item)
                if item == "*":
                    members.add("*")
                elif item in policy.groups:
                    members |= policy.groups[item]
                elif item in forms:
                    members.add(item)
                else:
                    add("policy-unknown", at + ("forms", k), what="表单或表单组", value=item,
                        suggestion=suggestion(item, list(policy.groups) + list(forms)))
            scopes = []
            for action in ACTIONS:
                value = g.get(action, "none")
                if value not in SCOPES:
                    add("unknown-value", at + (action,), what=f"未知的范围（{action}）", value=value,
                        suggestion=suggestion(str(value), SCOPES), choices="、".join(SCOPES))
                    value = "none"
                scopes.append((action, value))
            see = set()
            for k, cls in enumerate(g.get("see") or []):
                if cls not in policy.classes:
                    add("policy-unknown", at + ("see", k), what="敏感类别", value=cls,
                        suggestion=suggestion(str(cls), policy.classes))
                see.add(str(cls))
            if not isinstance(g.get("create", False), bool):
                add("wrong-type", at + ("create",), key="create", expected="true 或 false", actual="其他")
            compiled.append(Grant(frozenset(members), g.get("create") is True, tuple(scopes), frozenset(see)))
        policy.roles[str(role)] = tuple(compiled)
    return policy, problems


def check_sensitive(policy: Policy, catalog_forms) -> list:
    """(form, field, class) for every x-sensitive class no policy declares."""
    out = []
    for form in catalog_forms:
        for f in form.walk():
            cls = f.spec.get("x-sensitive")
            if cls is not None and cls not in policy.classes:
                out.append((form, f, cls))
    return out


def widest(scopes) -> str:
    return max(scopes, key=_RANK.get, default="none")
