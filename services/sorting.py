"""A records list sorted by one of its columns, on the server, across all pages.

Newest-first (提交时间) is the store's own order, so sorting by 提交时间 pages the store in either
direction at no extra cost. Any other column (编号 or a field) is sorted within the ids the
user's query selects: the (value, id) pairs of at most SORT_CAP matching records are kept, the
page is cut from them and only the page's records are read again. Above the cap the sort is
refused with a Chinese message (narrow the list by date or text first). Values are what the user
sees (access.view), so a sort never orders by a value hidden from them.
"""
from __future__ import annotations

from .records import Forbidden, scan, search

SORT_CAP = 5000          # matching records a column sort holds (value, id) pairs of
CREATED, NUMBER = "created", "number"


class SortTooBig(Forbidden):
    """More records match than a column sort may hold; the message is Chinese."""


def sorted_page(store, form, access, query, key: str, descending: bool, *, offset: int, limit: int,
                cap: int | None = None, title: str = ""):
    """(records, total) of one page of the query's records the user may read, ordered by `key`:
    CREATED, NUMBER or a top-level field key. Empty values come last either way."""
    if key == CREATED:
        return _by_created(store, form, access, query, descending, offset, limit)
    cap = SORT_CAP if cap is None else cap
    _, total = search(store, form, access, query, offset=0, limit=0)
    if total > cap:
        raise SortTooBig(f"符合条件的记录有 {total} 条，超过 {cap} 条时不能按「{title or key}」排序；"
                         "请先按日期或文字筛选缩小范围，或按提交时间排序。")
    pairs = []
    for r in scan(store, form, access, query, action="read"):
        value = r.get("number") if key == NUMBER else access.view(form, r)[1].get(key)
        pairs.append((_rank(value), r["id"]))
    present = [p for p in pairs if p[0] is not None]
    present.sort(key=lambda p: (p[0], p[1]), reverse=descending)
    ordered = present + sorted((p for p in pairs if p[0] is None), key=lambda p: p[1], reverse=True)
    page = [store.get(form.id, rid) for _, rid in ordered[offset:offset + limit]]
    return [r for r in page if r is not None], len(pairs)


def _by_created(store, form, access, query, descending, offset, limit):
    if descending:
        return search(store, form, access, query, offset=offset, limit=limit)
    _, total = search(store, form, access, query, offset=0, limit=0)
    end = total - offset                               # oldest first: the store's page from the other end
    if end <= 0:
        return [], total
    start = max(0, end - limit)
    items, total = search(store, form, access, query, offset=start, limit=end - start)
    return list(reversed(items)), total


def _rank(value):
    """A comparable form of a value: numbers before texts (a column holds one kind); None when empty."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))
