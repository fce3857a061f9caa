"""TinyStore: behaviour, several processes, crashes, damaged files, paths."""
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

from server.store import StorageError
from server import tinystore
from server.tinystore import TinyStore

WRITER = Path(__file__).resolve().parent / "store_writer.py"
DEF = "d" * 64


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


def test_ids_and_numbers_per_period(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=3)
    recs = [add(s) for _ in range(7)]
    assert [r["id"] for r in recs] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["number"] for r in recs] == [number(i) for i in range(1, 8)]
    assert recs[0] == {"id": 1, "number": number(1), "revision": 1, "created": "2026-11-27T10:00:00",
                       "updated": "2026-11-27T10:00:00", "version": 1, "definition": DEF,
                       "data": {"customer": "华联超市"}}
    # a new period restarts at 1; ids go on
    dec = [add(s, period="2026-12", created="2026-12-01T08:00:00") for _ in range(2)]
    assert [(r["id"], r["number"]) for r in dec] == [(8, number(1)), (9, number(2))]
    # a record without a number consumes no sequence
    plain = add(s, numbered=False)
    assert plain["id"] == 10 and plain["number"] is None
    assert add(s)["number"] == number(8)
    # period None is the "never" period ''
    assert s.add("order_form", {}, version=1, definition=DEF, created="2026-11-27T10:00:00",
                 make_number=number)["number"] == number(1)
    assert len(chunk_files(tmp_path, "order_form")) == 4   # ids 1..12 in chunks of 3
    assert s.get("order_form", 12)["number"] == number(1)


def test_make_number_failure_stores_nothing(tmp_path):
    s = TinyStore(tmp_path / "data")
    add(s)

    def boom(seq):
        raise RuntimeError("no")
    with pytest.raises(RuntimeError):
        s.add("order_form", {}, version=1, definition=DEF, created="2026-11-27", period="2026-11", make_number=boom)
    assert add(s)["id"] == 2 and s.get("order_form", 2)["number"] == number(2)


def test_revise_history_and_get_revision(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=2)
    for _ in range(5):
        add(s)
    r2 = s.revise("order_form", 2, {"customer": "东方商贸"}, version=2, definition="e" * 64,
                  updated="2026-11-28T09:00:00")
    assert (r2["id"], r2["number"], r2["revision"], r2["version"]) == (2, number(2), 2, 2)
    assert r2["created"] == "2026-11-27T10:00:00" and r2["updated"] == "2026-11-28T09:00:00"
    s.revise("order_form", 2, {"customer": "第三版"}, version=2, definition="e" * 64, updated="2026-11-29T09:00:00")
    hist = s.history("order_form", 2)
    assert [h["revision"] for h in hist] == [1, 2, 3]
    assert [h["data"]["customer"] for h in hist] == ["华联超市", "东方商贸", "第三版"]
    assert s.get("order_form", 2)["data"] == {"customer": "第三版"}
    assert s.get("order_form", 2, revision=1)["data"] == {"customer": "华联超市"}
    assert s.get("order_form", 2, revision=4) is None
    assert s.get("order_form", 2, revision=0) is None
    assert s.get("order_form", 6) is None and s.get("order_form", 0) is None and s.history("order_form", 99) == []
    with pytest.raises(KeyError):
        s.revise("order_form", 99, {}, version=1, definition=DEF, updated="2026-11-29")
    # revising rewrote only chunk 1; the newest chunk (with the counters) is untouched
    assert add(s)["id"] == 6
    # callers cannot change stored data through returned dicts
    got = s.get("order_form", 2)
    got["data"]["customer"] = "改了"
    assert s.get("order_form", 2)["data"]["customer"] == "第三版"


def test_query_filters_paging_order(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=4)
    days = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"] * 3
    for i, day in enumerate(days, 1):
        add(s, data={"customer": f"客户{i}", "items": [{"name": "Widget" if i % 5 == 0 else "螺丝", "qty": i * 10}]},
            created=f"{day}T09:30:00")
    page, total = s.query("order_form")
    assert total == 15 and [r["id"] for r in page] == list(range(15, 0, -1))
    page, total = s.query("order_form", offset=3, limit=5)
    assert total == 15 and [r["id"] for r in page] == [12, 11, 10, 9, 8]
    assert s.query("order_form", offset=14, limit=5)[0][0]["id"] == 1
    assert s.query("order_form", offset=20) == ([], 15)
    page, total = s.query("order_form", date_from="2026-11-02", date_to="2026-11-03")
    assert total == 6 and [r["id"] for r in page] == [13, 12, 8, 7, 3, 2]
    page, total = s.query("order_form", date_from="2026-11-05")
    assert [r["id"] for r in page] == [15, 10, 5]
    assert s.query("order_form", date_to="2026-11-01")[1] == 3
    # text: nested values, case-insensitive, numbers and the 编号
    assert [r["id"] for r in s.query("order_form", text="widget")[0]] == [15, 10, 5]
    assert [r["id"] for r in s.query("order_form", text="客户1")[0]] == [15, 14, 13, 12, 11, 10, 1]
    assert [r["id"] for r in s.query("order_form", text="150")[0]] == [15]
    assert [r["id"] for r in s.query("order_form", text="dh-202611-0007")[0]] == [7]
    page, total = s.query("order_form", text="螺丝", date_from="2026-11-04", offset=1, limit=2)
    assert total == 3 and [r["id"] for r in page] == [9, 4]
    # latest revision only
    s.revise("order_form", 3, {"customer": "Widget 改"}, version=2, definition=DEF, updated="2026-11-06")
    page, _ = s.query("order_form", text="WIDGET")
    assert [r["id"] for r in page] == [15, 10, 5, 3] and page[-1]["revision"] == 2
    assert s.query("nobody") == ([], 0)


