"""Who may use each route: every view declares it, and the app refuses to start when one does not.

    @bp.get("/login")
    @public                      # anyone (login, static assets, the setup page)
    @signed_in                   # any signed-in user (their own account page)
    @admin_only                  # administrators (people, audit)
    @for_form("read")            # a form's action (the view has form_id): create, read, update,
                                 # print, export, void — the record-level scope is checked by the view

One `before_request` enforces the declaration: no administrator yet → the setup page; not
signed in → the login page (pages) or 401 (API); not allowed → 403 for a form, 404 for a record
(a record outside the user's scope is, for them, not there). The user's Access (services.access)
is made once per request as `g.access`.
"""
from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from services.access import Access

from . import context
from .errors import ApiError

_DECLARED: dict = {}         # view function -> ("public" | "signed_in" | "admin" | "form", action)
SETUP_OPEN = ("auth.setup", "assets")   # reachable before the first administrator exists


def _declare(kind, action=None):
    def mark(view):
        _DECLARED[view] = (kind, action)
        return view
    return mark


public = _declare("public")
signed_in = _declare("signed_in")
admin_only = _declare("admin")


def for_form(action: str):
    if action not in ("create", "read", "update", "print", "export", "void"):
        raise ValueError(action)
    return _declare("form", action)


def declaration(view):
    return _DECLARED.get(view)


def check_declared(app) -> None:
    """Every route of the app declares who may use it (else the app does not start)."""
    missing = sorted(ep for ep, view in app.view_functions.items() if view not in _DECLARED)
    if missing:
        raise RuntimeError(f"routes without a declared permission: {', '.join(missing)} "
                           f"(use server.access.public / signed_in / admin_only / for_form)")


def access() -> Access:
    if "access" not in g:
        user = current_user if current_user.is_authenticated else None
        g.access = Access(context.catalog().policy, user)
    return g.access


def _api() -> bool:
    return request.path.startswith("/api/")


def enforce():
    """before_request: apply the view's declaration."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:          # 404 and friends: the error handler answers
        return None
    kind, action = _DECLARED.get(view, ("admin", None))
    if request.endpoint not in SETUP_OPEN and context.accounts().setup_token() is not None:
        if _api():
            raise ApiError(503, "尚未完成初始设置：请用服务器启动时显示的链接创建管理员。")
        return redirect(url_for("auth.setup"))
    if kind == "public":
        return None
    if not current_user.is_authenticated:
        if _api():
            raise ApiError(401, "请先登录，或在请求中带上 Authorization: Bearer 令牌。")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if kind == "signed_in":
        return None
    if kind == "admin":
        if not current_user.admin:
            raise ApiError(403, "只有管理员可以使用这个页面。")
        return None
    form = context.find_form((request.view_args or {}).get("form_id", ""))
    if form is None:
        raise ApiError(404)
    if not access().can(form, action):
        raise ApiError(403, f"您没有权限{_ACTION_NAMES[action]}「{form.title}」。")
    return None


_ACTION_NAMES = {"create": "填写", "read": "查看", "update": "修改", "print": "下载", "export": "导出", "void": "作废"}


def record_or_404(form, action: str, rec):
    """The record if the user may `action` it; else, for them, it is not there."""
    if rec is None or not access().allows(form, action, rec):
        abort(404)
    return rec
