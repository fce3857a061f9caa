"""`biaoge store copy SRC DST`, `biaoge store upgrade LOCATION` and `biaoge store reindex LOCATION`:
move data between stores (a folder and a postgresql:// URL, either way), bring a store's schema
up to date, rebuild its search index from the records."""
from __future__ import annotations

import click

from . import _store, main


@main.group("store", help="存储管理：在文件夹与 PostgreSQL 之间复制数据、升级数据库结构。\n\n"
                          "Store administration: copy between backends, upgrade the schema.")
def store_group():
    pass


@store_group.command("copy", help="把 SRC 的全部记录（含所有修订）、定义、编号计数器、文档和日志复制到空的 DST，"
                                  "然后逐表单核对条数和内容哈希；不修改 SRC。\n\n"
                                  "Copy everything from SRC into the empty DST and verify it; SRC is only read.")
@click.argument("src")
@click.argument("dst")
def copy(src, dst):
    from services.store_copy import copy_store
    from store import StorageError
    source, target = _store(src), _store(dst)
    try:
        report = copy_store(source, target, progress=lambda m: click.echo(m, err=True))
    except StorageError as exc:
        raise click.ClickException(str(exc))
    finally:
        source.close()
        target.close()
    for form, d in report.forms.items():
        click.echo(f"{form}：{d.records} 条记录，{d.revisions} 个修订，哈希 {d.sha256}（一致）")
    click.echo(f"文档 {report.documents} 份，日志 {report.log_entries} 条（一致）。")
    click.echo(f"复制完成：{sum(d.records for d in report.forms.values())} 条记录，{len(report.forms)} 个表单。")


@store_group.command("upgrade", help="把存储的数据库结构升级到最新版本（启动服务时也会自动升级）。\n\n"
                                     "Apply the missing schema migrations (also done on start).")
@click.argument("location")
def upgrade(location):
    from store import StorageError, open_store
    try:
        s = open_store(location, upgrade=False)
        try:
            before, after = s.upgrade()
        finally:
            s.close()
    except StorageError as exc:
        raise click.ClickException(str(exc))
    if before == after:
        click.echo(f"数据库结构已是最新版本（{after}），无需升级。")
    else:
        click.echo(f"数据库结构已从版本 {before} 升级到 {after}。")


@store_group.command("reindex", help="根据已保存的记录重建搜索索引（索引只是记录的派生数据；"
                                     "文件夹存储在每次搜索前也会自动补齐）。\n\n"
                                     "Rebuild the search index from the stored records.")
@click.argument("location")
@click.option("--form", "form_id", default=None, help="只重建这个表单的索引。Only this form.")
def reindex(location, form_id):
    from store import StorageError
    s = _store(location)
    try:
        done = s.reindex(form_id)
    except (StorageError, ValueError) as exc:
        raise click.ClickException(str(exc))
    finally:
        s.close()
    for form, n in done.items():
        click.echo(f"{form}：{n} 条记录已重建索引。")
    click.echo(f"重建完成：{len(done)} 个表单。")
