"""`biaoge check-paper`: lay forms out and check the paper a print designer would refuse."""
from __future__ import annotations

import json
import sys

import click

from . import DEFAULT_SCHEMAS, _catalog, _echo_problems, main


@main.command("check-paper", help="排版检查：把表单排成 PDF 版面，检查标签折行、超出格子、进入页脚、续页无表名、"
                                  "几乎空白的页、签字栏单独成页或折行、方框过小；空白表和填好的样例（1 行、常见行数、"
                                  "最多行数）都查。有问题时退出码为 1。\n\n"
                                  "Lay forms out and check the paper (blank and filled with sample data).")
@click.argument("forms_", metavar="[FORM]...", nargs=-1)
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True, help="表单定义目录 / definitions folder")
@click.option("--blank-only", is_flag=True, help="只查空白表 / blank forms only")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / machine-readable output")
def check_paper(forms_, schemas, blank_only, as_json):
    from renderers.paper_check import check_form, sample_records
    cat = _catalog(schemas)
    if forms_:
        unknown = [f for f in forms_ if cat.get(f) is None]
        if unknown:
            raise click.ClickException("没有找到表单：" + "、".join(unknown))
        forms = [cat.get(f) for f in forms_]
    else:
        forms = list(cat.forms.values())
    problems, seen = [], set()
    for form in forms:
        found = check_form(form)
        if not blank_only:
            for _rows, record in sample_records(form):
                found += check_form(form, record)
        for p in found:   # the same defect, blank and filled, is reported once
            key = (p.code, p.form, p.page, p.box)
            if key not in seen:
                seen.add(key)
                problems.append(p)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        _echo_problems(problems)
        if problems:
            bad = len({p.form for p in problems})
            click.echo(f"发现 {len(problems)} 个排版问题（{bad} 个表单，共查 {len(forms)} 个）。", err=True)
        else:
            click.echo(f"排版检查全部通过：{len(forms)} 个表单。")
    sys.exit(1 if problems else 0)
