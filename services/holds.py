"""Holds (销控): a field declared unique among live records (x-unique) — the 销控登记表's unit —
can be held by one live record at a time; a record that is voided, or whose row is cancelled
(x-unique's `unless`: 销控状态 已取消), holds nothing.

A hold is a store document per (form, field, value) (kind "hold"), claimed with
`put_doc(expect=…)`, so that of any number of simultaneous attempts — threads, processes or
hosts, on either backend — exactly one gets it; the others are told, in Chinese, who holds it
and under which 编号 (`Held`, HTTP 409).

Ordering, and why no ghost hold survives a failed write:
1. claim every value the new data holds, as *pending* (a random token, the time, the holder;
   for a revision also the record id), in a fixed order;
2. write the record (store.add / store.revise);
3. confirm each claim as *held* by the record (only if the token is still ours).
If step 2 raises, the claims are released (by token) before the error goes on. If the process
dies between 1 and 3, a pending claim is left behind: others respect it for GRACE seconds (the
write may still be under way), then look whether a live record holds the value (the record is
the truth, the claim only a lock) — adopting the claim for it if so, taking the claim over if
not. A confirmed claim is checked the same way whenever someone else wants the value: a hold
whose record is voided, cancelled the row or no longer has the value is taken over. So a
claim never blocks anybody for more than GRACE seconds without a live record behind it. In the
rare case that a writer was slower than GRACE and its claim was taken over meanwhile, its own
record loses: a new record is voided (reason says why; the 编号 stays accounted for), a
revision is undone by a revision restoring the previous data, and the writer gets `Held`.

    rec = hold_new(store, form, data, holder="zhangsan", write=lambda: store.add(...))
    rec = hold_revision(store, form, old_record, data, holder="lisi", write=lambda: store.revise(...))
    release_record(store, form, record)       # after a void
"""
from __future__ import annotations

import hashlib
import json
import time
import unicodedata
import uuid
import weakref
from datetime import datetime

from store.base import Conflict

KIND = "hold"
GRACE = 60.0          # seconds a pending claim is trusted without a record behind it
RETRIES = 50
WAIT = 3.0            # seconds a loser waits for a pending winner's 编号, to name it


class Held(Exception):
    """A value is held by another live record (409), or twice in one submission (422).
    The message is Chinese; `path` is the JSON path of the field ("/items/2/room")."""

    def __init__(self, message: str, path: str = "", status: int = 409):
        super().__init__(message)
        self.message, self.path, self.status = message, path, status

    def error(self) -> dict:
        """As the fill page and the API list a submission's errors."""
        return {"path": self.path, "field": self.path.strip("/").replace("/", "."), "message": self.message}


# ------------------------------------------------------------------ which values a record holds
_unique: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def unique_fields(form) -> tuple:
    """The compiled form's x-unique fields, worked out once per form."""
    found = _unique.get(form)
    if found is None:
        found = _unique[form] = tuple(f for f in form.walk() if getattr(f, "unique", None) is not None)
    return found


