"""作废 (void), never delete: a voided record keeps its 编号 and every revision; it is marked
void by a store document (kind "void", key "<form_id>:<record_id>") holding why, by whom and
when, and the act enters the audit chain.

    mark = void(store, audit, form, record, reason="客户取消订单", by=user)
    voided(store, form.id, record_id)      # the mark, or None
    voided_ids(store, form.id)             # {record_id: mark} — one read for a whole list page

A record is voided once (`put_doc(expect=0)`: of two people voiding at the same instant, one
does it and the other is told it already is). A voided record cannot be revised; the units it
held (services.holds) are freed.
"""
from __future__ import annotations

from datetime import datetime

from store.base import Conflict

KIND = "void"
MAX_REASON = 200       # characters of a reason


class VoidError(ValueError):
    """A void that cannot be done; the message is Chinese. `status`: the HTTP status it means."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def key(form_id: str, record_id: int) -> str:
    return f"{form_id}:{int(record_id)}"


def voided(store, form_id: str, record_id: int) -> dict | None:
    """The void mark of a record ({"reason", "by", "by_name", "at"}), or None when it is live."""
    found = store.get_doc(KIND, key(form_id, record_id))
    return found[0] if found else None


def voided_ids(store, form_id: str) -> dict:
    """{record id: void mark} of every voided record of a form."""
    out = {}
    for k, doc, _ in store.docs(KIND, f"{form_id}:"):
        rest = k[len(form_id) + 1:]
        if rest.isdigit():
            out[int(rest)] = doc
    return out


def check_reason(reason) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise VoidError("请填写作废原因。")
    if len(text) > MAX_REASON:
        raise VoidError(f"作废原因最多 {MAX_REASON} 个字，现在是 {len(text)} 个字。")
    return text


def void(store, audit, form, record: dict, *, reason: str, by) -> dict:
    """Mark `record` (a stored record of `form`) void; returns the mark. `by`: the User who voids
    it (its login and real name are kept). Raises VoidError when the reason is missing or too
    long (422), or the record is already void (409)."""
    text = check_reason(reason)
    name = getattr(by, "real_name", "")
    if not name and isinstance(by, str):
        from .accounts import Accounts
        user = Accounts(store, lambda: None).get(by)
        name = user.real_name if user is not None else ""
    mark = {"form": form.id, "record": record["id"], "number": record.get("number") or "",
            "reason": text, "by": getattr(by, "login", by), "by_name": name or "",
            "at": datetime.now().replace(microsecond=0).isoformat()}
    try:
        store.put_doc(KIND, key(form.id, record["id"]), mark, expect=0)
    except Conflict:
        earlier = voided(store, form.id, record["id"]) or {}
        raise VoidError(f"这条记录已于 {earlier.get('at', '').replace('T', ' ')} 由 "
                        f"{earlier.get('by_name') or earlier.get('by') or '他人'} 作废。", 409) from None
    if audit is not None:
        audit.record("void", user=by, form=form.id, record=record["id"],
                     detail={"number": mark["number"], "reason": text})
    from . import holds
    holds.release_record(store, form, record)
    return mark


def describe(mark: dict) -> str:
    """作废（王经理，2026-11-28 09:00：客户取消订单）"""
    who = mark.get("by_name") or mark.get("by") or ""
    return f"作废（{who}，{str(mark.get('at', '')).replace('T', ' ')[:16]}：{mark.get('reason', '')}）"
