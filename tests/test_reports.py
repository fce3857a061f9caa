"""The ten catalog reports generated from a known set of source records.

Every expected figure is computed here, by hand-written filters and sums over the fixture
records below, never by services.reports. The fixture holds records of the period and of other
periods, of other departments, and voided / rejected ones (states come from a fake state
function, as the approval flow will give them).
"""
from __future__ import annotations

import pytest

from services.access import Access
from services.accounts import User
from services.reports import generate, keep_trace, trace_of, traced_records
from store import open_store

SH, GZ = "上海办事处", "广州办事处"
COUNTED = {"已提交", "已通过"}

# (ship_date, customer, order_no, [(product, spec, unit, qty, price)], department, state)
DELIVERIES = [
    ("2026-11-27", "甲商贸", "HT-1", [("苹果汁", "500ml", "箱", 3, 10.0), ("橙汁", "1L", "箱", 2, 5.5)], SH, "已提交"),
    ("2026-11-27", "乙超市", "HT-2", [("苹果汁", "500ml", "箱", 1, 10.0)], GZ, "已通过"),
    ("2026-11-27", "甲商贸", "HT-1", [("苹果汁", "500ml", "箱", 100, 10.0)], SH, "已作废"),
    ("2026-11-02", "丙便利", "HT-1", [("苹果汁", "500ml", "箱", 4, 10.0)], SH, "已提交"),
    ("2026-11-10", "丁批发", "HT-3", [("橙汁", "1L", "箱", 3, 5.5)], SH, "已驳回"),
    ("2026-11-28", "甲商贸", "HT-2", [("苹果汁", "500ml", "箱", 9, 10.0)], SH, "已提交"),
    ("2026-11-15", "甲商贸", "", [("矿泉水", "550ml", "箱", 10, 2.0)], SH, "已提交"),      # new this month: no 上月
    ("2026-10-15", "甲商贸", "HT-0", [("苹果汁", "500ml", "箱", 7, 10.0), ("橙汁", "1L", "箱", 6, 5.5)], SH, "已提交"),
    ("2026-03-01", "乙超市", "", [("橙汁", "1L", "箱", 5, 5.5)], GZ, "已提交"),
    ("2025-11-20", "甲商贸", "", [("苹果汁", "500ml", "箱", 50, 10.0)], SH, "已提交"),
]
# (order_date, customer, [(product, spec, unit, qty, price)], department, state)
ORDERS = [
    ("2026-11-27", "甲商贸", [("苹果汁", "500ml", "箱", 10, 10.0), ("橙汁", "1L", "箱", 4, 5.5)], SH, "已提交"),
    ("2026-11-27", "乙超市", [("苹果汁", "500ml", "箱", 6, 9.5)], GZ, "已提交"),
    ("2026-11-05", "甲商贸", [("苹果汁", "500ml", "箱", 2, 10.0)], SH, "已通过"),
    ("2026-11-27", "丙便利", [("橙汁", "1L", "箱", 40, 5.5)], SH, "已作废"),
    ("2026-10-30", "丙便利", [("苹果汁", "500ml", "箱", 8, 10.0)], SH, "已提交"),
    ("2026-12-01", "甲商贸", [("苹果汁", "500ml", "箱", 3, 10.0)], SH, "已提交"),
]
# (receive_date, payer, [(contract_no, receivable, received)], department, state)
RECEIPTS = [
    ("2026-11-27", "甲商贸", [("HT-1", 100.0, 60.0), ("HT-9", 50.0, 20.0)], SH, "已提交"),
    ("2026-11-03", "乙超市", [("HT-2", 40.0, 40.0)], GZ, "已提交"),
    ("2026-10-08", "甲商贸", [("HT-0", 200.0, 30.0)], SH, "已提交"),
    ("2026-11-27", "甲商贸", [("HT-1", 500.0, 500.0)], SH, "已驳回"),
]
# (complaint_date, types, product, result, compensation, department, state)
COMPLAINTS = [
    ("2026-11-03", ["产品质量"], "苹果汁", "已解决", 100.0, SH, "已提交"),
    ("2026-11-12", ["产品质量", "交货延误"], "橙汁", "未解决", 0.0, SH, "已提交"),
    ("2026-11-20", ["服务态度"], "苹果汁", "已解决", 50.0, GZ, "已提交"),
    ("2026-11-21", ["交货延误"], "苹果汁", "部分解决", 20.0, SH, "已作废"),
    ("2026-10-05", ["产品质量"], "苹果汁", "已解决", 10.0, SH, "已提交"),
    ("2026-10-06", ["价格"], "橙汁", "未解决", 0.0, GZ, "已提交"),
]
# (review_date, contract_no, customer, salesperson, amount, conclusion, department, state)
CONTRACTS = [
    ("2026-11-04", "HT-1", "甲商贸", "张三", 1000.0, "同意签订", SH, "已通过"),
    ("2026-11-18", "HT-2", "乙超市", "李四", 300.0, "修改后签订", GZ, "已通过"),
    ("2026-11-19", "HT-8", "戊公司", "张三", 999.0, "不同意签订", SH, "已提交"),
    ("2026-11-25", "HT-7", "己公司", "张三", 700.0, "同意签订", SH, "已撤回"),
    ("2026-10-02", "HT-0", "甲商贸", "张三", 800.0, "同意签订", SH, "已提交"),
]
# (finish_date, methods, customer, product, department, state)
HANDLINGS = [
    ("2026-11-06", ["退货"], "甲商贸", "苹果汁", SH, "已提交"),
    ("2026-11-09", ["换货", "赔礼道歉"], "乙超市", "橙汁", GZ, "已提交"),
    ("2026-11-15", ["退货", "换货"], "丙便利", "苹果汁", SH, "已提交"),
    ("2026-11-16", ["维修"], "丁批发", "苹果汁", SH, "已提交"),
    ("2026-11-17", ["退货"], "丁批发", "橙汁", SH, "已作废"),
    ("2026-10-20", ["退货"], "甲商贸", "橙汁", SH, "已提交"),
]
# (apply_date, activity, [(cost_item, qty, price)], department, state)
PROMOTIONS = [
    ("2026-09-01", "国庆促销", [("海报", 100, 2.0), ("赠品", 50, 8.0)], SH, "已通过"),
    ("2026-09-20", "国庆促销", [("赠品", 20, 8.0), ("场地", 1, 500.0)], SH, "已通过"),
    ("2026-09-21", "国庆促销", [("场地", 1, 9999.0)], SH, "已驳回"),
    ("2026-09-05", "中秋促销", [("海报", 10, 2.0)], SH, "已通过"),
]


