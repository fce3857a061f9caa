"""Builds the two hand-written workbooks of tests/sheets/ cell by cell (run once; the .xlsx are committed).

    PYTHONPATH=. .venv/bin/python tests/sheets/make_sheets.py

expense_claim.xlsx: a 费用报销单 with line items, a 合计 and its 大写 (Chinese headers).
visit_request.xlsx: a 来访申请 with conditions (relevant) and a constraint (English XLSForm headers).
"""
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def sheet(wb, title, cells):
    ws = wb.create_sheet(title)
    for ref, value in cells.items():
        ws[ref] = value


def expense_claim():
    wb = Workbook()
    wb.remove(wb.active)
    sheet(wb, "字段", {
        "A1": "类型", "B1": "名称", "C1": "标题", "D1": "必填", "E1": "计算", "F1": "选项", "G1": "其他",
        "H1": "约束", "I1": "约束提示",
        "A2": "文字", "B2": "claimant", "C2": "报销人", "D2": "是",
        "A3": "文字", "B3": "department", "C3": "部门",
        "A4": "日期", "B4": "claim_date", "C4": "报销日期", "D4": "是",
        "A5": "begin repeat", "B5": "lines", "C5": "费用明细", "D5": "是", "G5": "{x-rows: 6, minItems: 1}",
        "A6": "日期", "B6": "spent_on", "C6": "日期", "G6": "{x-width: 6}",
        "A7": "单选", "B7": "category", "C7": "费用类别", "D7": "是", "F7": "费用类别", "G7": "{x-width: 6}",
        "A8": "文字", "B8": "note", "C8": "摘要", "G8": "{x-width: 14}",
        "A9": "金额", "B9": "amount", "C9": "金额", "D9": "是", "G9": "{x-width: 7}",
        "H9": "amount > 0", "I9": "金额应大于零",
        "A10": "end repeat", "B10": "lines",
        "A11": "金额", "B11": "total", "C11": "合计", "E11": "sum(lines.amount)", "G11": "{x-round: 2}",
        "A12": "文字", "B12": "total_in_words", "C12": "合计金额（大写）", "E12": "daxie(total)",
        "G12": "{x-span: 2}",
        "A13": "签名", "B13": "approver", "C13": "审批人",
    })
    sheet(wb, "选项", {
        "A1": "选项表", "B1": "值", "C1": "选项标题",
        "A2": "费用类别", "B2": "差旅费", "C2": "差旅费",
        "A3": "费用类别", "B3": "交通费", "C3": "交通费",
        "A4": "费用类别", "B4": "招待费", "C4": "招待费",
        "A5": "费用类别", "B5": "办公费", "C5": "办公费",
    })
    sheet(wb, "设置", {
        "A1": "设置项", "B1": "值",
        "A2": "表单id", "B2": "expense_claim",
        "A3": "标题", "B3": "费用报销单",
        "A4": "章", "B4": "第九章 商务文书",
        "A5": "纸张", "B5": "A4",
        "A6": "编号规则", "B6": "BX-{yyyy}{mm}-{seq:3}",
        "A7": "x-numbering.date-field", "B7": "claim_date",
        "A8": "签字栏", "B8": "部门主管、财务、出纳",
        "A9": "x-layout.columns", "B9": 2,
    })
    wb.save(HERE / "expense_claim.xlsx")


def visit_request():
    wb = Workbook()
    wb.remove(wb.active)
    sheet(wb, "survey", {
        "A1": "type", "B1": "name", "C1": "label", "D1": "hint", "E1": "required", "F1": "relevant",
        "G1": "list_name", "H1": "default", "I1": "constraint", "J1": "constraint_message",
        "A2": "text", "B2": "visitor", "C2": "来访人", "E2": "yes",
        "A3": "phone", "B3": "phone", "C3": "联系电话", "D3": "手机或座机",
        "A4": "date", "B4": "visit_date", "C4": "来访日期", "E4": "yes",
        "A5": "choice", "B5": "purpose", "C5": "来访事由", "E5": "yes", "G5": "purposes", "H5": "洽谈",
        "A6": "textarea", "B6": "purpose_other", "C6": "其他事由说明", "F6": 'purpose == "其他"',
        "A7": "boolean", "B7": "needs_car", "C7": "是否需要派车",
        "A8": "text", "B8": "pickup_place", "C8": "接站地点", "F8": "needs_car",
        "A9": "integer", "B9": "people", "C9": "来访人数", "I9": "people >= 1",
        "J9": "来访人数至少为 1",
        "A10": "begin group", "B10": "reception", "C10": "接待安排", "F10": "people > 5",
        "A11": "text", "B11": "room", "C11": "会议室",
        "A12": "end group", "B12": "reception",
    })
    sheet(wb, "choices", {
        "A1": "list_name", "B1": "value", "C1": "label",
        "A2": "purposes", "B2": "洽谈", "C2": "洽谈",
        "A3": "purposes", "B3": "参观", "C3": "参观",
        "A4": "purposes", "B4": "其他", "C4": "其他",
    })
    sheet(wb, "settings", {
        "A1": "setting", "B1": "value",
        "A2": "id", "B2": "visit_request",
        "A3": "title", "B3": "来访申请单",
        "A4": "chapter", "B4": "第九章 商务文书",
        "A5": "paper", "B5": "A4",
        "A6": "signatures", "B6": "申请人、接待部门",
    })
    wb.save(HERE / "visit_request.xlsx")


if __name__ == "__main__":
    expense_claim()
    visit_request()
