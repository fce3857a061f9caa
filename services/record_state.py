"""A record's state as people see it, in one place: 已作废 (a void mark) wins, then the approval
flow's state where the record has a flow document, else 已提交 (stored with no flow: its form has
none, or the record was stored before the form had one, or was bulk-loaded).

`states(store, catalog)` returns `state_of(form_id, record)` for reports and lists: it reads each
form's void marks and flow documents once (one `docs` read per kind and form), not per record.
"""
from __future__ import annotations

from . import approval, voiding

SUBMITTED = "已提交"
VOID = "已作废"


def states(store, catalog):
    voids: dict = {}
    flows: dict = {}

    def of(form_id: str, record: dict) -> str:
        if form_id not in voids:
            voids[form_id] = voiding.voided_ids(store, form_id)
            form = catalog.get(form_id) if catalog is not None else None
            flows[form_id] = None if form is None or getattr(form, "flow", None) is None else {
                int(k.rsplit(":", 1)[1]): doc for k, doc, _ in store.docs(approval.KIND, f"{form_id}:")
                if k.rsplit(":", 1)[1].isdigit()}
        rid = record.get("id")
        if rid in voids[form_id]:
            return VOID
        doc = (flows[form_id] or {}).get(rid)
        return SUBMITTED if doc is None else approval.state_label(doc)
    return of
