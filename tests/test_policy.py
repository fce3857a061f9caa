"""_org.yaml is linted like a definition: file:line, Chinese, did-you-mean; and x-sensitive is
checked against it."""
from __future__ import annotations

import textwrap

from services.catalog import load_catalog

ORG = """
departments:
  营销中心:
    华东大区:
      上海办事处: {}
    华南大区:
      上海办事处: {}
sensitive: [薪酬, 身份证号]
groups:
  销售业务:
    forms: [demo]
roles:
  业务员:
    - forms: [销售业物]
      create: true
      read: own
"""
DEMO = """
x-form: {id: demo, title: 演示表, chapter: 第一章 销售管理}
properties:
  pay:
    title: 工资
    x-kind: money
    x-sensitive: {cls}
  double:
    title: 双倍工资
    x-kind: money
    x-compute: pay * 2
"""


def _lint(tmp_path, org=ORG, cls="薪酬", derived=True):
    (tmp_path / "_org.yaml").write_text(textwrap.dedent(org).lstrip(), "utf-8")
    demo = DEMO if derived else DEMO[:DEMO.index("  double:")]
    (tmp_path / "demo.yaml").write_text(demo.replace("{cls}", cls).lstrip(), "utf-8")
    return load_catalog(tmp_path, display_root=tmp_path).problems


def _one(problems, name):
    found = [p for p in problems if p.name == name]
    assert found, f"no {name} in " + "\n".join(map(str, problems))
    return found[0]


def test_a_department_twice_is_named_with_its_line(tmp_path):
    p = _one(_lint(tmp_path), "policy-duplicate")
    assert (p.file, p.line) == ("_org.yaml", 6) and "部门「上海办事处」出现了不止一次" in str(p)


def test_an_unknown_group_suggests_the_right_spelling(tmp_path):
    [p] = [p for p in _lint(tmp_path) if p.name == "policy-unknown" and "销售业物" in str(p)]
    assert (p.file, p.line) == ("_org.yaml", 13)
    assert "销售业物" in str(p) and "销售业务" in str(p)


def test_an_undeclared_sensitivity_class(tmp_path):
    p = _one(_lint(tmp_path, cls="身份证", derived=False), "sensitive-unknown")
    assert (p.file, p.line, p.pointer) == ("demo.yaml", 6, "/properties/pay/x-sensitive")
    assert "「身份证」" in str(p) and "身份证号" in str(p)


def test_a_computed_field_from_a_sensitive_one_must_be_sensitive(tmp_path):
    p = _one(_lint(tmp_path), "sensitive-derived")
    assert p.file == "demo.yaml" and "双倍工资" in str(p) and "工资" in str(p)


def test_the_shipped_policy_and_markings_are_clean():
    from tests.conftest import SCHEMAS
    cat = load_catalog(SCHEMAS)
    assert cat.ok, "\n".join(map(str, cat.problems))
    roles = cat.policy.roles
    assert {"业务员", "销售主管", "销售部经理", "财务", "人事", "总经理", "管理员"} <= set(roles)
    marked = {f.id for f in cat.forms.values() if any("x-sensitive" in x.spec for x in f.walk())}
    assert {"salary_adjustment", "performance_bonus_approval", "applicant_registration"} <= marked
