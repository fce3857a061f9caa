"""`biaoge schema FORM`: print the standard JSON Schema 2020-12 of a form's submitted data -- the
very schema the API publishes in its OpenAPI document (forms.published), for third-party tools."""
from __future__ import annotations

import json

import click

from . import DEFAULT_SCHEMAS, _form_or_fail, main


@main.command(help="输出表单提交数据的标准 JSON Schema（2020-12，与 API 公布的相同），供其他系统校验数据。\n\n"
                   "Print the standard JSON Schema 2020-12 of a form's submitted data (as the API publishes it).")
@click.argument("form")
@click.option("--schemas", default=DEFAULT_SCHEMAS, show_default=True, help="表单定义目录 / definitions folder")
def schema(form, schemas):
    from forms.published import submission_schema
    from services.approval_print import applicant_form
    definition = _form_or_fail(schemas, form)
    click.echo(json.dumps(submission_schema(applicant_form(definition)), ensure_ascii=False, indent=2))