def _delivery(r):
    day, customer, order_no, lines, _, _ = r
    items = [{"product_name": p, "spec": s, "unit": u, "quantity": q, "unit_price": pr, "amount": round(q * pr, 2)}
             for p, s, u, q, pr in lines]
    return {"ship_date": day, "customer_name": customer, "order_no": order_no, "address": "某地", "ship_method": "快递",
            "carrier": "顺丰", "items": items, "total": round(sum(i["amount"] for i in items), 2)}


def _order(r):
    day, customer, lines, _, _ = r
    items = [{"product_name": p, "spec": s, "unit": u, "quantity": q, "unit_price": pr, "amount": round(q * pr, 2)}
             for p, s, u, q, pr in lines]
    return {"order_date": day, "customer_name": customer, "items": items,
            "total": round(sum(i["amount"] for i in items), 2)}


def _receipt(r):
    day, payer, lines, _, _ = r
    return {"receive_date": day, "payer": payer, "items": [{"contract_no": c, "receivable": a, "received": b}
                                                           for c, a, b in lines]}


def _complaint(r):
    day, types, product, result, comp, _, _ = r
    return {"register_date": day, "complaint": {"complaint_date": day, "types": types, "product_name": product},
            "handling": {"result": result, "compensation": comp}}


def _contract(r):
    day, no, customer, sales, amount, conclusion, _, _ = r
    return {"review_date": day, "contract_no": no, "customer_name": customer, "salesperson": sales,
            "contract_amount": amount, "opinions": {"conclusion": conclusion}}


def _handling(r):
    day, methods, customer, product, _, _ = r
    return {"report_date": day, "complaint": {"customer_name": customer, "product_name": product},
            "handling": {"finish_date": day, "methods": methods}}


def _promotion(r):
    day, activity, lines, _, _ = r
    return {"apply_date": day, "activity_name": activity,
            "items": [{"cost_item": c, "quantity": q, "unit_price": p, "amount": q * p} for c, q, p in lines]}


SOURCES = {"delivery_note": (DELIVERIES, _delivery), "order_form": (ORDERS, _order),
           "receipt_notice": (RECEIPTS, _receipt), "customer_complaint_register": (COMPLAINTS, _complaint),
           "sales_contract_review": (CONTRACTS, _contract), "complaint_handling_report": (HANDLINGS, _handling),
           "promotion_application": (PROMOTIONS, _promotion)}


