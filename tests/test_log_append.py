"""Appending to the embedded store's logs reads only the tail of the newest file."""
from pathlib import Path

from store import filedocs
from store.tinystore import TinyStore


def _log_dir(tmp_path) -> Path:
    return tmp_path / "data" / "_logs" / "audit"


def test_append_does_not_parse_the_whole_file(tmp_path, monkeypatch):
    s = TinyStore(tmp_path / "data")
    for i in range(300):
        s.append("audit", lambda last, i=i: {"i": i, "pad": "x" * 500})
    parsed = []
    real = filedocs.json.loads
    monkeypatch.setattr(filedocs.json, "loads", lambda b, *a, **k: parsed.append(1) or real(b, *a, **k))
    entry = s.append("audit", lambda last: {"prev": last["i"]})
    assert entry == {"prev": 299, "seq": 301}
    assert len(parsed) <= 2, f"append parsed {len(parsed)} lines"


def test_an_empty_newest_file_left_by_a_crash_does_not_restart_the_numbering(tmp_path, monkeypatch):
    monkeypatch.setattr(filedocs, "LOG_FILE_LINES", 3)
    s = TinyStore(tmp_path / "data")
    for _ in range(3):
        s.append("audit", lambda last: {})
    (_log_dir(tmp_path) / "000000000004.jsonl").write_bytes(b"")   # created, then the process died
    assert s.append("audit", lambda last: {"after": last["seq"]}) == {"after": 3, "seq": 4}
    assert [e["seq"] for e in s.entries("audit")] == [1, 2, 3, 4]


def test_long_lines_spanning_the_read_chunk(tmp_path):
    s = TinyStore(tmp_path / "data")
    for i in range(3):
        s.append("audit", lambda last, i=i: {"i": i, "pad": "长" * 40_000})   # 120 KB a line
    assert s.append("audit", lambda last: {"prev": last["i"]})["prev"] == 2
    assert [e["seq"] for e in s.entries("audit")] == [1, 2, 3, 4]
