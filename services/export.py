"""The records list as an Excel workbook: what the list page's 下载 Excel button and
`biaoge export` both call, so that they export the same records the same way.

`export_records(form, store, query, out)` writes the list export (`renderers.xlsx.list_export`)
of the latest revisions that `query` selects (`services.query.build_query`, the list's own
filters) to the binary file `out`, reading them from the store one by one, oldest first, and
returns how many it wrote. A sheet that would pass Excel's row limit raises `TooManyRows`
(a ValueError with a Chinese message).
"""
from __future__ import annotations

from renderers.base import Filled
from renderers.xlsx.list_export import TooManyRows, write_list
from store.base import Query

from .records import scan
from .voiding import voided_ids

__all__ = ["export_records", "export_name", "TooManyRows"]


def stored_records(store, form, query: Query | None, access=None):
    """The store's records that `query` selects (among those `access` may export), as renderer
    records without what the user may not see, lazily."""
    records = scan(store, form, access, query or Query()) if access is not None else store.scan(form.id, query or Query())
    marks = voided_ids(store, form.id)
    for rec in records:
        data = access.view(form, rec)[1] if access is not None else rec.get("data")
        yield Filled(data, number=rec.get("number") or "", created=str(rec.get("created") or ""),
                     void="作废" if rec.get("id") in marks else "")


def export_records(form, store, query: Query | None, out, access=None) -> int:
    """Write the list export of the records of `form` that `query` selects to `out`; returns the count.
    With `access` (a signed-in user's), only the records they may export and the columns they may
    see on any of them; without (the command line, run by whoever holds the data folder), all."""
    shown = access.view(form, {"creator": None, "department": None})[0] if access is not None else form
    return write_list(shown, stored_records(store, form, query, access), out)


def export_name(form) -> str:
    """The file name a download of the list export gets."""
    return f"{form.title}-记录.xlsx"
