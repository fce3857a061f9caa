"""`biaoge import-form` and `biaoge export-form`: forms designed in a spreadsheet."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import DEFAULT_SCHEMAS, _form_or_fail, main


@main.command("import-form", help="读取在电子表格里设计的表单（字段、选项、设置三张表），写出 YAML 定义；"
                                  "有错误时列出表名、行和列。\n\n"
                                  "Read a form designed in a spreadsheet; write its YAML definition.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 YAML 文件")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True, help="共享字段所在的定义目录")
def import_form(file, output, schemas):
    from services.sheetform import import_workbook
    try:
        content = Path(file).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取 {file}:{exc}")
    result = import_workbook(content, Path(schemas), Path(file).name)
    if result.problems:
        for p in result.problems:
            click.echo(f"{file}: {p}", err=True)
        click.echo(f"共 {len(result.problems)} 处错误，未写出 {output}。", err=True)
        sys.exit(1)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(result.text, "utf-8")
    click.echo(f"已生成 {target}（表单「{result.form.title}」，{len(result.form.fields)} 个字段）")


@main.command("export-form", help="把表单定义写成可在电子表格里修改的工作簿（字段、选项、设置三张表）。\n\n"
                                  "Write a definition as the workbook `import-form` reads.")
@click.argument("form")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True)
def export_form(form, output, schemas):
    from services.sheetform import export_workbook
    definition = _form_or_fail(schemas, form)
    content = export_workbook(definition)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    click.echo(f"已生成 {target}（{len(content) // 1024 + 1} KB）")
