"""The embedded storage backend: `TinyStore`, the `Store` protocol on TinyDB, made safe.

TinyDB on its own keeps one JSON file per database, rewrites the whole file on
every insert, writes it in place (a crash or a second writer leaves invalid
JSON) and caches ids per process. `TinyStore` keeps TinyDB's file format and
table API but changes how files are partitioned, written and locked.

Layout on disk (everything under `root`; form ids are [a-z0-9_], checked)::

    root/<form_id>/.lock                   flock()ed around every read-modify-write
    root/<form_id>/store.json              {"format": 1, "chunk_size": 200}, written once
    root/<form_id>/records-000001.json     records 1 … 200
    root/<form_id>/records-000002.json     records 201 … 400 (the newest chunk carries _meta)
    root/<form_id>/definitions/<digest>.json

A chunk file is an ordinary TinyDB JSON database with two tables::

    {"records": {"201": {"number": "DH-202611-0201", "created": "2026-11-27T10:15:00",
                         "period": "2026-11", "seq": 201,
                         "revisions": [{"revision": 1, "updated": "…", "version": 3,
                                        "definition": "<sha256>", "data": {…}}, …]}, …},
     "_meta":   {"1": {"next_id": 202, "seq": {"2026-11": 201}}}}

The TinyDB document id is the record id, and the chunk of record `id` is
`(id - 1) // chunk_size + 1`, so get(id) reads one file and an insert rewrites
one file of at most `chunk_size` records whatever the number stored. Every
revision of a record is kept inside its document, so revise() rewrites only
that record's chunk. `chunk_size` is fixed per form in store.json when the form
gets its first record (a later `TinyStore(chunk_size=…)` only affects new forms),
because changing it would move records between files.

Why it is safe:

* Atomic files. `AtomicJSONStorage.write()` (a TinyDB `Storage`) writes a temp
  file in the same folder, flushes and fsyncs it, `os.replace()`s it over the
  target and fsyncs the folder. Readers see the old file or the new one, never a
  mix; a crash leaves at most a stale `.…tmp` file, removed by the next writer.
  There is no write-back cache: every operation reads the file from disk.
* One write per operation. The counters (`_meta`: next record id, last
  sequence per period) live in the newest chunk and are carried forward into a
  new chunk when the previous one is full. A small TinyDB `Middleware`
  (`BufferedWrites`) loads the file once, lets several table operations
  (insert the record, update `_meta`) work on the buffered data and writes it
  once at commit, so the record and the counters it consumed reach the disk in
  one `os.replace()`: after a crash both or neither exist. Hence record ids are
  never reused and 编号 sequences stay gap-free even across crashes (a number is
  consumed exactly when its record is stored). The authoritative `_meta` is the
  one in the highest-numbered chunk; older chunks keep a stale copy, unused.
* Several processes. Every read-modify-write holds `fcntl.flock(LOCK_EX)` on the
  form's `.lock` file, so server processes sharing the folder serialize their
  writes per form (flock also serializes threads, each opens its own
  descriptor). Plain reads take no lock: each file is replaced atomically, so a
  read sees a consistent file; a query spanning chunks may miss a record
  committed while it runs, nothing worse.
* Damaged files. A file that cannot be parsed (truncated, invalid JSON, wrong
  shape) raises `StorageError` with a Chinese message naming it; since every
  write first reads the file it replaces, a damaged file is never overwritten.
* Paths. Form ids and digests are checked against strict patterns and the form
  folder must resolve inside `root`; nothing else reaches a path.

Reads use a process-local, read-only cache of parsed chunks validated by
(inode, mtime_ns, size). Because file timestamps are coarse (one kernel tick),
a file is cached only once its mtime is more than two seconds old, so a later
replacement always has a different key; recently written chunks are parsed
afresh. Writes never use the cache: they parse the file under the lock.

query(): ids run 1 … next_id-1 without holes, so the unfiltered newest page and
its total come from the newest chunk's `_meta` and the one or two chunks
holding the page. A filtered query (text, `where`, dates, the permission scope)
asks the form's search index, `root/<form_id>/search.sqlite` (store/search.py):
derived from the chunk files, written after each chunk under the same lock,
caught up before every search from chunk files whose (inode, mtime_ns, size)
differs from the one indexed (a crash between the two writes, another tool);
then reads the page's records from their chunks. Where the index cannot be used
(a folder it cannot be written in, a text with NUL) the query scans the chunks
with `Query.matches`, slower and the same answer.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import orjson
from tinydb import TinyDB
from tinydb.middlewares import Middleware
from tinydb.storages import Storage
from tinydb.table import Document

from .base import Query, Store, StorageError
from .filedocs import FileDocs, FileLogs
from .search import SearchIndex, signature

FORMAT = 1
_FORM_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")   # never _docs, _logs
_DIGEST = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CHUNK_NAME = re.compile(r"records-(\d{6}|[1-9]\d{6,})\.json")   # exactly f"{n:06d}"
_STABLE_NS = 2_000_000_000   # cache a parsed file only when its mtime is older than this
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)   # finds runs of 19 digits (_load_bytes)
_RAW_CACHE_SIZE = 32         # parsed chunk files kept whole (for get/history/pages)

RECORDS, META = "records", "_meta"

_READ, _WRITE = "读取", "写入"


# ---------------------------------------------------------------------------------------------
# Files


def _corrupt(display: str, purpose: str, detail: str = "") -> StorageError:
    extra = f"（{detail}）" if detail else ""
    return StorageError(f"数据文件 {display} 已损坏{extra}，无法{purpose}；请从备份恢复。")


def _unreadable(display: str, purpose: str, exc: OSError) -> StorageError:
    return StorageError(f"数据文件 {display} 无法{purpose}:{exc.strerror or exc}")


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _load_bytes(raw: bytes, display: str, purpose: str) -> Any:
    if not raw.strip():
        raise _corrupt(display, purpose, "文件为空")
    # orjson reads an integer beyond 64 bits as a float: such chunks (any run of 19 digits, also
    # in a text) are read by json. translate + find is ~15 times faster than a regex here.
    if raw.translate(_DIGITS_AS_ZERO).find(b"0" * 19) < 0:
        try:
            return orjson.loads(raw)    # 3-4 times faster than json; the same values for everything else
        except (ValueError, RecursionError):   # what json may still read (1e400, lone surrogates …) or not
            pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:   # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _corrupt(display, purpose, "不是有效的 JSON") from exc


def _read_bytes(path: Path, display: str, purpose: str) -> tuple[tuple, bytes] | None:
    """((ino, mtime_ns, size), content) of a file, or None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(display, purpose, exc) from exc
    try:
        st = os.fstat(fd)
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
    except OSError as exc:
        raise _unreadable(display, purpose, exc) from exc
    finally:
        os.close(fd)
    return (st.st_ino, st.st_mtime_ns, st.st_size), b"".join(chunks)