def test_query_cache_sees_new_revisions(tmp_path):
    """Chunks older than a few seconds are cached; a rewrite must still be seen."""
    s = TinyStore(tmp_path / "data", chunk_size=2)
    for i in range(6):
        add(s, data={"v": f"old{i}"})
    past = time.time() - 60
    for p in chunk_files(tmp_path, "order_form"):
        os.utime(p, (past, past))
    assert s.query("order_form", text="old1")[1] == 1
    assert s.get("order_form", 2)["data"] == {"v": "old1"}
    s.revise("order_form", 2, {"v": "new1"}, version=1, definition=DEF, updated="2026-11-28")
    assert s.query("order_form", text="old1")[1] == 0
    assert s.query("order_form", text="new1")[0][0]["id"] == 2
    assert s.get("order_form", 2)["data"] == {"v": "new1"}
    # another store instance (as another process would) writes; this one sees it
    TinyStore(tmp_path / "data").revise("order_form", 1, {"v": "other"}, version=1, definition=DEF, updated="2026-11-28")
    assert s.get("order_form", 1)["data"] == {"v": "other"}


@pytest.mark.parametrize("aged", [False, True])
def test_text_search_prefilter_never_hides_matches(tmp_path, aged):
    """Chunks whose file cannot contain the text are skipped before parsing; that must never
    hide a match (escaped characters, case folding, files written with \\u escapes)."""
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
        return [r["id"] for r in s.query("order_form", text=text)[0]]
    for _ in range(2):   # the second round runs on cached indexes when aged
        assert ids('说 "你好"\n然后') == [1]
        assert ids('"你好"') == [1] and ids("然后") == [1]
        assert ids("strasse") == [3, 2] and ids("STRAßE") == [3, 2]
        assert ids("ünï") == [5] and ids("ÜNÏCODE") == [5]
        assert ids("12.5") == [6]
        assert ids("x\\y") == [7] and ids("末尾") == [8]
        assert ids("deep") == [] and ids("note") == []   # keys are not values
        assert ids("DH-202611-0004") == [4]


def test_fold_tables_match_unicode():
    """The prefilter's assumptions about casefold(), against every code point of this Python."""
    changed = [c for c in map(chr, range(0x110000)) if c.casefold() != c]
    produced = {x for c in changed for x in c.casefold()}
    assert not [c for c in set(changed) | produced if tinystore._fold_inert(c)]
    to_ascii = {c for c in changed if ord(c) >= 0x80 and any(ord(x) < 0x80 for x in c.casefold())}
    assert to_ascii == {b.decode() for b in tinystore._FOLDS_TO_ASCII}
    for c in to_ascii:   # the quick test finds each of them
        assert tinystore._folds_to_ascii_in(f"中文{c}，“引号”".encode())
        assert c.encode().startswith(tinystore._FOLD_LEADS + tinystore._FOLD_OTHERS)
    assert not tinystore._folds_to_ascii_in("中文，“引号”—…Ａ".encode())
    assert all(tinystore._fold_inert(c) for c in "东方商贸0123-/.,:;()（），。、")


def test_text_search_agrees_with_brute_force(tmp_path):
    rng = random.Random(7)
    alphabet = list("aAbBsSkK\xdf \u1e9e\u017f\u212a\u0130i\u0131\ufb01\ufb00fF\u03a3\u03c3\u03c2\xdc\xfc中文0123-\"\\\n")
    alphabet += ["ss", "SS", "fi"]   # with ß ẞ ſ, the Kelvin sign, İ ı ﬁ ﬀ, Σ σ ς, Ü ü, quote, backslash, newline
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(60)]
    s = TinyStore(tmp_path / "data", chunk_size=3)
    for v in values:
        add(s, data={"v": v}, numbered=False)
    needles = {v[i:j] for v in values for i, j in [sorted(rng.sample(range(len(v) + 1), 2))] if v[i:j].strip()}
    needles |= {n.upper() for n in list(needles)[:40]} | {"ss", "k", "fi", "i", "σ", "中文", "0"}
    for rnd in range(2):
        if rnd:
            past = time.time() - 60
            for p in chunk_files(tmp_path, "order_form"):
                os.utime(p, (past, past))
        for needle in sorted(needles):
            want = [i for i in range(len(values), 0, -1) if needle.strip().casefold() in values[i - 1].casefold()]
            got = [r["id"] for r in s.query("order_form", text=needle, limit=100)[0]]
            assert got == want, needle


