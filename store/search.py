"""The embedded store's search index: one SQLite file per form (Python's own sqlite3), derived
from the chunk files and rebuildable at any time; never the source of truth.

    root/<form_id>/search.sqlite    (+ -wal, -shm: SQLite's write-ahead log)

Tables::

    rec     id, day (created[:10]), creator, department: dates and the permission scope are
            compared here (a narrow table: probing it for many ids stays cheap)
    hays    id, hay: store.base.search_text of the latest revision (what tri and grams hold,
            needed to delete it from them)
    fv      (name, value, id) per top-level field text (store.base.field_texts; one row per
            distinct list item): `where`
    tri     FTS5, trigram tokenizer, case-sensitive, over hay (already case-folded): a needle
            of 3+ characters is a phrase of its trigrams, i.e. exactly a substring
    grams   FTS5 over the distinct 1- and 2-character substrings of hay, each spelled as one
            ASCII token (u4e1c, b4e1cx65b9), presence only (detail=none): needles of 1–2
            characters; a posting lookup where a scan of the text would read every record
    chunks  (n, inode, mtime_ns, size) of every chunk file as it was when its records were
            indexed

Measured at 100k order_form records (bench/store.py): counting 92k matches of a 4-character
name from `tri` takes ~10 ms and of a 2-character term from `grams` ~3 ms, where instr() over
`rec.hay` takes ~40–100 ms. The needle is case-folded and the hay was case-folded by the same
`search_text`, so both are exact: `Query.matches` is the meaning, this only finds it faster.

In step with the records: the store writes a chunk file, then (still under the form's lock)
the changed records and the chunk's new file signature here. A crash between the two leaves a
chunk whose signature differs from the one indexed; every query first compares the
signatures (one stat per chunk) and re-indexes the chunks that differ, under the form's lock,
so it also picks up what another process wrote and crashed before indexing. (A chunk is
replaced by a new file created while the indexed one still exists, so its inode differs.) Writes that fail
here (disk full, a locked database) are not errors of the record write: the record is stored,
the signature differs, the next query catches up.
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

from .base import Query, field_texts, search_text

FILE = "search.sqlite"
_FEW = 20_000   # records the other conditions select, up to which a text is looked for in each (instr)
VERSION = 1   # PRAGMA user_version of the layout below; an index of another version is rebuilt
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (n INTEGER PRIMARY KEY, ino INTEGER, mtime INTEGER, size INTEGER);
CREATE TABLE IF NOT EXISTS rec (id INTEGER PRIMARY KEY, day TEXT NOT NULL, creator TEXT, department TEXT);
CREATE TABLE IF NOT EXISTS hays (id INTEGER PRIMARY KEY, hay TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rec_day ON rec (day);
CREATE INDEX IF NOT EXISTS rec_creator ON rec (creator);
CREATE INDEX IF NOT EXISTS rec_department ON rec (department);
CREATE TABLE IF NOT EXISTS fv (name TEXT NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL,
                               PRIMARY KEY (name, value, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fv_id ON fv (id);
CREATE VIRTUAL TABLE IF NOT EXISTS tri USING fts5(hay, content='', tokenize='trigram case_sensitive 1');
CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5(g, content='', tokenize='ascii', detail=none);
"""


@functools.lru_cache(maxsize=1 << 16)
def _gram(s: str) -> str:
    return f"u{ord(s):x}" if len(s) == 1 else f"b{ord(s[0]):x}x{ord(s[1]):x}"


def grams(hay: str) -> str:
    """The distinct 1- and 2-character substrings of `hay`, as space-separated ASCII tokens."""
    found = set(hay)
    found.update(hay[i:i + 2] for i in range(len(hay) - 1))
    return " ".join(map(_gram, found))


def _phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