@pytest.fixture(scope="module")
def world(tmp_path_factory, catalog):
    """The store with every fixture record; ids[form][i] is the id of fixture i; the fake state function."""
    store = open_store(str(tmp_path_factory.mktemp("reports")))
    yield _fill(store)
    store.close()


def _fill(store):
    ids, states = {}, {}
    for form_id, (rows, make) in SOURCES.items():
        ids[form_id] = []
        for i, row in enumerate(rows):
            dept, state = row[-2], row[-1]
            rec = store.add(form_id, make(row), version=1, definition="t", created="2026-11-30T10:00:00",
                            creator="wang" if dept == SH else "li", department=dept,
                            make_number=lambda seq, f=form_id: f"{f[:2].upper()}-{seq:04d}")
            ids[form_id].append(rec["id"])
            states[(form_id, rec["id"])] = state
    return store, ids, (lambda form_id, record: states[(form_id, record["id"])])


def test_the_same_reports_on_postgresql(catalog):
    """Everything a report reads and keeps goes through the Store interface: the PostgreSQL store too."""
    from tests.pg_helpers import database
    with database() as url:
        store = open_store(url)
        try:
            pg_world = _fill(store)
            test_shipment_monthly_report(catalog, pg_world)
            test_a_department_user_counts_only_their_department(catalog, pg_world)
            test_traced_records_of_a_row_are_exactly_those_that_made_it(catalog, pg_world)
        finally:
            store.close()


def boss(catalog):
    return Access(catalog.policy, User("boss", "总经理", "总经理办公室", ["总经理"]))


def run(catalog, world, form_id, period, access=None, **kw):
    """The generated report; its formulas all compute (a product new this month has a 环比 too)."""
    from forms.submission import check
    store, _, state_of = world
    form = catalog.forms[form_id]
    gen = generate(catalog, store, access or boss(catalog), form, period, state_of=state_of, **kw)
    errors = check(form, gen.data).errors
    assert not [e for e in errors if "无法计算" in e["message"]], errors
    return gen


def counted(rows, *, depts=None):
    return [(i, r) for i, r in enumerate(rows) if r[-1] in COUNTED and (depts is None or r[-2] in depts)]


def number_of(world, form_id, i):
    store, ids, _ = world
    return store.get(form_id, ids[form_id][i])["number"]


def test_shipment_daily_report(catalog, world):
    gen = run(catalog, world, "shipment_daily_report", "2026-11-27")
    expected = [(number_of(world, "delivery_note", i), r[1], p, q, pr, round(q * pr, 2))
                for i, r in counted(DELIVERIES) if r[0] == "2026-11-27" for p, _, _, q, pr in r[3]]
    got = [(x["delivery_no"], x["customer_name"], x["product_name"], x["quantity"], x["unit_price"], x["amount"])
           for x in gen.data["items"]]
    assert got == expected and len(got) == 3
    assert gen.data["items"][0]["ship_method"] == "快递" and gen.data["items"][0]["carrier"] == "顺丰"
    assert gen.data["delivery_count"] == len({i for i, r in counted(DELIVERIES) if r[0] == "2026-11-27"}) == 2
    month = sum(q * pr for _, r in counted(DELIVERIES) if "2026-11-01" <= r[0] <= "2026-11-27" for *_, q, pr in r[3])
    assert gen.data["month_amount"] == pytest.approx(month) and month == 30 + 11 + 10 + 40 + 20
    assert gen.data["total_amount"] == pytest.approx(sum(x[5] for x in expected))


def _by_product(rows, lo, hi):
    out = {}
    for _, r in counted(rows):
        if lo <= r[0] <= hi:
            for p, s, u, q, pr in r[3]:
                qty, amt = out.get((p, s, u), (0, 0))
                out[(p, s, u)] = (qty + q, amt + q * pr)
    return out


