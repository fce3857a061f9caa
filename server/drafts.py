"""草稿: what a person has typed into a form and not yet submitted, kept on the server as their own
document (Store kind "draft", key "{login}:{form_id}:{draft_id}"), so that it survives a lost phone
or another browser. The page saves it as the person types (and at once in the browser's own
storage, renderers/static/drafts.js); 我的草稿 lists them to resume. Bounded: DRAFT_CHARS per draft,
DRAFTS_PER_USER per person (the oldest goes when a new one would exceed it)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from forms.limits import MAX_CHARS

from . import context
from .access import access, for_form, signed_in
from .errors import ApiError

bp = Blueprint("drafts", __name__)
KIND = "draft"
DRAFT_CHARS = MAX_CHARS + 20_000       # a draft holds at most what a submission may, plus its field names
DRAFTS_PER_USER = 30
DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


def _key(form_id: str, draft_id: str) -> str:
    return f"{access().user.login}:{form_id}:{draft_id}"


def _valid_id(draft_id: str) -> str:
    if not DRAFT_ID.match(draft_id or ""):
        raise ApiError(400, "草稿编号无效。")
    return draft_id


def draft_pairs(form_id: str, draft_id: str) -> list | None:
    """The (name, value) pairs of the signed-in user's draft, or None when they have no such draft."""
    if not DRAFT_ID.match(draft_id or ""):
        return None
    found = context.store().get_doc(KIND, _key(form_id, draft_id))
    return [tuple(p) for p in found[0]["pairs"]] if found else None


def forget(form_id: str, draft_id: str | None) -> None:
    """The draft became a record (or was thrown away)."""
    if draft_id and DRAFT_ID.match(draft_id):
        context.store().delete_doc(KIND, _key(form_id, draft_id))


def _pairs(payload) -> list:
    pairs = payload.get("pairs") if isinstance(payload, dict) else None
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                                              and isinstance(p[1], str) for p in pairs):
        raise ApiError(400, "草稿内容应为“名称、值”成对的列表。")
    return pairs


@bp.post("/forms/<form_id>/drafts/<draft_id>")
@for_form("create")
def save(form_id, draft_id):
    from .pages import check_csrf, form_or_404
    form = form_or_404(form_id)
    check_csrf()
    _valid_id(draft_id)
    if request.content_length and request.content_length > DRAFT_CHARS * 4:
        raise ApiError(413, "草稿太大，未保存到服务器（本机仍保留）。")
    pairs = _pairs(request.get_json(silent=True))
    if len(json.dumps(pairs, ensure_ascii=False)) > DRAFT_CHARS:
        raise ApiError(413, "草稿太大，未保存到服务器（本机仍保留）。")
    store, login = context.store(), access().user.login
    key = _key(form_id, draft_id)
    if store.get_doc(KIND, key) is None:
        mine = sorted(store.docs(KIND, prefix=f"{login}:"), key=lambda d: d[1].get("saved", ""))
        for old_key, _, _ in mine[:max(0, len(mine) - DRAFTS_PER_USER + 1)]:
            store.delete_doc(KIND, old_key)
    saved = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    store.put_doc(KIND, key, {"form_id": form_id, "title": form.title, "draft_id": draft_id, "pairs": pairs,
                              "saved": saved, "filled": sum(1 for _, v in pairs if v.strip())})
    return jsonify({"saved": saved})


@bp.post("/forms/<form_id>/drafts/<draft_id>/delete")
@for_form("create")
def delete(form_id, draft_id):
    from .pages import check_csrf
    check_csrf()
    forget(form_id, _valid_id(draft_id))
    return redirect(url_for("drafts.mine"), code=303)


@bp.get("/drafts")
@signed_in
def mine():
    items = []
    for _, doc, _ in context.store().docs(KIND, prefix=f"{access().user.login}:"):
        form = context.find_form(doc.get("form_id", ""))
        if form is not None and access().can_create(form):
            items.append(dict(doc, title=form.title,
                              url=url_for("pages.fill", form_id=form.id, draft=doc["draft_id"])))
    items.sort(key=lambda d: d.get("saved", ""), reverse=True)
    return render_template("drafts.html", items=items, limit=DRAFTS_PER_USER)


def register(app) -> None:
    app.register_blueprint(bp)


__all__ = ["bp", "draft_pairs", "forget", "register"]