def _read_file(path: Path, display: str, purpose: str) -> tuple[tuple, Any] | None:
    """((ino, mtime_ns, size), parsed JSON) of a file, or None when it does not exist."""
    found = _read_bytes(path, display, purpose)
    return None if found is None else (found[0], _load_bytes(found[1], display, purpose))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, payload: bytes, display: str) -> None:
    """Temp file in the same folder, fsync, os.replace, fsync the folder."""
    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise _unreadable(display, _WRITE, exc) from exc


def _check_chunk(data: Any, display: str, purpose: str) -> dict:
    """The shape of a chunk file: a TinyDB database of `records` and `_meta`."""
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise _corrupt(display, purpose, "格式不正确")
    for key, doc in data.get(RECORDS, {}).items():
        if (not key.isdigit() or not isinstance(doc, dict) or not isinstance(doc.get("revisions"), list)
                or not doc["revisions"] or not all(isinstance(r, dict) for r in doc["revisions"])
                or not isinstance(doc.get("created"), str)):
            raise _corrupt(display, purpose, f"记录 {key} 格式不正确")
    meta = data.get(META, {}).get("1")
    if meta is not None and (not isinstance(meta, dict) or not isinstance(meta.get("next_id"), int)
                             or not isinstance(meta.get("seq"), dict)):
        raise _corrupt(display, purpose, "计数器格式不正确")
    return data