def test_ids_not_reused_after_reopening(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=3)
    for _ in range(4):
        add(s)
    s2 = TinyStore(tmp_path / "data", chunk_size=50)   # the form keeps the chunk size it was created with
    r = add(s2)
    assert (r["id"], r["number"]) == (5, number(5))
    assert len(chunk_files(tmp_path, "order_form")) == 2
    assert [x["id"] for x in TinyStore(tmp_path / "data").query("order_form")[0]] == [5, 4, 3, 2, 1]


def test_definitions_round_trip(tmp_path):
    s = TinyStore(tmp_path / "data")
    definition = {"title": "订货单", "properties": {"a": {"type": "string"}}}
    assert s.get_definition("order_form", "ab" * 32) is None
    s.put_definition("order_form", "ab" * 32, definition)
    s.put_definition("order_form", "ab" * 32, definition)   # idempotent
    assert s.get_definition("order_form", "ab" * 32) == definition
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


def test_threads_share_a_store(tmp_path):
    s = TinyStore(tmp_path / "data", chunk_size=7)
    out: list[dict] = []

    def work():
        for _ in range(25):
            out.append(add(s))
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["id"] for r in out) == list(range(1, 101))
    assert sorted(r["number"] for r in out) == [number(i) for i in range(1, 101)]


# --- several processes ----------------------------------------------------------------------


def test_concurrent_processes(tmp_path):
    n, writers = 100, 4
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(WRITER), str(tmp_path / "data"), "order_form", "--count", str(n),
                               "--chunk-size", "16", "--tag", f"w{k}", "--go", str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(writers)]
    for p in procs:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
    go.touch()   # all start together
    acks = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        acks += [tuple(line.split()) for line in out.splitlines()]
    total = n * writers
    assert len(acks) == total
    assert sorted(int(i) for i, _ in acks) == list(range(1, total + 1))
    assert sorted(int(num.rsplit("-", 1)[1]) for _, num in acks) == list(range(1, total + 1))
    assert_all_valid_json(tmp_path)
    s = TinyStore(tmp_path / "data")
    page, count = s.query("order_form", limit=total)
    assert count == total and len(page) == total
    assert {r["data"]["writer"] for r in page} == {f"w{k}" for k in range(writers)}
    order = [r["data"]["writer"] for r in reversed(page)]
    assert sum(a != b for a, b in zip(order, order[1:])) >= 3   # the writers really interleaved
    for i, num in acks:
        assert s.get("order_form", int(i))["number"] == num


def test_crash_at_random_points(tmp_path):
    """SIGKILL writers 100 times at random moments, two writers at a time (one may die holding
    the lock while the other waits): files stay valid, acknowledged records stay, ids and 编号
    stay gap-free."""
    rng = random.Random(20261127)
    acked: dict[int, str] = {}
    for _ in range(50):
        procs = [subprocess.Popen([sys.executable, str(WRITER), str(tmp_path / "data"), "crash", "--chunk-size", "5"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for p in procs:
            assert p.stdout.readline() == b"ready\n", p.stderr.read().decode()
        start = time.monotonic()
        for p, at in sorted(zip(procs, (rng.uniform(0, 0.06) for _ in procs)), key=lambda x: x[1]):
            time.sleep(max(0.0, start + at - time.monotonic()))
            p.send_signal(signal.SIGKILL)
        for p in procs:
            out, err = p.communicate(timeout=30)
            assert p.returncode == -signal.SIGKILL, err.decode()   # it did not fail on its own
            for line in out.decode().split("\n")[:-1]:   # complete lines only: acknowledged
                i, num = line.split()
                assert int(i) not in acked
                acked[int(i)] = num
    assert_all_valid_json(tmp_path)
    s = TinyStore(tmp_path / "data")
    page, total = s.query("crash", limit=10**6)
    assert total >= len(acked) > 100
    assert sorted(r["id"] for r in page) == list(range(1, total + 1))
    assert sorted(r["number"] for r in page) == [number(i) for i in range(1, total + 1)]
    for i, num in acked.items():
        assert s.get("crash", i)["number"] == num
    after = add(s, form="crash")
    assert (after["id"], after["number"]) == (total + 1, number(total + 1))
    assert not list((tmp_path / "data" / "crash").glob(".*.tmp"))   # stale temps were cleaned up


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
    assert str(e.value) == "数据文件 data/order_form/records-000003.json 已损坏(不是有效的 JSON),无法写入;请从备份恢复。"
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


def test_data_json_cannot_hold_is_refused_before_writing(tmp_path):
    s = TinyStore(tmp_path / "data")
    add(s)
    before = all_files(tmp_path)
    with pytest.raises((TypeError, ValueError)):
        add(s, data={"x": object()})
    with pytest.raises(ValueError):
        add(s, data={"x": float("nan")})
    assert all_files(tmp_path) == before
    assert add(s)["id"] == 2


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
