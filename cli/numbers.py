"""`biaoge numbers FORM --period 2026-11`: the 编号 continuity report of a period (services.numbers);
and `biaoge void FORM ID --reason …`: void a record from the command line."""
from __future__ import annotations

import json

import click

from . import DEFAULT_SCHEMAS, DEFAULT_STORE, _form_or_fail, _store, main


def _names(store) -> dict:
    from services.accounts import Accounts
    return {u.login: u.real_name for u in Accounts(store, lambda: None).all()}


@main.command(help="编号连续性报告：列出一个期间的每个编号（记录、提交时间、填表人、有效/作废及作废的人、时间和原因），"
                   "并指出缺号和重号；有缺号或重号时退出码为 1。\n\n"
                   "The continuity report of a period's numbers: every number, none missing; exit 1 on a gap or duplicate.")
@click.argument("form")
@click.option("--period", default="", help="期间：按月编号写 2026-11，按年写 2026，按日写 2026-11-27")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / machine-readable output")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=DEFAULT_STORE, show_default=True,
              help="数据目录或 postgresql:// 地址 / store: a folder or a postgresql:// URL")
def numbers(form, period, as_json, schemas, data):
    from services.numbers import NumbersError, continuity, report_text
    definition = _form_or_fail(schemas, form)
    store = _store(data)
    try:
        report = continuity(store, definition, period, _names(store))
    except NumbersError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for line in report_text(report):
            click.echo(line)
    if not report["ok"]:
        raise SystemExit(1)


@main.command(help="作废一条记录（保留编号和全部版本，不删除）。\n\nVoid a record: it keeps its number; nothing is deleted.")
@click.argument("form")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="作废原因（必填）")
@click.option("--by", "login", required=True, help="作废人的登录名（须有作废权限）")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=DEFAULT_STORE, show_default=True)
def void(form, record_id, reason, login, schemas, data):
    from services.access import Access
    from services.accounts import Accounts
    from services.audit import Audit
    from services.catalog import load_catalog
    from services.voiding import VoidError, void as do_void
    from pathlib import Path
    definition = _form_or_fail(schemas, form)
    store = _store(data)
    try:
        policy = load_catalog(Path(schemas)).policy
        user = Accounts(store, lambda: policy).get(login)
        if user is None:
            raise click.ClickException(f"没有登录名为 {login} 的用户。")
        rec = store.get(definition.id, record_id)
        if rec is None or not Access(policy, user).allows(definition, "void", rec):
            raise click.ClickException(f"{user.real_name} 不能作废「{definition.title}」的记录 #{record_id}"
                                       f"（记录不存在或没有作废权限）。")
        try:
            mark = do_void(store, Audit(store), definition, rec, reason=reason, by=user)
        except VoidError as exc:
            raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(f"已作废记录 {rec.get('number') or '#' + str(record_id)}（{mark['by_name']}，原因：{mark['reason']}）。")
