"""The PostgreSQL backend: `PgStore`, the `Store` interface on psycopg 3 and its connection pool.

Tables (store/pg_migrations/, applied on open by store/pgschema.py):

    records      the latest revision of every record, one row per (form, id), with the columns
                 queries compare: day (created[:10]), creator, department, `search`
                 (store.base.search_text, pg_trgm GIN index for substring search) and `fields`
                 (store.base.field_texts as JSONB, GIN index for `where`)
    revisions    every revision, (form, id, revision)
    forms        the next record id per form;  counters  the last 编号 sequence per (form, period)
    definitions  by (form, digest);  docs  by (kind, key) with a version;  logs  by (log, seq)

Why the numbers are gap-free across hosts: add() bumps the `forms` row and the `counters` row
with INSERT … ON CONFLICT DO UPDATE … RETURNING inside the record's own transaction. The row
locks serialize concurrent adds of one form, and a transaction that fails (make_number raises,
the connection drops, the server crashes) rolls its bumps back with it, unlike a sequence.

The query columns hold the very strings `Query.matches` compares (computed by the functions in
store/base.py at write time), so SQL and the reference meaning agree: LIKE on the case-folded
search text, JSONB containment on the field texts, text comparison of days under COLLATE "C".
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from contextlib import contextmanager
from typing import Callable, Iterable

import psycopg
from psycopg import conninfo as _conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from . import pgschema
from .base import Conflict, Query, Store, StorageError, field_texts, search_text
from .filedocs import _check_key, _check_name

_FORM_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_DIGEST = re.compile(r"[A-Za-z0-9_-]{1,128}")
_COLS = "id, number, revision, created, updated, version, definition, creator, department, author, data"
_MAX_ROWS = 10_000          # a page or a scan batch is at most this many rows
_BULK = 20                  # add_many of more records uses COPY
# The next record id (and 编号 sequence) of a form, bumped inside the adding transaction: the row
# locks serialize concurrent adds, and a rollback undoes the bump (a sequence would leave a gap).
_BUMP_ID = ("INSERT INTO forms (form, next_id) VALUES (%s, %s) ON CONFLICT (form) DO UPDATE"
            " SET next_id = forms.next_id + EXCLUDED.next_id - 1 RETURNING next_id")
_BUMP_BOTH = (f"WITH f AS ({_BUMP_ID}), c AS (INSERT INTO counters (form, period, seq) VALUES (%s, %s, %s)"
              " ON CONFLICT (form, period) DO UPDATE SET seq = counters.seq + EXCLUDED.seq RETURNING seq)"
              " SELECT f.next_id, c.seq FROM f, c")


def _check_form(form_id) -> str:
    if not isinstance(form_id, str) or not _FORM_ID.fullmatch(form_id):
        raise ValueError(f"表单 id {form_id!r} 不合法")
    return form_id


def _check_digest(digest) -> str:
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValueError(f"定义摘要 {digest!r} 不合法")
    return digest


def _valid_id(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2 ** 62


def _dumps(value) -> str:
    """JSON text PostgreSQL can hold; TypeError/ValueError for what it cannot (NaN, lone
    surrogates, and NUL, which PostgreSQL text refuses)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text.encode("utf-8")   # UnicodeEncodeError (a ValueError) for lone surrogates
    if "\\u0000" in text:
        raise ValueError("数据含有 PostgreSQL 无法保存的字符 \\u0000")
    return text


def _lock_key(*parts: str) -> int:
    """A 64-bit advisory lock key for a document or a log (a collision only serializes two keys)."""
    h = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(h, "big", signed=True)


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _record(row) -> dict:
    rid, number, revision, created, updated, version, definition, creator, department, author, data = row
    return {"id": rid, "number": number, "revision": revision, "created": created, "updated": updated,
            "version": version, "definition": definition, "creator": creator, "department": department,
            "by": author, "data": data}


def display_url(location: str) -> str:
    """host:port/dbname of a URL, without user or password (for messages)."""
    try:
        d = _conninfo.conninfo_to_dict(location)
    except psycopg.ProgrammingError:
        return "PostgreSQL"
    return f"{d.get('host', 'localhost')}:{d.get('port', 5432)}/{d.get('dbname', '')}"


