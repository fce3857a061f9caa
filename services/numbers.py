"""The 编号 continuity report auditors ask for: every number of a period, in order, each with
its record, when and by whom it was made and whether it is 有效 or 作废 (who, when, why) — and
any number missing (a gap) or given twice (a duplicate). There should be none (store.add numbers
gap-free in one transaction, voiding never deletes); the report is how one checks.

    report = continuity(store, form, "2026-11")
    report["missing"], report["duplicates"]   # [] and [] when the numbers are whole

A record belongs to the period its 编号 says (its date parts, read back with the form's pattern —
the current one or any it had before), so that the report works from the numbers themselves,
not from the counter it is meant to check.
"""
from __future__ import annotations

import re
from datetime import date

from forms import numbering

from .voiding import voided_ids

RESET_NAMES = {"never": "不重新编号", "year": "按年重新编号", "month": "按月重新编号", "day": "按日重新编号"}
PERIOD_FORMS = {"never": ("", "（不分期间，省略 --period）"), "year": (r"\d{4}", "2026"),
                "month": (r"\d{4}-\d{2}", "2026-11"), "day": (r"\d{4}-\d{2}-\d{2}", "2026-11-27")}


class NumbersError(ValueError):
    """The form has no 编号, or the period is not written as the form's numbering counts it (Chinese)."""


def number_regex(pattern: str) -> re.Pattern:
    """A regex that reads a number made with `pattern` back: groups yyyy / yy / mm / dd / seq."""
    out = []
    for part in numbering.parse_pattern(pattern):
        if isinstance(part, str):
            out.append(re.escape(part))
        elif part[0] == "date":
            out.append(rf"(?P<{part[1]}>\d{{{4 if part[1] == 'yyyy' else 2}}})")
        else:
            out.append(rf"(?P<seq>\d{{{part[1]},}})")
    return re.compile("".join(out))


def read_number(number: str, regexes, reset: str):
    """(period key, seq) of a number, or None when no pattern reads it."""
    for rx in regexes:
        m = rx.fullmatch(number or "")
        if not m:
            continue
        parts = m.groupdict()
        year = int(parts["yyyy"]) if parts.get("yyyy") else (2000 + int(parts["yy"]) if parts.get("yy") else 2000)
        try:
            day = date(year, int(parts.get("mm") or 1), int(parts.get("dd") or 1))
        except ValueError:
            continue
        return numbering.period_key(reset, day), int(parts["seq"])
    return None


def _patterns(store, form) -> list:
    """The form's pattern first, then those of the definitions its records were made with."""
    out = [form.numbering["pattern"]]
    for digest in store.definitions(form.id):
        stored = store.get_definition(form.id, digest) or {}
        p = (stored.get("x-numbering") or {}).get("pattern")
        if isinstance(p, str) and p not in out:
            out.append(p)
    regexes = []
    for p in out:
        try:
            regexes.append(number_regex(p))
        except ValueError:
            continue
    return regexes


def check_period(form, period: str | None) -> str:
    if not form.numbering:
        raise NumbersError(f"「{form.title}」没有编号（定义中没有 x-numbering）。")
    reset = form.numbering.get("reset", "never")
    shape, example = PERIOD_FORMS[reset]
    period = (period or "").strip()
    if not re.fullmatch(shape, period):
        raise NumbersError(f"「{form.title}」的编号{RESET_NAMES[reset]}，期间请写成 {example}"
                           + (f"（这里是 {period}）。" if period else "。"))
    return period


