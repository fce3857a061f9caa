"""Accounts: lockout after wrong passwords, nothing secret stored in clear, sessions that end,
tokens that can be revoked, the first-run link, and the audit trail's hash chain."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.people import PASSWORD, accounts_of, client_as, person, signed_in_session

ROOT = Path(__file__).resolve().parent.parent


def _login(client, login, password):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"csrf_token": csrf, "login": login, "password": password})


def test_ten_wrong_passwords_lock_the_account(app):
    person(app, "zhang", roles=["业务员"], department="上海办事处")
    client = app.test_client(token=None)
    statuses = [_login(client, "zhang", "wrong-password").status_code for _ in range(10)]
    assert statuses == [401] * 10
    r = _login(client, "zhang", PASSWORD)          # even the right password, now
    assert r.status_code == 429
    assert "锁定" in r.get_data(as_text=True)
    # another account is not affected
    person(app, "li", roles=["业务员"], department="上海办事处")
    assert _login(app.test_client(token=None), "li", PASSWORD).status_code == 303


def test_login_attempts_are_limited_per_address(app):
    app.config["LOGIN_RATE"] = "5 per minute"
    client = app.test_client(token=None)
    statuses = [_login(client, f"nobody{i}", "wrong-password").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def test_api_requests_are_limited_per_token(app):
    app.config["API_RATE"] = "5 per minute"
    token = person(app, "zhang", roles=["业务员"], department="上海办事处")
    c = client_as(app, token)
    statuses = [c.get("/api/forms").status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429, 429]
    assert "频繁" in c.get("/api/forms").get_json()["error"]["message"]
    other = client_as(app, person(app, "li", roles=["业务员"], department="上海办事处"))
    assert other.get("/api/forms").status_code == 200


def test_passwords_and_tokens_are_not_stored_in_clear(app):
    token = person(app, "zhang", roles=["业务员"], department="上海办事处")
    secret = token.split("_", 2)[2]
    stored = b"".join(p.read_bytes() for p in Path(app.config["DATA"]).rglob("*") if p.is_file())
    assert PASSWORD.encode() not in stored and secret.encode() not in stored
    assert b"$argon2id$" in stored                  # the password is there, hashed
    assert client_as(app, token).get("/api/forms").status_code == 200


def test_a_revoked_token_and_a_disabled_account_are_refused(app):
    accounts = accounts_of(app)
    token = person(app, "zhang", roles=["业务员"], department="上海办事处")
    assert client_as(app, token).get("/api/forms").status_code == 200
    accounts.revoke("zhang", token.split("_")[1])
    assert client_as(app, token).get("/api/forms").status_code == 401
    token2 = accounts.new_token("zhang")
    accounts.change("zhang", active=False)
    assert client_as(app, token2).get("/api/forms").status_code == 401


def test_a_password_change_ends_the_other_sessions(app):
    person(app, "zhang", roles=["业务员"], department="上海办事处")
    first, second = signed_in_session(app, "zhang"), signed_in_session(app, "zhang")
    assert first.get("/account").status_code == 200 and second.get("/account").status_code == 200
    page = first.get("/account").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = first.post("/account", data={"csrf_token": csrf, "action": "password", "old": PASSWORD,
                                     "new": "another-password"})
    assert "密码已修改" in r.get_data(as_text=True)
    assert first.get("/account").status_code == 200        # this session goes on
    r = second.get("/account")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.no_people
def test_nothing_is_reachable_before_the_first_administrator(tmp_path):
    from server.app import create_app
    app = create_app({"SCHEMAS": str(ROOT / "schemas"), "DATA": str(tmp_path / "d")})
    c = app.test_client()
    assert c.get("/").headers["Location"].endswith("/setup")
    assert c.get("/api/forms").status_code == 503
    token = accounts_of(app).setup_token()
    page = c.get(f"/setup?token={token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "login": "boss", "password": "secret-pass", "real_name": "王总",
            "department": "总经理办公室"}
    assert c.post("/setup", data={**form, "token": "wrong"}).status_code == 422
    r = c.post("/setup", data={**form, "token": token})
    assert r.status_code == 303 and accounts_of(app).get("boss").admin
    assert c.get("/admin/users").status_code == 200
    assert accounts_of(app).setup_token() is None          # the link works once


def _cli(*args, data, stdin=""):
    return subprocess.run([sys.executable, "-m", "cli", *args, "--data", str(data)], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=120)


def test_audit_verify_passes_and_then_names_the_edited_or_deleted_entry(app):
    data = Path(app.config["DATA"])
    token = person(app, "zhang", roles=["业务员"], department="上海办事处")
    c = client_as(app, token)
    for i in range(3):
        assert c.post("/api/forms/order_form/submissions", json={}).status_code == 422
        c.get("/api/forms/order_form/submissions")
    ok = _cli("audit", "verify", data=data)
    assert ok.returncode == 0, ok.stderr
    assert "完好" in ok.stdout
    [log] = sorted((data / "_logs" / "audit").glob("*.jsonl"))
    lines = log.read_text("utf-8").splitlines()
    assert len(lines) >= 3
    edited = json.loads(lines[1])
    edited["user"] = "someone-else"
    log.write_text("\n".join([lines[0], json.dumps(edited, ensure_ascii=False), *lines[2:]]) + "\n", "utf-8")
    bad = _cli("audit", "verify", data=data)
    assert bad.returncode == 1 and f"第 {edited['seq']} 条" in bad.stderr and "改动" in bad.stderr
    log.write_text("\n".join([lines[0], *lines[2:]]) + "\n", "utf-8")      # delete entry 2 instead
    gone = _cli("audit", "verify", data=data)
    assert gone.returncode == 1 and "删除" in gone.stderr


def test_the_audit_trail_records_reads_and_downloads(app):
    token = person(app, "zhang", roles=["业务员"], department="上海办事处")
    c = client_as(app, token)
    from forms.sample import sample_submission
    form = app.extensions["biaoge.records"].catalog.require("order_form")
    r = c.post("/api/forms/order_form/submissions", json=sample_submission(form, seed=2, rows=1))
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    c.get(f"/api/forms/order_form/submissions/{rid}")
    c.get(f"/forms/order_form/records/{rid}.pdf")
    entries = app.extensions["biaoge.audit"].entries()
    mine = [(e["action"], e["record"]) for e in entries if e["user"] == "zhang"]
    assert ("create", rid) in mine and ("read", rid) in mine and ("download", rid) in mine
    assert app.extensions["biaoge.audit"].verify() == []


def test_user_commands(tmp_path):
    data = tmp_path / "d"
    r = _cli("user", "add", "wang", "--real-name", "王五", "--dept", "上海办事处", "--role", "业务员", data=data,
             stdin="password-9\n")
    assert r.returncode == 0 and "王五" in r.stdout, r.stderr
    r = _cli("user", "add", "wang2", "--real-name", "王五", "--dept", "上海", "--role", "业务员", data=data,
             stdin="password-9\n")
    assert r.returncode == 1 and "没有「上海」这个部门" in r.stderr
    token = _cli("user", "token", "wang", data=data).stdout.strip()
    assert re.fullmatch(r"bg_[0-9a-f]{12}_[A-Za-z0-9_-]+", token)
    assert _cli("user", "passwd", "wang", data=data, stdin="new-password\n").returncode == 0
    assert _cli("user", "disable", "wang", data=data).returncode == 0
    assert _cli("audit", "verify", data=data).returncode == 0

