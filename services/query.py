"""A records query from what a person typed (CLI options, list page, API parameters): one parser,
so that the list, its Excel export and its archive select the same records."""
from __future__ import annotations

from datetime import date

from forms.errors import suggestion
from store.base import Query


class QueryError(ValueError):
    """A filter that cannot be understood; the message is Chinese."""


def parse_date(value, name: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise QueryError(f"{name} '{text}' 不是有效的日期，应写成 2026-11-27 这样的格式") from None


def parse_where(form, items) -> tuple:
    """`field=value` items (field id or its Chinese title) → ((field id, value), …)."""
    out = []
    for item in items or ():
        name, eq, value = str(item).partition("=")
        name = name.strip()
        if not eq or not name:
            raise QueryError(f"筛选条件的格式应为 字段=值，这里是 '{item}'")
        f = form.fields.get(name) or next((x for x in form.fields.values() if x.title == name), None)
        if f is None or not f.is_value:
            names = [k for k, x in form.fields.items() if x.is_value]
            raise QueryError(f"表单「{form.title}」没有可筛选的字段 '{name}'{suggestion(name, names)}")
        out.append((f.key, value))
    return tuple(out)


def build_query(form, *, date_from=None, date_to=None, text=None, where=(), creators=None,
                departments=None) -> Query:
    text = (text or "").strip() or None
    return Query(date_from=parse_date(date_from, "开始日期"), date_to=parse_date(date_to, "结束日期"), text=text,
                 where=parse_where(form, where), creators=creators, departments=departments)


def query_args(query: Query) -> dict:
    """The query as URL parameters (for links to the next page, the export and the archive)."""
    out = {k: v for k, v in (("from", query.date_from), ("to", query.date_to), ("q", query.text)) if v}
    if query.where:
        out["where"] = [f"{k}={v}" for k, v in query.where]
    return out
