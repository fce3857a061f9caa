"""`biaoge user …` (people, for scripts) and `biaoge audit verify` (the audit trail's hash chain).
The password is read from standard input, never from the command line (it would show in `ps`)."""
from __future__ import annotations

import os
import sys

import click

from . import DEFAULT_SCHEMAS, _catalog, _store, main

_DATA = os.environ.get("BIAOGE_DATA", "data")
_where = [click.option("--data", default=_DATA, show_default=True, help="数据目录 / data folder"),
          click.option("--store", "store_location", default=os.environ.get("BIAOGE_STORE"),
                       help="记录存放处：目录或 postgresql:// 地址，默认为 --data"),
          click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)]


def _options(fn):
    for option in reversed(_where):
        fn = option(fn)
    return fn


def _accounts(data, store_location, schemas):
    from services.accounts import Accounts
    catalog = _catalog(schemas)
    return Accounts(_store(store_location or data), lambda: catalog.policy)


def _password() -> str:
    if sys.stdin.isatty():
        first = click.prompt("密码", hide_input=True)
        if click.prompt("再输入一次", hide_input=True) != first:
            raise click.ClickException("两次输入的密码不一致。")
        return first
    return sys.stdin.readline().rstrip("\n")


def _audit(data, store_location, action, **detail):
    from services.audit import Audit
    Audit(_store(store_location or data)).record(action, user=f"cli:{os.environ.get('USER', '')}", ip="cli",
                                                 detail=detail)


@main.group(help="管理人员账号（密码从标准输入读取）。\n\nManage people (passwords are read from standard input).")
def user():
    pass


@user.command("add", help="新增人员。\n\nAdd a person.")
@click.argument("login")
@click.option("--real-name", required=True, help="真实姓名（签在表单上）")
@click.option("--dept", required=True, help="部门（见 _org.yaml）")
@click.option("--role", "roles", multiple=True, help="角色，可重复")
@click.option("--admin", is_flag=True, help="管理员")
@_options
def add(login, real_name, dept, roles, admin, data, store_location, schemas):
    from services.accounts import AccountError
    accounts = _accounts(data, store_location, schemas)
    try:
        person = accounts.add(login, _password(), real_name=real_name, department=dept, roles=roles, admin=admin)
    except AccountError as exc:
        raise click.ClickException(str(exc))
    _audit(data, store_location, "user_add", **person.public())
    click.echo(f"已新增「{person.real_name}」（{person.login}），部门：{person.department}，"
               f"角色：{'、'.join(person.roles) or '无'}{'，管理员' if person.admin else ''}。")


@user.command("disable", help="停用账号（立即退出其所有登录）。\n\nDisable an account.")
@click.argument("login")
@_options
def disable(login, data, store_location, schemas):
    from services.accounts import AccountError
    try:
        person = _accounts(data, store_location, schemas).change(login, active=False)
    except AccountError as exc:
        raise click.ClickException(str(exc))
    _audit(data, store_location, "user_change", login=login, active=False)
    click.echo(f"已停用「{person.real_name}」（{login}）。")


@user.command("passwd", help="重设密码（其他登录随之退出）。\n\nSet a new password.")
@click.argument("login")
@_options
def passwd(login, data, store_location, schemas):
    from services.accounts import AccountError
    try:
        person = _accounts(data, store_location, schemas).set_password(login, _password())
    except AccountError as exc:
        raise click.ClickException(str(exc))
    _audit(data, store_location, "password_change", login=login)
    click.echo(f"已重设「{person.real_name}」（{login}）的密码。")


@user.command("token", help="为此人新建一个 API 令牌并打印（只显示这一次）。\n\nPrint a new API token.")
@click.argument("login")
@click.option("--label", default="命令行", show_default=True)
@_options
def token(login, label, data, store_location, schemas):
    from services.accounts import AccountError
    try:
        value = _accounts(data, store_location, schemas).new_token(login, label)
    except AccountError as exc:
        raise click.ClickException(str(exc))
    _audit(data, store_location, "token_create", login=login, id=value.split("_")[1])
    click.echo(value)


@main.group(help="审计日志。\n\nThe audit trail.")
def audit():
    pass


@audit.command("verify", help="检查审计日志的哈希链：有记录被改动或删除时列出并以 1 退出。\n\n"
                             "Check the audit trail's hash chain; exit 1 when an entry was edited or removed.")
@click.option("--data", default=_DATA, show_default=True)
@click.option("--store", "store_location", default=os.environ.get("BIAOGE_STORE"))
def verify(data, store_location):
    from services.audit import Audit
    log = Audit(_store(store_location or data))
    problems = log.verify()
    for p in problems:
        click.echo(p, err=True)
    if problems:
        click.echo(f"审计日志不完整：发现 {len(problems)} 处问题。", err=True)
        sys.exit(1)
    click.echo(f"审计日志完好：共 {log.checked} 条，哈希链前后相接。")
