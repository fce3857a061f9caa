"""`biaoge numbers FORM --period 2026-11`: every 编号 of the period in order — record, when, by
whom, 有效 or 作废 (who, when, why) — none missing; and a gap or a duplicate planted in a store
(either backend) is found and reported, with exit code 1."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from cli import main
from services.numbers import NumbersError, continuity
from store import open_store
from tests.conftest import SCHEMAS
from tests.pg_helpers import database

ORDER = {"customer_name": "华联超市", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}


@pytest.fixture
def one_form(tmp_path):
    """A definitions folder holding only 商品订货单 (the CLI loads it quickly)."""
    folder = tmp_path / "schemas"
    folder.mkdir()
    shutil.copy(SCHEMAS / "_shared.yaml", folder)
    shutil.copy(SCHEMAS / "_org.yaml", folder)
    shutil.copy(SCHEMAS / "01-sales" / "05-order_form.yaml", folder)
    return folder


def test_every_number_of_the_period_with_the_voided_ones(tmp_path, one_form, catalog, monkeypatch):
    from argon2 import PasswordHasher

    from services.accounts import Accounts
    from services.records import Records
    from services.voiding import void
    monkeypatch.setattr("services.accounts._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    location = str(tmp_path / "data")
    store = open_store(location)
    accounts = Accounts(store, lambda: catalog.policy)
    rep = accounts.add("ywy", "password-123", real_name="张业务", department="上海办事处", roles=["业务员"])
    boss = accounts.add("jingli", "password-123", real_name="王经理", department="华东大区", roles=["销售部经理"])
    form = catalog.require("order_form")
    records = Records(store, lambda: catalog)
    made = [records.save_new(form, dict(ORDER, order_date=f"2026-11-{d:02d}"), creator="ywy",
                             department="上海办事处") for d in range(1, 7)]
    records.save_new(form, dict(ORDER, order_date="2026-10-31"), creator="ywy")      # another period
    void(store, None, form, made[1], reason="客户取消订单", by=boss)
    store.close()
    # the second one from the command line, by someone who may (and not by someone who may not)
    run = CliRunner().invoke(main, ["void", "order_form", str(made[4]["id"]), "--reason", "重复录入", "--by", "ywy",
                                    "--data", location, "--schemas", str(one_form)])
    assert run.exit_code != 0 and "没有作废权限" in run.output, run.output
    run = CliRunner().invoke(main, ["void", "order_form", str(made[4]["id"]), "--reason", "重复录入", "--by", "jingli",
                                    "--data", location, "--schemas", str(one_form)])
    assert run.exit_code == 0 and "已作废记录 DH-202611-0005" in run.output, run.output

    run = CliRunner().invoke(main, ["numbers", "order_form", "--period", "2026-11", "--data", location,
                                    "--schemas", str(one_form)])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    listed = [n for line in lines for n in [f"DH-202611-{k:04d}" for k in range(1, 7)] if n in line]
    assert listed == [f"DH-202611-{k:04d}" for k in range(1, 7)]          # every one, in order, once
    assert "DH-202610-0001" not in run.output
    for k, reason in ((2, "客户取消订单"), (5, "重复录入")):
        [line] = [x for x in lines if f"DH-202611-{k:04d}" in x]
        assert "作废" in line and "王经理" in line and reason in line and "2026-" in line, line
    for k in (1, 3, 4, 6):
        [line] = [x for x in lines if f"DH-202611-{k:04d}" in x]
        assert "有效" in line and "张业务" in line and "作废" not in line, line
    assert "有效 4 条，作废 2 条" in run.output and "无缺号、无重号" in run.output

    run = CliRunner().invoke(main, ["numbers", "order_form", "--period", "2026-11", "--json", "--data", location,
                                    "--schemas", str(one_form)])
    report = json.loads(run.output)
    assert [r["seq"] for r in report["rows"]] == [1, 2, 3, 4, 5, 6]
    assert [r["state"] for r in report["rows"]] == ["有效", "作废", "有效", "有效", "作废", "有效"]
    assert report["rows"][1]["void"]["by_name"] == "王经理" and report["missing"] == report["duplicates"] == []

    run = CliRunner().invoke(main, ["numbers", "order_form", "--period", "2026", "--data", location,
                                    "--schemas", str(one_form)])
    assert run.exit_code != 0 and "按月重新编号" in run.output and "2026-11" in run.output


def _history(rid, number, day):
    return [{"id": rid, "number": number, "revision": 1, "created": f"2026-11-{day:02d}T09:00:00",
             "updated": f"2026-11-{day:02d}T09:00:00", "version": 1, "definition": "d", "creator": "ywy",
             "department": "上海办事处", "by": None, "data": dict(ORDER, order_date=f"2026-11-{day:02d}")}]


@pytest.mark.parametrize("backend", ["folder", "postgresql"])
def test_a_planted_gap_and_duplicate_are_reported(tmp_path, catalog, backend, one_form):
    form = catalog.require("order_form")
    numbers = ["DH-202611-0001", "DH-202611-0002", "DH-202611-0004", "DH-202611-0005", "DH-202611-0005"]
    histories = [_history(i, n, i) for i, n in enumerate(numbers, 1)]

    def check(location):
        store = open_store(location)
        try:
            store.load("order_form", histories, {"2026-11": 6})
            report = continuity(store, form, "2026-11")
        finally:
            store.close()
        assert report["missing"] == [3, 6] and not report["ok"]
        assert report["duplicates"] == [{"seq": 5, "number": "DH-202611-0005", "records": [4, 5]}]
        assert [r["state"] for r in report["rows"]] == ["有效", "有效", "缺号", "有效", "有效", "有效", "缺号"]
        return location
    if backend == "folder":
        location = check(str(tmp_path / "data"))
        run = CliRunner().invoke(main, ["numbers", "order_form", "--period", "2026-11", "--data", location,
                                        "--schemas", str(one_form)])
        assert run.exit_code == 1
        assert "缺号：第 3、6 号没有记录" in run.output and "重号：DH-202611-0005" in run.output, run.output
    else:
        with database() as url:
            check(url)


def test_a_form_without_numbers_is_refused(catalog, tmp_path):
    form = next(f for f in catalog.forms.values() if not f.numbering)
    with pytest.raises(NumbersError, match="没有编号"):
        continuity(open_store(str(tmp_path / "d")), form, "2026-11")
