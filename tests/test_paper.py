"""The paper check (renderers/paper_check.py, `biaoge check-paper`): every catalog form lays
out cleanly, blank and filled with sample data at 1 row, a typical count and the most rows
that fit; planted defects fail with the form, the page and the box named."""
import pytest
from click.testing import CliRunner

from cli import main
from renderers.paper_check import blank_pages, check_form, sample_records
from services.catalog import load_catalog
from tests.conftest import SCHEMAS

FORMS = sorted(load_catalog(SCHEMAS).forms)


@pytest.mark.parametrize("form_id", FORMS)
def test_every_form_passes_the_paper_check_blank_and_filled(catalog, form_id):
    form = catalog.require(form_id)
    problems = check_form(form)
    for rows, record in sample_records(form):
        problems += [p for p in check_form(form, record)]
    assert not problems, "\n".join(map(str, problems))


def test_samples_cover_one_typical_and_most_rows(catalog):
    form = catalog.require("order_form")
    counts = [len(record.data["items"]) for _, record in sample_records(form)]
    assert counts[0] == 1 and len(counts) == 3 and counts[-1] == form.fields["items"].spec.get("x-rows", 5)


LABEL_FORM = """
x-form: {id: planted_label, title: 样品领用单}
x-layout: {paper: A5, columns: 4}
properties:
  purpose: {title: LABEL, x-kind: text}
  taker: {title: 领用人, x-kind: text}
"""
# 14 characters that cannot break (a code inside): too wide for a label cell on A5 in 4 columns
LONG_LABEL = LABEL_FORM.replace("LABEL", "客户SAMPLECODE说明")


def test_a_fourteen_character_label_fails_naming_form_page_and_box(make_schemas):
    assert len("客户SAMPLECODE说明") == 14
    cat = load_catalog(make_schemas({"a.yaml": LONG_LABEL}))
    problems = check_form(cat.require("planted_label"))
    assert problems
    text = str(problems[0])
    assert "样品领用单(planted_label)" in text and "第 1 页" in text and "客户SAMPLECODE说明" in text


def test_a_fourteen_character_chinese_label_is_broken_evenly(make_schemas):
    """What the paper fix does: a long Chinese label breaks into even lines (7 + 7) instead of
    stranding characters, so the same cell passes."""
    cat = load_catalog(make_schemas({"a.yaml": LABEL_FORM.replace("LABEL", "本次样品领用的客户及用途说明")}))
    assert check_form(cat.require("planted_label")) == []


def test_a_thirty_row_grid_on_a5_fails_and_validate_warns(make_schemas):
    rows = "\n".join(f"  item{i}: {{title: 项目{i}, x-kind: text}}" for i in range(30))
    folder = make_schemas({"b.yaml": "x-form: {id: planted_grid, title: 样品领用单}\n"
                                     "x-layout: {paper: A5, columns: 1}\nproperties:\n" + rows + "\n"})
    form = load_catalog(folder).require("planted_grid")
    problems = check_form(form)
    assert any(p.code == "P08" and p.page == 2 and "项目" in p.box for p in problems), problems
    assert "A5 纵向纸上要印 2 页" in str(problems[0])
    assert blank_pages(form) == 2
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0
    assert "空白的「样品领用单」在 A5 纵向纸上要印 2 页" in result.output


def test_check_paper_command_reports_in_chinese_and_exits_one(make_schemas):
    folder = make_schemas({"a.yaml": LONG_LABEL})
    result = CliRunner().invoke(main, ["check-paper", "--schemas", str(folder)])
    assert result.exit_code == 1
    assert "planted_label" in result.output and "第 1 页" in result.output and "排版问题" in result.output
    ok = CliRunner().invoke(main, ["check-paper", "order_form", "--schemas", str(SCHEMAS)])
    assert ok.exit_code == 0, ok.output
    assert "排版检查全部通过" in ok.output


def test_continuation_pages_carry_title_and_number(catalog):
    from renderers.base import Filled
    from renderers.pdf import PdfRenderer
    from renderers.paper_check import _text
    form = catalog.require("order_form")
    items = [{"product_name": f"商品{i:02d}", "unit": "件", "quantity": i, "unit_price": 10} for i in range(1, 61)]
    record = Filled({"customer_name": "华联超市", "order_date": "2026-11-27", "items": items},
                    number="DH-202611-0007", created="2026-11-27")
    from forms.submission import check
    record = Filled(check(form, record.data).data, number=record.number, created=record.created)
    [doc] = PdfRenderer().documents(form, record)
    assert len(doc.pages) >= 3
    for page in doc.pages[1:]:
        header = "".join(_text(m) for m in page._page_box.children if type(m).__name__ == "MarginBox")
        assert "商品订货单（续）" in header and "DH-202611-0007" in header
    assert not check_form(form, record)


def test_signers_dates_stay_blank_on_filled_forms(catalog):
    from renderers.base import Filled
    from renderers.print_html import line_items
    from renderers.layout import LineItem
    record = Filled({}, number="X", created="2026-11-20")
    [view] = line_items([LineItem("blank", "日期", blank="date")], {}, record, signed=True)
    assert "2026" not in view["value"]
    [view] = line_items([LineItem("blank", "日期", blank="date")], {}, record)
    assert view["value"] == "2026年11月20日"
