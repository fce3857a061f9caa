"""People: accounts (login name, 真实姓名, department, roles, active), passwords, sessions and
personal API tokens, kept in the store's documents (kind `users`, `tokens`, `logins`).

Passwords are hashed with argon2 (argon2-cffi); a token is shown once (`bg_<id>_<secret>`) and
only the SHA-256 of its secret is kept (a token is long and random: a fast hash is enough, and
a lookup by id costs one read). Changing a password raises the account's `epoch`, which ends its
other sessions. Failed logins are counted per account in the store (so every server process
sees them): after MAX_FAILURES in a row the account is locked for LOCK_MINUTES.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from store import Conflict

USERS, TOKENS, LOGINS, SETUP = "users", "tokens", "logins", "setup"
LOGIN = re.compile(r"[a-z][a-z0-9_.-]{1,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_FAILURES = 10
LOCK_MINUTES = 15

_hasher = PasswordHasher()


class AccountError(ValueError):
    """What someone asked for cannot be done; the message is Chinese."""


class LockedOut(AccountError):
    pass


@dataclass
class User:
    login: str
    real_name: str
    department: str
    roles: list = field(default_factory=list)
    admin: bool = False
    active: bool = True
    epoch: int = 0          # raised by a password change: older sessions end

    @property
    def id(self) -> str:   # Flask-Login's user id: the login and its epoch
        return f"{self.login}:{self.epoch}"

    # what Flask-Login asks of a user object
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.id

    def public(self) -> dict:
        return {"login": self.login, "real_name": self.real_name, "department": self.department,
                "roles": list(self.roles), "admin": self.admin, "active": self.active}


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _user(login: str, doc: dict) -> User:
    return User(login, doc.get("real_name", ""), doc.get("department", ""), list(doc.get("roles") or []),
                bool(doc.get("admin")), bool(doc.get("active", True)), int(doc.get("epoch", 0)))


class Accounts:
    def __init__(self, store, policy):
        """`policy`: a callable returning the current forms.policy.Policy (it changes with _org.yaml)."""
        self.store, self._policy = store, policy
        self._anyone = False

    @property
    def policy(self):
        return self._policy()

    # -- people --------------------------------------------------------------------------------
    def get(self, login: str) -> User | None:
        if not isinstance(login, str) or not LOGIN.fullmatch(login):
            return None
        found = self.store.get_doc(USERS, login)
        return None if found is None else _user(login, found[0])

    def all(self) -> list[User]:
        return [_user(k, d) for k, d, _ in self.store.docs(USERS)]

    def any(self) -> bool:
        """Whether anyone has an account (once true it stays true: cached, it is asked per request)."""
        if not self._anyone:
            self._anyone = bool(self.store.docs(USERS))
        return self._anyone

    def _check(self, real_name, department, roles):
        policy = self.policy
        if not isinstance(real_name, str) or not real_name.strip() or len(real_name) > 40:
            raise AccountError("请填写真实姓名（最多 40 个字），它会签在表单上。")
        if department not in policy.parents:
            raise AccountError(f"没有「{department}」这个部门；可选：{'、'.join(policy.departments())}")
        unknown = [r for r in roles if r not in policy.roles]
        if unknown:
            raise AccountError(f"没有「{'、'.join(unknown)}」这个角色；可选：{'、'.join(policy.roles)}")

    def add(self, login: str, password: str, *, real_name: str, department: str, roles=(), admin=False) -> User:
        if not isinstance(login, str) or not LOGIN.fullmatch(login):
            raise AccountError("登录名应为 2 到 32 个小写英文字母、数字、点、横线或下划线，并以字母开头。")
        roles = list(dict.fromkeys(roles))
        self._check(real_name, department, roles)
        doc = {"real_name": real_name.strip(), "department": department, "roles": roles, "admin": bool(admin),
               "active": True, "epoch": 0, "password": hash_password(password), "created": now()}
        try:
            self.store.put_doc(USERS, login, doc, expect=0)
        except Conflict:
            raise AccountError(f"登录名「{login}」已被使用。") from None
        return _user(login, doc)

    def change(self, login: str, **changes) -> User:
        """Change real name, department, roles, admin or active."""
        def apply(doc):
            if doc is None:
                raise AccountError(f"没有登录名为「{login}」的用户。")
            doc = dict(doc)
            for key in ("real_name", "department", "roles", "admin", "active"):
                if key in changes and changes[key] is not None:
                    doc[key] = changes[key]
            self._check(doc["real_name"], doc["department"], doc["roles"])
            if changes.get("active") is False:
                doc["epoch"] = int(doc.get("epoch", 0)) + 1   # a disabled account's sessions end now
            return doc
        return _user(login, self.store.update_doc(USERS, login, apply))

    def set_password(self, login: str, password: str) -> User:
        digest = hash_password(password)

        def apply(doc):
            if doc is None:
                raise AccountError(f"没有登录名为「{login}」的用户。")
            return {**doc, "password": digest, "epoch": int(doc.get("epoch", 0)) + 1}
        user = _user(login, self.store.update_doc(USERS, login, apply))
        self.store.delete_doc(LOGINS, login)
        return user

    # -- logging in ----------------------------------------------------------------------------
    def authenticate(self, login: str, password: str) -> User:
        """The user, or AccountError (LockedOut after too many failures). The same message for an
        unknown login and a wrong password, so that logins cannot be guessed."""
        wrong = AccountError("登录名或密码不对。")
        locked = self._locked(login)
        if locked:
            raise LockedOut(f"登录失败次数过多，账号已临时锁定，请在 {locked} 后再试，或请管理员重设密码。")
        found = self.store.get_doc(USERS, login) if isinstance(login, str) and LOGIN.fullmatch(login) else None
        ok = False
        if found is not None:
            try:
                ok = _hasher.verify(found[0].get("password", ""), password or "")
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _hasher.hash("x" * MIN_PASSWORD)   # as slow as a real check: no timing hint
        if not ok:
            if found is not None:
                self._failed(login)
            raise wrong
        user = _user(login, found[0])
        if not user.active:
            raise AccountError("这个账号已停用，请联系管理员。")
        self.store.delete_doc(LOGINS, login)
        return user

    def _locked(self, login) -> str | None:
        found = self.store.get_doc(LOGINS, login) if isinstance(login, str) and LOGIN.fullmatch(login) else None
        until = found[0].get("locked_until") if found else None
        if until and until > now():
            return until.replace("T", " ")[11:16]
        return None

    def _failed(self, login: str) -> None:
        def count(doc):
            doc = dict(doc or {"failures": 0})
            if doc.get("locked_until") and doc["locked_until"] <= now():
                doc = {"failures": 0}
            doc["failures"] = int(doc.get("failures", 0)) + 1
            if doc["failures"] >= MAX_FAILURES:
                doc["locked_until"] = (datetime.now() + timedelta(minutes=LOCK_MINUTES)).replace(
                    microsecond=0).isoformat()
            return doc
        self.store.update_doc(LOGINS, login, count)

    def from_session(self, user_id: str) -> User | None:
        """The user of a session id ("login:epoch"), or None when it has ended."""
        login, _, epoch = str(user_id).rpartition(":")
        user = self.get(login)
        if user is None or not user.active or str(user.epoch) != epoch:
            return None
        return user

    # -- tokens --------------------------------------------------------------------------------
    def new_token(self, login: str, label: str = "") -> str:
        """A new personal API token, returned once; only its hash is kept."""
        if self.get(login) is None:
            raise AccountError(f"没有登录名为「{login}」的用户。")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        self.store.put_doc(TOKENS, token_id, {"login": login, "label": str(label)[:60], "hash": _sha(secret),
                                              "created": now(), "revoked": False}, expect=0)
        return f"bg_{token_id}_{secret}"

    def tokens(self, login: str) -> list[dict]:
        return [{"id": k, **{x: d[x] for x in ("label", "created", "revoked")}}
                for k, d, _ in self.store.docs(TOKENS) if d.get("login") == login]

    def revoke(self, login: str, token_id: str) -> bool:
        def apply(doc):
            if doc is None or doc.get("login") != login:
                raise AccountError("没有这个令牌。")
            return {**doc, "revoked": True}
        self.store.update_doc(TOKENS, token_id, apply)
        return True

    def from_token(self, token: str) -> User | None:
        m = re.fullmatch(r"bg_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})", token or "")
        if not m:
            return None
        found = self.store.get_doc(TOKENS, m.group(1))
        if found is None or found[0].get("revoked") or not hmac.compare_digest(found[0]["hash"], _sha(m.group(2))):
            return None
        user = self.get(found[0]["login"])
        return user if user is not None and user.active else None

    # -- first run -----------------------------------------------------------------------------
    def setup_token(self) -> str | None:
        """The one-time token of the link that creates the first administrator, made on first use
        (the same for every server process); None once anyone exists."""
        if self.any():
            return None
        candidate = secrets.token_urlsafe(24)

        def keep(doc):
            return doc if doc is not None else {"token": candidate, "created": now()}
        return self.store.update_doc(SETUP, "first_admin", keep)["token"]

    def complete_setup(self, token: str, login: str, password: str, real_name: str, department: str) -> User:
        expected = self.setup_token()
        if expected is None:
            raise AccountError("管理员已经设置好了，请直接登录。")
        if not hmac.compare_digest(str(token or ""), expected):
            raise AccountError("设置链接不对或已失效：请使用服务器启动时显示的链接。")
        roles = ["管理员"] if "管理员" in self.policy.roles else []
        user = self.add(login, password, real_name=real_name, department=department, roles=roles, admin=True)
        self.store.delete_doc(SETUP, "first_admin")
        return user


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"密码应为 {MIN_PASSWORD} 到 {MAX_PASSWORD} 个字符。")
    return _hasher.hash(password)


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
