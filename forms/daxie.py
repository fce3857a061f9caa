"""RMB amounts in Chinese financial uppercase (大写金额).

Conventions (中国人民银行《支付结算办法》): amounts are rounded half away from
zero to the fen; 元 ends in 整 when there are no 角 or 分; a zero between 元
and 分 is written 零 (10010.05 -> 壹万零壹拾元零伍分); 角 without 分 takes no
整 (0.5 -> 伍角). The integer part reads in 万/亿 groups exactly as a
spreadsheet's [DBNum2] number format does, so the Excel formula gives the
same text (see forms.expr.excel_daxie).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿")
LIMIT = Decimal("1000000000000")  # 一万亿: amounts beyond are refused


def to_cents(value) -> int:
    """Round a number to whole fen, half away from zero."""
    try:
        d = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    return int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def integer_words(n: int) -> str:
    """Read a non-negative integer below 10^12 in financial digits: 10010 -> 壹万零壹拾."""
    if n == 0:
        return DIGITS[0]
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, zero_pending = [], False
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            zero_pending = bool(out)
            continue
        if out and (zero_pending or g < 1000):
            out.append(DIGITS[0])
        out.append(_group_words(g) + GROUP_UNITS[idx])
        zero_pending = False
    return "".join(out)


def _group_words(g: int) -> str:
    out, zero = [], False
    for pos in range(3, -1, -1):
        d = g // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append(DIGITS[0])
            zero = False
        out.append(DIGITS[d] + SMALL_UNITS[pos])
    return "".join(out)


def daxie(value) -> str:
    """The uppercase amount of `value` yuan: 100 -> 壹佰元整, -0.5 -> 负伍角."""
    if value is None or value == "":
        value = 0
    if isinstance(value, bool):
        value = int(value)
    cents = to_cents(value)
    if cents == 0:
        return "零元整"
    sign = "负" if cents < 0 else ""
    cents = abs(cents)
    yuan, rest = divmod(cents, 100)
    if yuan >= LIMIT:
        raise ValueError("金额超出一万亿元，无法转换为大写")
    jiao, fen = divmod(rest, 10)
    text = sign + (integer_words(yuan) + "元" if yuan else "")
    if rest == 0:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += DIGITS[0]
    if fen:
        text += DIGITS[fen] + "分"
    return text
