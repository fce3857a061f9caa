"""The catalog (docs/catalog.md, copied from the seed's list) against schemas/:
one definition per title in its chapter, the binder's order, and every quoted
fragment of the paper form in the blank PDF."""
import re

import pytest

from renderers import base

from .conftest import ROOT
from .render_helpers import pdf_pages, squash

CATALOG = (ROOT / "docs" / "catalog.md").read_text("utf-8")


def parse_catalog():
    entries, chapter = [], None
    for line in CATALOG.splitlines():
        if line.startswith("## "):
            chapter = re.sub(r"\s*\(.*\)$", "", line[3:]).strip()
        elif line.startswith("- ") and chapter:
            title, _, rest = line[2:].partition(" — ")
            entries.append({"chapter": chapter, "title": title.strip(), "rest": rest,
                            "fragments": re.findall(r"`([^`]+)`", rest)})
    return entries


ENTRIES = parse_catalog()
SECTIONS = {
    "业务员工作报告": ["本月工作完成情况", "销售费用", "广告和促销活动效果", "重点客户情况", "新客户情况",
                "异常客户或信誉不佳客户", "待开发客户及其情况", "竞争对手动态", "问题与合理化建议", "下月工作计划"],
    "经销商资讯考察表": ["基本情况", "销售情况", "分销商业务员", "覆盖率", "销售运作", "资金", "供应链", "价格",
                  "假货情况", "与本公司关系", "公司业务情况"],
    "出库单": ["一式五联", "仓库", "财务", "销售部门", "客户"],
    "业务销售订单": ["仓库", "销售部门"],
    "业务权限表": ["销售类", "人事类", "财务类", "行政类", "审核", "审批"],
    "业务审批申请单": ["申请人", "情况事实", "申请原因", "历史数据", "相关预算", "销售管理部审核意见", "上一级审批意见"],
}


def test_catalog_has_84_titles():
    assert len(ENTRIES) == 84
    assert len({e["title"] for e in ENTRIES}) == 84


def test_one_definition_per_title_in_its_chapter(catalog):
    by_title = {}
    for form in catalog.forms.values():
        by_title.setdefault(form.title, []).append(form)
    for e in ENTRIES:
        found = by_title.get(e["title"], [])
        assert len(found) == 1, f"{e['title']}: {len(found)} definitions"
        assert found[0].chapter == e["chapter"], f"{e['title']} is in {found[0].chapter!r}, not {e['chapter']!r}"
    extra = set(by_title) - {e["title"] for e in ENTRIES}
    assert not extra, f"definitions not in the catalog: {extra}"


def test_catalog_order_is_the_seed_order(catalog):
    ordered = [(chapter, f.title) for chapter, forms in catalog.by_chapter().items() for f in forms]
    assert ordered == [(e["chapter"], e["title"]) for e in ENTRIES]


def blank_text(catalog, title):
    form = next(f for f in catalog.forms.values() if f.title == title)
    return squash("".join(pdf_pages(base.get("pdf").render(form))))


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["fragments"] or e["title"] in SECTIONS],
                         ids=lambda e: e["title"])
def test_quoted_fragments_are_on_the_blank_form(catalog, entry):
    text = blank_text(catalog, entry["title"])
    for fragment in entry["fragments"] + SECTIONS.get(entry["title"], []):
        # the seed writes 地区: or 地区：; the paper prints Chinese full-width punctuation
        assert squash(fragment).replace(":", "：") in text.replace(":", "："), \
            f"{entry['title']}: {fragment!r} not on the blank PDF"


def test_chapters_in_the_seed_order_whatever_the_file_names(make_schemas):
    from services.catalog import chapter_number, load_catalog
    files = {}
    for name, chapter in [("a.yaml", "第三章 促销管理"), ("b.yaml", "业务单据"), ("c.yaml", "第十二章 附录"),
                          ("d.yaml", "第一章 销售管理"), ("e.yaml", "第四章 客户服务管理")]:
        files[name] = f"x-form: {{id: f_{name[0]}, title: 表{name[0]}, chapter: {chapter}}}\nproperties:\n  n: {{title: 名称}}\n"
    cat = load_catalog(make_schemas(files))
    assert list(cat.by_chapter()) == ["第一章 销售管理", "第三章 促销管理", "第四章 客户服务管理", "第十二章 附录", "业务单据"]
    assert [chapter_number(c) for c in ("第十章", "第十一章", "第二十章", "第7章")] == [10, 11, 20, 7]
