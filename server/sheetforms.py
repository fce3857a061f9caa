"""Administrators upload a form designed in a spreadsheet (forms/sheetform.py) from the catalog page:
the YAML is written into the definitions folder only if it compiles; otherwise the Chinese problems,
by sheet, row and column, with a 422."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, redirect, request, url_for

from forms.sheetform import MAX_BYTES
from services.sheetform import import_workbook

from . import context
from .access import admin_only
from .errors import respond

bp = Blueprint("sheetforms", __name__)
FOLDER = "imported"      # under the definitions folder: where uploaded forms are written


@bp.post("/admin/forms/import")
@admin_only
def upload():
    from .pages import check_csrf
    check_csrf()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return respond(400, "请选择要上传的表格文件（.xlsx）。")
    content = upload.stream.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return respond(413, f"文件太大：表格文件最大 {MAX_BYTES // 1000} KB。")
    root = Path(current_app.config["SCHEMAS"])
    result = import_workbook(content, root, Path(upload.filename).name)
    if result.problems:
        errors = [p.as_dict() for p in result.problems[:100]]
        return respond(422, f"表格「{upload.filename}」有 {len(result.problems)} 处错误，未导入。", errors)
    target = root / FOLDER / f"{result.form.id}.yaml"
    existing = context.catalog().get(result.form.id)
    if existing is not None and Path(existing.filename).name != target.name or \
            existing is not None and Path(existing.filename).parent.name != FOLDER:
        return respond(409, f"表单 id「{result.form.id}」已被「{existing.title}」（{existing.filename}）使用，"
                            "请在「设置」表中换一个表单id。")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".yaml.part")
    tmp.write_text(result.text, "utf-8")
    tmp.replace(target)
    context.audit("form_import", form=result.form.id, detail={"file": upload.filename})
    return redirect(url_for("pages.catalog", q=result.form.title), code=303)


def register(app):
    app.register_blueprint(bp)
