"""The storage interface: records with revisions and 编号, and the definitions they were made with.

Every backend subclasses `Store` and passes the one contract test class
(tests/store_contract.py). The store knows no form, renderer or web: it keeps
plain data and answers queries. What a query means is defined here, once:
`Query` and the two functions that turn a record into what queries compare
(`search_text`, `field_texts`); backends index those, they do not re-define them.

A stored record is a plain dict:
    {"id": 7, "number": "DH-202611-0007", "revision": 2, "created": "2026-11-27T10:15:00",
     "updated": "2026-11-28T09:00:00", "version": 3, "definition": "<digest of the definition>",
     "creator": "zhangsan", "department": "华东大区", "by": "lisi",
     "data": {...the normalized submission...}}
`created` is when revision 1 was stored, `updated` when this revision was; `creator` and
`department` are stamped at creation, `by` is who made this revision (None when unknown).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable


class StorageError(Exception):
    """A store cannot be read or written; the message is Chinese and names the file or server."""


class Conflict(Exception):
    """A document changed since it was read (put_doc with `expect`): read it again and retry."""


KIND = r"[a-z][a-z0-9_]{0,31}"     # names of document kinds and logs
MAX_KEY = 200                     # characters of a document key


@dataclass(frozen=True)
class Query:
    """Which latest revisions of one form a query returns, newest record first.

    date_from / date_to: inclusive ISO dates of creation. text: case-folded substring of the
    record's 编号 or of any value of its data (`search_text`). where: (field, text) pairs, all
    of which must hold: the top-level field's value written as text equals `text`, or, for a
    list, one of its items does (`field_texts`). creators / departments: the record's creator is
    one of `creators` OR its department one of `departments` (None: no restriction; both None:
    every record) — the permission scope.
    """
    date_from: str | None = None
    date_to: str | None = None
    text: str | None = None
    where: tuple = ()
    creators: frozenset | None = None
    departments: frozenset | None = None

    @property
    def needle(self) -> str:
        return self.text.strip().casefold() if self.text else ""

    @property
    def scoped(self) -> bool:
        return self.creators is not None or self.departments is not None

    @property
    def filtered(self) -> bool:
        return bool(self.date_from or self.date_to or self.needle or self.where or self.scoped)

    def day_range(self) -> tuple[str | None, str | None]:
        return (self.date_from[:10] if self.date_from else None, self.date_to[:10] if self.date_to else None)

    def matches(self, record: dict) -> bool:
        """The reference meaning of the query for one record (backends may index it instead)."""
        lo, hi = self.day_range()
        day = str(record.get("created", ""))[:10]
        if (lo and day < lo) or (hi and day > hi):
            return False
        if self.scoped and not ((self.creators is not None and record.get("creator") in self.creators)
                                or (self.departments is not None and record.get("department") in self.departments)):
            return False
        if self.where:
            texts = field_texts(record.get("data"))
            for name, value in self.where:
                got = texts.get(name)
                if got is None or (value not in got if isinstance(got, list) else got != value):
                    return False
        return not self.needle or self.needle in search_text(record.get("number"), record.get("data"))


SEARCH_SEPARATOR = "\x1f"


def value_text(v) -> str:
    """A scalar as queries see it: text as is, 3 and 3.0 as "3", 2.5 as "2.5", true as "true"."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def field_texts(data) -> dict:
    """Top-level scalar fields (and lists of scalars) of a record's data, as text, for `where`."""
    out = {}
    for key, v in (data or {}).items() if isinstance(data, dict) else ():
        if isinstance(v, list):
            if all(not isinstance(x, (dict, list)) for x in v):
                out[key] = [value_text(x) for x in v]
        elif not isinstance(v, dict) and v is not None:
            out[key] = value_text(v)
    return out


def search_text(number, data) -> str:
    """What a text search looks in: the 编号 and every value (not key) of the data, case-folded,
    joined by a separator that no search text holds."""
    out = [number] if isinstance(number, str) else []
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(value_text(v))
    return SEARCH_SEPARATOR.join(out).casefold()


@dataclass
class Page:
    items: list = field(default_factory=list)
    total: int = 0


