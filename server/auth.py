"""Signing in and out, the first administrator, one's own account, and the administrators' pages
for people and the audit trail. Sessions by Flask-Login; personal API tokens in the
`Authorization: Bearer …` header authenticate any request (pages too) and need no CSRF token.
Login attempts are limited per address (Flask-Limiter) and per account (a lockout kept in the
store, so that every server process sees it)."""
from __future__ import annotations

import secrets
import threading

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user

from services.accounts import AccountError, LockedOut

from . import context
from .access import admin_only, public, signed_in
from .errors import ApiError

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


def _app_key() -> str:
    """Counts are kept per app (tests run many apps in one process; a server runs one)."""
    return current_app.config.setdefault("LIMIT_SCOPE", secrets.token_hex(4))


def _address_key() -> str:
    return f"{_app_key()}:ip:{get_remote_address()}"


def _api_key() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer bg_"):
        return f"{_app_key()}:token:{header[10:22]}"
    return _address_key()


limiter = Limiter(key_func=_address_key, default_limits=[])
_api_limited: set = set()


def _serialise_expiry(limiter) -> None:
    """limits' MemoryStorage starts its expiry Timer without a lock: two request threads can
    start the same Timer twice (RuntimeError in one, a KeyError in the timer) — seen as a rare 500
    under load. Its scheduling is serialised here; other storages are left alone."""
    from limits.storage import MemoryStorage
    storage = getattr(limiter, "_storage", None)
    if not isinstance(storage, MemoryStorage) or getattr(storage, "_biaoge_locked", False):
        return
    schedule, lock = storage._MemoryStorage__schedule_expiry, threading.Lock()

    def locked():
        with lock:
            schedule()
    storage._MemoryStorage__schedule_expiry = locked
    storage._biaoge_locked = True


