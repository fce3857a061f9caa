"""What a form's records list charts: records per day, week or month, and the sum of the form's
money total over the same periods, by department (or by salesperson where the form has one),
from the records the user may read (services.records.scan, as the list and exports).

    chart_data(store, form, access, by="month", today=date(2026, 11, 30))
      → {"labels": ["2025-12", …, "2026-11"], "counts": [..], "money": "total" or None,
         "by": "部门", "sums": {"上海办事处": [..], …}}
"""
from __future__ import annotations

from datetime import date, timedelta

from store.base import Query

from .records import scan

PERIODS = {"day": 30, "week": 12, "month": 12}        # how many of each the chart shows
TOP_GROUPS = 5                                         # named departments; the rest are 其他
GROUP_FIELDS = ("salesperson",)                        # a form's own field to group by, before 部门


def money_field(form):
    """The form's money total: its computed top-level money field (合计), else none."""
    return next((f for f in form.fields.values() if f.kind == "money" and f.computed), None)


def group_field(form):
    return next((form.fields[k] for k in GROUP_FIELDS if k in form.fields and form.fields[k].is_value), None)


def period_starts(by: str, today: date) -> list[date]:
    n = PERIODS[by]
    if by == "day":
        return [today - timedelta(days=n - 1 - i) for i in range(n)]
    if by == "week":
        monday = today - timedelta(days=today.weekday())
        return [monday - timedelta(weeks=n - 1 - i) for i in range(n)]
    y, m = today.year, today.month
    out = []
    for i in range(n - 1, -1, -1):
        yy, mm = divmod(m - 1 - i, 12)
        out.append(date(y + yy, mm + 1, 1))
    return out


def label_of(by: str, start: date) -> str:
    if by == "month":
        return f"{start.year}-{start.month:02d}"
    if by == "week":
        return f"{start.month}/{start.day}起"
    return f"{start.month}/{start.day}"


def chart_data(store, form, access, by: str = "month", today: date | None = None) -> dict:
    if by not in PERIODS:
        raise ValueError(by)
    today = today or date.today()
    starts = period_starts(by, today)
    labels = [label_of(by, s) for s in starts]
    keys = [s.isoformat() for s in starts]
    money, group = money_field(form), group_field(form)
    counts = [0] * len(starts)
    sums: dict = {}
    query = Query(date_from=keys[0], date_to=today.isoformat())
    for rec in scan(store, form, access, query, action="read") if access is not None else store.scan(form.id, query):
        day = str(rec.get("created", ""))[:10]
        i = _slot(keys, day)
        if i is None:
            continue
        counts[i] += 1
        if money is not None:
            data = access.view(form, rec)[1] if access is not None else rec.get("data")
            value = (data or {}).get(money.key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                name = str((data or {}).get(group.key) or "未填") if group else (rec.get("department") or "未填")
                sums.setdefault(name, [0.0] * len(starts))[i] += value
    if len(sums) > TOP_GROUPS + 1:
        ranked = sorted(sums, key=lambda k: -sum(sums[k]))
        rest = [sum(v) for v in zip(*(sums[k] for k in ranked[TOP_GROUPS:]))]
        sums = {k: sums[k] for k in ranked[:TOP_GROUPS]} | {"其他": rest}
    return {"labels": labels, "counts": counts, "money": money.title if money else None,
            "by": group.title if group else "部门", "sums": {k: [round(x, 2) for x in v] for k, v in sums.items()}}


def _slot(keys: list, day: str):
    """The index of the period `day` falls in (keys: ISO starts, ascending)."""
    if not day or day < keys[0]:
        return None
    lo, hi = 0, len(keys) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if keys[mid] <= day:
            lo = mid
        else:
            hi = mid - 1
    return lo
