"""What a records list shows of each form: its key columns, chosen from the definition — the date,
the customer or person, the total, the status (besides 编号 and the submission time) — and one list
across every form the user may read, for people who don't know which form a record was."""
from __future__ import annotations

import re

from services.records import Forbidden, search

PARTY = re.compile(r"客户|经销商|分销商|批发商|单位|公司|姓名|员工|申请人|业务员|被考核人|受奖人|联系人")
STATUS = re.compile(r"状态|结果|结论|审批|评价")
MAX_COLUMNS = 4


def key_columns(form) -> list:
    """The definition's declared columns (x-form list) that `form` (the user's view of it) has, else up
    to MAX_COLUMNS top-level fields: date, party, total, status, then the first short fields."""
    short = form.summary_fields()
    if form.list_columns:
        return [form.fields[k] for k in form.list_columns if k in form.fields and form.fields[k] in short]
    picks = [
        _date_field(form, short),
        next((f for f in short if not f.kind_def.numeric and PARTY.search(f.title)), None),
        next((f for f in reversed(short) if f.kind_def.money), None),
        next((f for f in short if f.choices and STATUS.search(f.title)), None),
    ]
    out = [f for f in picks if f is not None]
    for f in short:
        if len(out) >= MAX_COLUMNS:
            break
        if f not in out:
            out.append(f)
    order = {f.key: i for i, f in enumerate(form.fields.values())}
    return sorted(out[:MAX_COLUMNS], key=lambda f: order[f.key])      # in the paper's order


def _date_field(form, short):
    """The record's own date: the one its 编号 is counted by, else one its printed header shows, else the first."""
    days = {f.key: f for f in short if f.kind_def.calendar == "day"}
    wanted = [(form.numbering or {}).get("date-field")]
    wanted += [h.get("field") for h in (form.layout or {}).get("header") or [] if isinstance(h, dict)]
    return next((days[k] for k in wanted if k in days), next(iter(days.values()), None))


MAX_ALL_PAGES = 50       # pages of 全部记录 one may turn to (each form is read up to the page's end)


def across_forms(store, catalog, access, query_for, *, offset: int, limit: int):
    """(page, total): (form, record) pairs, newest first, of every form with records the user may read;
    `query_for(form)` is the text query for that form; `total` counts every match of every form.
    Each form contributes at most offset + limit of its newest (callers bound the offset)."""
    found, total = [], 0
    present = set(store.forms())
    for forms in catalog.by_chapter().values():
        for form in forms:
            if form.id not in present or not access.can(form, "read"):
                continue
            try:
                items, n = search(store, form, access, query_for(form), limit=offset + limit)
            except Forbidden:
                continue
            total += n
            found += [(form, r) for r in items]
    found.sort(key=lambda fr: (fr[1].get("created", ""), fr[0].id, fr[1]["id"]), reverse=True)
    return found[offset:offset + limit], total
