"""The biaoge command line."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

from .conftest import SCHEMAS


@pytest.fixture
def runner():
    return CliRunner()


def test_validate_schemas_exits_zero(runner):
    r = runner.invoke(main, ["validate", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert "全部通过" in r.output


def test_console_script_runs():
    exe = Path(sys.executable).parent / "biaoge"
    r = subprocess.run([str(exe), "validate", str(SCHEMAS)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line)


def test_broken_folder_names_every_problem_with_file_and_line(runner, tmp_path, monkeypatch):
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    order = folder / "01-sales/05-order_form.yaml"
    order.write_text(order.read_text("utf-8").replace("x-rows: 8", "x-rwos: 8"), "utf-8")
    daily = folder / "01-sales/02-sales_daily_report.yaml"
    text = daily.read_text("utf-8")
    daily.write_text(text.replace("\n  title:", "\n   title:", 1) if "\n  title:" in text
                     else text.replace("\nx-layout:", "\nx-layout:\n paper: A4\n  oops: 1", 1), "utf-8")
    appraisal = folder / "07-performance-pay/03-salesperson_appraisal.yaml"
    text = appraisal.read_text("utf-8")
    first_compute = re.search(r"x-compute: (.+)", text)
    appraisal.write_text(text.replace(first_compute.group(0), "x-compute: no_such_field * 2", 1), "utf-8")
    dup = folder / "copy_of_order.yaml"
    shutil.copy(SCHEMAS / "01-sales/05-order_form.yaml", dup)

    monkeypatch.chdir(tmp_path)
    r = runner.invoke(main, ["validate", "schemas"])
    assert r.exit_code == 1
    out = r.output
    assert f"schemas/01-sales/05-order_form.yaml:{_line_of(order, 'x-rwos')}:" in out and "是否想写 'x-rows'" in out
    assert re.search(r"schemas/01-sales/02-sales_daily_report\.yaml:\d+:\d+: E002", out)
    assert f"schemas/07-performance-pay/03-salesperson_appraisal.yaml:{_line_of(appraisal, 'no_such_field')}:" in out
    assert "'no_such_field' 不存在" in out
    assert f"schemas/01-sales/05-order_form.yaml:{_line_of(order, 'id: order_form')}:" in out or \
        f"schemas/copy_of_order.yaml:{_line_of(dup, 'id: order_form')}:" in out
    assert "E201" in out
    assert "发现" in out


def test_validate_json_output(runner, tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(SCHEMAS, folder)
    (folder / "bad.yaml").write_text("x-form: {id: bad, title: 坏}\nproperties:\n  a: {title: 甲, x-kind: nubmer}\n",
                                     "utf-8")
    r = runner.invoke(main, ["validate", "--json", str(folder)])
    assert r.exit_code == 1
    [p] = json.loads(r.stdout)
    assert (p["line"], p["path"], p["code"]) == (3, "/properties/a/x-kind", "E102")


ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5},
                   {"product_name": "肥皂", "quantity": 10, "unit_price": 2.05, "amount": 1}],
         "total": 99999}


def test_check_fills_amount_total_and_words(runner, tmp_path):
    data = tmp_path / "order.json"
    data.write_text(json.dumps(ORDER, ensure_ascii=False), "utf-8")
    r = runner.invoke(main, ["check", "order_form", str(data), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [i["amount"] for i in out["items"]] == [37.5, 20.5]
    assert out["total"] == 58
    assert out["total_in_words"] == "伍拾捌元整"


def test_check_by_chinese_title_and_errors(runner, tmp_path):
    data = tmp_path / "bad.json"
    data.write_text(json.dumps({"items": [{"quantity": -1}]}), "utf-8")
    r = runner.invoke(main, ["check", "商品订货单", str(data), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 1
    assert "「客户名称」为必填项" in r.stderr
    assert "订货明细第 1 行「数量」必须是不小于 0 的整数" in r.stderr


def test_check_bad_json_and_unknown_form(runner, tmp_path):
    data = tmp_path / "x.json"
    data.write_text("{oops", "utf-8")
    r = runner.invoke(main, ["check", "order_form", str(data), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 1 and "x.json:1:2" in r.output
    r = runner.invoke(main, ["check", "nope", str(data), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 1 and "没有找到表单 'nope'" in r.output


def test_list_groups_by_chapter(runner):
    r = runner.invoke(main, ["list", "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0] == "第一章 销售管理"
    assert any("order_form" in l and "商品订货单" in l for l in lines)


def test_new_writes_a_valid_commented_starter(runner, tmp_path):
    shutil.copy(SCHEMAS / "_shared.yaml", tmp_path / "_shared.yaml")
    r = runner.invoke(main, ["new", "visit_log", "--title", "客户拜访记录", "--schemas", str(tmp_path)])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "visit_log.yaml").read_text("utf-8")
    assert "# " in text and "title: 客户拜访记录" in text
    assert runner.invoke(main, ["validate", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["new", "visit_log", "--schemas", str(tmp_path)])
    assert again.exit_code == 1 and "已存在" in again.output
    assert runner.invoke(main, ["new", "Bad-Id", "--schemas", str(tmp_path)]).exit_code == 1


def test_render_blank_and_filled(runner, tmp_path):
    out = tmp_path / "blank.pdf"
    r = runner.invoke(main, ["render", "order_form", "--format", "pdf", "-o", str(out), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:4] == b"%PDF"
    data = tmp_path / "order.json"
    data.write_text(json.dumps(ORDER, ensure_ascii=False), "utf-8")
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("html", b"<!doctype"), ("print", b"<!doctype")):
        out = tmp_path / f"filled.{fmt}"
        r = runner.invoke(main, ["render", "order_form", "--format", fmt, "--data", str(data), "--number",
                                 "DH-202611-0009", "-o", str(out), "--schemas", str(SCHEMAS)])
        assert r.exit_code == 0, r.output
        assert out.read_bytes().startswith(magic)
    from .render_helpers import pdf_pages, squash
    assert "DH-202611-0009" in squash("".join(pdf_pages((tmp_path / "filled.pdf").read_bytes())))
    r = runner.invoke(main, ["render", "order_form", "--format", "docx", "--schemas", str(SCHEMAS)])
    assert r.exit_code == 1 and "未知的格式" in r.output


def test_import_prints_the_submission_or_the_cells_in_error(runner, tmp_path):
    from services.catalog import load_catalog
    from forms.submission import check
    from renderers import base

    from .test_xlsx import fill
    form = load_catalog(SCHEMAS).require("order_form")
    good = check(form, ORDER).data
    path = tmp_path / "filled.xlsx"
    path.write_bytes(fill(form, base.get("xlsx").render(form), good))
    r = runner.invoke(main, ["import", "order_form", str(path), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["total"] == good["total"]
    bad = {**good, "items": [{**good["items"][0], "quantity": -3}]}
    path.write_bytes(fill(form, base.get("xlsx").render(form), bad))
    r = runner.invoke(main, ["import", "order_form", str(path), "--schemas", str(SCHEMAS)])
    assert r.exit_code == 1 and "商品订货单!" in r.stderr and "「数量」" in r.stderr
