"""The storage interface of submissions and definition versions.

Small and free of backend types, so that a PostgreSQL backend can implement
it later. The embedded default is `server.tinystore.TinyStore`.

A record is a plain dict:
    {"id": 7, "number": "DH-202611-0007", "revision": 2, "created": "2026-11-27T10:15:00",
     "updated": "2026-11-28T09:00:00", "version": 3, "definition": "<sha256 of the definition>",
     "data": {...the normalized submission...}}
`created` is when revision 1 was stored, `updated` when this revision was.
"""
from __future__ import annotations

from typing import Callable, Protocol


class StorageError(Exception):
    """A data file cannot be read or written; the message is Chinese and names the file."""


class Store(Protocol):
    def add(self, form_id: str, data: dict, *, version: int, definition: str, created: str,
            period: str | None = None, make_number: Callable[[int], str] | None = None) -> dict:
        """Store revision 1 of a new record. Under the store's lock: the next record id of the form
        (never reused) and, when `make_number` is given, the next sequence number of `period`
        (1, 2, 3 … gap-free per form and period); number = make_number(seq)."""

    def revise(self, form_id: str, record_id: int, data: dict, *, version: int, definition: str,
               updated: str) -> dict:
        """Store a new revision of an existing record (same id and number); older revisions stay."""

    def get(self, form_id: str, record_id: int, revision: int | None = None) -> dict | None:
        """The latest (or the given) revision of a record, or None."""

    def history(self, form_id: str, record_id: int) -> list[dict]:
        """Every revision of a record, oldest first."""

    def query(self, form_id: str, *, date_from: str | None = None, date_to: str | None = None,
              text: str | None = None, offset: int = 0, limit: int = 20) -> tuple[list[dict], int]:
        """Latest revisions, newest record first, filtered by creation date (inclusive ISO dates) and by a
        text found in the number or any value; returns (page, total matching)."""

    def put_definition(self, form_id: str, digest: str, definition: dict) -> None:
        """Keep a definition (by its digest) that stored records were made with."""

    def get_definition(self, form_id: str, digest: str) -> dict | None:
        ...
