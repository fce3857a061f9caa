"""The linter on x-source: every mistake found at once, in Chinese, with file:line, path and a suggestion."""
from __future__ import annotations

import pytest

from forms.report_source import window
from services.catalog import load_catalog
from tests.conftest import SCHEMAS

REPORT = """
x-form: {id: my_report, title: 我的报表, version: 1}
properties:
  period: {title: 月份, x-kind: month}
  items:
    title: 明细
    x-kind: table
    x-source:
      form: delivery_notes
      date: ship_date
      period: period
      rows: items
      group: [product_name]
      columns: {quantity: sum(quantity)}
    items:
      properties:
        product_name: {title: 商品名称, x-kind: text}
        quantity: {title: 数量, x-kind: integer}
"""

BROKEN = """
x-form: {id: my_report, title: 我的报表, version: 1}
properties:
  period: {title: 月份, x-kind: month}
  note: {title: 说明, x-kind: text}
  items:
    title: 明细
    x-kind: table
    x-source:
      form: delivery_note
      date: customer_name
      period: period
      rows: items
      where: [ship_methd = 快递, 乱写]
      group: [product_name]
      columns:
        quantity: sum(product_name)
        amount: total(amount)
        product_name: sum(quantity)
        qty: sum(quantity)
        name: customer_name
    items:
      properties:
        product_name: {title: 商品名称, x-kind: text}
        quantity: {title: 数量, x-kind: integer}
        amount: {title: 金额, x-kind: money}
        qty: {title: 件数, x-kind: integer}
        name: {title: 客户, x-kind: text}
  count:
    title: 单数
    x-kind: text
    x-source: {like: items, value: count}
"""


def _catalog(make_schemas, report):
    root = make_schemas({"delivery_note.yaml": (SCHEMAS / "01-sales" / "08-delivery_note.yaml").read_text("utf-8"),
                         "report.yaml": report})
    return load_catalog(root, display_root=root)


def test_an_unknown_source_form_is_named_with_the_right_spelling(make_schemas):
    cat = _catalog(make_schemas, REPORT)
    [p] = cat.problems
    assert p.code.code == "E602" and "delivery_note" in p.message and "是否想写" in p.message
    assert p.file == "report.yaml" and p.line == 8 and p.pointer == "/properties/items/x-source/form"


def test_every_mistake_of_a_source_is_reported_at_its_place(make_schemas):
    cat = _catalog(make_schemas, BROKEN)
    found = {(p.code.code, p.pointer) for p in cat.problems}
    base = "/properties/items/x-source"
    assert (("E605", base + "/date") in found                                # not a date field
            and ("E603", base + "/where/0") in found                          # ship_methd → ship_method
            and ("E607", base + "/where/1") in found                          # no operator
            and ("E610", base + "/columns/quantity") in found                 # sum of a text
            and ("E609", base + "/columns/amount") in found                   # unknown aggregate
            and ("E614", base + "/columns/product_name") in found             # a group column again
            and ("E611", base + "/columns/name") in found)                    # grouped, no aggregate
    texts = "\n".join(str(p) for p in cat.problems)
    assert "ship_method" in texts and "report.yaml:" in texts
    assert all(p.file == "report.yaml" and p.line > 0 for p in cat.problems)


def test_a_row_field_without_rows_says_to_add_rows(make_schemas):
    cat = _catalog(make_schemas, REPORT.replace("delivery_notes", "delivery_note").replace("      rows: items\n", ""))
    assert cat.problems and all(p.code.code == "E603" and "rows: items" in p.message for p in cat.problems)


def test_a_count_cannot_fill_a_text_field(make_schemas):
    report = REPORT.replace("delivery_notes", "delivery_note") + \
        "  count:\n    title: 单数\n    x-kind: text\n    x-source: {like: items, value: count}\n"
    cat = _catalog(make_schemas, report)
    [p] = cat.problems
    assert p.code.code == "E612" and p.pointer == "/properties/count/x-source/value" and "单数" in p.message
    assert _catalog(make_schemas, report.replace("x-kind: text\n    x-source", "x-kind: integer\n    x-source")).ok


def test_the_catalog_reports_lint_clean_and_declare_sources(catalog):
    from forms.report_source import compile_sources
    reports = ["shipment_daily_report", "shipment_monthly_report", "order_register", "order_statistics",
               "complaint_statistics", "accounts_receivable", "sales_daily_report", "sales_contract_statistics",
               "return_exchange_summary", "promotion_cost_analysis"]
    for form_id in reports:
        sources, problems = compile_sources(catalog.forms[form_id], catalog.forms)
        assert sources and not problems, form_id