class Store:
    """The interface every backend implements. Methods raise StorageError when the store cannot be
    used, ValueError for an id or digest it can never hold, KeyError for a missing record on write."""

    name = ""   # backend name in store.BACKENDS

    @classmethod
    def open(cls, location: str, **options) -> "Store":
        raise NotImplementedError

    # -- records ------------------------------------------------------------------------------
    def add(self, form_id: str, data: dict, *, version: int, definition: str, created: str,
            period: str | None = None, make_number: Callable[[int], str] | None = None,
            creator: str | None = None, department: str | None = None) -> dict:
        """Store revision 1 of a new record in one transaction: the next record id of the form (never
        reused) and, when `make_number` is given, the next sequence number of `period` (1, 2, 3 …
        gap-free per form and period, also across processes and hosts); number = make_number(seq)."""
        raise NotImplementedError

    def add_many(self, form_id: str, items: Iterable[dict], **kwargs) -> list[dict]:
        """Several records with the same metadata (bulk loading: benchmarks, copies)."""
        return [self.add(form_id, data, **kwargs) for data in items]

    def revise(self, form_id: str, record_id: int, data: dict, *, version: int, definition: str,
               updated: str, by: str | None = None) -> dict:
        """Store a new revision of an existing record (same id and number); older revisions stay."""
        raise NotImplementedError

    def get(self, form_id: str, record_id: int, revision: int | None = None) -> dict | None:
        """The latest (or the given) revision of a record, or None."""
        raise NotImplementedError

    def history(self, form_id: str, record_id: int) -> list[dict]:
        """Every revision of a record, oldest first."""
        raise NotImplementedError

    def query(self, form_id: str, query: Query | None = None, *, offset: int = 0,
              limit: int = 20) -> tuple[list[dict], int]:
        """Latest revisions matching `query`, newest record first: (one page, total matching)."""
        raise NotImplementedError

    def scan(self, form_id: str, query: Query | None = None, batch: int = 500, *, copy: bool = True):
        """Every latest revision matching `query`, oldest record first (archives, exports, copies).

        copy=False: read-only — the records may share their data with the store's cache of parsed
        files, so the caller must not change them (nor keep them: a later scan may yield the same
        objects). Reports read this way; a backend that makes fresh records anyway ignores it."""
        _, total = self.query(form_id, query, limit=0)
        for start in range(max(0, total - batch), -batch, -batch):
            page, _ = self.query(form_id, query, offset=max(0, start), limit=batch + min(0, start))
            yield from reversed(page)

    def forms(self) -> list[str]:
        """Ids of the forms that have records or definitions, sorted."""
        raise NotImplementedError

    def counters(self, form_id: str) -> dict:
        """The last sequence number used per period: {"2026-11": 31, …}."""
        raise NotImplementedError

    def load(self, form_id: str, histories: Iterable[list[dict]], counters: dict) -> int:
        """Bulk-restore a form that has no records yet (`biaoge store copy`): each item is one record's
        every revision as history() returns them, ids ascending 1, 2, 3 … without holes; `counters`
        as counters() returns them. Ids, 编号, timestamps and authors are kept as given. Returns
        the number of records loaded; StorageError when the form already has records."""
        raise NotImplementedError

    # -- definitions --------------------------------------------------------------------------
    def put_definition(self, form_id: str, digest: str, definition: dict) -> None:
        """Keep a definition (by its digest) that stored records were made with; idempotent."""
        raise NotImplementedError

    def get_definition(self, form_id: str, digest: str) -> dict | None:
        raise NotImplementedError

    def definitions(self, form_id: str) -> list[str]:
        """Digests of the definitions kept for a form, sorted."""
        raise NotImplementedError

    # -- documents: people, tokens, jobs, drafts, settings … ------------------------------------
    # Small JSON documents by (kind, key), each with a version that grows by one per write.
    def get_doc(self, kind: str, key: str) -> tuple[dict, int] | None:
        """(document, version) or None."""
        raise NotImplementedError

    def put_doc(self, kind: str, key: str, doc: dict, *, expect: int | None = None) -> int:
        """Store a document; returns its new version. With `expect`, only when its version is still
        `expect` (0: it must not exist yet), else Conflict."""
        raise NotImplementedError

    def update_doc(self, kind: str, key: str, change: Callable[[dict | None], dict | None]) -> dict | None:
        """Read, change and write one document atomically (across processes): `change` gets the
        document (None when absent) and returns the new one (None: leave it absent or delete it).
        Returns what `change` returned. `change` may raise to leave everything as it was."""
        raise NotImplementedError

    def delete_doc(self, kind: str, key: str) -> bool:
        raise NotImplementedError

    def docs(self, kind: str, prefix: str = "") -> list[tuple[str, dict, int]]:
        """(key, document, version) of every document of a kind whose key starts with `prefix`, by key."""
        raise NotImplementedError

    def doc_kinds(self) -> list[str]:
        """Kinds that hold documents, sorted (copies and backups)."""
        raise NotImplementedError

    # -- append-only logs (the audit trail) --------------------------------------------------
    def append(self, log: str, make: Callable[[dict | None], dict]) -> dict:
        """Append one entry atomically: `make` gets the last entry (None for the first) and returns
        the new one, which is stored with "seq" (1, 2, 3 … without gaps) and returned."""
        raise NotImplementedError

    def entries(self, log: str, after: int = 0, limit: int = 1000) -> list[dict]:
        """Entries with seq > after, oldest first, at most `limit`."""
        raise NotImplementedError

    def log_names(self) -> list[str]:
        """Logs that have entries, sorted (copies and backups)."""
        raise NotImplementedError

    def reindex(self, form_id: str | None = None) -> dict[str, int]:
        """Rebuild what searches read (derived from the records: search texts, field texts, the
        embedded store's index) for one form or every form: {form: records indexed}."""
        raise NotImplementedError

    def upgrade(self, upto: int | None = None) -> tuple[int, int]:
        """Bring the store's schema to the newest version: (version before, after). A store whose
        format needs no migrations returns (0, 0)."""
        return 0, 0

    def close(self) -> None:
        """Release connections and files (a no-op where there are none)."""
