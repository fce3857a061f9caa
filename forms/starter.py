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
    x-use: customer_name         # a shared field from schemas/_shared.yaml
  fill_date:
    x-use: fill_date
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
          x-use: quantity
          x-width: 5
        price:
          x-use: unit_price
          x-width: 6
        amount:
          x-use: amount
          x-compute: quantity * price   # computed, read-only
          x-width: 8
  total:
    title: 合计
    x-kind: money
    x-compute: sum(items.amount)
  total_in_words:
    x-use: amount_in_words
    x-compute: daxie(total)
  remark:
    x-use: remark
    x-kind: textarea
"""


def starter_definition(form_id: str, title: str) -> str:
    return TEMPLATE.format(form_id=form_id, title=title)
