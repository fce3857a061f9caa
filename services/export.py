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

__all__ = ["export_records", "export_name", "TooManyRows"]


def stored_records(store, form_id: str, query: Query | None):
    """The store's records that `query` selects, as renderer Records, lazily."""
    for rec in store.scan(form_id, query or Query()):
        yield Filled(rec.get("data"), number=rec.get("number") or "", created=str(rec.get("created") or ""))


def export_records(form, store, query: Query | None, out) -> int:
    """Write the list export of the records of `form` that `query` selects to `out`; returns the count."""
    return write_list(form, stored_records(store, form.id, query), out)


def export_name(form) -> str:
    """The file name a download of the list export gets."""
    return f"{form.title}-记录.xlsx"
