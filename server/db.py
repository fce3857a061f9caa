"""Storage behind `get_store()` (as flaskr's get_db), and what the server keeps
about definition versions."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import current_app

from forms import numbering
from forms.definition import compile_frozen, digest, frozen
from forms.errors import DefinitionError

from .tinystore import TinyStore


def get_store():
    store = current_app.extensions.get("biaoge.store")
    if store is None:
        store = current_app.extensions["biaoge.store"] = TinyStore(Path(current_app.config["DATA"]))
    return store


def get_catalog():
    return current_app.extensions["biaoge.catalog"].current()


def find_form(form_id: str):
    """The current form with exactly this id, or None."""
    form = get_catalog().forms.get(form_id)
    return form if form is not None and form.id == form_id else None


def get_record(form_id: str, record_id: int, revision: int | None = None):
    """A stored record, or None (also for a form id the store cannot hold)."""
    try:
        return get_store().get(form_id, record_id, revision)
    except ValueError:
        return None


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _period_and_number(form, data: dict):
    n = form.numbering
    if not n:
        return None, None
    day = date.today()
    field = n.get("date-field")
    if field and isinstance(data.get(field), str):
        try:
            day = date.fromisoformat(data[field])
        except ValueError:
            pass
    reset = n.get("reset", "never")
    return numbering.period_key(reset, day), (lambda seq: numbering.format_number(n["pattern"], day, seq))


def save_new(form, data: dict) -> dict:
    """Store a validated submission as a new record (with its 编号)."""
    store = get_store()
    definition = frozen(form)
    key = digest(definition)
    store.put_definition(form.id, key, definition)
    period, make_number = _period_and_number(form, data)
    return store.add(form.id, data, version=form.version, definition=key, created=now(), period=period,
                     make_number=make_number)


def save_revision(form, record_id: int, data: dict) -> dict:
    store = get_store()
    definition = frozen(form)
    key = digest(definition)
    store.put_definition(form.id, key, definition)
    return store.revise(form.id, record_id, data, version=form.version, definition=key, updated=now())


def form_of(form_id: str, record: dict, current):
    """The form a record was made with: the current one if unchanged, else its stored version."""
    key = record.get("definition")
    if current is not None and (not key or digest(frozen(current)) == key):
        return current
    stored = get_store().get_definition(form_id, key) if key else None
    if stored is None:
        return current
    try:
        return compile_frozen(stored, f"{key}.json")
    except DefinitionError:
        return current
