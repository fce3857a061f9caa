"""Query parameters read strictly: a value that is not what it should be is a 400 with a Chinese
message, never silently taken as missing."""
from __future__ import annotations

import re

from flask import abort, request

NAMES = {"rev": "修订版本", "page": "页码", "per_page": "每页条数"}
_WHOLE = re.compile(r"[0-9]{1,9}")


def int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int | None = None) -> int | None:
    """The whole-number parameter `name`, or `default` when absent; 400 when it is not a whole
    number from `minimum` (to `maximum`)."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    value = int(text) if _WHOLE.fullmatch(text) else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        rule = f"{minimum} 到 {maximum} 之间的整数" if maximum is not None else f"不小于 {minimum} 的整数"
        abort(400, description=f"参数「{NAMES.get(name, name)}」应为{rule}，这里是 '{text[:20]}'。")
    return value