def test_shipment_monthly_report(catalog, world):
    gen = run(catalog, world, "shipment_monthly_report", "2026-11")
    now = _by_product(DELIVERIES, "2026-11-01", "2026-11-30")
    last = _by_product(DELIVERIES, "2026-10-01", "2026-10-31")
    year = _by_product(DELIVERIES, "2026-01-01", "2026-11-30")
    rows = {(x["product_name"], x["spec"], x["unit"]): x for x in gen.data["items"]}
    assert set(rows) == set(year)
    for key, x in rows.items():
        assert x["quantity"] == now.get(key, (0, 0))[0]
        assert x["amount"] == pytest.approx(now.get(key, (0, 0))[1])
        assert x["last_quantity"] == last.get(key, (0, 0))[0]
        assert x["year_quantity"] == year[key][0] and x["year_amount"] == pytest.approx(year[key][1])
    assert rows[("矿泉水", "550ml", "箱")]["growth"] == 0          # 上月无发货时为 0 (the report's description)
    apple = rows[("苹果汁", "500ml", "箱")]
    assert (apple["quantity"], apple["last_quantity"], apple["year_quantity"]) == (3 + 1 + 4 + 9, 7, 17 + 7)
    assert apple["growth"] == pytest.approx(round((17 - 7) / 7 * 100, 1))     # the report's own formula
    assert gen.data["delivery_count"] == sum(1 for _, r in counted(DELIVERIES) if r[0].startswith("2026-11"))
    assert gen.data["customer_count"] == len({r[1] for _, r in counted(DELIVERIES) if r[0].startswith("2026-11")})


def test_order_register(catalog, world):
    gen = run(catalog, world, "order_register", "2026-11")
    expected = sorted((r[0], number_of(world, "order_form", i), r[1], p, q, pr) for i, r in counted(ORDERS)
                      if r[0].startswith("2026-11") for p, _, _, q, pr in r[2])
    got = sorted((x["order_date"], x["order_no"], x["customer_name"], x["product_name"], x["quantity"], x["unit_price"])
                 for x in gen.data["items"])
    assert got == expected and len(got) == 4
    assert {x["salesperson"] for x in gen.data["items"]} == {"wang", "li"}
    assert gen.data["total_quantity"] == sum(x[4] for x in expected)


def test_order_statistics(catalog, world):
    gen = run(catalog, world, "order_statistics", "2026-11")
    rows = {x["product_name"]: x for x in gen.data["items"]}
    for product in ("苹果汁", "橙汁"):
        lines = [(r, q, pr) for _, r in counted(ORDERS) if r[0].startswith("2026-11") for p, _, _, q, pr in r[2]
                 if p == product]
        last = sum(q * pr for _, r in counted(ORDERS) if r[0].startswith("2026-10") for p, _, _, q, pr in r[2]
                   if p == product)
        shipped = sum(q for _, r in counted(DELIVERIES) if r[0].startswith("2026-11") for p, _, _, q, _ in r[3]
                      if p == product)
        x = rows[product]
        assert x["quantity"] == sum(q for _, q, _ in lines)
        assert x["amount"] == pytest.approx(sum(q * pr for _, q, pr in lines))
        assert x["customers"] == len({r[1] for r, _, _ in lines})
        assert x["last_month"] == pytest.approx(last)
        assert x["shipped"] == shipped
        assert x["unshipped"] == x["quantity"] - shipped
    assert rows["苹果汁"]["quantity"] == 18 and rows["苹果汁"]["shipped"] == 17
    assert gen.data["order_count"] == sum(1 for _, r in counted(ORDERS) if r[0].startswith("2026-11")) == 3
    assert gen.data["customer_count"] == 2


def test_complaint_statistics(catalog, world):
    gen = run(catalog, world, "complaint_statistics", "2026-11")
    now = [r for _, r in counted(COMPLAINTS) if r[0].startswith("2026-11")]
    rows = {x["category"]: x for x in gen.data["by_category"]}
    assert set(rows) == {t for r in now for t in r[1]}
    for cat, x in rows.items():
        mine = [r for r in now if cat in r[1]]
        assert x["count"] == len(mine)
        assert x.get("resolved", 0) == sum(1 for r in mine if r[3] == "已解决")
        assert x["compensation"] == pytest.approx(sum(r[4] for r in mine))
    assert rows["产品质量"]["count"] == 2 and rows["产品质量"]["resolved"] == 1
    assert rows["产品质量"]["resolve_rate"] == pytest.approx(50.0)            # the report's formula
    assert gen.data["last_month_count"] == sum(1 for _, r in counted(COMPLAINTS) if r[0].startswith("2026-10")) == 2
    products = {x["product_name"]: x["count"] for x in gen.data["by_product"]}
    assert products == {"苹果汁": 2, "橙汁": 1}


