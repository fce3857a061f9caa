"""Documents and append-only logs of the embedded store, in plain files under its folder.

Documents (people, tokens, jobs, drafts …)::

    root/_docs/<kind>/<shard>.json    {"<key>": {"v": 3, "doc": {…}}, …}, 64 shards by key hash
    root/_docs/<kind>/.lock           flock()ed around every read-modify-write of the kind

Each shard file is replaced atomically (temp file, fsync, rename), as the record chunks are,
so a reader sees the old file or the new one and a crash loses no acknowledged write.

Logs (the audit trail)::

    root/_logs/<log>/<first seq, 12 digits>.jsonl   one JSON object per line, 10,000 lines a file
    root/_logs/<log>/.lock

An entry is one line appended with a single write() and fsync()ed before append() returns. A
line that a crash cut short has no newline and was never acknowledged: the next append (under
the lock) truncates it, and readers skip it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from .base import KIND, MAX_KEY, Conflict, StorageError

SHARDS = 64
LOG_FILE_LINES = 10_000
_KIND = re.compile(KIND)


def _dumps(v) -> bytes:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _KIND.fullmatch(name):
        raise ValueError(f"{what} {name!r} 不合法：只能用小写英文字母、数字和下划线")
    return name


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise ValueError(f"文档键 {key!r} 不合法：应为 1 到 {MAX_KEY} 个字符")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("文档键含有无法保存的字符") from None
    return key


class FileDocs:
    def __init__(self, root: Path, display: Callable[[Path], str], atomic_write, fsync_dir):
        self.root, self.display, self.atomic_write, self.fsync_dir = root / "_docs", display, atomic_write, fsync_dir

    def _folder(self, kind: str) -> Path:
        return self.root / _check_name(kind, "文档类别")

    def _shard(self, folder: Path, key: str) -> Path:
        n = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % SHARDS
        return folder / f"{n:02d}.json"

    def _read(self, path: Path) -> dict:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StorageError(f"数据文件 {self.display(path)} 无法读取：{exc.strerror or exc}") from exc
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not all(isinstance(v, dict) and isinstance(v.get("v"), int)
                                                     and isinstance(v.get("doc"), dict) for v in data.values()):
                raise ValueError
            return data
        except ValueError as exc:
            raise StorageError(f"数据文件 {self.display(path)} 已损坏，无法读取；请从备份恢复。") from exc

    @contextmanager
    def _locked(self, folder: Path):
        try:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                self.fsync_dir(folder.parent)
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"无法打开锁文件 {self.display(folder / '.lock')}：{exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def get(self, kind: str, key: str):
        folder = self._folder(kind)
        entry = self._read(self._shard(folder, _check_key(key))).get(key)
        return None if entry is None else (entry["doc"], entry["v"])

    def update(self, kind: str, key: str, change):
        """change(entry or None) -> new doc or None; returns (result, new version or None)."""
        folder = self._folder(kind)
        path = self._shard(folder, _check_key(key))
        with self._locked(folder):
            data = self._read(path)
            old = data.get(key)
            new = change(old)
            if new is None:
                if old is not None:
                    del data[key]
                    self.atomic_write(path, _dumps(data), self.display(path))
                return None, None
            if not isinstance(new, dict):
                raise TypeError("文档必须是对象（dict）")
            version = (old["v"] if old else 0) + 1
            payload = json.loads(_dumps(new))   # a private copy; refuses what JSON cannot hold
            data[key] = {"v": version, "doc": payload}
            self.atomic_write(path, _dumps(data), self.display(path))
            return payload, version

    def put(self, kind: str, key: str, doc: dict, expect: int | None) -> int:
        def change(old):
            have = old["v"] if old else 0
            if expect is not None and have != expect:
                raise Conflict(f"文档 {kind}/{key} 已被修改（版本 {have}，期望 {expect}）")
            return doc
        return self.update(kind, key, change)[1]

    def delete(self, kind: str, key: str) -> bool:
        found = []
        self.update(kind, key, lambda old: found.append(old is not None) or None)
        return found[0]

    def kinds(self) -> list[str]:
        try:
            return sorted(p.name for p in self.root.iterdir() if _KIND.fullmatch(p.name) and self.all(p.name))
        except FileNotFoundError:
            return []

    def all(self, kind: str, prefix: str = "") -> list:
        folder = self._folder(kind)
        out = []
        for n in range(SHARDS):
            for key, entry in self._read(folder / f"{n:02d}.json").items():
                if key.startswith(prefix):
                    out.append((key, entry["doc"], entry["v"]))
        out.sort(key=lambda x: x[0])
        return out


class FileLogs:
    def __init__(self, root: Path, display: Callable[[Path], str], fsync_dir):
        self.root, self.display, self.fsync_dir = root / "_logs", display, fsync_dir

    def _folder(self, log: str) -> Path:
        return self.root / _check_name(log, "日志名")

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        try:
            return sorted(p for p in folder.iterdir() if re.fullmatch(r"\d{12}\.jsonl", p.name))
        except FileNotFoundError:
            return []

    def _lines(self, path: Path) -> list[dict]:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"日志文件 {self.display(path)} 无法读取：{exc.strerror or exc}") from exc
        out = []
        for line in raw.split(b"\n")[:-1]:   # the part after the last newline was never acknowledged
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise StorageError(f"日志文件 {self.display(path)} 已损坏，无法读取；请从备份恢复。") from exc
        return out

    def _last_line(self, path: Path, chunk: int = 65536) -> dict | None:
        """The last acknowledged entry of a log file, read from its tail (appends must not parse
        10,000 lines); a line cut short by a crash (no newline) is cut off first."""
        try:
            with open(path, "r+b") as f:
                size = f.seek(0, os.SEEK_END)
                tail, start = b"", size
                while start > 0:
                    start = max(0, start - chunk)
                    f.seek(start)
                    tail = f.read(size - start)
                    if tail.count(b"\n") >= 2 or start == 0:
                        break
                if tail and not tail.endswith(b"\n"):   # never acknowledged
                    cut = tail.rfind(b"\n") + 1
                    f.truncate(start + cut)
                    tail = tail[:cut]
        except OSError as exc:
            raise StorageError(f"日志文件 {self.display(path)} 无法读取：{exc.strerror or exc}") from exc
        lines = tail.split(b"\n")[:-1]
        if start > 0:
            lines = lines[1:]        # the first piece may be the end of an earlier line
        if not lines:
            return None
        try:
            return json.loads(lines[-1])
        except ValueError as exc:
            raise StorageError(f"日志文件 {self.display(path)} 已损坏，无法读取；请从备份恢复。") from exc

    def append(self, log: str, make) -> dict:
        folder = self._folder(log)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"无法写入日志 {self.display(folder)}：{exc.strerror or exc}") from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            files = self._files(folder)
            last, count = None, 0
            if files:
                path = files[-1]
                for earlier in reversed(files):   # the newest file can be empty after a crash
                    last = self._last_line(earlier)
                    if last:
                        break
                # a file is named after its first entry's seq, so its length needs no full read
                count = last["seq"] - int(path.stem) + 1 if last and last["seq"] >= int(path.stem) else 0
            entry = dict(make(last))
            entry["seq"] = (last["seq"] if last else 0) + 1
            line = _dumps(entry) + b"\n"
            if not files or count >= LOG_FILE_LINES:
                path = folder / f"{entry['seq']:012d}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if not files or count >= LOG_FILE_LINES:
                self.fsync_dir(folder)
            return entry
        except OSError as exc:
            raise StorageError(f"无法写入日志 {self.display(folder)}：{exc.strerror or exc}") from exc
        finally:
            os.close(lock)

    def names(self) -> list[str]:
        try:
            return sorted(p.name for p in self.root.iterdir() if _KIND.fullmatch(p.name) and self.entries(p.name, limit=1))
        except FileNotFoundError:
            return []

    def entries(self, log: str, after: int = 0, limit: int = 1000) -> list[dict]:
        folder = self._folder(log)
        files = self._files(folder)
        firsts = [int(p.stem) for p in files]
        out = []
        for i, path in enumerate(files):
            if i + 1 < len(files) and firsts[i + 1] <= after + 1:
                continue   # every entry of this file is at or before `after`
            for e in self._lines(path):
                if e.get("seq", 0) > after:
                    out.append(e)
                    if len(out) >= limit:
                        return out
        return out