def continuity(store, form, period: str | None, names: dict | None = None) -> dict:
    """The report of one period (see the module docstring). `names`: login -> real name."""
    period = check_period(form, period)
    reset = form.numbering.get("reset", "never")
    regexes = _patterns(store, form)
    marks = voided_ids(store, form.id)
    names = names or {}
    found, unread = {}, []
    for rec in store.scan(form.id):
        got = read_number(rec.get("number") or "", regexes, reset)
        if got is None:
            unread.append({"record": rec["id"], "number": rec.get("number") or ""})
            continue
        if got[0] == period:
            found.setdefault(got[1], []).append(rec)
    counter = int(store.counters(form.id).get(period, 0) or 0)
    last = max([counter, *found])
    rows, missing, duplicates = [], [], []
    for seq in range(1, last + 1):
        recs = found.get(seq, [])
        if not recs:
            missing.append(seq)
            rows.append({"seq": seq, "number": None, "record": None, "created": None, "creator": None,
                         "creator_name": None, "state": "缺号", "void": None})
            continue
        if len(recs) > 1:
            duplicates.append({"seq": seq, "number": recs[0].get("number"), "records": [r["id"] for r in recs]})
        for rec in recs:
            mark = marks.get(rec["id"])
            rows.append({"seq": seq, "number": rec.get("number"), "record": rec["id"], "created": rec.get("created"),
                         "creator": rec.get("creator"), "creator_name": names.get(rec.get("creator"), rec.get("creator")),
                         "state": "作废" if mark else "有效",
                         "void": None if mark is None else {k: mark.get(k) for k in ("reason", "by", "by_name", "at")}})
    live = sum(1 for r in rows if r["state"] == "有效")
    return {"form": form.id, "title": form.title, "period": period, "pattern": form.numbering["pattern"],
            "reset": reset, "counter": counter, "numbers": len(found), "valid": live,
            "voided": sum(1 for r in rows if r["state"] == "作废"), "rows": rows, "missing": missing,
            "duplicates": duplicates, "beyond_counter": [s for s in found if s > counter],
            "unreadable": unread, "ok": not missing and not duplicates and not [s for s in found if s > counter]}


def report_text(report: dict) -> list:
    """The report as Chinese lines (what `biaoge numbers` prints)."""
    r = report
    period = r["period"] or "全部"
    lines = [f"{r['title']}（{r['form']}）编号连续性报告　期间：{period}",
             f"编号规则 {r['pattern']}，{RESET_NAMES[r['reset']]}；计数器已用到第 {r['counter']} 号；"
             f"共 {r['numbers']} 个编号：有效 {r['valid']} 条，作废 {r['voided']} 条。", ""]
    lines.append("序号　编号　　　　　　　记录　提交时间　　　　　　　填表人　　状态")
    for row in r["rows"]:
        if row["number"] is None:
            lines.append(f"{row['seq']:>4}　{'（缺号）':<14}　　　—　—　　　　　　　　　　—　　　　缺号")
            continue
        state = row["state"]
        if row["void"]:
            v = row["void"]
            state += f"（{v.get('by_name') or v.get('by')}，{str(v.get('at') or '').replace('T', ' ')[:16]}，原因：{v.get('reason')}）"
        lines.append(f"{row['seq']:>4}　{row['number']:<16}　#{row['record']:<4}　"
                     f"{str(row['created'] or '').replace('T', ' '):<19}　{row['creator_name'] or '—'}　　{state}")
    lines.append("")
    if r["missing"]:
        lines.append("缺号：第 " + "、".join(map(str, r["missing"])) + " 号没有记录。")
    for d in r["duplicates"]:
        lines.append(f"重号：{d['number']}（第 {d['seq']} 号）同时属于记录 " + "、".join(f"#{i}" for i in d["records"]) + "。")
    if r["beyond_counter"]:
        lines.append("超出计数器：第 " + "、".join(map(str, sorted(r["beyond_counter"]))) + f" 号大于计数器（{r['counter']}）。")
    if r["unreadable"]:
        lines.append(f"另有 {len(r['unreadable'])} 条记录的编号无法按编号规则识别：" +
                     "、".join(f"#{u['record']} {u['number'] or '（无编号）'}" for u in r["unreadable"][:20]) + "。")
    if r["ok"]:
        lines.append(f"结论：编号连续，第 1 至 {r['counter']} 号无缺号、无重号。" if r["counter"] else "结论：本期间没有编号。")
    else:
        lines.append("结论：编号不连续或有重号，请核查。")
    return lines