class SearchIndex:
    """The index of one form's records; connections are per thread."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FILE
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")   # a lost index write is caught up, never a lost record
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:   # another layout: derived, drop it
                    for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"
                                                " AND sql NOT LIKE 'CREATE TABLE ''%'").fetchall():
                        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
                for sql in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(sql)
                conn.execute(f"PRAGMA user_version = {VERSION}")
            finally:
                conn.execute("COMMIT")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------------------------

    def put(self, chunks: dict[int, tuple], docs: Iterable[tuple[int, dict]], clear: bool = False) -> None:
        """Index `docs` ((id, chunk document) pairs: their latest revisions) and record the file
        signatures of the chunks they came from, in one transaction; `clear` empties it first."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if clear:
                for sql in ("DELETE FROM rec", "DELETE FROM hays", "DELETE FROM fv", "DELETE FROM chunks",
                            "INSERT INTO tri(tri) VALUES ('delete-all')", "INSERT INTO grams(grams) VALUES ('delete-all')"):
                    db.execute(sql)
            self._put_docs(db, list(docs))
            db.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)", [(n, *sig) for n, sig in chunks.items()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _put_docs(db, docs: list[tuple[int, dict]]) -> None:
        for k in range(0, len(docs), 500):   # at most 500 ids per IN (…)
            part = [rid for rid, _ in docs[k:k + 500]]
            old = db.execute(f"SELECT id, hay FROM hays WHERE id IN ({', '.join('?' * len(part))})", part).fetchall()
            db.executemany("INSERT INTO tri(tri, rowid, hay) VALUES ('delete', ?, ?)", old)
            db.executemany("INSERT INTO grams(grams, rowid, g) VALUES ('delete', ?, ?)", [(i, grams(h)) for i, h in old])
            db.executemany("DELETE FROM fv WHERE id = ?", [(i,) for i, _ in old])
        recs, fvs = [], set()
        for rid, doc in docs:
            data = doc["revisions"][-1].get("data")
            recs.append((rid, str(doc.get("created", ""))[:10], doc.get("creator"), doc.get("department"),
                         search_text(doc.get("number"), data)))
            for name, got in field_texts(data).items():
                fvs.update((name, v, rid) for v in (got if isinstance(got, list) else [got]))
        db.executemany("INSERT OR REPLACE INTO rec VALUES (?, ?, ?, ?)", [r[:4] for r in recs])
        db.executemany("INSERT OR REPLACE INTO hays VALUES (?, ?)", [(r[0], r[4]) for r in recs])
        db.executemany("INSERT INTO tri(rowid, hay) VALUES (?, ?)", [(r[0], r[4]) for r in recs])
        db.executemany("INSERT INTO grams(rowid, g) VALUES (?, ?)", [(r[0], grams(r[4])) for r in recs])
        db.executemany("INSERT INTO fv VALUES (?, ?, ?)", fvs)

    # -- checking --------------------------------------------------------------------------

    def stale(self, present: dict[int, tuple]) -> list[int] | None:
        """Chunks (of `present`: number → file signature) whose indexed signature differs, or
        None when the index holds a chunk that no longer exists (it must be rebuilt)."""
        indexed = {n: tuple(sig) for n, *sig in self._db().execute("SELECT n, ino, mtime, size FROM chunks")}
        if any(n not in present for n in indexed):
            return None
        return [n for n, sig in present.items() if indexed.get(n) != tuple(sig)]

    def count(self) -> int:
        return self._db().execute("SELECT count(*) FROM rec").fetchone()[0]

    # -- querying --------------------------------------------------------------------------

    def search(self, query: Query, offset: int, limit: int) -> tuple[list[int], int] | None:
        """(ids of one page, newest first; total) of the records `query` selects, or None when
        the index cannot answer it exactly (the caller scans instead)."""
        needle = query.needle
        if "\x00" in needle:
            return None
        try:
            needle.encode("utf-8")
        except UnicodeEncodeError:
            return [], 0   # stored text is always valid UTF-8 (the store refuses lone surrogates)
        conds, params = [], []
        for op, day in zip((">=", "<="), query.day_range()):
            if day:
                conds.append(f"day {op} ?")
                params.append(day)
        if query.scoped:
            scope = []
            for column, allowed in (("creator", query.creators), ("department", query.departments)):
                if allowed is None:
                    continue
                names = sorted(x for x in allowed if isinstance(x, str))
                if names:
                    scope.append(f"{column} IN ({', '.join('?' * len(names))})")
                    params += names
                if None in allowed:
                    scope.append(f"{column} IS NULL")
            conds.append("(" + (" OR ".join(scope) or "0") + ")")
        for name, value in query.where:
            if not isinstance(name, str) or not isinstance(value, str):
                return [], 0   # field texts are text: nothing equals anything else
            conds.append("id IN (SELECT id FROM fv WHERE name = ? AND value = ?)")
            params += [name, value]
        text_sql = None
        if needle:
            table = "tri" if len(needle) >= 3 else "grams"
            text_sql, text_arg = f"SELECT rowid FROM {table} WHERE {table} MATCH ?", \
                _phrase(needle if table == "tri" else _gram(needle))
        db = self._db()
        db.execute("BEGIN")   # the page and the total from one snapshot
        try:
            if text_sql and not conds:   # the text alone: straight from its posting list
                total = db.execute(f"SELECT count(*) FROM ({text_sql})", (text_arg,)).fetchone()[0]
                ids = db.execute(f"{text_sql} ORDER BY rowid DESC LIMIT ? OFFSET ?",
                                 (text_arg, limit, offset)).fetchall() if limit and offset < total else []
            else:
                table = "rec"
                if text_sql:
                    where = " AND ".join(conds)
                    few = db.execute(f"SELECT count(*) FROM (SELECT 1 FROM rec WHERE {where} LIMIT {_FEW + 1})",
                                     params).fetchone()[0] <= _FEW
                    if few:   # the other conditions leave few records: look for the text in each of them
                        table = "rec JOIN hays USING (id)"
                        conds.append("instr(hay, ?) > 0")
                        params.append(needle)
                    else:   # the text's posting list
                        conds.append(f"id IN ({text_sql})")
                        params.append(text_arg)
                where = " AND ".join(conds) or "1"
                if table != "rec":   # at most _FEW rows: one pass for the page and the total
                    found = db.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY id DESC", params).fetchall()
                    total, ids = len(found), found[offset:offset + limit]
                else:
                    total = db.execute(f"SELECT count(*) FROM rec WHERE {where}", params).fetchone()[0]
                    ids = db.execute(f"SELECT id FROM rec WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                     params + [limit, offset]).fetchall() if limit and offset < total else []
        finally:
            db.execute("COMMIT")
        return [r[0] for r in ids], total


def signature(path: Path) -> tuple | None:
    """(inode, mtime_ns, size) of a chunk file, or None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
