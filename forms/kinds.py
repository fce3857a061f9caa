"""Field kinds: each x-kind declared once, with everything every layer needs of it.

A `Kind` says what a kind's data is (JSON type and schema, decimals, integer or not),
how text becomes a value (`coerce`, shared by the browser post and the Excel import),
how a value prints (`display`), the phrase that states its constraint, its Excel number
format and data validation (as plain data the Excel writer applies), and what the browser
needs (input type, step, pattern; `browser()` is exported to form.js as data). Code in
other modules asks the field's kind (``f.kind_def``) instead of branching on its name;
a new kind is one more declaration here and its tests.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)   # dates outside this range are refused
NUMBER_LIMIT = 1e15   # |number| below this: exact in a float and in Excel (15 significant digits)

SAMPLE_WORDS = ["华联超市", "张伟", "李娜", "王芳", "东方商贸有限公司", "洗衣粉", "联系客户", "按时交货", "广州", "上海"]
TRUE_WORDS = {"是", "对", "√", "true", "yes", "y", "on", "1"}
FALSE_WORDS = {"否", "错", "×", "false", "no", "n", "off", "0"}

_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_MONTH_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")
IDCARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
IDCARD_CHECK = "10X98765432"


# ---------------------------------------------------------------- formats
def is_date(v: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", v):
        return False
    try:
        return DATE_MIN <= date.fromisoformat(v) <= DATE_MAX
    except ValueError:
        return False


def is_month(v: str) -> bool:
    return bool(_MONTH.match(v)) and DATE_MIN.year <= int(v[:4]) <= DATE_MAX.year


def is_phone(v: str) -> bool:
    return bool(_PHONE.match(v.replace(" ", "")))


def idcard_check_digit(body17: str) -> str:
    return IDCARD_CHECK[sum(int(c) * w for c, w in zip(body17, IDCARD_WEIGHTS)) % 11]


def is_idcard(v: str) -> bool:
    """18-digit resident ID (GB 11643): birth date and ISO 7064 check digit."""
    if not re.match(r"^\d{17}[\dXx]$", v):
        return False
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return idcard_check_digit(v[:17]) == v[17].upper()


_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?"
_TIME_TEXT = re.compile(r"^\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?)?\s*分?\s*$")


def is_time(v: str) -> bool:
    """A time of day: 09:30 or 09:30:00 (RFC 3339's partial-time; a zone offset may follow)."""
    return bool(re.fullmatch(_TIME, v))


def is_datetime(v: str) -> bool:
    """A date and time: 2026-03-05T09:30 (seconds and zone offset optional, a space for the T too)."""
    day, sep, clock = v.partition("T") if "T" in v else v.partition(" ")
    return bool(sep) and is_date(day) and is_time(clock)


def is_email(v: str) -> bool:
    return "@" in v and "." in v.rsplit("@", 1)[-1] and " " not in v


FORMAT_CHECKS = {"date": is_date, "month": is_month, "date-time": is_datetime, "time": is_time, "phone": is_phone, "idcard": is_idcard, "email": is_email}


def finite(v) -> bool:
    """A number a float can hold (huge integers from a damaged file or a client included)."""
    try:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    except OverflowError:
        return False


def must_be(rule: str) -> str:
    """必须是 0 到 100 之间的整数 / 必须是不小于 0 的数字 (a space only before a number)."""
    return f"必须是 {rule}" if rule[:1].isdigit() or rule[:1] == "-" else f"必须是{rule}"


def _n(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def text_of(v) -> str:
    """A cell or posted value as text (Excel's numbers, dates and booleans as a person writes them)."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer() and abs(v) < NUMBER_LIMIT:
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def label_of(v) -> str:
    """A value as a person reads it: an object by its title, label or name key, else its first text
    property (never a Python repr); anything else as its text."""
    if isinstance(v, dict):
        for key in ("title", "label", "name"):
            if isinstance(v.get(key), str) and v[key].strip():
                return v[key]
        first = next((x for x in v.values() if isinstance(x, str) and x.strip()), None)
        return first if first is not None else "、".join(label_of(x) for x in v.values())
    if isinstance(v, list):
        return "、".join(label_of(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v)


# ---------------------------------------------------------------- kinds
class Kind:
    name = ""
    label = ""                  # Chinese name of the kind (docs, messages)
    json_type: str | None = None
    schema: dict = {}           # extra JSON Schema of submitted data
    format: str | None = None   # JSON Schema format checked on submit
    numeric = False
    container: str | None = None   # "section" or "table": holds fields of its own
    options = False             # printed as ☐ choices on a blank form
    enumerated = False          # its values are the definition's enum (needs one)
    needs_range = False         # the definition must state minimum and maximum
    calendar: str | None = None   # "day" or "month": a date value
    repeated = False            # several values (a browser posts its name once per value)
    money = False               # an amount of money (¥, thousands, 本页小计)
    shows_unit = True           # x-unit printed beside the value / in the column head
    widget = "input"            # the browser control: input, textarea, select, checkboxes, yesno
    computable = False          # may carry x-compute
    wide = False                # takes a whole grid row
    tall = False                # a grid row of several lines
    wraps = False               # free text: a long value runs over several lines of its cell
    align = "left"              # where a value sits in a table cell: left, center or right
    display_suffix = ""         # printed after the value (the % of a percent)
    decimals: int | None = None  # a computed value is rounded to this many places (x-round overrides)
    width = 6                   # printed column width, in Chinese characters
    max_length: int | None = None   # default cap on characters when the definition states none
    input_type = "text"
    step: str | None = None
    pattern: str | None = None
    blank = ""                  # what a blank form prints in the value box
    placeholder = ""
    hint = ""                   # the Excel prompt's description of what to write

    # data
    def choices(self, f) -> list:
        """The values a choice field offers (its enum); [] for other kinds."""
        return []

    def option_pairs(self, f) -> list:
        """(label, value) of what is printed as ☐ boxes: a choice's options, 是/否."""
        return [(str(c), c) for c in self.choices(f)]

    def form_options(self, f) -> list:
        """(label, posted text, value) of each browser option: a value posts as its text, an object or a
        list as its label (coerce reads both back)."""
        return [(label, label if isinstance(c, (dict, list)) else str(c), c) for label, c in self.option_pairs(f)]

    def json_schema(self, f) -> dict:
        s = dict(self.schema)
        if self.json_type:
            s["type"] = self.json_type
        if self.format:
            s["format"] = self.format
        return s

    def round_digits(self, f):
        """Decimal places a computed value is rounded to (None: no rounding)."""
        return f.spec.get("x-round", self.decimals)

    def is_integer(self, f) -> bool:
        return False

    def sample(self, f, rng):
        """A valid value for tests and demos (forms.sample)."""
        text = rng.choice(SAMPLE_WORDS)
        s = f.spec
        if "maxLength" in s:
            text = text[: s["maxLength"]]
        if "minLength" in s and len(text) < s["minLength"]:
            text = text + "文" * (s["minLength"] - len(text))
        return text

    # text → value
    def coerce(self, f, value):
        """A posted text or an Excel cell value as the submission value; what cannot be read stays
        as it is (text) so that validation names the field; None for empty."""
        if isinstance(value, str):
            value = value.strip()
            return value or None
        if value is None:
            return None
        return text_of(value)

    # value → paper
    def display(self, f, value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(value)

    def phrase(self, f) -> str:
        """The constraint a value breaks, as the end of a sentence after the field's name."""
        return "格式不对"

    # Excel
    def excel_format(self, f) -> str:
        return "@"

    def excel_value(self, f, value):
        """A stored value as the cell value to write (text unless said otherwise)."""
        return self.display(f, value) if not isinstance(value, str) else value

    def excel_formula(self, f, formula: str) -> str:
        """The formula of a computed cell from its expression's formula (no leading '='): what the
        engine does to the value after computing it (rounding, 是/否)."""
        return formula

    def validation(self, f) -> dict | None:
        """The Excel data validation of an input cell: {type, operator, formula1, formula2, error,
        hint} (missing keys: none), or None for a prompt only."""
        limit = f.spec.get("maxLength")
        if isinstance(limit, int):
            return {"type": "textLength", "operator": "lessThanOrEqual", "formula1": str(limit),
                    "error": f"「{f.title}」不能超过 {limit} 个字", "hint": f"不超过 {limit} 个字"}
        return None

    # browser
    def input_attrs(self, f) -> dict:
        s = f.spec
        out = {}
        if self.step:
            out["step"] = self.step
        for key, attr in (("minimum", "min"), ("maximum", "max"), ("maxLength", "maxlength"),
                          ("minLength", "minlength")):
            if key in s:
                out[attr] = s[key]
        if "maxlength" not in out and self.text_limit(f):
            out["maxlength"] = self.text_limit(f)
        if "pattern" in s:
            out["pattern"] = s["pattern"]
        elif self.pattern:
            out["pattern"] = self.pattern
        if s.get("x-placeholder") or self.placeholder:
            out["placeholder"] = s.get("x-placeholder") or self.placeholder
        return out

    def text_limit(self, f) -> int | None:
        limit = f.spec.get("maxLength")
        return limit if isinstance(limit, int) else self.max_length

    def widget_of(self, f) -> str:
        return self.widget

    def expr_type(self, f) -> str:
        """What a formula sees of a value of this kind: number, text, bool, date, month or multi."""
        if self.numeric:
            return "number"
        if self.calendar:
            return "date" if self.calendar == "day" else "month"
        if self.json_type == "boolean":
            return "bool"
        if self.repeated:
            return "multi"
        if self.enumerated and self.choices(f) and all(isinstance(c, (int, float)) for c in self.choices(f)):
            return "number"
        return "text"

    def accepts(self, result_type: str) -> bool:
        """Whether a formula's result of `result_type` can be this kind's computed value."""
        if self.numeric:
            return result_type in ("number", "bool", "any")
        if self.calendar == "day":
            return result_type in ("date", "any")
        return True

    def compact(self, f, value) -> str:
        """A value in a narrow table cell."""
        return self.display(f, value)

    def browser(self) -> dict:
        """What form.js needs of the kind, as data."""
        return {"numeric": self.numeric, "decimals": self.decimals, "money": self.money, "calendar": self.calendar,
                "suffix": self.display_suffix}


class TextKind(Kind):
    name, label, json_type = "text", "文字", "string"
    computable = wraps = True
    width, align = 8, "left"
    max_length = 500

    def json_schema(self, f) -> dict:
        s = super().json_schema(f)
        if not f.computed:
            s.setdefault("maxLength", self.text_limit(f))
        return s

    def phrase(self, f) -> str:
        return "必须是文字"


class TextareaKind(TextKind):
    name, label = "textarea", "多行文字"
    wide = tall = True
    widget = "textarea"
    width = 16
    max_length = 5000


class SignatureKind(TextKind):
    name, label = "signature", "签名"
    computable = wraps = False
    width, align = 5, "center"
    max_length = 50


class FormattedTextKind(TextKind):
    """Text with a format (phone, email, ID card): its own phrase and Excel hint."""
    computable = wraps = False
    max_length, align = 100, "center"
    message = "格式不对"

    def phrase(self, f) -> str:
        return self.message

    def validation(self, f) -> dict | None:
        own = super().validation(f)
        if own and self.hint:
            return {**own, "hint": f"{self.hint}；{own['hint']}"}
        return own if own else ({"hint": self.hint} if self.hint else None)


class PhoneKind(FormattedTextKind):
    name, label, format = "phone", "电话", "phone"
    input_type, pattern, width = "tel", r"[0-9\- ]{7,20}", 7
    message = "不是有效的电话号码（手机 11 位，座机如 010-12345678）"
    hint = "手机 11 位，座机如 010-12345678"

    def sample(self, f, rng):
        return "13" + "".join(str(rng.randrange(10)) for _ in range(9))


class EmailKind(FormattedTextKind):
    name, label, format = "email", "电子邮箱", "email"
    input_type, width = "email", 9
    message = "不是有效的电子邮箱"

    def sample(self, f, rng):
        return f"user{rng.randrange(1000)}@example.com"


class IdcardKind(FormattedTextKind):
    name, label, format = "idcard", "身份证号码", "idcard"
    pattern, width, max_length = r"\d{17}[\dXx]", 10, 18
    message = "不是有效的身份证号码（18 位，出生日期和末位校验码须正确）"
    hint = "18 位身份证号码"

    def sample(self, f, rng):
        body = "11010519491231002"
        return body + idcard_check_digit(body)


class NumberKind(Kind):
    name, label, json_type = "number", "数字", "number"
    numeric = computable = True
    input_type, step, width, align = "number", "any", 5, "right"
    inputmode = "decimal"
    default_range: tuple = (None, None)

    def is_integer(self, f) -> bool:
        return f.spec.get("type") == "integer"

    def json_schema(self, f) -> dict:
        s = super().json_schema(f)
        if self.is_integer(f):
            s["type"] = "integer"
        return s

    def bounds(self, f) -> tuple:
        s = f.spec
        return s.get("minimum", self.default_range[0]), s.get("maximum", self.default_range[1])

    def sample(self, f, rng):
        s = f.spec
        lo = s.get("minimum", s.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in s else 0))
        hi = s.get("maximum", s.get("exclusiveMaximum", lo + 1000) - (1 if "exclusiveMaximum" in s else 0))
        lo, hi = self.sample_range(f, lo, hi)
        lo, hi = (lo, hi) if lo <= hi else (hi, lo)
        if self.is_integer(f):
            value = rng.randint(math.ceil(lo), math.floor(hi))
            step = s.get("multipleOf")
            return value - value % step if isinstance(step, int) and step > 0 else value
        value = round(rng.uniform(lo, hi), 2)
        if s.get("multipleOf"):
            step = s["multipleOf"]
            value = round(round(value / step) * step, 6)
        return min(max(value, lo), hi)

    def sample_range(self, f, lo, hi):
        return lo, hi

    def coerce(self, f, value):
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < NUMBER_LIMIT \
                else value
        if not isinstance(value, str):
            return text_of(value)
        text = value.strip()
        if not text:
            return None
        t = re.sub(r"[\s¥￥元]", "", text).replace("，", ",")
        unit = f.spec.get("x-unit")
        if isinstance(unit, str) and unit and t.endswith(unit):
            t = t[: -len(unit)]
        t = t.rstrip("%")
        if _NUMBER_TEXT.match(t):
            t = t.replace(",", "")
            return int(t) if re.fullmatch(r"[+-]?\d+", t) and len(t.lstrip("+-")) <= 15 else float(t)
        return text

    def display(self, f, value) -> str:
        if isinstance(value, float) and math.isfinite(value):
            value = round(value, 6)
        return super().display(f, value)[:40]

    def rule(self, f) -> tuple:
        """(what the value must be, e.g. "0 到 100 之间的整数" or "大于 0 的数字"; the Excel validation
        of it). Exclusive bounds read 大于/小于, inclusive ones 不小于/不大于 (Excel's validation takes
        the nearest it can say: an exclusive bound beside an inclusive one is checked as inclusive)."""
        s = f.spec
        lo, hi = self.bounds(f)
        xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        what = "整数" if self.is_integer(f) else "数字"
        if lo is not None and hi is not None and xlo is None and xhi is None:
            return f"{_n(lo)} 到 {_n(hi)} 之间的{what}", {"operator": "between", "formula1": str(lo),
                                                       "formula2": str(hi)}
        low = f"大于 {_n(xlo)}" if xlo is not None else f"不小于 {_n(lo)}" if lo is not None else ""
        high = f"小于 {_n(xhi)}" if xhi is not None else f"不大于 {_n(hi)}" if hi is not None else ""
        a = xlo if xlo is not None else lo
        b = xhi if xhi is not None else hi
        if low and high:
            return f"{low} 且{high} 的{what}", {"operator": "between", "formula1": str(a), "formula2": str(b)}
        if low:
            return f"{low} 的{what}", {"operator": "greaterThan" if xlo is not None else "greaterThanOrEqual",
                                       "formula1": str(a)}
        if high:
            return f"{high} 的{what}", {"operator": "lessThan" if xhi is not None else "lessThanOrEqual",
                                        "formula1": str(b)}
        return what, {"operator": "between", "formula1": "-999999999999999", "formula2": "999999999999999"}

    def phrase(self, f) -> str:
        return must_be(self.rule(f)[0])

    def excel_format(self, f) -> str:
        digits = f.spec.get("x-round")
        if self.is_integer(f):
            base = "0"
        elif isinstance(digits, int) and digits >= 0:
            base = "0" + ("." + "0" * digits if digits else "")
        else:
            return "General"
        return base + self.excel_unit(f)

    def excel_unit(self, f) -> str:
        unit = f.spec.get("x-unit")
        if unit == "%":
            return '"%"'
        if isinstance(unit, str) and unit and '"' not in unit:
            return f'" {unit}"'
        return ""

    def excel_value(self, f, value):
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def excel_formula(self, f, formula: str) -> str:
        digits = self.round_digits(f)
        return f"ROUND({formula},{int(digits)})" if digits is not None else formula

    def validation(self, f) -> dict | None:
        rule, check = self.rule(f)
        unit = f.spec.get("x-unit")
        return {"type": "whole" if self.is_integer(f) else "decimal", **check, "error": f"「{f.title}」{must_be(rule)}",
                "hint": f"填写{rule}" + (f"，单位：{unit}" if unit else "")}

    def input_attrs(self, f) -> dict:
        out = super().input_attrs(f)
        out["inputmode"] = "numeric" if self.is_integer(f) else self.inputmode
        lo, hi = self.bounds(f)
        if lo is not None:
            out.setdefault("min", lo)
        if hi is not None:
            out.setdefault("max", hi)
        return out


class IntegerKind(NumberKind):
    name, label, json_type = "integer", "整数", "integer"
    decimals, step, width = 0, "1", 4

    def is_integer(self, f) -> bool:
        return True


class YearKind(IntegerKind):
    name, label = "year", "年份"
    schema = {"minimum": DATE_MIN.year, "maximum": DATE_MAX.year}
    default_range = (DATE_MIN.year, DATE_MAX.year)
    align = "center"

    def sample_range(self, f, lo, hi):
        return max(lo, 2020), min(f.spec.get("maximum", 2030), 2030)

    def excel_unit(self, f) -> str:
        return ""


class MoneyKind(NumberKind):
    name, label = "money", "金额"
    schema = {"x-decimals": 2}
    decimals, step, width = 2, "0.01", 7
    money, shows_unit = True, False

    def display(self, f, value) -> str:
        if finite(value):
            return f"{value:,.2f}"
        return super().display(f, value)

    def excel_format(self, f) -> str:
        return '"¥"#,##0.00'

    def validation(self, f) -> dict | None:
        out = super().validation(f)
        out["hint"] = out["hint"].split("，单位")[0]
        return out


class PercentKind(NumberKind):
    name, label = "percent", "百分比"
    width = 4

    display_suffix = "%"

    def display(self, f, value) -> str:
        text = super().display(f, value)
        return f"{text}{self.display_suffix}" if text else ""

    def excel_format(self, f) -> str:
        digits = f.spec.get("x-round")
        base = ("0" + ("." + "0" * digits if digits else "")) if isinstance(digits, int) and digits >= 0 else "0.00"
        return base + '"%"'


class ScoreKind(NumberKind):
    name, label = "score", "分数"
    width = 4
    needs_range = True


class DateKind(Kind):
    name, label, json_type, format = "date", "日期", "string", "date"
    input_type, width, calendar = "date", 6, "day"
    computable = True           # 截止日期: 开始日期 + 30
    align = "center"
    blank = "　　　年　　月　　日"
    hint = "填写日期，例如 2026-03-05"

    def coerce(self, f, value):
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            m = _DATE_TEXT.match(value)
            if m:
                try:
                    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
                except ValueError:
                    return value.strip()
        return super().coerce(f, value)

    def display(self, f, value) -> str:
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            y, m, d = value.split("-")
            return f"{y}年{int(m)}月{int(d)}日"
        return super().display(f, value)

    def sample(self, f, rng):
        return (date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat()

    def compact(self, f, value) -> str:
        """In a table cell: 2026.11.27."""
        return value.replace("-", ".") if isinstance(value, str) else self.display(f, value)

    def phrase(self, f) -> str:
        return f"不是有效的日期（例如 2026-11-27，年份在 {DATE_MIN.year} 到 {DATE_MAX.year} 之间）"

    def excel_format(self, f) -> str:
        return "yyyy-mm-dd"

    def excel_value(self, f, value):
        if isinstance(value, str) and is_date(value):
            return date.fromisoformat(value)
        return None

    def validation(self, f) -> dict | None:
        lo = (DATE_MIN - date(1899, 12, 30)).days
        hi = (DATE_MAX - date(1899, 12, 30)).days
        return {"type": "date", "operator": "between", "formula1": str(lo), "formula2": str(hi),
                "error": f"「{f.title}」请填写 {DATE_MIN.year} 到 {DATE_MAX.year} 年之间的日期，例如 2026-03-05",
                "hint": self.hint}


class MonthKind(DateKind):
    name, label, format = "month", "年月", "month"
    input_type, width, calendar = "month", 5, "month"
    computable = False
    blank = "　　　年　　月"
    hint = "填写年月，例如 2026-03"

    def sample(self, f, rng):
        return f"2026-{rng.randint(1, 12):02d}"

    def coerce(self, f, value):
        if isinstance(value, (datetime, date)):
            return f"{value.year:04d}-{value.month:02d}"
        if isinstance(value, str):
            m = _MONTH_TEXT.match(value)
            if m and 1 <= int(m.group(2)) <= 12:
                return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        return Kind.coerce(self, f, value)

    def display(self, f, value) -> str:
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}$", value):
            return f"{value[:4]}年{int(value[5:])}月"
        return Kind.display(self, f, value)

    def compact(self, f, value) -> str:
        return self.display(f, value)

    def phrase(self, f) -> str:
        return "不是有效的月份（例如 2026-11）"

    def excel_format(self, f) -> str:
        return "yyyy-mm"

    def excel_value(self, f, value):
        if isinstance(value, str) and is_month(value):
            return date(int(value[:4]), int(value[5:]), 1)
        return None

    def validation(self, f) -> dict | None:
        return {"hint": self.hint}


class TimeKind(Kind):
    """A time of day (JSON Schema format `time`): stored as 09:30:00, printed 09:30, an Excel time."""
    name, label, json_type, format = "time", "时间", "string", "time"
    input_type, width, align = "time", 4, "center"
    step = "60"
    blank = "　　时　　分"
    hint = "填写时间，例如 09:30"

    def clock(self, value):
        """A cell's time, or a posted text like 9:30, 9时30分, 09:30:15, as HH:MM:SS (None: not a time)."""
        if isinstance(value, datetime):
            value = value.time()
        if isinstance(value, time):
            return value.replace(microsecond=0).isoformat()
        if isinstance(value, float) and 0 <= value < 1:   # a time cell read as its fraction of a day
            seconds = round(value * 86400)
            return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds < 86400 else None
        if isinstance(value, str):
            m = _TIME_TEXT.match(value)
            if m and int(m.group(1)) < 24 and int(m.group(2)) < 60 and int(m.group(3) or 0) < 60:
                return f"{int(m.group(1)):02d}:{int(m.group(2)):02d}:{int(m.group(3) or 0):02d}"
        return None

    def coerce(self, f, value):
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and is_time(text):   # 09:30 (as a browser posts it) stored as RFC 3339's 09:30:00
            return text + ":00" if len(text) == 5 else text
        return self.clock(value) or super().coerce(f, value)

    def display(self, f, value) -> str:
        if isinstance(value, str) and is_time(value):
            return value[:5] if value[5:8] in ("", ":00") and len(value) <= 8 else value
        return super().display(f, value)

    def sample(self, f, rng):
        return f"{rng.randint(8, 17):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"

    def phrase(self, f) -> str:
        return "不是有效的时间（例如 09:30）"

    def excel_format(self, f) -> str:
        return "hh:mm"

    def excel_value(self, f, value):
        if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            return time.fromisoformat(value)
        return self.display(f, value) or None


class DateTimeKind(TimeKind):
    """A date and time (JSON Schema format `date-time`): stored as 2026-03-05T09:30:00 (as the browser's
    datetime-local posts it, seconds added), printed 2026年3月5日 09:30, an Excel date-time."""
    name, label, format = "datetime", "日期时间", "date-time"
    input_type, width = "datetime-local", 9
    blank = "　　　年　　月　　日　　时　　分"
    hint = "填写日期和时间，例如 2026-03-05 09:30"

    def coerce(self, f, value):
        if isinstance(value, datetime):
            return value.replace(microsecond=0).isoformat()
        if isinstance(value, str):
            text = value.strip()
            if is_datetime(text):
                day, _, clock = text.partition("T") if "T" in text else text.partition(" ")
                return f"{day}T{clock if len(clock) > 5 else clock + ':00'}"
            m = re.match(r"^(.+?日|\S+)\s*(?:T|\s)\s*(\S.*)$", text)
            if m:
                day, clock = KINDS["date"].coerce(f, m.group(1)), self.clock(m.group(2))
                if isinstance(day, str) and is_date(day) and clock:
                    return f"{day}T{clock}"
        return Kind.coerce(self, f, value)

    def display(self, f, value) -> str:
        if isinstance(value, str) and is_datetime(value):
            day, _, clock = value.partition("T") if "T" in value else value.partition(" ")
            return f"{KINDS['date'].display(f, day)} {TimeKind.display(self, f, clock)}"
        return Kind.display(self, f, value)

    def sample(self, f, rng):
        return f"{KINDS['date'].sample(f, rng)}T{super().sample(f, rng)}"

    def phrase(self, f) -> str:
        return "不是有效的日期时间（例如 2026-11-27T09:30）"

    def excel_format(self, f) -> str:
        return "yyyy-mm-dd hh:mm"

    def excel_value(self, f, value):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", value) \
                and is_datetime(value):
            return datetime.fromisoformat(value)
        return Kind.display(self, f, value) or None


class ChoiceKind(Kind):
    name, label = "choice", "单选"
    options = enumerated = True
    align = "center"
    widget = "select"       # x-widget: radio in the definition picks radio buttons

    def widget_of(self, f) -> str:
        return "radio" if f.spec.get("x-widget") == "radio" else self.widget

    def choice_spec(self, f) -> dict:
        """The schema holding the enum (and its x-labels): the field's own."""
        return f.spec

    def choices(self, f) -> list:
        return list(self.choice_spec(f).get("enum") or [])

    def labels(self, f) -> list:
        """What is shown of each choice, in order: its x-labels (a standard oneOf/anyOf of {const, title}),
        else the choice's own text (an object's title, label, name or first text; never a repr)."""
        choices = self.choices(f)
        given = self.choice_spec(f).get("x-labels")
        if isinstance(given, list) and len(given) == len(choices):
            return [str(x) for x in given]
        return [label_of(c) for c in choices]

    def option_pairs(self, f) -> list:
        return list(zip(self.labels(f), self.choices(f)))

    def label_for(self, f, value) -> str:
        for label, c in self.option_pairs(f):
            if c == value and type(c) is type(value):
                return label
        for label, c in self.option_pairs(f):
            if c == value:
                return label
        return label_of(value)

    def display(self, f, value) -> str:
        if value is None or value == "":
            return ""
        return self.label_for(f, value)

    def excel_value(self, f, value):
        return self.display(f, value)

    def json_schema(self, f) -> dict:
        return {"enum": self.choices(f)}

    def sample(self, f, rng):
        choices = self.choices(f)
        return f.spec.get("default", choices[rng.randrange(len(choices))])

    def coerce(self, f, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        pairs = self.option_pairs(f)
        for _, c in pairs:
            if c == value:
                return c
        text = text_of(value).strip()
        for label, c in pairs:   # a label (a posted option, an Excel cell), else a value's text (numbers)
            if label == text:
                return c
        for _, c in pairs:
            if not isinstance(c, (dict, list)) and str(c) == text:
                return c
        return text

    def phrase(self, f) -> str:
        return f"必须是以下选项之一：{'、'.join(self.labels(f))}"

    def validation(self, f) -> dict | None:
        choices = self.labels(f)
        return {"type": "list", "list": choices, "error": "请从下拉列表中选择：" + "、".join(choices),
                "hint": "请从下拉列表中选择"}


class MultiChoiceKind(ChoiceKind):
    name, label, json_type = "multichoice", "多选", "array"
    width, repeated = 10, True
    align = "left"
    widget = "checkboxes"

    def widget_of(self, f) -> str:
        return self.widget

    def choice_spec(self, f) -> dict:
        items = f.spec.get("items")
        return items if isinstance(items, dict) else {}

    def json_schema(self, f) -> dict:
        return {"type": "array", "uniqueItems": True, "items": {"enum": self.choices(f)}}

    def sample(self, f, rng):
        choices = self.choices(f)
        return rng.sample(choices, max(1, min(len(choices), f.spec.get("minItems", 1))))

    def coerce(self, f, value):
        if isinstance(value, list):
            return [ChoiceKind.coerce(self, f, v) for v in value if v not in (None, "")]
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parts = [p.strip() for p in re.split(r"[、,，;；\n]", text_of(value)) if p.strip()]
        return [ChoiceKind.coerce(self, f, p) for p in parts]

    def display(self, f, value) -> str:
        if isinstance(value, list):
            return "、".join(self.label_for(f, v) for v in value)
        return super().display(f, value)

    def validation(self, f) -> dict | None:
        return {"hint": "可多选，用「、」分隔：" + "、".join(self.labels(f))}


class BooleanKind(Kind):
    name, label, json_type = "boolean", "是否", "boolean"
    options = computable = True
    width, align = 3, "center"
    widget = "yesno"

    def option_pairs(self, f) -> list:
        return [("是", True), ("否", False)]

    def sample(self, f, rng):
        return rng.random() < 0.5

    def coerce(self, f, value):
        if isinstance(value, bool) or value is None:
            return value
        text = text_of(value).strip()
        if not text:
            return None
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        return text

    def phrase(self, f) -> str:
        return "只能是「是」或「否」"

    def excel_formula(self, f, formula: str) -> str:
        (yes, _), (no, _) = self.option_pairs(f)
        return f'IF({formula},"{yes}","{no}")'

    def validation(self, f) -> dict | None:
        return {"type": "list", "list": ["是", "否"], "error": "请从下拉列表中选择：是、否",
                "hint": "请从下拉列表中选择"}


class ListKind(Kind):
    """An array of plain values (`type: array, items: {type: string}` or number, no enum): a multi-line field,
    one value a line. Not a one-column table: a table's rows are objects ({column: value}) in every layer
    (row formulas, the Excel row block, the record view), so a table would change the data's shape, while a
    field of lines keeps it a plain list, as jsonschema reads it, and prints and exports as one box / cell."""
    name, label, json_type = "list", "逐行列表", "array"
    wide = tall = wraps = True
    widget = "textarea"
    width = 16
    max_items = 200             # lines when the definition's maxItems says nothing
    hint = "每行填写一项"

    def item(self, f):
        """(the items' kind, a stand-in field of one item) — each line is coerced and checked as that kind."""
        from types import SimpleNamespace
        spec = f.spec.get("items") if isinstance(f.spec.get("items"), dict) else {}
        return KINDS[infer_kind(spec)], SimpleNamespace(spec=spec, title=f.title, computed=False, key=f.key)

    def json_schema(self, f) -> dict:
        kind, one = self.item(f)
        items = {k: v for k, v in one.spec.items() if k in _ITEM_KEYWORDS}
        items.update(kind.json_schema(one))
        return {"type": "array", "items": items, "maxItems": f.spec.get("maxItems", self.max_items)}

    def sample(self, f, rng):
        kind, one = self.item(f)
        return [kind.sample(one, rng) for _ in range(max(2, f.spec.get("minItems", 0)))]

    def coerce(self, f, value):
        kind, one = self.item(f)
        if value is None:
            return None
        parts = value if isinstance(value, list) else \
            re.split(r"\r?\n" if kind.json_type == "string" else r"[\n、,，;；\s]+", text_of(value))
        out = [kind.coerce(one, p) for p in parts]
        out = [v for v in out if v is not None]
        return out or None

    def display(self, f, value) -> str:
        if isinstance(value, list):
            kind, one = self.item(f)
            return "\n".join(kind.display(one, v) for v in value)
        return super().display(f, value)

    def compact(self, f, value) -> str:
        return self.display(f, value).replace("\n", "、")

    def phrase(self, f) -> str:
        kind, _ = self.item(f)
        return f"应是{kind.label}，每行一项"

    def excel_value(self, f, value):
        return self.display(f, value)

    def validation(self, f) -> dict | None:
        kind, _ = self.item(f)
        return {"hint": f"{self.hint}（{kind.label}）"}


_ITEM_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                  "maxLength", "pattern", "format")


class SectionKind(Kind):
    name, label, json_type, container = "section", "分组", "object", "section"


class TableKind(Kind):
    name, label, json_type, container = "table", "表格", "array", "table"
    max_rows = 1000     # line items per table when the definition's maxItems says nothing


KINDS: dict[str, Kind] = {k.name: k for k in (
    TextKind(), TextareaKind(), SignatureKind(), IntegerKind(), NumberKind(), MoneyKind(), PercentKind(),
    ScoreKind(), DateKind(), MonthKind(), TimeKind(), DateTimeKind(), YearKind(), ChoiceKind(), MultiChoiceKind(),
    BooleanKind(), ListKind(),
    PhoneKind(), EmailKind(), IdcardKind(), SectionKind(), TableKind())}
NUMERIC_KINDS = {n for n, k in KINDS.items() if k.numeric}
COMPUTABLE_KINDS = {n for n, k in KINDS.items() if k.computable}
_FORMAT_KINDS = {k.format: n for n, k in KINDS.items() if k.format}


def infer_kind(spec: dict) -> str:
    """The kind of a field written with JSON Schema keywords only."""
    t = spec.get("type")
    if "enum" in spec:
        return "choice"
    if t == "array":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        if "properties" in items or items.get("type") == "object":
            return "table"
        if "enum" in items:
            return "multichoice"
        return "list" if items.get("type") in ("string", "number", "integer") else "table"
    if t == "object" or "properties" in spec:
        return "section"
    if t in ("integer", "number", "boolean"):
        return t
    return _FORMAT_KINDS.get(spec.get("format"), "text")


def browser_kinds() -> dict:
    """Every kind's browser data, for form.js."""
    return {name: k.browser() for name, k in KINDS.items()}