class PgStore(Store):
    name = "postgresql"

    @classmethod
    def open(cls, location: str, pool_size: int = 8, upgrade: bool = True, timeout: float = 15.0,
             **_ignored) -> "PgStore":
        return cls(location, pool_size=pool_size, upgrade=upgrade, timeout=timeout)

    def __init__(self, location: str, pool_size: int = 8, upgrade: bool = True, timeout: float = 15.0):
        self.location, self.display = location, display_url(location)
        try:   # one direct connection first: its error says why (no server, no database, no role)
            psycopg.connect(location, connect_timeout=max(1, int(timeout))).close()
        except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
            reason = " ".join(x.strip() for x in str(exc).splitlines() if x.strip()) or type(exc).__name__
            raise StorageError(f"无法连接数据库 {self.display}：{reason}；请检查地址、用户和服务器是否已启动。") from exc
        self.pool = ConnectionPool(location, min_size=1, max_size=max(1, min(int(pool_size), 64)),
                                   kwargs={"autocommit": True, "options": "-c jit=off"}, open=False, timeout=60,
                                   max_idle=300, name=f"biaoge {self.display}")
        try:
            self.pool.open(wait=True, timeout=timeout)
        except PoolTimeout as exc:
            self.pool.close()
            raise StorageError(f"无法连接数据库 {self.display}：{timeout:.0f} 秒内没有连上，"
                               f"请检查地址、用户和服务器是否已启动。") from exc
        if upgrade:
            self.upgrade()

    def upgrade(self, upto: int | None = None) -> tuple[int, int]:
        """Apply missing schema migrations; (version before, version after)."""
        with self._conn() as conn:
            return pgschema.upgrade(conn, upto, self.display)

    def schema_version(self) -> int:
        with self._conn() as conn:
            return pgschema.current(conn)

    @contextmanager
    def _conn(self):
        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise StorageError(f"数据库 {self.display} 无法使用：{str(exc).strip() or type(exc).__name__}") from exc
        except psycopg.errors.UndefinedTable as exc:
            raise StorageError(f"数据库 {self.display} 尚未建立表结构，请运行 biaoge store upgrade。") from exc
        except psycopg.DataError as exc:
            raise ValueError(f"数据无法保存到数据库：{exc}") from exc

    @contextmanager
    def _tx(self):
        """A cursor inside one transaction (committed at the end, rolled back on any exception)."""
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        self.pool.close()

    # -- records ------------------------------------------------------------------------------
    def add(self, form_id: str, data: dict, **kwargs) -> dict:
        return self.add_many(form_id, [data], **kwargs)[0]

    def add_many(self, form_id: str, items: Iterable[dict], *, version: int, definition: str, created: str,
                 period: str | None = None, make_number: Callable[[int], str] | None = None,
                 creator: str | None = None, department: str | None = None) -> list[dict]:
        form = _check_form(form_id)
        payloads = [_dumps(x) for x in items]
        if not isinstance(created, str):
            raise TypeError("created 必须是 ISO 日期时间字符串")
        for v in (creator, department, definition):
            if v is not None and "\x00" in str(v):
                raise ValueError("数据含有 PostgreSQL 无法保存的字符 \\u0000")
        if not payloads:
            return []
        period = "" if period is None else str(period)
        n = len(payloads)
        with self._tx() as cur:
            if make_number is None:
                cur.execute(_BUMP_ID, (form, n + 1))
                first, seq0 = cur.fetchone()[0] - n, None
            else:
                cur.execute(_BUMP_BOTH, (form, n + 1, form, period, n))
                next_id, seq = cur.fetchone()
                first, seq0 = next_id - n, seq - n
            numbers = [None] * n
            if make_number is not None:
                numbers = [make_number(seq0 + k + 1) for k in range(n)]
                if not all(isinstance(x, str) for x in numbers):
                    raise TypeError("make_number 必须返回字符串")
            out = []
            rows, revs = [], []
            for k, payload in enumerate(payloads):
                data = json.loads(payload)
                rid = first + k
                rows.append((form, rid, numbers[k], created, created[:10], creator, department, 1, created, version,
                             definition, None, payload, search_text(numbers[k], data),
                             json.dumps(field_texts(data), ensure_ascii=False)))
                revs.append((form, rid, 1, created, version, definition, None, payload))
                out.append({"id": rid, "number": numbers[k], "revision": 1, "created": created, "updated": created,
                            "version": version, "definition": definition, "creator": creator,
                            "department": department, "by": None, "data": data})
            self._insert(cur, rows, revs)
        return out

    _RECORD_COLS = ("form, id, number, created, day, creator, department, revision, updated, version, definition,"
                    " author, data, search, fields")
    _REVISION_COLS = "form, id, revision, updated, version, definition, author, data"

    def _insert(self, cur, rows: list[tuple], revs: list[tuple]) -> None:
        if len(rows) == 1:   # one round trip: both rows in one statement
            cur.execute(f"WITH r AS (INSERT INTO records ({self._RECORD_COLS}) VALUES"
                        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s::jsonb))"
                        f" INSERT INTO revisions ({self._REVISION_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
                        rows[0] + revs[0])
            return
        if len(rows) <= _BULK:
            cur.executemany(f"INSERT INTO records ({self._RECORD_COLS}) VALUES"
                            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s::jsonb)", rows)
            cur.executemany(f"INSERT INTO revisions ({self._REVISION_COLS}) VALUES"
                            " (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)", revs)
            return
        self._copy_rows(cur, rows, revs)

    def _copy_rows(self, cur, rows, revs) -> None:
        """Bulk-load record and revision rows with COPY (bulk loading and copies)."""
        with cur.copy(f"COPY records ({self._RECORD_COLS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with cur.copy(f"COPY revisions ({self._REVISION_COLS}) FROM STDIN") as copy:
            for row in revs:
                copy.write_row(row)

    def revise(self, form_id: str, record_id: int, data: dict, *, version: int, definition: str,
               updated: str, by: str | None = None) -> dict:
        form = _check_form(form_id)
        payload = _dumps(data)
        if not _valid_id(record_id):
            raise KeyError(f"记录 {record_id} 不存在")
        with self._tx() as cur:
            cur.execute("SELECT revision, number, created, creator, department FROM records"
                        " WHERE form = %s AND id = %s FOR UPDATE", (form, record_id))
            row = cur.fetchone()
            if row is None:
                raise KeyError(f"记录 {record_id} 不存在")
            revision, number, created, creator, department = row
            revision += 1
            new = json.loads(payload)
            cur.execute(f"INSERT INTO revisions ({self._REVISION_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
                        (form, record_id, revision, updated, version, definition, by, payload))
            cur.execute("UPDATE records SET revision = %s, updated = %s, version = %s, definition = %s, author = %s,"
                        " data = %s::jsonb, search = %s, fields = %s::jsonb WHERE form = %s AND id = %s",
                        (revision, updated, version, definition, by, payload, search_text(number, new),
                         json.dumps(field_texts(new), ensure_ascii=False), form, record_id))
        return {"id": record_id, "number": number, "revision": revision, "created": created, "updated": updated,
                "version": version, "definition": definition, "creator": creator, "department": department,
                "by": by, "data": new}

    def get(self, form_id: str, record_id: int, revision: int | None = None) -> dict | None:
        form = _check_form(form_id)
        if not _valid_id(record_id) or (revision is not None and not _valid_id(revision)):
            return None
        with self._conn() as conn:
            if revision is None:
                row = conn.execute(f"SELECT {_COLS} FROM records WHERE form = %s AND id = %s",
                                   (form, record_id)).fetchone()
            else:
                row = conn.execute(
                    "SELECT r.id, r.number, v.revision, r.created, v.updated, v.version, v.definition, r.creator,"
                    " r.department, v.author, v.data FROM records r JOIN revisions v ON v.form = r.form AND v.id = r.id"
                    " WHERE r.form = %s AND r.id = %s AND v.revision = %s", (form, record_id, revision)).fetchone()
        return None if row is None else _record(row)

    def history(self, form_id: str, record_id: int) -> list[dict]:
        form = _check_form(form_id)
        if not _valid_id(record_id):
            return []
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT r.id, r.number, v.revision, r.created, v.updated, v.version, v.definition, r.creator,"
                " r.department, v.author, v.data FROM records r JOIN revisions v ON v.form = r.form AND v.id = r.id"
                " WHERE r.form = %s AND r.id = %s ORDER BY v.revision", (form, record_id)).fetchall()
        return [_record(r) for r in rows]

    @staticmethod
    def _where(form: str, query: Query) -> tuple[str, list]:
        conds, params = ["form = %s"], [form]
        lo, hi = query.day_range()
        if lo:
            conds.append("day >= %s")
            params.append(lo)
        if hi:
            conds.append("day <= %s")
            params.append(hi)
        if query.scoped:
            scope = []
            if query.creators is not None:
                scope.append("creator = ANY(%s)")
                params.append(sorted(map(str, query.creators)))
            if query.departments is not None:
                scope.append("department = ANY(%s)")
                params.append(sorted(map(str, query.departments)))
            conds.append("(" + " OR ".join(scope) + ")")
        for name, value in query.where:
            conds.append("(fields @> %s::jsonb OR fields @> %s::jsonb)")
            params += [json.dumps({name: value}, ensure_ascii=False), json.dumps({name: [value]}, ensure_ascii=False)]
        if query.needle:
            conds.append("search LIKE %s")
            params.append(_like(query.needle))
        return " AND ".join(conds), params

    def query(self, form_id: str, query: Query | None = None, *, offset: int = 0,
              limit: int = 20) -> tuple[list[dict], int]:
        form = _check_form(form_id)
        query = query or Query()
        offset, limit = max(0, int(offset or 0)), min(_MAX_ROWS, max(0, int(limit or 0)))
        where, params = self._where(form, query)
        if any("\x00" in str(p) for p in params):
            return [], 0   # PostgreSQL text holds no NUL, so no record contains one
        with self._conn() as conn:
            if not query.filtered:   # ids run 1 … next_id - 1 without holes: a record and its id commit together
                row = conn.execute("SELECT next_id - 1 FROM forms WHERE form = %s", (form,)).fetchone()
                total = row[0] if row else 0
                rows = []
                if limit and offset < total:
                    rows = conn.execute(f"SELECT {_COLS} FROM records WHERE form = %s AND id <= %s"
                                        " ORDER BY id DESC LIMIT %s", (form, total - offset, limit)).fetchall()
                return [_record(r) for r in rows], total
            with conn.transaction():   # the page first; the total from the same snapshot, counted only if needed
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                rows = conn.execute(f"SELECT {_COLS} FROM records WHERE {where} ORDER BY id DESC OFFSET %s LIMIT %s",
                                    params + [offset, limit]).fetchall() if limit else []
                if rows and len(rows) < limit:   # the last page: no count needed (rare terms stay fast)
                    total = offset + len(rows)
                elif not rows and not offset and limit:
                    total = 0
                else:
                    total = conn.execute(f"SELECT count(*) FROM records WHERE {where}", params).fetchone()[0]
            return [_record(r) for r in rows], total

    def scan(self, form_id: str, query: Query | None = None, batch: int = 500, *, copy: bool = True):
        """Oldest first, by id ranges (no OFFSET), so a scan of a million records stays linear.
        Every record is fresh from the server, so `copy` changes nothing."""
        form = _check_form(form_id)
        where, params = self._where(form, query or Query())
        batch = min(_MAX_ROWS, max(1, int(batch)))
        last = 0
        while True:
            with self._conn() as conn:
                rows = conn.execute(f"SELECT {_COLS} FROM records WHERE {where} AND id > %s ORDER BY id LIMIT %s",
                                    params + [last, batch]).fetchall()
            yield from (_record(r) for r in rows)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def reindex(self, form_id: str | None = None, batch: int = 2000) -> dict[str, int]:
        """Recompute the search and field texts of every record from its data (the GIN indexes
        follow), in batches, each its own transaction."""
        out = {}
        for form in [_check_form(form_id)] if form_id else self.forms():
            last, count = 0, 0
            while True:
                with self._tx() as cur:
                    cur.execute("SELECT id, number, data FROM records WHERE form = %s AND id > %s ORDER BY id LIMIT %s"
                                " FOR UPDATE", (form, last, batch))
                    rows = cur.fetchall()
                    cur.executemany("UPDATE records SET search = %s, fields = %s::jsonb WHERE form = %s AND id = %s",
                                    [(search_text(number, data), json.dumps(field_texts(data), ensure_ascii=False),
                                      form, rid) for rid, number, data in rows])
                count += len(rows)
                if len(rows) < batch:
                    break
                last = rows[-1][0]
            out[form] = count
        return out

    def forms(self) -> list[str]:
        with self._conn() as conn:
            rows = conn.execute("SELECT form FROM forms UNION SELECT form FROM definitions ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def counters(self, form_id: str) -> dict:
        form = _check_form(form_id)
        with self._conn() as conn:
            rows = conn.execute("SELECT period, seq FROM counters WHERE form = %s ORDER BY period", (form,)).fetchall()
        return {p: s for p, s in rows}

    def load(self, form_id: str, histories: Iterable[list[dict]], counters: dict, batch: int = 5000) -> int:
        """One transaction; COPY in batches of `batch` records, so memory stays bounded."""
        form = _check_form(form_id)
        histories = iter(histories)
        with self._tx() as cur:
            cur.execute("INSERT INTO forms (form, next_id) VALUES (%s, 1) ON CONFLICT DO NOTHING RETURNING form", (form,))
            if cur.fetchone() is None:
                raise StorageError(f"数据库 {self.display} 中表单 {form} 已有记录，不能载入。")
            expect = 1
            while chunk := list(itertools.islice(histories, batch)):
                rows, revs = [], []
                for hist in chunk:
                    last = hist[-1]
                    if last["id"] != expect or [h["revision"] for h in hist] != list(range(1, len(hist) + 1)):
                        raise StorageError(f"表单 {form} 的记录 {last['id']} 编号或修订不连续，不能载入。")
                    data = json.loads(_dumps(last["data"]))
                    rows.append((form, last["id"], last["number"], last["created"], last["created"][:10],
                                 last["creator"], last["department"], last["revision"], last["updated"],
                                 last["version"], last["definition"], last["by"], _dumps(data),
                                 search_text(last["number"], data), json.dumps(field_texts(data), ensure_ascii=False)))
                    revs += [(form, h["id"], h["revision"], h["updated"], h["version"], h["definition"], h["by"],
                              _dumps(h["data"])) for h in hist]
                    expect += 1
                self._copy_rows(cur, rows, revs)
            cur.execute("UPDATE forms SET next_id = %s WHERE form = %s", (expect, form))
            cur.executemany("INSERT INTO counters (form, period, seq) VALUES (%s, %s, %s)",
                            [(form, str(p), int(n)) for p, n in counters.items()])
        return expect - 1

    # -- definitions --------------------------------------------------------------------------
    def put_definition(self, form_id: str, digest: str, definition: dict) -> None:
        form, digest = _check_form(form_id), _check_digest(digest)
        body = _dumps(definition)
        with self._conn() as conn:
            conn.execute("INSERT INTO definitions (form, digest, body) VALUES (%s, %s, %s::json)"
                         " ON CONFLICT DO NOTHING", (form, digest, body))

    def get_definition(self, form_id: str, digest: str) -> dict | None:
        form, digest = _check_form(form_id), _check_digest(digest)
        with self._conn() as conn:
            row = conn.execute("SELECT body FROM definitions WHERE form = %s AND digest = %s",
                               (form, digest)).fetchone()
        return None if row is None else row[0]

    def definitions(self, form_id: str) -> list[str]:
        form = _check_form(form_id)
        with self._conn() as conn:
            rows = conn.execute("SELECT digest FROM definitions WHERE form = %s ORDER BY digest", (form,)).fetchall()
        return [r[0] for r in rows]

    # -- documents ----------------------------------------------------------------------------
    @staticmethod
    def _doc_id(kind: str, key: str) -> tuple[str, str]:
        _check_name(kind, "文档类别")
        _check_key(key)
        if "\x00" in key:
            raise ValueError("文档键含有无法保存的字符")
        return kind, key

    def get_doc(self, kind: str, key: str):
        kind, key = self._doc_id(kind, key)
        with self._conn() as conn:
            row = conn.execute("SELECT doc, v FROM docs WHERE kind = %s AND key = %s", (kind, key)).fetchone()
        return None if row is None else (row[0], row[1])

    def update_doc(self, kind: str, key: str, change):
        return self._update(kind, key, lambda old, _version: change(old))[0]

    def _update(self, kind: str, key: str, change) -> tuple[dict | None, int | None]:
        """change(doc or None, version) under the document's advisory lock; (new doc, new version)."""
        kind, key = self._doc_id(kind, key)
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("doc", kind, key),))
            cur.execute("SELECT doc, v FROM docs WHERE kind = %s AND key = %s", (kind, key))
            row = cur.fetchone()
            old, have = (row[0], row[1]) if row else (None, 0)
            new = change(old, have)
            if new is None:
                if row is not None:
                    cur.execute("DELETE FROM docs WHERE kind = %s AND key = %s", (kind, key))
                return None, None
            if not isinstance(new, dict):
                raise TypeError("文档必须是对象（dict）")
            payload = _dumps(new)
            cur.execute("INSERT INTO docs (kind, key, v, doc) VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT (kind, key)"
                        " DO UPDATE SET v = EXCLUDED.v, doc = EXCLUDED.doc", (kind, key, have + 1, payload))
            return json.loads(payload), have + 1

    def put_doc(self, kind: str, key: str, doc: dict, *, expect: int | None = None) -> int:
        def change(old, have):
            if expect is not None and have != expect:
                raise Conflict(f"文档 {kind}/{key} 已被修改（版本 {have}，期望 {expect}）")
            return doc
        return self._update(kind, key, change)[1]

    def delete_doc(self, kind: str, key: str) -> bool:
        found = []
        self._update(kind, key, lambda old, _version: found.append(old is not None))   # under the same lock
        return found[0]

    def docs(self, kind: str, prefix: str = ""):
        _check_name(kind, "文档类别")
        with self._conn() as conn:
            rows = conn.execute("SELECT key, doc, v FROM docs WHERE kind = %s AND starts_with(key, %s) ORDER BY key",
                                (kind, str(prefix).replace("\x00", "\ufffd"))).fetchall()
        return [(k, d, v) for k, d, v in rows]

    def doc_kinds(self) -> list[str]:
        with self._conn() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT kind FROM docs ORDER BY kind").fetchall()]

    # -- logs ---------------------------------------------------------------------------------
    def append(self, log: str, make) -> dict:
        _check_name(log, "日志名")
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("log", log),))
            cur.execute("SELECT entry FROM logs WHERE log = %s ORDER BY seq DESC LIMIT 1", (log,))
            row = cur.fetchone()
            last = row[0] if row else None
            entry = dict(make(last))
            entry["seq"] = (last["seq"] if last else 0) + 1
            cur.execute("INSERT INTO logs (log, seq, entry) VALUES (%s, %s, %s::jsonb)",
                        (log, entry["seq"], _dumps(entry)))
        return entry

    def entries(self, log: str, after: int = 0, limit: int = 1000) -> list[dict]:
        _check_name(log, "日志名")
        limit = min(_MAX_ROWS, max(0, int(limit)))
        with self._conn() as conn:
            rows = conn.execute("SELECT entry FROM logs WHERE log = %s AND seq > %s ORDER BY seq LIMIT %s",
                                (log, int(after), limit)).fetchall()
        return [r[0] for r in rows]

    def log_names(self) -> list[str]:
        with self._conn() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT log FROM logs ORDER BY log").fetchall()]
