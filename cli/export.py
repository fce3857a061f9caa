"""`biaoge export`: a form's stored records as one Excel workbook (the records list's 下载 Excel)."""
from __future__ import annotations

from pathlib import Path

import click

from . import DEFAULT_SCHEMAS, DEFAULT_STORE, _form_or_fail, _store, main


@main.command(help="把一个表单的记录导出为一个 Excel 工作簿：每条记录一行，明细另成一表（与记录列表的「下载 Excel」相同）。\n\n"
                   "Export a form's stored records as one workbook: a row per record, line items on their own sheet.")
@click.argument("form")
@click.option("--from", "date_from", help="开始日期 YYYY-MM-DD（按提交日期）")
@click.option("--to", "date_to", help="结束日期 YYYY-MM-DD")
@click.option("--where", "where", multiple=True, help="字段=值，例如 --where pay_method=现金（可重复）")
@click.option("-q", "--search", "text", help="包含文字（编号或任何字段的值）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出文件（.xlsx）")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=DEFAULT_STORE, show_default=True,
              help="数据目录或 postgresql:// 地址 / store: a folder or a postgresql:// URL")
def export(form, date_from, date_to, where, text, output, schemas, data):
    from renderers.base import DoesNotFit
    from services.export import export_records
    from services.query import QueryError, build_query
    definition = _form_or_fail(schemas, form)
    target = Path(output)
    if target.suffix.lower() != ".xlsx":
        raise click.ClickException("输出文件名应以 .xlsx 结尾")
    try:
        query = build_query(definition, date_from=date_from, date_to=date_to, text=text, where=where)
    except QueryError as exc:
        raise click.ClickException(str(exc))
    store = _store(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")      # a failed export leaves no half-written file
    try:
        with tmp.open("wb") as out:
            count = export_records(definition, store, query, out)
        tmp.replace(target)
    except DoesNotFit as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"已导出 {count} 条记录到 {target}（{target.stat().st_size // 1024 + 1} KB）。")