def test_accounts_receivable(catalog, world):
    gen = run(catalog, world, "accounts_receivable", "2026-11")
    rows = {x["customer_name"]: x for x in gen.data["items"]}

    def shipped(customer, lo, hi):
        return sum(q * pr for _, r in counted(DELIVERIES) if r[1] == customer and lo <= r[0] <= hi
                   for *_, q, pr in r[3])

    def received(customer, lo, hi):
        return sum(b for _, r in counted(RECEIPTS) if r[1] == customer and lo <= r[0] <= hi for _, _, b in r[2])

    customers = {r[1] for _, r in counted(DELIVERIES) if r[0] <= "2026-11-30"} | \
        {r[1] for _, r in counted(RECEIPTS) if r[0] <= "2026-11-30"}
    assert set(rows) == customers
    for c, x in rows.items():
        assert x["opening"] == pytest.approx(shipped(c, "0000", "2026-10-31") - received(c, "0000", "2026-10-31"))
        assert x["increase"] == pytest.approx(shipped(c, "2026-11-01", "2026-11-30"))
        assert x["collected"] == pytest.approx(received(c, "2026-11-01", "2026-11-30"))
        assert x["closing"] == pytest.approx(x["opening"] + x["increase"] - x["collected"])
    assert rows["甲商贸"]["opening"] == pytest.approx(500 + 70 + 33 - 30)


def test_sales_daily_report(catalog, world):
    gen = run(catalog, world, "sales_daily_report", "2026-11-27")
    expected = sorted((r[1], p, q, pr) for _, r in counted(ORDERS) if r[0] == "2026-11-27" for p, _, _, q, pr in r[2])
    assert sorted((x["customer_name"], x["product_name"], x["quantity"], x["unit_price"])
                  for x in gen.data["items"]) == expected
    assert gen.data["collected_today"] == pytest.approx(
        sum(b for _, r in counted(RECEIPTS) if r[0] == "2026-11-27" for *_, b in r[2])) and expected
    assert gen.data["collected_month"] == pytest.approx(
        sum(b for _, r in counted(RECEIPTS) if "2026-11-01" <= r[0] <= "2026-11-27" for *_, b in r[2]))
    assert gen.data["sales_month"] == pytest.approx(
        sum(q * pr for _, r in counted(ORDERS) if "2026-11-01" <= r[0] <= "2026-11-27" for *_, q, pr in r[2]))


def test_sales_contract_statistics(catalog, world):
    gen = run(catalog, world, "sales_contract_statistics", "2026-11")
    signed = [r for _, r in counted(CONTRACTS) if r[0].startswith("2026-11") and r[5] != "不同意签订"]
    rows = {x["contract_no"]: x for x in gen.data["items"]}
    assert set(rows) == {r[1] for r in signed} == {"HT-1", "HT-2"}
    for r in signed:
        x = rows[r[1]]
        assert (x["customer_name"], x["sign_date"], x["salesperson"]) == (r[2], r[0], r[3])
        assert x["contract_amount"] == pytest.approx(r[4])
        assert x.get("shipped", 0) == pytest.approx(sum(q * pr for _, d in counted(DELIVERIES) if d[2] == r[1]
                                                        and d[0] <= "2026-11-30" for *_, q, pr in d[3]))
        assert x.get("collected", 0) == pytest.approx(sum(b for _, d in counted(RECEIPTS) if d[0] <= "2026-11-30"
                                                          for c, _, b in d[2] if c == r[1]))
    assert gen.data["contract_count"] == 2


def test_return_exchange_summary(catalog, world):
    gen = run(catalog, world, "return_exchange_summary", "2026-11")
    expected = sorted((r[0], number_of(world, "complaint_handling_report", i), r[2], r[3])
                      for i, r in counted(HANDLINGS) if r[0].startswith("2026-11") and {"退货", "换货"} & set(r[1]))
    got = sorted((x["return_date"], x["slip_no"], x["customer_name"], x["product_name"]) for x in gen.data["items"])
    assert got == expected and len(got) == 3
    assert gen.data["month_sales"] == pytest.approx(
        sum(q * pr for _, r in counted(DELIVERIES) if r[0].startswith("2026-11") for *_, q, pr in r[3]))


def test_promotion_cost_analysis(catalog, world):
    gen = run(catalog, world, "promotion_cost_analysis", "2026-10-15", values={"activity_name": "国庆促销"})
    budget = {}
    for _, r in counted(PROMOTIONS):
        if r[1] == "国庆促销" and r[0] <= "2026-10-15":
            for item, q, p in r[2]:
                budget[item] = budget.get(item, 0) + q * p
    assert {x["cost_item"]: x["budget"] for x in gen.data["items"]} == pytest.approx(budget)
    assert budget == {"海报": 200, "赠品": 560, "场地": 500}
    assert gen.data["activity_name"] == "国庆促销"


