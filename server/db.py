"""Storage behind `get_store()` (as flaskr's get_db), and what the server keeps
about definition versions."""
from __future__ import annotations

import weakref
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


_definitions: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def definition_of(form) -> tuple[str, dict]:
    """(digest, frozen definition) of a compiled form, worked out once per form object."""
    if form not in _definitions:
        definition = frozen(form)
        _definitions[form] = (digest(definition), definition)
    return _definitions[form]


def _kept_definition(form) -> str:
    """Keep the definition a record is made with; returns its digest."""
    key, definition = definition_of(form)
    get_store().put_definition(form.id, key, definition)
    return key


def save_new(form, data: dict) -> dict:
    """Store a validated submission as a new record (with its 编号)."""
    key = _kept_definition(form)
    period, make_number = _period_and_number(form, data)
    return get_store().add(form.id, data, version=form.version, definition=key, created=now(), period=period,
                           make_number=make_number)


def save_revision(form, record_id: int, data: dict) -> dict:
    key = _kept_definition(form)
    return get_store().revise(form.id, record_id, data, version=form.version, definition=key, updated=now())


_stored_forms: dict = {}


def form_of(form_id: str, record: dict, current):
    """The form a record was made with: the current one if unchanged, else its stored version."""
    key = record.get("definition")
    if current is not None and (not key or definition_of(current)[0] == key):
        return current
    if key not in _stored_forms:  # a digest names one definition for ever: compile it once
        stored = get_store().get_definition(form_id, key) if key else None
        if stored is None:
            return current
        try:
            _stored_forms[key] = compile_frozen(stored, f"{key}.json")
        except DefinitionError:
            return current
    return _stored_forms[key]
