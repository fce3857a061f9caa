"""`biaoge report`: generate a report (日报/月报/统计表) from the stored records, as JSON."""
from __future__ import annotations

import json
from pathlib import Path

import click

from . import DEFAULT_SCHEMAS, DEFAULT_STORE, _catalog, _store, main


@main.command(help="按报表定义的数据来源（x-source）从记录生成一份报表，输出 JSON（含每行的来源记录）。\n\n"
                   "Generate a report from the stored records: its data and trace as JSON.")
@click.argument("form")
@click.option("--date", "day", help="报表日期 YYYY-MM-DD（日报）")
@click.option("--month", help="报表月份 YYYY-MM（月报、统计表）")
@click.option("--year", help="报表年份 YYYY")
@click.option("--trace/--no-trace", default=False, help="同时输出每行来自哪些记录 / include the trace")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写到这个文件 / output file")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=DEFAULT_STORE, show_default=True,
              help="数据目录或 postgresql:// 地址 / store: a folder or a postgresql:// URL")
def report(form, day, month, year, trace, output, schemas, data):
    from services.record_state import states
    from services.reports import ReportError, generate, is_report
    given = [v for v in (day, month, year) if v]
    if len(given) != 1:
        raise click.ClickException("请给出且只给出一个期间：--date、--month 或 --year")
    cat = _catalog(schemas)
    definition = cat.get(form)
    if definition is None:
        raise click.ClickException(f"没有找到表单 '{form}'")
    if not is_report(definition):
        raise click.ClickException(f"「{definition.title}」没有声明数据来源（x-source），不能自动生成")
    try:
        store = _store(data)
        gen = generate(cat, store, None, definition, given[0], state_of=states(store, cat), trace=trace)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    out = {"form": definition.id, "period": given[0], "data": gen.data, "records_read": gen.counts}
    if trace:
        out["trace"] = gen.trace
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", "utf-8")
        click.echo(f"已生成「{definition.title}」（{given[0]}）到 {output}。")
    else:
        click.echo(text)