def test_a_department_user_counts_only_their_department(catalog, world):
    mgr = Access(catalog.policy, User("zhou", "周主管", GZ, ["销售主管"]))
    gen = run(catalog, world, "shipment_monthly_report", "2026-11", access=mgr)
    mine = [(i, r) for i, r in counted(DELIVERIES, depts={GZ})]
    expected = {}
    for _, r in mine:
        if r[0].startswith("2026-11"):
            for p, *_, q, _ in r[3]:
                expected[p] = expected.get(p, 0) + q
    assert {x["product_name"]: x["quantity"] for x in gen.data["items"] if x["quantity"]} == expected == {"苹果汁": 1}
    assert gen.counts["delivery_note"] == len(mine)
    everyone = run(catalog, world, "shipment_monthly_report", "2026-11")
    assert gen.data["total_quantity"] < everyone.data["total_quantity"]


def test_traced_records_of_a_row_are_exactly_those_that_made_it(catalog, world):
    store, ids, _ = world
    gen = run(catalog, world, "shipment_monthly_report", "2026-11")
    by_product = {x["product_name"]: i for i, x in enumerate(gen.data["items"])}
    for product, row in by_product.items():
        made = {ids["delivery_note"][i] for i, r in counted(DELIVERIES) if "2026-01-01" <= r[0] <= "2026-11-30"
                and any(p == product for p, *_ in r[3])}
        assert set(gen.trace["items"][row]) == {"delivery_note"}
        assert sorted(gen.trace["items"][row]["delivery_note"]) == sorted(made)
    keep_trace(store, "shipment_monthly_report", 1, gen.trace, "2026-11")
    kept = trace_of(store, "shipment_monthly_report", 1)["trace"]["items"][by_product["橙汁"]]
    mgr = Access(catalog.policy, User("zhou", "周主管", GZ, ["销售主管"]))
    seen = traced_records(catalog, store, mgr, kept)
    assert {rec["id"] for _, rec in seen} == {ids["delivery_note"][i] for i, r in counted(DELIVERIES, depts={GZ})
                                              if any(p == "橙汁" for p, *_ in r[3]) and r[0] <= "2026-11-30"}


def test_biaoge_report_prints_the_generated_data(tmp_path):
    import json

    from click.testing import CliRunner

    from cli import main
    from tests.conftest import SCHEMAS
    import shutil
    schemas = tmp_path / "schemas"          # only the two forms: the command loads no more than it needs here
    schemas.mkdir()
    for name in ("_shared.yaml", "01-sales/08-delivery_note.yaml", "01-sales/11-shipment_monthly_report.yaml"):
        shutil.copy(SCHEMAS / name, schemas / name.split("/")[-1])
    store = open_store(str(tmp_path / "data"))
    for r in DELIVERIES:
        store.add("delivery_note", _delivery(r), version=1, definition="t", created="2026-11-30T10:00:00",
                  department=r[-2])
    store.close()
    out = CliRunner().invoke(main, ["report", "shipment_monthly_report", "--month", "2026-11", "--trace",
                                    "--schemas", str(schemas), "--data", str(tmp_path / "data")])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    apple = next(x for x in got["data"]["items"] if x["product_name"] == "苹果汁")
    # no approval flow from the command line: every stored record counts, the voided one too
    assert apple["quantity"] == sum(q for r in DELIVERIES if r[0].startswith("2026-11") for p, *_, q, _ in r[3]
                                    if p == "苹果汁")
    assert len(got["trace"]["items"]) == len(got["data"]["items"])
    bad = CliRunner().invoke(main, ["report", "shipment_monthly_report", "--month", "2026-13",
                                    "--schemas", str(schemas), "--data", str(tmp_path / "data")])
    assert bad.exit_code != 0 and "不是有效的年月" in bad.output


def test_without_the_trace_the_figures_are_the_same_and_no_ids_are_kept(catalog, world):
    """`biaoge report` without --trace: the same report, no record ids held (what keeps its
    memory flat in bench/report.py)."""
    traced = run(catalog, world, "shipment_monthly_report", "2026-11")
    bare = run(catalog, world, "shipment_monthly_report", "2026-11", trace=False)
    assert bare.data == traced.data and bare.counts == traced.counts
    assert any(row for row in traced.trace["items"])
    assert all(not row for row in bare.trace["items"])
