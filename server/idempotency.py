"""Exactly once, however often a submission is retried: a request carrying an idempotency key
(header Idempotency-Key, or the form field idempotency_key of a page posted without script) makes
at most one record. The key is claimed atomically (Store.update_doc, kind "idempotency", key
"{login}:{key}") before the record is saved and then points at it; a retry gets that record. Keys
live LIFETIME and at most PER_USER are kept per person (the oldest go first)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from . import context
from .access import access
from .errors import ApiError

KIND = "idempotency"
LIFETIME = timedelta(days=3)
PER_USER = 200
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


class _Seen(Exception):
    def __init__(self, doc):
        self.doc = doc


def key_of(request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or request.form.get("idempotency_key") or "").strip()
    if not key:
        return None
    if not KEY.match(key):
        raise ApiError(400, "Idempotency-Key 应为 8 到 100 个字母、数字或 -_.: 。")
    return key


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _expired(doc: dict, now: datetime) -> bool:
    return datetime.fromisoformat(doc["at"]) < now - LIFETIME


def create_once(form, key: str | None, make) -> tuple[int, bool]:
    """(record id, made now): `make()` saves the record and returns it, unless `key` was seen."""
    if key is None:
        return make()["id"], True
    store, login, now = context.store(), access().user.login, _now()
    doc_key = f"{login}:{key}"

    def claim(doc):
        if doc is not None and not _expired(doc, now):
            raise _Seen(doc)
        return {"form_id": form.id, "at": now.isoformat(), "record": None}
    try:
        store.update_doc(KIND, doc_key, claim)
    except _Seen as seen:
        if seen.doc.get("form_id") != form.id:
            raise ApiError(422, "这个 Idempotency-Key 已用于另一张表单的提交。") from None
        if seen.doc.get("record") is None:
            raise ApiError(409, "同一份提交正在处理中，请稍后再试。") from None
        return seen.doc["record"], False
    try:
        rec = make()
    except BaseException:
        store.delete_doc(KIND, doc_key)
        raise
    store.put_doc(KIND, doc_key, {"form_id": form.id, "at": now.isoformat(), "record": rec["id"]})
    _prune(store, login, now)
    return rec["id"], True


def _prune(store, login: str, now: datetime) -> None:
    mine = store.docs(KIND, prefix=f"{login}:")
    if len(mine) <= PER_USER and not any(_expired(d, now) for _, d, _ in mine[:5]):
        return
    mine.sort(key=lambda d: d[1]["at"])
    for i, (key, doc, _) in enumerate(mine):
        if _expired(doc, now) or i < len(mine) - PER_USER:
            store.delete_doc(KIND, key)
