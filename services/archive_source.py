"""Which stored records go into an archive (shared by `biaoge archive` and the server):
(definition, record) pairs from the store's own query, nothing else of the store."""
from __future__ import annotations

from forms.definition import compile_frozen, frozen
from renderers.layout import display
from store.base import Query

from .access import form_without, redact
from .approval_print import frozen_for_archive, printed_record
from .archive import Entry
from .records import scan
from .voiding import voided_ids


def key_fields_of(catalog):
    """The first three simple fields of a record, as 'title:value' text for the manifest."""
    def keys(entry: Entry) -> str:
        form = catalog.get(entry.form_id)
        data = entry.record.get("data") if isinstance(entry.record, dict) else None
        if form is None or not isinstance(data, dict):
            return ""
        parts = []
        for f in form.summary_fields():
            if data.get(f.key) in (None, ""):
                continue
            parts.append(f"{f.title}:{display(f, data[f.key])}")
            if len(parts) == 3:
                break
        return ";".join(parts)
    return keys


def collect(catalog, store, selections, access=None):
    """`selections`: (form, Query) pairs. Returns (entries oldest first per form, definitions by
    digest, titles by form id, key-field function). With `access` (services.access.Access): only
    the records the user may export, each without the fields they may not see — its definition
    too, kept under a key of its own, so that no page of the archive has a label for them."""
    entries, definitions, titles = [], {}, {}
    for form, query in selections:
        titles[form.id] = form.title
        marks = voided_ids(store, form.id)
        records = store.scan(form.id, query or Query()) if access is None else \
            scan(store, form, access, query or Query(), action="export")
        for rec in records:
            digest = rec.get("definition") or ""
            if digest not in definitions:
                definitions[digest] = store.get_definition(form.id, digest) if digest else None
            hidden = access.hidden(form, rec) if access is not None else frozenset()
            if hidden:
                key = digest + "~" + ",".join(sorted(".".join(p) for p in hidden))
                if key not in definitions:
                    stored = definitions[digest]
                    definitions[key] = frozen(form_without(compile_frozen(stored) if stored else form, hidden))
                rec, digest = dict(rec, data=redact(rec.get("data"), hidden)), key
            if rec.get("id") in marks:      # printed 作废 across it
                rec = dict(rec, void=True)
            rec = printed_record(store, form, rec)
            kept = None if hidden else frozen_for_archive(store, form, rec, definitions[digest])
            entries.append(Entry(form.id, digest, dict(rec, frozen_pdf=kept) if kept else rec))
    return entries, definitions, titles, key_fields_of(catalog)