def test_windows_of_a_period():
    assert window("month", "2026-03", "current") == ("2026-03-01", "2026-03-31")
    assert window("month", "2026-03", "previous") == ("2026-02-01", "2026-02-28")
    assert window("month", "2026-01", "previous") == ("2025-12-01", "2025-12-31")
    assert window("day", "2026-03-01", "previous") == ("2026-02-28", "2026-02-28")
    assert window("day", "2026-03-09", "month_to_date") == ("2026-03-01", "2026-03-09")
    assert window("month", "2026-03", "year_to_date") == ("2026-01-01", "2026-03-31")
    assert window("month", "2026-03", "before") == ("0001-01-01", "2026-02-28")
    assert window("month", "2026-13", "current") is None


GOOD = REPORT.replace("delivery_notes", "delivery_note")
TABLE_SOURCE = """      form: delivery_note
      date: ship_date
      period: period
      rows: items
      group: [product_name]
      columns: {quantity: sum(quantity)}
"""
EXTRA = "  count:\n    title: 单数\n    x-kind: integer\n    x-source: {like: items, value: count}\n"


def _with(source=None, extra="", columns=None):
    text = GOOD if source is None else GOOD.replace(TABLE_SOURCE, source)
    if columns:
        text = text.replace("        quantity: {title: 数量, x-kind: integer}\n",
                            "        quantity: {title: 数量, x-kind: integer}\n" + columns)
    return text + extra


SOURCE_CASES = {   # problem name: a definition that has it (and the path it is reported at)
    "source-bad": (_with("      - 5\n").replace("    x-source:\n      - 5", "    x-source: [5]"), "/x-source/0"),
    "source-unknown-form": (REPORT, "/form"),
    "source-unknown-field": (_with(TABLE_SOURCE.replace("sum(quantity)", "sum(qty)")), "/columns/quantity"),
    "source-bad-period": (_with(TABLE_SOURCE.replace("period: period", "period: month")), "/period"),
    "source-bad-date": (_with(TABLE_SOURCE.replace("date: ship_date", "date: customer_name")), "/date"),
    "source-bad-rows": (_with(TABLE_SOURCE.replace("rows: items", "rows: lines")), "/rows"),
    "source-bad-where": (_with(TABLE_SOURCE + "      where: [快递]\n"), "/where/0"),
    "source-unknown-column": (_with(TABLE_SOURCE.replace("{quantity: sum(quantity)}", "{qty: sum(quantity)}")),
                              "/columns/qty"),
    "source-bad-column": (_with(TABLE_SOURCE.replace("sum(quantity)", "total(quantity)")), "/columns/quantity"),
    "source-not-numeric": (_with(TABLE_SOURCE.replace("sum(quantity)", "avg(spec)")), "/columns/quantity"),
    "source-needs-aggregate": (_with(TABLE_SOURCE.replace("sum(quantity)", "quantity")), "/columns/quantity"),
    "source-target-kind": (_with(extra=EXTRA.replace("x-kind: integer", "x-kind: text")), "/value"),
    "source-computed-column": (_with(TABLE_SOURCE.replace("{quantity: sum(quantity)}", "{twice: sum(quantity)}"),
                                     columns="        twice: {title: 两倍, x-kind: integer, x-compute: quantity * 2}\n"),
                               "/columns/twice"),
    "source-group-column": (_with(TABLE_SOURCE.replace("{quantity: sum(quantity)}",
                                                       "{quantity: sum(quantity), product_name: max(spec)}")),
                            "/columns/product_name"),
    "source-mixed": (_with(TABLE_SOURCE.replace("      group: [product_name]\n", "").replace(
        "{quantity: sum(quantity)}", "{quantity: sum(quantity), product_name: product_name}")), "/columns"),
    "source-like": (_with(extra=EXTRA.replace("like: items", "like: lines")), "/like"),
    "source-merge": (_with("""      - form: delivery_note
        date: ship_date
        period: period
        rows: items
        group: [product_name]
        columns: {quantity: sum(quantity)}
      - form: delivery_note
        date: ship_date
        period: period
        group: {quantity: total_quantity}
        columns: {product_name: max(customer_name)}
""").replace("    x-source:\n      - form", "    x-source:\n      - form"), "/x-source"),
}


@pytest.mark.parametrize("name", sorted(SOURCE_CASES))
def test_each_source_problem(make_schemas, name):
    text, where = SOURCE_CASES[name]
    cat = _catalog(make_schemas, text)
    found = [p for p in cat.problems if p.name == name]
    assert found, [str(p) for p in cat.problems]
    assert all(p.file == "report.yaml" and p.line > 0 and p.message for p in found)
    assert any(p.pointer.endswith(where) for p in found), [p.pointer for p in found]
