"""Which stored records go into an archive (shared by `biaoge archive` and the server):
(definition, record) pairs from the store's own query, nothing else of the store."""
from __future__ import annotations

from renderers.layout import display
from store.base import Query

from .archive import Entry


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


def collect(catalog, store, selections):
    """`selections`: (form, Query) pairs. Returns (entries oldest first per form, definitions by
    digest, titles by form id, key-field function)."""
    entries, definitions, titles = [], {}, {}
    for form, query in selections:
        titles[form.id] = form.title
        for rec in store.scan(form.id, query or Query()):
            digest = rec.get("definition") or ""
            if digest not in definitions:
                definitions[digest] = store.get_definition(form.id, digest) if digest else None
            entries.append(Entry(form.id, digest, rec))
    return entries, definitions, titles, key_fields_of(catalog)
