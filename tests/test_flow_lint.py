"""The linter on x-approval: unknown roles, fields that do not exist, unreachable steps, a veto
without a further step — each with its code, file:line, JSON path and a suggested spelling."""
from __future__ import annotations

from services.catalog import load_catalog

ORG = """
departments:
  营销中心:
    华东大区: {}
roles:
  业务员:
    - forms: ["*"]
      create: true
      read: own
  销售部经理:
    - forms: ["*"]
      read: all
  销售管理部:
    - forms: ["*"]
      read: all
"""

HEAD = """
x-form: {id: leave, title: 请假单, version: 1}
properties:
  reason: {title: 事由, x-kind: text}
  review:
    title: 审核
    x-kind: section
    properties:
      result: {title: 审核结论, x-kind: choice, enum: [同意, 不同意]}
      opinion: {title: 审核意见, x-kind: textarea}
      reviewer: {title: 审核人, x-kind: signature}
"""


def lint(make_schemas, flow: str):
    root = make_schemas({"_org.yaml": ORG, "leave.yaml": HEAD + flow})
    cat = load_catalog(root, display_root=root)
    lint.lines = (root / "leave.yaml").read_text("utf-8").splitlines()
    return [p for p in cat.problems if p.file == "leave.yaml"]


def test_a_good_flow_compiles_to_frozen_steps(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 部门审核, decider: 销售部经理, within: 申请人部门, mode: 会签,
       fields: {conclusion: review.result, opinion: review.opinion, signer: review.reviewer}}
    - {id: b, title: 管理部审核, decider: 销售管理部, mode: 或签, on-reject: 退回}
""")
    assert problems == []


def test_an_unknown_role_is_named_with_its_line_and_a_suggestion(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - id: a
      title: 部门审核
      decider: 销售部经里
""")
    assert [(p.code.code, p.pointer) for p in problems] == [("E702", "/x-approval/steps/0/decider")]
    p = problems[0]
    assert lint.lines[p.line - 1].strip() == "decider: 销售部经里" and "销售部经里" in p.message and "是否想写 '销售部经理'" in p.message


def test_a_field_that_does_not_exist(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 审核, decider: 销售部经理, fields: {opinion: review.opinon}, fills: [review.nothing]}
""")
    assert {(p.code.code, p.pointer) for p in problems} == {("E703", "/x-approval/steps/0/fields/opinion"),
                                                            ("E703", "/x-approval/steps/0/fills/0")}
    assert "review.opinion" in next(p.message for p in problems if p.pointer.endswith("opinion"))


def test_an_unreachable_step_and_a_veto_without_a_further_step(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 部门审核, decider: 销售部经理}
    - {id: b, title: 管理部审核, decider: 销售管理部}
    - {id: c, title: 上一级审批, decider: 销售部经理, on-veto-only: true}
  veto: {step: b, against: a}
""")
    codes = sorted((p.code.code, p.pointer) for p in problems)
    assert codes == [("E705", "/x-approval/steps/2/on-veto-only"), ("E706", "/x-approval/veto")]
    assert all(p.file == "leave.yaml" and p.line > 0 for p in problems)
    assert "上一级审批" in next(p.message for p in problems if p.code.code == "E705")


def test_a_veto_whose_further_step_comes_before_it(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 部门审核, decider: 销售部经理}
    - {id: b, title: 管理部审核, decider: 销售管理部}
  veto: {step: b, against: x, then: a}
""")
    assert sorted(p.code.code for p in problems) == ["E704"]
    assert "'x'" in problems[0].message


def test_a_step_condition_naming_an_unknown_field(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 审核, decider: 销售部经理, when: reasn == "出差"}
""")
    assert [(p.code.code, p.pointer) for p in problems] == [("E302", "/x-approval/steps/0/when")]
    assert "'reason'" in problems[0].message


def test_unknown_keywords_and_values_are_suggested(make_schemas):
    problems = lint(make_schemas, """
x-approval:
  steps:
    - {id: a, title: 审核, decider: 销售部经理, mode: 或签名, on_reject: 驳回}
""")
    messages = {p.pointer: p.message for p in problems}
    assert "'或签'" in messages["/x-approval/steps/0/mode"]
    assert "'on-reject'" in messages["/x-approval/steps/0/on_reject"]


def test_a_field_the_approver_writes_cannot_be_required_of_the_applicant(make_schemas):
    root = make_schemas({"_org.yaml": ORG, "leave.yaml": HEAD.replace("    properties:\n      result",
                                                                       "    required: [result]\n    properties:\n      result")
                         + """
x-approval:
  steps:
    - {id: a, title: 审核, decider: 销售部经理, fields: {conclusion: review.result}}
"""})
    problems = [p for p in load_catalog(root, display_root=root).problems if p.file == "leave.yaml"]
    assert [(p.code.code, p.pointer) for p in problems] == [("E709", "/properties/review/properties/result")]


def test_the_catalog_flows_pass_the_linter(catalog):
    """The ten flows of the catalog (issue 14) compile without a problem (the catalog fixture
    asserts no problem at all) and name their roles in schemas/_org.yaml."""
    with_flows = {f.id for f in catalog.forms.values() if f.flow is not None}
    assert {"business_approval_application", "promotion_application", "business_sales_order", "delivery_note",
            "sales_contract_review", "store_renovation_approval", "staffing_request", "external_training_request",
            "salary_adjustment", "employee_reward_approval"} <= with_flows
    assert catalog.forms["business_approval_application"].flow.veto is not None
