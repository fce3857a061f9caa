"""The `biaoge` command line. Messages for end users are Chinese."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from forms.starter import starter_definition
from forms.submission import check as check_submission
from services.catalog import load_catalog

DEFAULT_SCHEMAS = os.environ.get("BIAOGE_SCHEMAS", "schemas")
DEFAULT_STORE = os.environ.get("BIAOGE_STORE") or os.environ.get("BIAOGE_DATA", "data")


def _echo_problems(problems):
    for p in problems:
        click.echo(str(p), err=True)


def _catalog(schemas):
    root = Path(schemas)
    if not root.exists():
        raise click.ClickException(f"找不到表单定义目录 {schemas}(No such folder)")
    return load_catalog(root)


@click.group(help="biaoge 表格 — 表单定义、校验与计算。\n\nDeclarative Chinese office forms.")
@click.version_option(package_name="biaoge")
def main():
    pass


@main.command("list", help="按章列出所有表单及其 id。\n\nList the forms by chapter, with their ids.")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True, help="表单定义目录 / definitions folder")
def list_forms(schemas):
    cat = _catalog(schemas)
    for chapter, forms in cat.by_chapter().items():
        click.echo(chapter)
        for form in forms:
            click.echo(f"  {form.id:<36} {form.title}")
    click.echo(f"共 {len(cat.forms)} 个表单。")
    if cat.problems:
        click.echo(f"另有 {len(cat.problems)} 个问题，运行 biaoge validate 查看。", err=True)


@main.command(help="检查表单定义，列出所有问题；有问题时退出码为 1。\n\nLint definitions; exit 1 on any problem.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / machine-readable output")
def validate(paths, as_json):
    paths = paths or (DEFAULT_SCHEMAS,)
    problems, count, cats = [], 0, []
    for p in paths:
        cat = _catalog(p)
        cats.append(cat)
        problems += cat.problems
        count += len(cat.files)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        _echo_problems(problems)
        for cat in cats:
            _warn_paper(cat)
        if problems:
            click.echo(f"发现 {len(problems)} 个问题（{count} 个文件）。", err=True)
        else:
            click.echo(f"全部通过：{count} 个表单定义没有问题。")
    sys.exit(1 if problems else 0)


def _warn_paper(cat):
    """Warn (without failing) about blank forms that do not fit on one sheet of their paper."""
    try:
        from forms.paper import paper_label
        from renderers.paper_check import blank_pages
        from renderers.pdf import FontMissingError
    except ImportError:
        return
    for form in cat.forms.values():
        try:
            pages = blank_pages(form)
        except FontMissingError:
            return
        if pages > 1:
            lay = form.layout
            paper = paper_label(lay.get("paper", "A4"), lay.get("orientation", "portrait"))
            copies = "每联" if len(lay.get("copies") or []) > 1 else ""
            click.echo(f"警告：{form.filename}：空白的「{form.title}」在 {paper}纸上{copies}要印 {pages} 页"
                       f"（一页放不下）。提示：减少 x-rows 或字段，改用 columns、orientation: landscape 或更大的纸；"
                       f"运行 biaoge check-paper {form.id} 查看排版。", err=True)


@main.command(help="校验一份提交的数据并计算合计等字段，输出规范化后的 JSON 或错误。\n\n"
                   "Validate a submission and print it normalized, or its errors.")
@click.argument("form")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
def check(form, data, schemas):
    definition = _form_or_fail(schemas, form)
    result = check_submission(definition, _read_json(data))
    if result.ok:
        click.echo(json.dumps(result.data, ensure_ascii=False, indent=2))
        return
    for e in result.errors:
        click.echo(f"{e['path'] or '/'}: {e['message']}", err=True)
    click.echo(f"共 {len(result.errors)} 处错误。", err=True)
    sys.exit(1)


@main.command(help="生成一个带注释的新表单定义，供编辑。\n\nWrite a commented starter definition.")
@click.argument("form_id")
@click.option("--title", default="新表单", help="表单的中文标题 / Chinese title")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写到这个文件 / output file")
def new(form_id, title, schemas, output):
    import re
    if not re.match(r"^[a-z][a-z0-9_]*$", form_id):
        raise click.ClickException("id 只能用小写英文字母、数字和下划线，并以字母开头，例如 order_form")
    target = Path(output) if output else Path(schemas) / f"{form_id}.yaml"
    if target.exists():
        raise click.ClickException(f"{target} 已存在，不会覆盖。")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_definition(form_id, title), "utf-8")
    click.echo(f"已生成 {target}。编辑后运行：biaoge validate {target.parent}")


def _form_or_fail(schemas, form_id):
    cat = _catalog(schemas)
    definition = cat.get(form_id)
    if definition is None:
        bad = [p for p in cat.problems if form_id in p.file]
        _echo_problems(bad)
        raise click.ClickException(f"没有找到表单 '{form_id}'" + ("（它的定义有错误，见上）" if bad else ""))
    return definition


def _read_json(path):
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"无法读取 {path}:{exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}:{exc.lineno}:{exc.colno}：不是有效的 JSON({exc.msg})")


@main.command(help="把表单渲染为网页、PDF 或 Excel；不给 --data 时为空白表。--overprint 只印数值（套打到预印表格上），"
                   "不给 --data 时为套打校准页。\n\n"
                   "Render a form (blank, or filled with --data) as html, print, pdf, pdf2 (two-layer) or xlsx; "
                   "--overprint: the values alone for pre-printed forms (without --data: the calibration page).")
@click.argument("form")
@click.option("--format", "fmt", default="pdf", show_default=True, help="html | print | pdf | pdf2 | xlsx")
@click.option("--overprint", is_flag=True, help="套打：只印数值 / values only, for pre-printed forms")
@click.option("--offset-x", type=float, default=0.0, help="套打校准：向右偏移（毫米）/ mm to the right")
@click.option("--offset-y", type=float, default=0.0, help="套打校准：向下偏移（毫米）/ mm down")
@click.option("--scale", type=float, default=1.0, help="套打校准：缩放 / scale")
@click.option("--data", type=click.Path(dir_okay=False), help="提交的数据 JSON / submission JSON")
@click.option("--number", default="", help="编号，印在表头 / serial number to print")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出文件 / output file")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
def render(form, fmt, data, number, output, schemas, overprint, offset_x, offset_y, scale):
    from datetime import date

    from renderers import base
    from renderers.overlay_draw import Calibration
    definition = _form_or_fail(schemas, form)
    options = {}
    if overprint:
        fmt = "overprint"
        if not (-50 <= offset_x <= 50 and -50 <= offset_y <= 50 and 0.8 <= scale <= 1.2):
            raise click.ClickException("套打校准超出范围：偏移应在 -50～50 毫米之间，缩放应在 0.8～1.2 之间。")
        options["calibration"] = Calibration(offset_x, offset_y, scale)
    try:
        renderer = base.get(fmt)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0]))
    record = None
    if data:
        result = check_submission(definition, _read_json(data))
        if not result.ok:
            for e in result.errors:
                click.echo(f"{e['path'] or '/'}: {e['message']}", err=True)
            raise click.ClickException(f"数据有 {len(result.errors)} 处错误，未生成文件。")
        record = base.Filled(result.data, number=number, created=date.today().isoformat())
    try:
        content = renderer.render(definition, record, **options)
    except (RuntimeError, base.DoesNotFit) as exc:
        raise click.ClickException(str(exc))
    target = Path(output) if output else Path("output") / f"{definition.id}{'-' + number if number else ''}" \
        f"{'' if record else '-blank'}{'-overprint' if overprint else ''}{renderer.extension}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    click.echo(f"已生成 {target}({len(content) // 1024 + 1} KB)")


@main.command("import", help="读取填好的 Excel 模板，输出提交的数据或错误（指明单元格）。\n\n"
                             "Read a filled Excel template back; print the submission or the errors.")
@click.argument("form")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
def import_(form, file, schemas):
    from renderers.xlsx.importer import import_workbook
    definition = _form_or_fail(schemas, form)
    try:
        content = Path(file).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取 {file}:{exc}")
    result = import_workbook(definition, content)
    if not result.errors:
        click.echo(json.dumps(result.data, ensure_ascii=False, indent=2))
        return
    for e in result.errors:
        click.echo(e["message"], err=True)
    click.echo(f"共 {len(result.errors)} 处错误。", err=True)
    sys.exit(1)


@main.command(help="把全部空白表单印成一本手册（PDF 带目录和书签；或 Excel，每表一页）。\n\n"
                   "Print every blank form as one handbook: PDF (contents, bookmarks) or Excel (one sheet each).")
@click.option("-o", "--output", default="营销管理表格.pdf", show_default=True, type=click.Path(dir_okay=False),
              help="输出文件，.pdf 或 .xlsx / output file")
@click.option("--title", default="营销管理表格", show_default=True)
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
def handbook(output, title, schemas):
    cat = _catalog(schemas)
    if cat.problems:
        _echo_problems(cat.problems)
        click.echo(f"有 {len(cat.problems)} 个问题，出错的表单不会印进手册。", err=True)
    target = Path(output)
    if target.suffix.lower() == ".xlsx":
        from renderers.xlsx.handbook import handbook_workbook
        content = handbook_workbook(cat)
    elif target.suffix.lower() == ".pdf":
        from renderers.handbook import handbook_pdf
        content = handbook_pdf(cat, title)
    else:
        raise click.ClickException("输出文件名应以 .pdf 或 .xlsx 结尾")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    click.echo(f"已生成 {target}:{len(cat.forms)} 个表单，{len(content) // 1024 + 1} KB")


@main.command(help="把一个或多个表单的记录归档为 zip：每条记录一个文件、清单，可选合并 PDF。\n\n"
                   "Archive stored records into a zip: a file per record, a manifest, optionally one merged PDF.")
@click.argument("forms_", metavar="FORM...", nargs=-1, required=True)
@click.option("--from", "date_from", help="开始日期 YYYY-MM-DD(按提交日期)")
@click.option("--to", "date_to", help="结束日期 YYYY-MM-DD")
@click.option("--where", "where", multiple=True, help="字段=值，例如 --where pay_method=现金（可重复）")
@click.option("-q", "--search", "text", help="包含文字（编号或任何字段的值）")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "both"]), default="pdf", show_default=True)
@click.option("--merge", is_flag=True, help="另附一个合并的 PDF(每条记录一个书签)")
@click.option("--jobs", type=int, default=0, help="并行进程数，默认每个 CPU 核一个")
@click.option("--scheduler", default=os.environ.get("BIAOGE_DASK_SCHEDULER") or None,
              help="Dask 调度器地址，例如 tcp://host:8786（默认在本机启动） / a Dask cluster's scheduler")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出 zip 文件")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=DEFAULT_STORE, show_default=True,
              help="数据目录或 postgresql:// 地址 / store: a folder or a postgresql:// URL")
@click.option("--public-url", default=os.environ.get("BIAOGE_PUBLIC_URL") or None,
              help="系统的公开网址（如 https://biaoge.example.cn），印在每条记录 PDF 的二维码里；不写则不印二维码")
def archive(forms_, date_from, date_to, where, text, fmt, merge, jobs, output, schemas, data, scheduler, public_url):
    from services.archive import Progress, write_archive
    from services.archive_dask import SchedulerError, check_scheduler
    from services.archive_source import collect
    from services.query import QueryError, build_query
    cat = _catalog(schemas)
    selections = []
    for form_id in forms_:
        form = cat.get(form_id)
        if form is None:
            raise click.ClickException(f"没有找到表单 '{form_id}'")
        try:
            selections.append((form, build_query(form, date_from=date_from, date_to=date_to, text=text,
                                                  where=where)))
        except QueryError as exc:
            raise click.ClickException(str(exc))
    try:
        scheduler = check_scheduler(scheduler)
    except SchedulerError as exc:
        raise click.ClickException(str(exc))
    entries, definitions, titles, keys = collect(cat, _store(data), selections)
    if not entries:
        raise click.ClickException("没有符合条件的记录。")
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        with tmp.open("wb") as out:
            summary = write_archive(entries, definitions, out, titles=titles, fmt=fmt, merge=merge,
                                    jobs=jobs or None, progress=Progress(len(entries)), key_fields=keys,
                                    scheduler=scheduler, public_url=public_url)
    except SchedulerError as exc:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(str(exc))
    tmp.replace(target)
    click.echo(summary.line() + f" 输出：{target}")
    for number, error in summary.failures[:20]:
        click.echo(f"失败：{number}:{error}", err=True)
    sys.exit(1 if summary.failed else 0)


def _store(location):
    from store import StorageError, open_store
    try:
        return open_store(location)
    except StorageError as exc:
        raise click.ClickException(str(exc))


@main.command(help="启动网页服务（waitress）。\n\nServe the web application under waitress.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
@click.option("--data", default=os.environ.get("BIAOGE_DATA", "data"), show_default=True,
              help="数据目录（密钥等；默认也存放记录）/ data folder")
@click.option("--store", "store_location", default=os.environ.get("BIAOGE_STORE"),
              help="记录存放处：目录或 postgresql:// 地址，默认为 --data / where records are stored")
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--public-url", default=os.environ.get("BIAOGE_PUBLIC_URL"),
              help="员工访问本服务的地址（印在每张记录的二维码里），例如 https://biaoge.example.cn / public base URL")
def serve(host, port, schemas, data, store_location, threads, public_url):
    from server.serve import serve as run
    _catalog(schemas)
    run(host, port, schemas, data, threads, store=store_location, public_url=public_url)


from . import export  # noqa: E402,F401  (registers `biaoge export`)
from . import users  # noqa: E402,F401  (registers `biaoge user` and `biaoge audit`)
from . import store as _store_commands  # noqa: E402,F401  (registers `biaoge store`)
from . import paper  # noqa: E402,F401  (registers `biaoge check-paper`)
from . import numbers  # noqa: E402,F401  (registers `biaoge numbers` and `biaoge void`)
from . import report as _report  # noqa: E402,F401  (registers `biaoge report`)
from . import sheetform as _sheetform  # noqa: E402,F401  (registers `biaoge import-form` and `export-form`)
from . import schema as _schema  # noqa: E402,F401  (registers `biaoge schema`)

if __name__ == "__main__":
    main()
