"""One permission model for every output: what a user may do with a form and its records, and
which fields of a record they may see.

    access = Access(policy, user)
    access.can_create(form)                    # may fill a new one
    access.query(form, "read", query)          # the Query narrowed to the records in scope
    access.allows(form, "print", record)       # may download this record's PDF
    access.hidden(form, record)                # field paths absent for this user on this record
    view = access.view(form, record)           # (form without the hidden fields, redacted data)

Scopes: own (the record's creator is the user), department (the record's department is the
user's or one below it), all. A record outside every scope is, for the user, not there (404).
A sensitive field (x-sensitive) shows on a record only when one grant both reads the record and
sees the field's class. Results are cached per (user, form): a check costs microseconds.
"""
from __future__ import annotations

import copy
import weakref

from forms.definition import compile_frozen, frozen
from forms.policy import ACTIONS, widest
from store.base import Query

ADMIN_ROLE = "管理员"


class Access:
    def __init__(self, policy, user):
        self.policy, self.user = policy, user
        self._grants = policy.grants(user.roles if user is not None else ())
        self._cache: dict = {}

    # -- what the user may do with a form ---------------------------------------------------------
    def grants(self, form_id: str) -> list:
        key = ("g", form_id)
        if key not in self._cache:
            self._cache[key] = [g for g in self._grants if g.covers(form_id)]
        return self._cache[key]

    def can_create(self, form) -> bool:
        return any(g.create for g in self.grants(form.id))

    def scope(self, form, action: str) -> str:
        return widest([g.scope(action) for g in self.grants(form.id)])

    def can(self, form, action: str) -> bool:
        """Whether the user may do `action` with some record of the form (or create one)."""
        if action == "create":
            return self.can_create(form)
        return self.scope(form, action) != "none"

    def uses(self, form) -> bool:
        """Whether the form is on the user's catalog at all."""
        return self.can_create(form) or any(self.can(form, a) for a in ACTIONS)

    # -- which records ---------------------------------------------------------------------------
    def _departments(self) -> frozenset:
        key = ("dept",)
        if key not in self._cache:
            self._cache[key] = self.policy.subtree(self.user.department) if self.user else frozenset()
        return self._cache[key]

    def _covers(self, scope: str, record: dict) -> bool:
        if scope == "all":
            return True
        if scope == "own":
            return self.user is not None and record.get("creator") == self.user.login
        if scope == "department":
            return record.get("department") in self._departments() or \
                (self.user is not None and record.get("creator") == self.user.login)
        return False

    def allows(self, form, action: str, record: dict) -> bool:
        return any(self._covers(g.scope(action), record) for g in self.grants(form.id))

    def query(self, form, action: str, query: Query | None = None) -> Query:
        """`query` narrowed to the records the user may `action`: no restriction, their own,
        their departments' — or nothing at all."""
        query = query or Query()
        scopes = {g.scope(action) for g in self.grants(form.id)}
        if "all" in scopes:
            return query
        creators = frozenset({self.user.login}) if self.user and scopes & {"own", "department"} else frozenset()
        departments = self._departments() if "department" in scopes else frozenset()
        return Query(date_from=query.date_from, date_to=query.date_to, text=query.text, where=query.where,
                     creators=creators, departments=departments)

    # -- which fields ----------------------------------------------------------------------------
    def hidden(self, form, record: dict | None) -> frozenset:
        """Paths of the fields (at any depth; a table's whole column) this user may not see on
        this record (a new record: what they may see on their own)."""
        sensitive = _sensitive_fields(form)
        if not sensitive:
            return frozenset()
        probe = record if record is not None else {"creator": self.user.login if self.user else None,
                                                   "department": self.user.department if self.user else None}
        seen = set()
        for g in self.grants(form.id):
            if self._covers(g.scope("read"), probe) or (record is None and g.create):
                seen |= g.see
        return frozenset(path for path, cls in sensitive if cls not in seen)

    def view(self, form, record: dict | None, data: dict | None = None):
        """(the form as this user may see it, the data without what they may not see)."""
        hidden = self.hidden(form, record)
        data = data if data is not None else (record or {}).get("data")
        if not hidden:
            return form, data
        return form_without(form, hidden), redact(data, hidden)

    def may_search(self, form, query: Query, record: dict | None = None) -> bool:
        """A where filter on a field the user may not see on every record is refused (it would
        tell what the field holds)."""
        hidden = {p[0] for p in self.hidden(form, record)}
        return not any(name in hidden for name, _ in query.where)


_sensitive: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _sensitive_fields(form) -> tuple:
    """((path, class), …) of the fields that carry a class themselves (their contents go with
    them), worked out once per compiled form."""
    found = _sensitive.get(form)
    if found is None:
        found = _sensitive[form] = tuple((f.path, f.spec["x-sensitive"]) for f in form.walk()
                                         if isinstance(f.spec.get("x-sensitive"), str))
    return found


def redact(data, hidden) -> dict:
    """A copy of `data` without the hidden paths (a table column: in every row)."""
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    for path in sorted(hidden, key=len, reverse=True):
        _drop(data, list(path))
    return data


def _drop(node, path):
    if not path or node is None:
        return
    head, rest = path[0], path[1:]
    if isinstance(node, list):
        for item in node:
            _drop(item, path)
        return
    if not isinstance(node, dict):
        return
    if not rest:
        node.pop(head, None)
    else:
        _drop(node.get(head), rest)


_redacted_forms: dict = {}


def form_without(form, hidden) -> object:
    """The form with the hidden fields removed from its definition, compiled (cached): what a
    page, a PDF or a workbook shows to this user has no label for what they may not see."""
    key = (id(form), frozenset(hidden))
    cached = _redacted_forms.get(key)
    if cached is not None and cached[0] is form:
        return cached[1]
    definition = copy.deepcopy(frozen(form))
    for path in hidden:
        _remove_property(definition, form, path)
    compiled = compile_frozen(definition, f"{form.id}（部分字段不可见）")
    compiled.filename = form.filename
    if len(_redacted_forms) > 512:
        _redacted_forms.clear()
    _redacted_forms[key] = (form, compiled)
    return compiled


def _remove_property(definition: dict, form, path) -> None:
    """Remove a field from a definition, and every mention of it in the layout and rules."""
    node = definition
    for i, part in enumerate(path):
        props = node.get("properties") if "properties" in node else (node.get("items") or {}).get("properties")
        if props is None:
            return
        if i == len(path) - 1:
            props.pop(part, None)
            owner = node if "properties" in node else node.get("items") or {}
            if isinstance(owner.get("required"), list):
                owner["required"] = [k for k in owner["required"] if k != part]
            break
        node = props.get(part) or {}
    layout = definition.get("x-layout") or {}
    name = path[0] if len(path) == 1 else None
    for part in ("header", "signatures"):
        layout[part] = [it for it in layout.get(part) or [] if not (isinstance(it, dict) and it.get("field") == name)]
    for part in ("intro", "closing", "notes"):
        layout[part] = [t.replace("{" + name + "}", "＊") if name and isinstance(t, str) else t
                        for t in layout.get(part) or []]
    meta = definition.get("x-form") or {}
    if name and isinstance(meta.get("list"), list):      # a hidden field is no list column either
        meta["list"] = [k for k in meta["list"] if k != name]
        if not meta["list"]:
            meta.pop("list")
    if name:
        definition["x-rules"] = [r for r in definition.get("x-rules") or [] if name not in str(r.get("check", ""))]
        if not definition["x-rules"]:
            definition.pop("x-rules")
