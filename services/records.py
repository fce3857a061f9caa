"""Records of the catalog's forms in one store: what the pages, the API and the CLI call to
submit, revise and read records, and which definition a record was made with.

Free of Flask: the server holds one `Records` per app; the CLI makes its own.
"""
from __future__ import annotations

import threading
import weakref
from datetime import date, datetime

from forms import numbering
from forms.definition import compile_frozen, digest, frozen
from forms.errors import DefinitionError
from store.base import Query, search_text

from . import holds, voiding


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


class Records:
    def __init__(self, store, catalog):
        """`catalog`: a callable returning the current Catalog (hot reload) or a Catalog."""
        self.store = store
        self._catalog = catalog if callable(catalog) else (lambda: catalog)
        self._definitions: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._stored_forms: dict = {}
        self._lock = threading.Lock()

    @property
    def catalog(self):
        return self._catalog()

    def find_form(self, form_id: str):
        """The current form with exactly this id, or None."""
        form = self.catalog.forms.get(form_id)
        return form if form is not None and form.id == form_id else None

    def get_record(self, form_id: str, record_id: int, revision: int | None = None):
        """A stored record, or None (also for a form id the store cannot hold)."""
        try:
            return self.store.get(form_id, record_id, revision)
        except ValueError:
            return None

    def definition_of(self, form) -> tuple[str, dict]:
        """(digest, frozen definition) of a compiled form, worked out once per form object."""
        with self._lock:
            if form not in self._definitions:
                definition = frozen(form)
                self._definitions[form] = (digest(definition), definition)
            return self._definitions[form]

    def _kept_definition(self, form) -> str:
        """Keep the definition a record is made with; returns its digest."""
        key, definition = self.definition_of(form)
        self.store.put_definition(form.id, key, definition)
        return key

    def save_new(self, form, data: dict, *, creator: str | None = None, department: str | None = None) -> dict:
        """Store a validated submission as a new record (with its 编号). Raises holds.Held when it
        holds a unit (x-unique) another live record holds."""
        key = self._kept_definition(form)
        period, make_number = period_and_number(form, data)
        return holds.hold_new(self.store, form, data, holder=creator, write=lambda: self.store.add(
            form.id, data, version=form.version, definition=key, created=now(), period=period,
            make_number=make_number, creator=creator, department=department))

    def save_revision(self, form, record_id: int, data: dict, *, by: str | None = None) -> dict:
        """Store a new revision. Raises voiding.VoidError (409) for a voided record, holds.Held
        when the revision holds a unit another live record holds."""
        mark = voiding.voided(self.store, form.id, record_id)
        if mark is not None:
            raise voiding.VoidError(f"这条记录已{voiding.describe(mark)}，不能再修改。", 409)
        old = self.store.get(form.id, record_id)
        key = self._kept_definition(form)

        def revise(content):
            return lambda: self.store.revise(form.id, record_id, content, version=form.version, definition=key,
                                             updated=now(), by=by)
        if old is None:
            return revise(data)()
        return holds.hold_revision(self.store, form, old, data, holder=by or old.get("creator"), write=revise(data),
                                   undo=revise(old.get("data")))

    def form_of(self, form_id: str, record: dict, current=None):
        """The form a record was made with: the current one if unchanged, else its stored version."""
        key = record.get("definition")
        if current is not None and (not key or self.definition_of(current)[0] == key):
            return current
        if key not in self._stored_forms:  # a digest names one definition for ever: compile it once
            stored = self.store.get_definition(form_id, key) if key else None
            if stored is None:
                return current
            try:
                self._stored_forms[key] = compile_frozen(stored, f"{key}.json")
            except DefinitionError:
                return current
        return self._stored_forms[key]


class Forbidden(PermissionError):
    """What the user asked would tell them what they may not see; the message is Chinese."""


def search(store, form, access, query, *, action: str = "read", offset: int = 0, limit: int = 20):
    """(page, total) of the records `query` selects among those the user may `action`, newest first.
    A text search on a form whose sensitive fields the user does not see everywhere looks only in
    what they see (so that a search never tells what a hidden field holds); a `where` on such a
    field is refused."""
    if not access.may_search(form, query):
        raise Forbidden("不能按您无权查看的字段筛选。")
    scoped = access.query(form, action, query)
    if not (scoped.needle and _partly_hidden(form, access)):
        return store.query(form.id, scoped, offset=offset, limit=limit)
    without_text = Query(date_from=scoped.date_from, date_to=scoped.date_to, where=scoped.where,
                         creators=scoped.creators, departments=scoped.departments)
    found = [r for r in store.scan(form.id, without_text)
             if scoped.needle in search_text(r.get("number"), access.view(form, r)[1])]
    found.reverse()
    return found[offset:offset + limit], len(found)


def scan(store, form, access, query, *, action: str = "export", copy: bool = True):
    """Every record `query` selects among those the user may `action`, oldest first (exports, archives).
    copy=False: read-only records (Store.scan), for callers that only read them (reports)."""
    if not access.may_search(form, query):
        raise Forbidden("不能按您无权查看的字段筛选。")
    scoped = access.query(form, action, query)
    if not (scoped.needle and _partly_hidden(form, access)):
        yield from store.scan(form.id, scoped, copy=copy)
        return
    without_text = Query(date_from=scoped.date_from, date_to=scoped.date_to, where=scoped.where,
                         creators=scoped.creators, departments=scoped.departments)
    for r in store.scan(form.id, without_text, copy=copy):
        if scoped.needle in search_text(r.get("number"), access.view(form, r)[1]):
            yield r


def _partly_hidden(form, access) -> bool:
    """Whether some record the user reads may hide a field from them."""
    return bool(access.hidden(form, {"creator": None, "department": None})) or \
        bool(access.hidden(form, None))


def period_and_number(form, data: dict):
    """(counter period, number maker) of a form's 编号, or (None, None) when it has none."""
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