def _norm(value) -> str:
    """What counts as the same value: full-width and half-width, case and outer spaces alike."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def _containers(data, f):
    """(JSON path prefix, dict) of every place the field's value sits: its row in each table row."""
    if not isinstance(data, dict):
        return
    if f.table is None:
        node = data
        for part in f.path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            yield "/" + "/".join(f.path[:-1]), node
        return
    rows = data
    for part in f.table.path:
        rows = rows.get(part) if isinstance(rows, dict) else None
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        node = row
        for part in f.path[len(f.table.path):-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            yield "/" + "/".join([*f.table.path, str(i), *f.path[len(f.table.path):-1]]), node


def live_values(form, data) -> dict:
    """{hold key: (label, JSON path, raw value)} of what `data` holds. Raises Held (422) when one
    submission holds the same value twice."""
    out = {}
    for f in unique_fields(form):
        together, unless = f.unique
        siblings = f.table.children if f.table is not None else None
        for prefix, node in _containers(data, f):
            value = node.get(f.key)
            if value is None or _norm(value) == "":
                continue
            if any(node.get(k) in values for k, values in unless.items()):
                continue
            parts = [(k, node.get(k)) for k in together] + [(f.key, value)]
            titles = {k: (siblings[k].title if siblings and k in siblings else k) for k, _ in parts}
            if siblings is None:
                titles = {k: _title(form, f, k) for k, _ in parts}
            label = "、".join(f"{titles[k]} {'' if v is None else v}".strip() for k, v in parts)
            digest = hashlib.sha256(json.dumps([_norm("" if v is None else v) for _, v in parts],
                                               ensure_ascii=False).encode()).hexdigest()[:40]
            key = f"{form.id}:{'.'.join(f.path)}:{digest}"
            path = f"{prefix.rstrip('/')}/{f.key}"
            if key in out:
                raise Held(f"「{label}」在本表中登记了两次，每个只能登记一次。", path, 422)
            out[key] = (label, path, value)
    return out


def _title(form, f, key):
    sibling = form.field_at(f.path[:-1] + (key,))
    return sibling.title if sibling is not None else key


# ------------------------------------------------------------------ claims
def _now() -> float:
    return time.time()


def _real_name(store, login) -> str:
    if not login:
        return "他人"
    from .accounts import Accounts
    user = Accounts(store, lambda: None).get(login)
    return user.real_name if user is not None and user.real_name else login


def _message(store, label: str, doc: dict) -> str:
    who = _real_name(store, doc.get("holder"))
    if doc.get("state") == "held" and (doc.get("number") or doc.get("record")):
        where = doc.get("number") or f"#{doc.get('record')}"
        return f"「{label}」已被{who}销控（记录 {where}），请另选单位。"
    return f"「{label}」正在由{who}提交销控，请另选单位或稍后再试。"


def _holds(store, form, key: str, record_id) -> dict | None:
    """The live latest revision of `record_id` when it still holds `key`, else None."""
    from .voiding import voided
    if record_id is None or voided(store, form.id, record_id):
        return None
    rec = store.get(form.id, int(record_id))
    if rec is None:
        return None
    try:
        return rec if key in live_values(form, rec.get("data")) else None
    except Held:
        return rec if key in _keys_ignoring_duplicates(form, rec.get("data")) else None


def _keys_ignoring_duplicates(form, data) -> set:
    try:
        return set(live_values(form, data))
    except Held:
        return set()


def _find_holder(store, form, key: str, doc: dict):
    """A live record holding `key` made since a stale pending claim (its writer died before
    confirming): the claim is adopted for it."""
    from store.base import Query
    from .voiding import voided
    since = datetime.fromtimestamp(doc.get("at", 0)).date().isoformat()
    for rec in store.scan(form.id, Query(date_from=since, text=str(doc.get("value") or ""))):
        if voided(store, form.id, rec["id"]) is None and key in _keys_ignoring_duplicates(form, rec.get("data")):
            return rec
    return None


def _still_held(store, form, key: str, doc: dict) -> dict | None:
    """The claim as it stands when it still holds (possibly adopted for the record found), None
    when it is stale and may be taken over."""
    if doc.get("state") == "pending":
        if _now() - float(doc.get("at", 0)) < GRACE:
            return doc
        rec = _holds(store, form, key, doc.get("record")) if doc.get("record") is not None \
            else _find_holder(store, form, key, doc)
        if rec is None:
            return None
        return {**doc, "state": "held", "record": rec["id"], "number": rec.get("number") or "",
                "holder": doc.get("holder") or rec.get("by") or rec.get("creator")}
    rec = _holds(store, form, key, doc.get("record"))
    return doc if rec is not None else None


def _settled(store, key: str, doc: dict) -> dict | None:
    """The claim once its writer has confirmed it (its record and 编号 known), polled for up to
    WAIT seconds; the pending claim itself if it is still pending then; None if it went."""
    deadline = _now() + WAIT
    while _now() < deadline:
        time.sleep(0.01)
        found = store.get_doc(KIND, key)
        if found is None:
            return None
        if found[0].get("state") != "pending" or found[0].get("token") != doc.get("token"):
            return found[0]
    return doc


def _claim(store, form, key: str, label: str, path: str, value, *, token: str, holder, record_id) -> bool:
    """Claim one value as pending; True when newly claimed, False when the record already holds
    it. Raises Held when someone else does."""
    for _ in range(RETRIES):
        found = store.get_doc(KIND, key)
        expect = 0
        if found is not None:
            doc, expect = found
            if record_id is not None and doc.get("record") == record_id:
                return False
            standing = _still_held(store, form, key, doc)
            if standing is not None and standing is not doc:   # adopted for the record found: keep that
                try:
                    store.put_doc(KIND, key, standing, expect=expect)
                except Conflict:
                    pass
            elif standing is not None and standing.get("state") == "pending":
                settled = _settled(store, key, doc)      # being written right now: wait for its 编号
                if settled is None or settled.get("token") != doc.get("token"):
                    continue                             # released or replaced meanwhile: look again
                standing = settled
            if standing is not None:
                raise Held(_message(store, label, standing), path)
        claim = {"form": form.id, "field": path, "value": str(value), "label": label, "state": "pending",
                 "token": token, "holder": holder, "record": record_id, "number": "", "at": _now()}
        try:
            store.put_doc(KIND, key, claim, expect=expect)
            return True
        except Conflict:
            continue      # someone claimed or released it meanwhile: look again
    raise Held(f"「{label}」正在被多人同时登记，请稍后再试。", path)


def _release(store, key: str, *, token: str | None = None, record_id=None) -> None:
    def change(doc):
        if doc is None:
            return None
        if (token is not None and doc.get("token") == token) or \
                (record_id is not None and doc.get("record") == record_id and doc.get("state") == "held"):
            return None
        return doc
    store.update_doc(KIND, key, change)


class _Lost(Exception):
    pass


def _confirm(store, key: str, token: str, rec: dict) -> bool:
    def change(doc):
        if doc is None or doc.get("token") != token:
            raise _Lost
        return {**doc, "state": "held", "record": rec["id"], "number": rec.get("number") or ""}
    try:
        store.update_doc(KIND, key, change)
        return True
    except _Lost:
        return False


def _claim_all(store, form, wanted: dict, *, token, holder, record_id) -> list:
    taken = []
    try:
        for key in sorted(wanted):
            label, path, value = wanted[key]
            if _claim(store, form, key, label, path, value, token=token, holder=holder, record_id=record_id):
                taken.append(key)
    except BaseException:
        for key in taken:
            _release(store, key, token=token)
        raise
    return taken


def _write(store, taken: list, token: str, write):
    try:
        return write()
    except BaseException:
        for key in taken:
            _release(store, key, token=token)
        raise


def hold_new(store, form, data: dict, *, holder, write):
    """Claim what a new record holds, `write()` it, confirm: the stored record, or Held."""
    wanted = live_values(form, data)
    if not wanted:
        return write()
    token = uuid.uuid4().hex
    taken = _claim_all(store, form, wanted, token=token, holder=holder, record_id=None)
    rec = _write(store, taken, token, write)
    lost = [k for k in taken if not _confirm(store, k, token, rec)]
    if lost:
        from .voiding import void
        from .audit import Audit
        void(store, Audit(store), form, rec, by=holder,
             reason="系统作废：提交时间过长，所登记的单位已由他人销控。")
        label = wanted[lost[0]][0]
        raise Held(_message(store, label, store.get_doc(KIND, lost[0])[0]) if store.get_doc(KIND, lost[0])
                   else f"「{label}」已由他人销控。", wanted[lost[0]][1])
    return rec


def hold_revision(store, form, record: dict, data: dict, *, holder, write, undo=None):
    """Claim what a revision newly holds, `write()` it, confirm, then free what it no longer
    holds (a cancelled row, a changed unit). `undo()` writes the previous data back (used only
    when a claim was lost to a slower-than-GRACE write)."""
    wanted = live_values(form, data)
    before = _keys_ignoring_duplicates(form, record.get("data"))
    if not wanted and not before:
        return write()
    token = uuid.uuid4().hex
    taken = _claim_all(store, form, wanted, token=token, holder=holder, record_id=record["id"])
    rec = _write(store, taken, token, write)
    lost = [k for k in taken if not _confirm(store, k, token, rec)]
    if lost and undo is not None:
        undo()
        raise Held(f"「{wanted[lost[0]][0]}」已由他人销控，本次修改已撤回。", wanted[lost[0]][1])
    for key in before - set(wanted):
        _release(store, key, record_id=record["id"])
    return rec


def release_record(store, form, record: dict) -> None:
    """Free every value a record held (it was voided)."""
    for key in _keys_ignoring_duplicates(form, record.get("data")):
        _release(store, key, record_id=record["id"])