class AtomicJSONStorage(Storage):
    """TinyDB JSON storage: read() parses the file from disk every time (None when it does not
    exist yet), write() replaces it atomically. Damaged files raise StorageError."""

    def __init__(self, path: Path, display: str, purpose: str = _WRITE, check: Callable | None = _check_chunk):
        super().__init__()
        self.path, self.display, self.purpose, self.check = Path(path), display, purpose, check

    def read(self) -> dict | None:
        found = _read_file(self.path, self.display, self.purpose)
        if found is None:
            return None
        data = found[1]
        return self.check(data, self.display, self.purpose) if self.check else data

    def write(self, data: dict) -> None:
        _atomic_write(self.path, _dumps(data), self.display)


class BufferedWrites(Middleware):
    """One transaction of table operations: the first read loads the file, later reads see the
    pending changes, writes stay in memory and commit() writes the file once. Use it only while
    holding the form's lock (it is not a cache: a new instance per operation)."""

    def __init__(self, storage_cls=AtomicJSONStorage):
        super().__init__(storage_cls)
        self._data: dict | None = None
        self._loaded = False
        self._dirty = False

    def read(self):
        if not self._loaded:
            self._data = self.storage.read()
            self._loaded = True
        return self._data

    def write(self, data):
        self._data, self._loaded, self._dirty = data, True, True

    def commit(self) -> None:
        if self._dirty:
            self.storage.write(self._data)
            self._dirty = False


class _Txn:
    """A chunk file opened for one locked read-modify-write."""

    def __init__(self, path: Path, display: str):
        self.display = display
        self.mw = BufferedWrites(AtomicJSONStorage)
        self.db = TinyDB(path, display, storage=self.mw)
        self.records = self.db.table(RECORDS)
        self.meta_table = self.db.table(META)

    def meta(self) -> dict | None:
        doc = self.meta_table.get(doc_id=1)
        return None if doc is None else {"next_id": doc["next_id"], "seq": dict(doc["seq"])}

    def set_meta(self, meta: dict) -> None:
        if self.meta_table.contains(doc_id=1):
            self.meta_table.update(meta, doc_ids=[1])
        else:
            self.meta_table.insert(Document(meta, doc_id=1))

    def commit(self) -> None:
        self.mw.commit()


# ---------------------------------------------------------------------------------------------
# Records


def _record(rid: int, doc: dict, rev: dict, copy: bool = True) -> dict:
    data = rev.get("data", {})
    return {"id": rid, "number": doc.get("number"), "revision": rev.get("revision"), "created": doc["created"],
            "updated": rev.get("updated", doc["created"]), "version": rev.get("version"),
            "definition": rev.get("definition"), "creator": doc.get("creator"),
            "department": doc.get("department"), "by": rev.get("by"), "data": _copy(data) if copy else data}


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _valid_id(record_id) -> bool:
    return isinstance(record_id, int) and not isinstance(record_id, bool) and record_id >= 1


# ---------------------------------------------------------------------------------------------
# The store


