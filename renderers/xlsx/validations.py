"""Data validations of a form sheet: what each input cell accepts and the prompt it shows.

What a kind accepts comes from the kind (`Kind.validation(f)`: type, operator, bounds,
choices, error, hint); here it becomes an openpyxl DataValidation with the prompt
(必填, the kind's hint, the default, the field's description). A drop-down list too long
to be written inline goes to a hidden sheet (`ChoiceLists`).
"""
from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .cells import set_text
from .names import sheet_ref

MAX_TITLE = 32              # characters of a prompt or error title
MAX_PROMPT = 250
MAX_ERROR = 220
MAX_INLINE = 250            # characters of a list written inline ("a,b,c")
SEPARATOR = "；"             # between the parts of a prompt


class ChoiceLists:
    """Drop-down lists too long to be written inline, one column each of a very hidden sheet
    (the same list twice: the same column). Call it with a list to get its range; `write(wb)`
    puts them on the sheet (made when missing) once the sheets are laid out."""

    def __init__(self, sheet: str, first_column: int = 1):
        self.sheet, self.first = sheet, first_column
        self.columns: dict = {}         # tuple of choices -> column letter

    def __call__(self, choices: list) -> str:
        key = tuple(choices)
        col = self.columns.setdefault(key, get_column_letter(self.first + len(self.columns)))
        return sheet_ref(self.sheet, f"${col}$1:${col}${len(choices)}")

    def write(self, wb) -> None:
        if not self.columns:
            return
        if self.sheet in wb.sheetnames:
            ws = wb[self.sheet]
        else:
            ws = wb.create_sheet(self.sheet)
            ws.sheet_state = "veryHidden"
        for choices, col in self.columns.items():
            for i, c in enumerate(choices, 1):
                set_text(ws[f"{col}{i}"], c)


def _plain(v) -> str:
    return "是" if v is True else "否" if v is False else str(v)


def as_formula(rule: dict, cell: str) -> str:
    """A kind's validation (see Kind.validation) as a custom formula over `cell`, so that it can be
    combined with cross-field rules (a cell holds one validation)."""
    kind, op = rule.get("type"), rule.get("operator")
    one, two = rule.get("formula1"), rule.get("formula2")
    if kind == "list":
        items = ",".join('"' + str(c).replace('"', '""') + '"' for c in rule["list"])
        return f"ISNUMBER(MATCH({cell},{{{items}}},0))"
    if kind == "textLength":
        return f"LEN({cell})<={one}"
    if kind in ("whole", "decimal", "date"):
        test = {"between": f"{cell}>={one},{cell}<={two}", "greaterThanOrEqual": f"{cell}>={one}",
                "lessThanOrEqual": f"{cell}<={one}", "greaterThan": f"{cell}>{one}",
                "lessThan": f"{cell}<{one}"}.get(op, "TRUE")
        whole = f",{cell}=INT({cell})" if kind == "whole" else ""
        return f"AND(ISNUMBER({cell}),{test}{whole})"
    return "TRUE"


def validation_of(f, lists: ChoiceLists, rules=(), anchor: str = "") -> DataValidation:
    """The validation and prompt of the input (or computed) cells of field `f`; with cross-field
    `rules` ([(formula, message)], formulas written for cell `anchor`), one custom validation
    that holds the kind's own check and the rules."""
    dv = DataValidation(allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="stop",
                        errorTitle=f.title[:MAX_TITLE])
    dv.promptTitle = f.title[:MAX_TITLE]
    hint = []
    spec = f.spec
    if f.computed:
        formula = spec.get("x-compute")
        hint.append("自动计算" + (f"：{formula}" if isinstance(formula, str) else ""))
        dv.showErrorMessage = False
    else:
        rule = f.kind_def.validation(f) or {}
        if rule.get("type") == "list":
            choices = rule["list"]
            inline = ",".join(choices)
            dv.type = "list"
            if len(inline) <= MAX_INLINE and not any("," in c or '"' in c for c in choices):
                dv.formula1 = '"' + inline + '"'
            else:
                dv.formula1 = lists(choices)
        elif rule.get("type"):
            dv.type = rule["type"]
            dv.operator = rule.get("operator")
            dv.formula1, dv.formula2 = rule.get("formula1"), rule.get("formula2")
        if rules:
            dv.type, dv.operator, dv.formula2 = "custom", None, None
            dv.formula1 = "AND(" + ",".join([as_formula(rule, anchor)] + [r for r, _ in rules]) + ")"
            rule = {**rule, "error": SEPARATOR.join(m for _, m in rules) + (
                SEPARATOR + rule["error"] if rule.get("error") else "")}
            hint.extend(m for _, m in rules)
        if rule.get("error"):
            dv.error = rule["error"][:MAX_ERROR]
        if rule.get("hint"):
            hint.append(rule["hint"])
        if "default" in spec and not isinstance(spec["default"], (list, dict)):
            hint.append(f"不填默认为：{_plain(spec['default'])}")
        if f.must_fill:
            hint.insert(0, "必填")
    if isinstance(spec.get("description"), str):
        hint.append(spec["description"])
    dv.prompt = SEPARATOR.join(hint)[:MAX_PROMPT] or f.title
    return dv


def add_validations(ws, form, prompts: dict, lists: ChoiceLists, rules: dict | None = None) -> None:
    """One validation per field of `prompts` ({field path: [cell ranges]}) on sheet `ws`, with the
    cross-field `rules` of that field ({field path: [(formula, message)]})."""
    for path, ranges in prompts.items():
        f = form.field_at(path)
        if f is None:
            continue
        anchor = ranges[0].split(":")[0] if ranges else ""
        dv = validation_of(f, lists, (rules or {}).get(tuple(path), ()), anchor)
        for r in ranges:
            dv.add(r)
        ws.add_data_validation(dv)
