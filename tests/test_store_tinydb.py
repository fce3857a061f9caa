"""The embedded store (TinyStore): the store contract, and what is its own: chunk files,
caches, the search prefilter, crashes, damaged files, paths."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from store import open_store
from store.base import Query, StorageError
from store.tinystore import TinyStore

from .store_contract import DEF, WRITER, StoreContract


class TestTinyStoreContract(StoreContract):
    @pytest.fixture
    def location(self, tmp_path):
        return tmp_path / "data"

    def test_crash_at_random_points(self, location, make):
        super().test_crash_at_random_points(location, make)
        assert_all_valid_json(location.parent)
        assert not list((location / "crash").glob(".*.tmp"))   # stale temps were cleaned up

    @pytest.fixture
    def make(self, location):
        return lambda **options: open_store(str(location), **{"chunk_size": 3, **options})

    @pytest.fixture(scope="class")
    @classmethod
    def shared_store(cls, tmp_path_factory):
        s = open_store(str(tmp_path_factory.mktemp("search") / "data"), chunk_size=50)
        yield s
        s.close()


def number(seq: int) -> str:
    return f"DH-202611-{seq:04d}"


def add(store, form="order_form", data=None, created="2026-11-27T10:00:00", period="2026-11", numbered=True):
    return store.add(form, data if data is not None else {"customer": "华联超市"}, version=1, definition=DEF,
                     created=created, period=period, make_number=number if numbered else None)


def chunk_files(root: Path, form: str) -> list[Path]:
    return sorted((root / "data" / form).glob("records-*.json"))


def assert_all_valid_json(root: Path) -> None:
    files = [p for p in (root / "data").rglob("*.json")]
    assert files
    for p in files:
        json.loads(p.read_bytes())   # raises on a damaged file


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- behaviour ------------------------------------------------------------------------------


def test_records_go_into_chunk_files(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=3)
    for _ in range(12):
        add(s)
    assert [p.name for p in chunk_files(tmp_path, "order_form")] == [f"records-{n:06d}.json" for n in (1, 2, 3, 4)]
    assert_all_valid_json(tmp_path)


def test_query_cache_sees_new_revisions(tmp_path):
    """Chunks older than a few seconds are cached; a rewrite must still be seen."""
    s = TinyStore(tmp_path / "data", chunk_size=2)
    for i in range(6):
        add(s, data={"v": f"old{i}"})
    past = time.time() - 60
    for p in chunk_files(tmp_path, "order_form"):
        os.utime(p, (past, past))
    assert s.query("order_form", Query(text="old1"))[1] == 1
    assert s.get("order_form", 2)["data"] == {"v": "old1"}
    s.revise("order_form", 2, {"v": "new1"}, version=1, definition=DEF, updated="2026-11-28")
    assert s.query("order_form", Query(text="old1"))[1] == 0
    assert s.query("order_form", Query(text="new1"))[0][0]["id"] == 2
    assert s.get("order_form", 2)["data"] == {"v": "new1"}
    # another store instance (as another process would) writes; this one sees it
    TinyStore(tmp_path / "data").revise("order_form", 1, {"v": "other"}, version=1, definition=DEF, updated="2026-11-28")
    assert s.get("order_form", 1)["data"] == {"v": "other"}


def test_scan_copies_unless_read_only(tmp_path):
    """From cached chunks, scan() yields private copies and scan(copy=False) the cached data itself
    (reports read it without the copy); changing a copy changes nothing stored or cached."""
    s = TinyStore(tmp_path / "data", chunk_size=2)
    for i in range(5):
        add(s, data={"i": i, "items": [{"q": i}]})
    past = time.time() - 60
    for p in chunk_files(tmp_path, "order_form"):
        os.utime(p, (past, past))
    views = [r["data"] for r in s.scan("order_form", copy=False)]
    assert [v["i"] for v in views] == [0, 1, 2, 3, 4]
    assert all(a is b for a, b in zip(views, [r["data"] for r in s.scan("order_form", copy=False)]))
    for r in s.scan("order_form"):
        assert all(r["data"] is not v and r["data"]["items"] is not v["items"] for v in views)
        r["data"]["items"][0]["q"] = -1
    assert [v["items"][0]["q"] for v in views] == [0, 1, 2, 3, 4]
    assert [r["data"]["items"][0]["q"] for r in TinyStore(tmp_path / "data").scan("order_form")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("aged", [False, True])
def test_text_search_finds_escaped_folded_and_foreign_text(tmp_path, aged):
    """Escaped characters, case folding, and a chunk rewritten by another tool (with \\u
    escapes, behind the search index's back: its signature changes, the index catches up)."""
    s = TinyStore(tmp_path / "data", chunk_size=2)
    values = ['说 "你好"\n然后', "Straße 5", "STRASSE 7", "普通", "Ünïcode", 12.5, "x\\y", "末尾"]
    for v in values:
        add(s, data={"note": {"deep": [v]}})
    foreign = chunk_files(tmp_path, "order_form")[3]   # ids 7, 8 rewritten as another tool would
    foreign.write_text(json.dumps(json.loads(foreign.read_bytes()), ensure_ascii=True, indent=1))
    if aged:
        past = time.time() - 60
        for p in chunk_files(tmp_path, "order_form"):
            os.utime(p, (past, past))

    def ids(text):
        return [r["id"] for r in s.query("order_form", Query(text=text))[0]]
    for _ in range(2):   # the second round runs on cached indexes when aged
        assert ids('说 "你好"\n然后') == [1]
        assert ids('"你好"') == [1] and ids("然后") == [1]
        assert ids("strasse") == [3, 2] and ids("STRAßE") == [3, 2]
        assert ids("ünï") == [5] and ids("ÜNÏCODE") == [5]
        assert ids("12.5") == [6]
        assert ids("x\\y") == [7] and ids("末尾") == [8]
        assert ids("deep") == [] and ids("note") == []   # keys are not values
        assert ids("DH-202611-0004") == [4]


def test_ids_not_reused_after_reopening(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=3)
    for _ in range(4):
        add(s)
    s2 = TinyStore(tmp_path / "data", chunk_size=50)   # the form keeps the chunk size it was created with
    r = add(s2)
    assert (r["id"], r["number"]) == (5, number(5))
    assert len(chunk_files(tmp_path, "order_form")) == 2
    assert [x["id"] for x in TinyStore(tmp_path / "data").query("order_form")[0]] == [5, 4, 3, 2, 1]


def test_definitions_are_files(tmp_path):
    s = TinyStore(tmp_path / "data")
    definition = {"title": "订货单", "properties": {"a": {"type": "string"}}}
    s.put_definition("order_form", "ab" * 32, definition)
    s.put_definition("order_form", "ab" * 32, definition)
    path = tmp_path / "data" / "order_form" / "definitions" / f"{'ab' * 32}.json"
    assert json.loads(path.read_text("utf-8")) == definition
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_reading_creates_nothing(tmp_path):
    s = TinyStore(tmp_path / "root" / "data")
    assert s.get("order_form", 1) is None
    assert s.history("order_form", 1) == []
    assert s.query("order_form") == ([], 0)
    assert s.get_definition("order_form", "ab") is None
    with pytest.raises(KeyError):
        s.revise("order_form", 1, {}, version=1, definition=DEF, updated="2026-11-28")
    assert not (tmp_path / "root").exists()


# --- several processes ----------------------------------------------------------------------


# --- damaged files ---------------------------------------------------------------------------


def test_truncated_chunk_refuses_writes_and_is_kept(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=5)
    for _ in range(12):
        add(s)
    bad = tmp_path / "data" / "order_form" / "records-000003.json"
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    before = bad.read_bytes()
    with pytest.raises(StorageError) as e:
        add(s)
    assert str(e.value) == "数据文件 data/order_form/records-000003.json 已损坏（不是有效的 JSON），无法写入；请从备份恢复。"
    with pytest.raises(StorageError, match="records-000003.json"):
        TinyStore(tmp_path / "data").add("order_form", {}, version=1, definition=DEF, created="2026-11-27")
    with pytest.raises(StorageError, match="records-000003.json 已损坏.*无法写入"):
        s.revise("order_form", 11, {}, version=1, definition=DEF, updated="2026-11-28")
    with pytest.raises(StorageError, match="records-000003.json 已损坏.*无法读取"):
        s.get("order_form", 12)
    with pytest.raises(StorageError, match="records-000003.json"):
        s.query("order_form")
    assert bad.read_bytes() == before
    assert not list(bad.parent.glob(".*.tmp"))
    # the other chunks and other forms still work
    assert s.get("order_form", 10)["number"] == number(10)
    s.revise("order_form", 1, {"x": 1}, version=1, definition=DEF, updated="2026-11-28")
    assert add(s, form="other")["id"] == 1
    assert bad.read_bytes() == before


@pytest.mark.parametrize("damage", [b"", b"not json", b'{"records": [1, 2]}', b'{"records": {"1": {"revisions": []}}}',
                                    b"\xff\xfe{}"])
def test_damaged_old_chunk(tmp_path, damage):
    s = TinyStore(tmp_path / "data", chunk_size=5)
    for _ in range(7):
        add(s)
    bad = chunk_files(tmp_path, "order_form")[0]
    bad.write_bytes(damage)
    with pytest.raises(StorageError, match="数据文件 data/order_form/records-000001.json 已损坏"):
        s.revise("order_form", 2, {}, version=1, definition=DEF, updated="2026-11-28")
    with pytest.raises(StorageError, match="records-000001.json"):
        s.history("order_form", 2)
    assert bad.read_bytes() == damage
    assert add(s)["id"] == 8   # new records go to the newest chunk


def test_damaged_definition_is_reported(tmp_path):
    s = TinyStore(tmp_path / "data")
    s.put_definition("order_form", "abc", {"a": 1})
    path = tmp_path / "data" / "order_form" / "definitions" / "abc.json"
    path.write_bytes(b'{"a": ')
    with pytest.raises(StorageError, match="definitions/abc.json 已损坏"):
        s.get_definition("order_form", "abc")
    with pytest.raises(StorageError, match="definitions/abc.json 已损坏"):
        s.put_definition("order_form", "abc", {"a": 1})
    assert path.read_bytes() == b'{"a": '


# --- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", ["../x", "..", "a/b", "", "Order", "/tmp/x", "a.b", "x\x00", "订单", 7])
def test_form_ids_cannot_escape_root(tmp_path, form_id):
    root = tmp_path / "root"
    s = TinyStore(root)
    for call in (lambda: add(s, form=form_id), lambda: s.get(form_id, 1), lambda: s.query(form_id),
                 lambda: s.put_definition(form_id, "ab", {}), lambda: s.get_definition(form_id, "ab"),
                 lambda: s.revise(form_id, 1, {}, version=1, definition=DEF, updated="x")):
        with pytest.raises((ValueError, StorageError)):
            call()
    assert list(tmp_path.iterdir()) == []   # refused before anything is created


def test_digests_and_symlinks_cannot_escape_root(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    s = TinyStore(root)
    for digest in ("../../x", "a/b", "", ".."):
        with pytest.raises(ValueError):
            s.put_definition("order_form", digest, {})
        with pytest.raises(ValueError):
            s.get_definition("order_form", digest)
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, root / "evil")
    with pytest.raises(StorageError):
        add(s, form="evil")
    with pytest.raises(StorageError):
        s.get("evil", 1)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "root"]