class TinyStore(Store):
    """Store on TinyDB JSON files; see the module docstring for the layout and the guarantees."""

    name = "folder"

    @classmethod
    def open(cls, location: str, chunk_size: int = 200, **_ignored) -> "TinyStore":
        return cls(Path(location), chunk_size=chunk_size)

    def __init__(self, root: Path, chunk_size: int = 200):
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError("chunk_size 必须是正整数")
        self.root = Path(root).resolve()
        self.data_dir = self.root
        self.chunk_size = chunk_size
        self._sizes: dict[str, int] = {}        # form → its fixed chunk size
        self._safe_dirs: set[str] = set()
        self._mutex = threading.Lock()
        self._raw_cache: OrderedDict[Path, tuple[tuple, dict]] = OrderedDict()
        self._search: dict[Path, SearchIndex] = {}   # form folder → its search index (store/search.py)
        self._docs = FileDocs(self.root, self._display, _atomic_write, _fsync_dir)
        self._logs = FileLogs(self.root, self._display, _fsync_dir)

    # -- paths ----------------------------------------------------------------------------

    def _display(self, path: Path) -> str:
        """A path as messages show it: from the data folder's name, e.g. data/order_form/records-000003.json."""
        return path.relative_to(self.root.parent).as_posix()

    def _form_dir(self, form_id: str) -> Path:
        if not isinstance(form_id, str) or not _FORM_ID.fullmatch(form_id):
            raise ValueError(f"表单标识 {form_id!r} 不合法：只能用小写英文字母、数字和下划线")
        d = self.data_dir / form_id
        if form_id not in self._safe_dirs and (d.exists() or d.is_symlink()):
            if not d.resolve().is_relative_to(self.root) or not d.is_dir():
                raise StorageError(f"数据目录 {self._display(d)} 指向数据根目录之外或不是目录，拒绝使用。")
            self._safe_dirs.add(form_id)
        return d

    def _chunk_path(self, d: Path, n: int) -> Path:
        return d / f"records-{n:06d}.json"

    @staticmethod
    def _chunks(d: Path, clean: bool = False) -> list[int]:
        """Chunk numbers present, ascending. With clean (only under the lock) removes stale temps."""
        found = []
        try:
            with os.scandir(d) as it:
                for e in it:
                    m = _CHUNK_NAME.fullmatch(e.name)
                    if m:
                        found.append(int(m.group(1)))
                    elif clean and e.name.startswith(".") and e.name.endswith(".tmp"):
                        try:
                            os.unlink(e.path)
                        except OSError:
                            pass
        except FileNotFoundError:
            return []
        found.sort()
        return found

    # -- lock and format ------------------------------------------------------------------

    @contextmanager
    def _locked(self, form_id: str) -> Iterator[Path]:
        d = self._form_dir(form_id)
        lock = d / ".lock"
        try:
            if not d.is_dir():
                d.mkdir(parents=True, exist_ok=True)
                for folder in (self.data_dir, self.root):   # make the new folders durable too
                    _fsync_dir(folder)
            self._form_dir(form_id)   # now that it exists, check where it resolves
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"无法打开锁文件 {self._display(lock)}:{exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)   # blocks; released when fd is closed (or the process dies)
            yield d
        finally:
            os.close(fd)   # releases the lock

    def _chunk_size_of(self, form_id: str, d: Path, create: bool) -> int | None:
        """The form's fixed chunk size from store.json; with create (under the lock) writes it."""
        if form_id in self._sizes:
            return self._sizes[form_id]
        path = d / "store.json"
        display = self._display(path)
        found = _read_file(path, display, _WRITE if create else _READ)
        if found is None:
            if self._chunks(d):
                raise StorageError(f"数据文件 {display} 缺失，无法确定记录的分块方式；请从备份恢复。")
            if not create:
                return None
            _atomic_write(path, _dumps({"format": FORMAT, "chunk_size": self.chunk_size}), display)
            size = self.chunk_size
        else:
            info = found[1]
            size = info.get("chunk_size") if isinstance(info, dict) else None
            if not isinstance(size, int) or size < 1 or info.get("format") != FORMAT:
                raise _corrupt(display, _WRITE if create else _READ, "格式不正确")
        self._sizes[form_id] = size
        return size

    # -- cached reads ---------------------------------------------------------------------

    def _stat_key(self, path: Path, purpose: str = _READ) -> tuple | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unreadable(self._display(path), purpose, exc) from exc
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _parse_chunk(self, path: Path, key: tuple, content: bytes, purpose: str, keep: bool = True) -> dict:
        display = self._display(path)
        raw = _check_chunk(_load_bytes(content, display, purpose), display, purpose)
        if keep and time.time_ns() - key[1] > _STABLE_NS:
            with self._mutex:
                self._raw_cache[path] = (key, raw)
                self._raw_cache.move_to_end(path)
                while len(self._raw_cache) > _RAW_CACHE_SIZE:
                    self._raw_cache.popitem(last=False)
        return raw

    def _read_raw(self, path: Path, purpose: str = _READ, keep: bool = True) -> dict | None:
        """The parsed chunk, from the read-only cache or the disk; None if the file is absent.
        Callers must not modify the result. keep=False: a chunk read from disk is not cached."""
        key = self._stat_key(path, purpose)
        if key is None:
            return None
        with self._mutex:
            hit = self._raw_cache.get(path)
            if hit and hit[0] == key:
                self._raw_cache.move_to_end(path)
                return hit[1]
        found = _read_bytes(path, self._display(path), purpose)
        return None if found is None else self._parse_chunk(path, found[0], found[1], purpose, keep)

    def _doc(self, form_id: str, record_id: int) -> dict | None:
        if not _valid_id(record_id):
            return None
        d = self._form_dir(form_id)
        size = self._chunk_size_of(form_id, d, create=False)
        if size is None:
            return None
        raw = self._read_raw(self._chunk_path(d, (record_id - 1) // size + 1))
        return None if raw is None else raw.get(RECORDS, {}).get(str(record_id))

    # -- search index (store/search.py) ---------------------------------------------------

    def _search_index(self, d: Path) -> SearchIndex:
        with self._mutex:
            idx = self._search.get(d)
            if idx is None:
                idx = self._search[d] = SearchIndex(d)
            return idx

    def _commit(self, d: Path, n: int, txn: _Txn, written: list[tuple[int, dict]]) -> None:
        """Write a chunk, then (under the same lock) index the records written to it. An index
        that cannot be written is caught up by the next query (its chunk signature differs)."""
        txn.commit()
        if os.environ.get("BIAOGE_CRASH_AT") == "before-index":   # tests: die between the two writes
            os._exit(75)
        try:
            self._search_index(d).put({n: signature(self._chunk_path(d, n))}, written)
        except (sqlite3.Error, OSError):
            pass

    def _synced_index(self, form_id: str, d: Path, chunks: list[int]) -> SearchIndex:
        """The form's search index, caught up first with every chunk file whose signature differs
        from the one indexed (a crash between a record write and its index write, another tool)."""
        idx = self._search_index(d)
        if idx.stale({n: signature(self._chunk_path(d, n)) for n in chunks}) == []:
            return idx
        with self._locked(form_id):   # no writer is between its two writes now
            chunks = self._chunks(d)
            stale = idx.stale({n: signature(self._chunk_path(d, n)) for n in chunks})
            clear = stale is None
            for n in chunks if clear else stale:
                path = self._chunk_path(d, n)
                found = _read_bytes(path, self._display(path), _READ)
                if found is None:
                    continue
                raw = _check_chunk(_load_bytes(found[1], self._display(path), _READ), self._display(path), _READ)
                idx.put({n: found[0]}, ((int(k), doc) for k, doc in raw.get(RECORDS, {}).items()), clear=clear)
                clear = False
        return idx

    def reindex(self, form_id: str | None = None) -> dict[str, int]:
        """Rebuild the search index of a form (or of every form) from its chunk files:
        {form: records indexed} (`biaoge store reindex`)."""
        out = {}
        for form in [form_id] if form_id else self.forms():
            d = self._form_dir(form)
            if not self._chunk_size_of(form, d, create=False):
                continue
            idx = self._search_index(d)
            with self._locked(form):
                idx.put({}, (), clear=True)
            chunks = self._chunks(d)
            self._synced_index(form, d, chunks)
            out[form] = idx.count()
        return out

    def close(self) -> None:
        with self._mutex:
            indexes = list(self._search.values())
        for idx in indexes:
            idx.close()

    # -- writes ---------------------------------------------------------------------------

    def add(self, form_id: str, data: dict, *, version: int, definition: str, created: str,
            period: str | None = None, make_number: Callable[[int], str] | None = None,
            creator: str | None = None, department: str | None = None) -> dict:
        return self.add_many(form_id, [data], version=version, definition=definition, created=created,
                             period=period, make_number=make_number, creator=creator, department=department)[0]

    def add_many(self, form_id: str, items: Iterable[dict], *, version: int, definition: str, created: str,
                 period: str | None = None, make_number: Callable[[int], str] | None = None,
                 creator: str | None = None, department: str | None = None) -> list[dict]:
        """Store several new records: one atomic write per chunk touched (add() is one record)."""
        items = [json.loads(_dumps(x)) for x in items]   # a private copy; refuses what JSON cannot hold
        if not isinstance(created, str):
            raise TypeError("created 必须是 ISO 日期时间字符串")
        period = "" if period is None else str(period)
        with self._locked(form_id) as d:
            size = self._chunk_size_of(form_id, d, create=True)
            chunks = self._chunks(d, clean=True)
            newest = chunks[-1] if chunks else 0
            txn, current = None, 0
            if newest:
                txn, current = _Txn(self._chunk_path(d, newest), self._display(self._chunk_path(d, newest))), newest
                meta = txn.meta()
                if meta is None:
                    raise StorageError(f"数据文件 {txn.display} 缺少计数器（_meta），无法写入；请从备份恢复。")
            else:
                meta = {"next_id": 1, "seq": {}}
            out, written = [], []
            for data in items:
                rid = meta["next_id"]
                chunk = (rid - 1) // size + 1
                if chunk != current:
                    if chunk != newest + 1 or chunk < current:
                        where = txn.display if txn else self._display(d)
                        raise StorageError(f"数据文件 {where} 的计数器与记录不一致，无法写入；请从备份恢复。")
                    if txn is not None:
                        self._commit(d, current, txn, written)
                    written = []
                    path = self._chunk_path(d, chunk)
                    txn, current, newest = _Txn(path, self._display(path)), chunk, chunk
                number, seq = None, None
                if make_number is not None:
                    seq = int(meta["seq"].get(period, 0)) + 1
                    number = make_number(seq)
                    if not isinstance(number, str):
                        raise TypeError("make_number 必须返回字符串")
                    meta["seq"][period] = seq
                doc = {"number": number, "created": created}
                if creator is not None:
                    doc["creator"] = creator
                if department is not None:
                    doc["department"] = department
                if seq is not None:
                    doc["period"], doc["seq"] = period, seq
                doc["revisions"] = [{"revision": 1, "updated": created, "version": version,
                                     "definition": definition, "data": data}]
                try:
                    txn.records.insert(Document(doc, doc_id=rid))
                except ValueError as exc:   # the id is already taken: counters behind the records
                    raise StorageError(f"数据文件 {txn.display} 的计数器与记录不一致，无法写入；"
                                       f"请从备份恢复。") from exc
                meta["next_id"] = rid + 1
                txn.set_meta(meta)
                written.append((rid, doc))
                out.append(_record(rid, doc, doc["revisions"][0]))
            if txn is not None:
                self._commit(d, current, txn, written)
            return out

    def revise(self, form_id: str, record_id: int, data: dict, *, version: int, definition: str,
               updated: str, by: str | None = None) -> dict:
        data = json.loads(_dumps(data))
        missing = KeyError(f"记录 {record_id} 不存在")
        if not _valid_id(record_id) or not self._form_dir(form_id).is_dir():
            raise missing
        with self._locked(form_id) as d:
            size = self._chunk_size_of(form_id, d, create=False)
            if size is None:
                raise missing
            path = self._chunk_path(d, (record_id - 1) // size + 1)
            if not path.exists():
                raise missing
            txn = _Txn(path, self._display(path))
            doc = txn.records.get(doc_id=record_id)
            if doc is None:
                raise missing
            revisions = list(doc["revisions"])
            rev = {"revision": len(revisions) + 1, "updated": updated, "version": version,
                   "definition": definition, "data": data}
            if by is not None:
                rev["by"] = by
            revisions.append(rev)
            txn.records.update({"revisions": revisions}, doc_ids=[record_id])
            self._commit(d, (record_id - 1) // size + 1, txn, [(record_id, {**doc, "revisions": revisions})])
            return _record(record_id, doc, rev)

    def load(self, form_id: str, histories: Iterable[list[dict]], counters: dict) -> int:
        """Bulk-restore (biaoge store copy): one atomic write per chunk, as add_many."""
        with self._locked(form_id) as d:
            if self._chunks(d, clean=True):
                raise StorageError(f"数据目录 {self._display(d)} 已有记录，不能载入。")
            size = self._chunk_size_of(form_id, d, create=True)
            meta = {"next_id": 1, "seq": {str(p): int(n) for p, n in counters.items()}}
            txn, current, written = None, 0, []
            for hist in histories:
                last = hist[-1]
                rid = last["id"]
                if rid != meta["next_id"] or [h["revision"] for h in hist] != list(range(1, len(hist) + 1)):
                    raise StorageError(f"表单 {form_id} 的记录 {rid} 编号或修订不连续，不能载入。")
                chunk = (rid - 1) // size + 1
                if chunk != current:
                    if txn is not None:
                        self._commit(d, current, txn, written)
                    written = []
                    path = self._chunk_path(d, chunk)
                    txn, current = _Txn(path, self._display(path)), chunk
                doc = {"number": last["number"], "created": last["created"]}
                for key in ("creator", "department"):
                    if last.get(key) is not None:
                        doc[key] = last[key]
                doc["revisions"] = []
                for h in hist:
                    rev = {"revision": h["revision"], "updated": h["updated"], "version": h["version"],
                           "definition": h["definition"], "data": json.loads(_dumps(h["data"]))}
                    if h.get("by") is not None:
                        rev["by"] = h["by"]
                    doc["revisions"].append(rev)
                txn.records.insert(Document(doc, doc_id=rid))
                written.append((rid, doc))
                meta["next_id"] = rid + 1
                txn.set_meta(meta)
            if txn is not None:
                self._commit(d, current, txn, written)
            return meta["next_id"] - 1

    # -- reads ----------------------------------------------------------------------------

    def get(self, form_id: str, record_id: int, revision: int | None = None) -> dict | None:
        doc = self._doc(form_id, record_id)
        if doc is None:
            return None
        revs = doc["revisions"]
        if revision is None:
            return _record(record_id, doc, revs[-1])
        if not _valid_id(revision) or revision > len(revs):
            return None
        return _record(record_id, doc, revs[revision - 1])

    def history(self, form_id: str, record_id: int) -> list[dict]:
        doc = self._doc(form_id, record_id)
        return [] if doc is None else [_record(record_id, doc, r) for r in doc["revisions"]]

    def query(self, form_id: str, query: Query | None = None, *, offset: int = 0,
              limit: int = 20) -> tuple[list[dict], int]:
        query = query or Query()
        d = self._form_dir(form_id)
        size = self._chunk_size_of(form_id, d, create=False)
        chunks = self._chunks(d) if size else []
        if not chunks:
            return [], 0
        offset, limit = max(0, int(offset or 0)), max(0, int(limit or 0))
        wanted: list[int] = []
        raws: dict[int, dict | None] = {}   # chunk → parsed content, for the page
        if not query.filtered:
            # Ids run 1 … next_id - 1 without holes (a record and its id are stored together).
            raw = raws[chunks[-1]] = self._read_raw(self._chunk_path(d, chunks[-1]))
            meta = (raw.get(META, {}).get("1") if raw else None) or {}
            last = max(map(int, raw.get(RECORDS, {})), default=0) if raw else 0
            total = max(0, int(meta.get("next_id", last + 1)) - 1)
            wanted = list(range(total - offset, max(total - offset - limit, 0), -1))
        else:
            found = self._indexed_query(form_id, d, chunks, query, offset, limit)
            if found is None:   # the reference meaning, record by record (a folder the index cannot be in …)
                matched = [r["id"] for r in self.scan(form_id, query)][::-1]
                found = matched[offset:offset + limit], len(matched)
            wanted, total = found
        page = []
        for rid in wanted:
            n = (rid - 1) // size + 1
            if n not in raws:
                raws[n] = self._read_raw(self._chunk_path(d, n))
            doc = raws[n].get(RECORDS, {}).get(str(rid)) if raws[n] else None
            if doc is not None:
                page.append(_record(rid, doc, doc["revisions"][-1]))
        return page, total

    def _indexed_query(self, form_id, d, chunks, query, offset, limit) -> tuple[list[int], int] | None:
        """(ids, total) from the search index, or None when it cannot answer (scan instead)."""
        try:
            return self._synced_index(form_id, d, chunks).search(query, offset, limit)
        except (sqlite3.Error, OSError):
            return None

    def scan(self, form_id: str, query: Query | None = None, batch: int = 500, *, copy: bool = True):
        """Chunk by chunk, oldest first; records stored while it runs may or may not be seen.
        copy=False yields the cached chunks' data itself (Store.scan: read-only)."""
        query = query or Query()
        filtered = query.filtered
        d = self._form_dir(form_id)
        size = self._chunk_size_of(form_id, d, create=False)
        chunks = self._chunks(d) if size else []
        # A scan of more chunks than the cache holds evicts each before the next scan could use it:
        # it reads through the cache but does not fill it (filling costs the insert, the eviction
        # and the garbage collector's walks over the cached chunks: ~40% of a 100,000-record scan).
        keep = len(chunks) <= _RAW_CACHE_SIZE
        for n in chunks:
            raw = self._read_raw(self._chunk_path(d, n), keep=keep)
            for rid, doc in sorted(((int(k), v) for k, v in (raw or {}).get(RECORDS, {}).items())):
                rec = _record(rid, doc, doc["revisions"][-1], copy=False)
                if not filtered or query.matches(rec):
                    if copy:
                        rec["data"] = _copy(rec["data"])
                    yield rec

    def forms(self) -> list[str]:
        try:
            names = [e.name for e in os.scandir(self.data_dir) if e.is_dir() and _FORM_ID.fullmatch(e.name)]
        except FileNotFoundError:
            return []
        return sorted(n for n in names if (self.data_dir / n / "store.json").exists()
                      or (self.data_dir / n / "definitions").is_dir())

    def counters(self, form_id: str) -> dict:
        d = self._form_dir(form_id)
        chunks = self._chunks(d) if self._chunk_size_of(form_id, d, create=False) else []
        if not chunks:
            return {}
        raw = self._read_raw(self._chunk_path(d, chunks[-1])) or {}
        meta = raw.get(META, {}).get("1") or {}
        return dict(meta.get("seq") or {})

    # -- definitions ----------------------------------------------------------------------

    def _definition_path(self, form_id: str, digest: str) -> Path:
        d = self._form_dir(form_id)
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise ValueError(f"定义摘要 {digest!r} 不合法")
        return d / "definitions" / f"{digest}.json"

    def put_definition(self, form_id: str, digest: str, definition: dict) -> None:
        path = self._definition_path(form_id, digest)
        payload = _dumps(definition)
        display = self._display(path)
        if _read_file(path, display, _WRITE) is not None:   # idempotent; a damaged file raises
            return
        with self._locked(form_id) as d:
            if not path.parent.is_dir():
                path.parent.mkdir()
                _fsync_dir(d)
            for stale in path.parent.glob(".*.tmp"):   # temps of writers that died holding the lock
                try:
                    stale.unlink()
                except OSError:
                    pass
            if _read_file(path, display, _WRITE) is None:
                _atomic_write(path, payload, display)

    def definitions(self, form_id: str) -> list[str]:
        folder = self._form_dir(form_id) / "definitions"
        try:
            return sorted(p.stem for p in folder.glob("*.json") if _DIGEST.fullmatch(p.stem))
        except OSError:
            return []

    def get_definition(self, form_id: str, digest: str) -> dict | None:
        path = self._definition_path(form_id, digest)
        found = _read_file(path, self._display(path), _READ)
        if found is None:
            return None
        if not isinstance(found[1], dict):
            raise _corrupt(self._display(path), _READ, "格式不正确")
        return found[1]

    # -- documents and logs (store/filedocs.py) -------------------------------------------------

    def get_doc(self, kind: str, key: str):
        return self._docs.get(kind, key)

    def put_doc(self, kind: str, key: str, doc: dict, *, expect: int | None = None) -> int:
        return self._docs.put(kind, key, doc, expect)

    def update_doc(self, kind: str, key: str, change):
        return self._docs.update(kind, key, lambda old: change(None if old is None else old["doc"]))[0]

    def delete_doc(self, kind: str, key: str) -> bool:
        return self._docs.delete(kind, key)

    def docs(self, kind: str, prefix: str = ""):
        return self._docs.all(kind, prefix)

    def doc_kinds(self) -> list[str]:
        return self._docs.kinds()

    def append(self, log: str, make) -> dict:
        return self._logs.append(log, make)

    def log_names(self) -> list[str]:
        return self._logs.names()

    def entries(self, log: str, after: int = 0, limit: int = 1000) -> list[dict]:
        return self._logs.entries(log, after, limit)
