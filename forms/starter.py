"""The commented starter definition written by `biaoge new`."""

TEMPLATE = """\
# {title} — form definition. Lines starting with # are comments.
# Check it with:  biaoge validate schemas/
# Reference:      docs/authoring.md
x-form:
  id: {form_id}                 # stable id: lower-case letters, digits, _
  title: {title}              # printed title, in Chinese
  chapter: 第一章 销售管理       # the catalog chapter
  description: 这张表用来做什么。
  version: 1                     # raise by one when you change the fields
x-layout:
  paper: A4                      # A4, A5 or A3
  orientation: portrait          # portrait (纵向) or landscape (横向)
  columns: 2                     # label/value pairs per grid row
  header:                        # the line above the grid
    - label: 编号
      blank: number              # the record's serial number
    - field: fill_date           # a field of this form
  signatures:                    # the line below the grid
    - label: 主管
      blank: line
    - label: 制表人
      blank: line
  notes:
    - 注:本表一式两份。
x-numbering:                     # remove if the form has no serial number
  pattern: XX-{{yyyy}}{{mm}}-{{seq:4}}
  reset: month                   # never, year, month or day
required: [customer_name, fill_date]
properties:
  customer_name:
    title: 客户名称
    x-kind: text
    maxLength: 100
    # in the catalog's folder you may write instead:  x-use: customer_name
    # (a shared field from _shared.yaml; docs/authoring.md lists them all)
  fill_date:
    title: 填表日期
    x-kind: date
  items:                         # a table of line items
    title: 明细
    x-kind: table
    x-rows: 6                    # empty rows on the blank paper form
    items:
      required: [name, quantity, price]
      properties:
        name:
          title: 名称
          x-kind: text
          x-width: 12            # column width in Chinese characters
        quantity:
          title: 数量
          x-kind: integer
          minimum: 0
          x-width: 5
        price:
          title: 单价
          x-kind: money
          minimum: 0
          x-width: 6
        amount:
          title: 金额
          x-kind: money
          x-compute: quantity * price   # computed, read-only
          x-width: 8
  total:
    title: 合计
    x-kind: money
    x-compute: sum(items.amount)
  total_in_words:
    title: 合计金额(大写)
    x-kind: text
    x-compute: daxie(total)
  remark:
    title: 备注
    x-kind: textarea
    maxLength: 500
"""


def starter_definition(form_id: str, title: str) -> str:
    return TEMPLATE.format(form_id=form_id, title=title)