def test_a_log_line_cut_short_by_a_crash_is_dropped(tmp_path):
    s = TinyStore(tmp_path / "data")
    for i in range(3):
        s.append("audit", lambda last, i=i: {"i": i})
    path = next((tmp_path / "data" / "_logs" / "audit").glob("*.jsonl"))
    with open(path, "ab") as f:
        f.write(b'{"i": 99, "seq"')   # the process died in the middle of this write
    assert [e["seq"] for e in s.entries("audit")] == [1, 2, 3]
    assert s.append("audit", lambda last: {"after": last["seq"]}) == {"after": 3, "seq": 4}
    assert path.read_bytes().count(b"\n") == 4 and b'"i": 99' not in path.read_bytes()


def test_log_files_roll_over(tmp_path, monkeypatch):
    from store import filedocs
    monkeypatch.setattr(filedocs, "LOG_FILE_LINES", 3)
    s = TinyStore(tmp_path / "data")
    for i in range(8):
        s.append("audit", lambda last: {})
    assert [p.name for p in sorted((tmp_path / "data" / "_logs" / "audit").glob("*.jsonl"))] == \
        ["000000000001.jsonl", "000000000004.jsonl", "000000000007.jsonl"]
    assert [e["seq"] for e in s.entries("audit", after=4)] == [5, 6, 7, 8]
