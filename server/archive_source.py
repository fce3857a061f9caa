"""Which stored records go into an archive (shared by `biaoge archive` and the server)."""
from __future__ import annotations

from pathlib import Path

from renderers.archive import Entry

from .tinystore import TinyStore

PAGE = 500


def records(store, form_id: str, date_from=None, date_to=None):
    """Every latest revision of a form in the date range, oldest first."""
    out, offset = [], 0
    while True:
        page, total = store.query(form_id, date_from=date_from, date_to=date_to, offset=offset, limit=PAGE)
        out += page
        offset += len(page)
        if not page or offset >= total:
            break
    out.reverse()
    return out


def matches(data: dict, conditions) -> bool:
    for name, value in conditions:
        got = data.get(name) if isinstance(data, dict) else None
        if isinstance(got, list):
            if value not in [str(x) for x in got]:
                return False
        elif ("" if got is None else str(got)) != value:
            return False
    return True


def key_fields_of(catalog):
    """The first three simple fields of a record, as 'title:value' text for the manifest."""
    from renderers.layout import display

    def keys(entry: Entry) -> str:
        form = catalog.get(entry.form_id)
        data = entry.record.get("data") if isinstance(entry.record, dict) else None
        if form is None or not isinstance(data, dict):
            return ""
        parts = []
        for f in form.fields.values():
            if f.kind in ("section", "table", "textarea") or data.get(f.key) in (None, ""):
                continue
            parts.append(f"{f.title}:{display(f, data[f.key])}")
            if len(parts) == 3:
                break
        return ";".join(parts)
    return keys


def collect(catalog, data_dir: Path, form_ids, date_from=None, date_to=None, conditions=(), store=None):
    """(entries, definitions by digest, titles by form id, key-field function)."""
    store = store or TinyStore(data_dir)
    entries, definitions, titles = [], {}, {}
    for form_id in form_ids:
        form = catalog.get(form_id)
        if form is None:
            raise KeyError(f"没有找到表单 '{form_id}'")
        titles[form.id] = form.title
        for rec in records(store, form.id, date_from, date_to):
            if not matches(rec.get("data"), conditions):
                continue
            digest = rec.get("definition") or ""
            if digest not in definitions:
                definitions[digest] = store.get_definition(form.id, digest) if digest else None
            entries.append(Entry(form.id, digest, rec))
    return entries, definitions, titles, key_fields_of(catalog)