def register(app, api_bp) -> None:
    """Sessions and tokens; login attempts limited per address, API requests per token (or
    address), counted in RATELIMIT_STORAGE_URI (memory:// per process, redis://… shared)."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    _serialise_expiry(limiter)
    if api_bp.name not in _api_limited:
        limiter.limit(lambda: current_app.config.get("API_RATE", "600 per minute"), key_func=_api_key)(api_bp)
        _api_limited.add(api_bp.name)
    app.register_blueprint(bp)


@login_manager.user_loader
def _load(user_id):
    return context.accounts().from_session(user_id)


@login_manager.request_loader
def _token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = context.accounts().from_token(header[7:].strip())
    if user is None:
        raise ApiError(401, "令牌无效、已吊销或其用户已停用。")
    g.token_auth = True
    return user


def _ip() -> str:
    return request.remote_addr or ""


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.catalog")


# ---------------------------------------------------------------- signing in
@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config.get("LOGIN_RATE", "30 per minute"), methods=["POST"])
def login():
    from .pages import check_csrf
    error, login_name = "", ""
    if request.method == "POST":
        check_csrf()
        login_name = request.form.get("login", "").strip().lower()
        try:
            user = context.accounts().authenticate(login_name, request.form.get("password", ""))
        except LockedOut as exc:
            context.audit("login_failed", user=login_name or None, detail={"locked": True})
            return render_template("login.html", error=str(exc), login=login_name), 429
        except AccountError as exc:
            context.audit("login_failed", user=login_name or None)
            error = str(exc)
        else:
            login_user(user)
            context.audit("login", user=user)
            return redirect(_safe_next(request.args.get("next")), code=303)
    return render_template("login.html", error=error, login=login_name), (401 if error else 200)


@bp.post("/logout")
@public
def logout():
    from .pages import check_csrf
    check_csrf()
    if current_user.is_authenticated:
        context.audit("logout", user=current_user)
    logout_user()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    from .pages import check_csrf
    accounts = context.accounts()
    if accounts.setup_token() is None:
        return redirect(url_for("auth.login"))
    token = request.values.get("token", "")
    error = ""
    if request.method == "POST":
        check_csrf()
        try:
            user = accounts.complete_setup(token, request.form.get("login", "").strip().lower(),
                                           request.form.get("password", ""), request.form.get("real_name", ""),
                                           request.form.get("department", ""))
        except AccountError as exc:
            error = str(exc)
        else:
            context.audit("setup", user=user)
            login_user(user)
            return redirect(url_for("auth.people"), code=303)
    return render_template("setup.html", token=token, error=error,
                           departments=context.catalog().policy.departments()), (422 if error else 200)


# ---------------------------------------------------------------- one's own account
@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    from .pages import check_csrf
    accounts = context.accounts()
    message, error, new_token = "", "", ""
    if request.method == "POST":
        check_csrf()
        what = request.form.get("action")
        try:
            if what == "password":
                accounts.authenticate(current_user.login, request.form.get("old", ""))
                user = accounts.set_password(current_user.login, request.form.get("new", ""))
                login_user(user)   # this session goes on; the others end (the account's epoch changed)
                context.audit("password_change", user=user)
                message = "密码已修改，其他设备上的登录已全部退出。"
            elif what == "token":
                new_token = accounts.new_token(current_user.login, request.form.get("label", ""))
                context.audit("token_create", user=current_user, detail={"id": new_token.split("_")[1]})
                message = "已创建令牌。它只显示这一次，请立即复制保存。"
            elif what == "revoke":
                accounts.revoke(current_user.login, request.form.get("token_id", ""))
                context.audit("token_revoke", user=current_user, detail={"id": request.form.get("token_id")})
                message = "令牌已吊销。"
        except AccountError as exc:
            error = str(exc)
    policy = context.catalog().policy
    return render_template("account.html", user=current_user, message=message, error=error, new_token=new_token,
                           tokens=accounts.tokens(current_user.login),
                           department_path=" › ".join(policy.path(current_user.department)))


# ---------------------------------------------------------------- people (administrators)
@bp.route("/admin/users", methods=["GET", "POST"])
@admin_only
def people():
    from .pages import check_csrf
    accounts, policy = context.accounts(), context.catalog().policy
    error, message = "", ""
    if request.method == "POST":
        check_csrf()
        f = request.form
        try:
            if f.get("action") == "add":
                user = accounts.add(f.get("login", "").strip().lower(), f.get("password", ""),
                                    real_name=f.get("real_name", ""), department=f.get("department", ""),
                                    roles=f.getlist("roles"), admin=f.get("admin") == "1")
                context.audit("user_add", user=current_user, detail={"login": user.login, **user.public()})
                message = f"已新增用户「{user.real_name}」（{user.login}）。"
            else:
                login_name = f.get("login", "")
                changes = {"real_name": f.get("real_name") or None, "department": f.get("department") or None,
                           "roles": f.getlist("roles") if f.get("set_roles") else None,
                           "admin": (f.get("admin") == "1") if f.get("set_roles") else None,
                           "active": {"1": True, "0": False}.get(f.get("active", ""))}
                user = accounts.change(login_name, **changes)
                if f.get("password"):
                    accounts.set_password(login_name, f.get("password"))
                context.audit("user_change", user=current_user,
                              detail={"login": login_name, **user.public(), "password": bool(f.get("password"))})
                message = f"已保存「{user.real_name}」的修改。"
        except AccountError as exc:
            error = str(exc)
    return render_template("people.html", people=accounts.all(), roles=list(policy.roles),
                           departments=policy.departments(), error=error, message=message), (422 if error else 200)


@bp.get("/admin/audit")
@admin_only
def audit_log():
    args = request.args
    entries = context.audit_log().search(user=args.get("user") or None, action=args.get("action") or None,
                                         form=args.get("form") or None, date_from=args.get("from") or None,
                                         date_to=args.get("to") or None, limit=200)
    from services.audit import ACTIONS
    return render_template("audit.html", entries=entries, actions=ACTIONS, args=args)
