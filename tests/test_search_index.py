"""The embedded store's search index (store/search.py): derived, caught up after a crash between
a record write and its index write, rebuilt by `biaoge store reindex`."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import main
from store import Query, open_store

from .store_contract import FORM, add, ids

ROOT = Path(__file__).resolve().parent.parent
# A child process that writes one record change and dies (os._exit) between the record write and
# the index write, through the store's own hook (BIAOGE_CRASH_AT=before-index).
CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from store import open_store
s = open_store(sys.argv[2])
if sys.argv[3] == "add":
    s.add("order_form", {"customer": "崩溃前新增", "pay": "支票"}, version=1, definition="d" * 64,
          created="2026-11-29T08:00:00", make_number=lambda n: f"DH-202611-{n:04d}", period="2026-11")
else:
    s.revise("order_form", 2, {"customer": "崩溃前修改", "pay": "支票"}, version=1, definition="d" * 64,
             updated="2026-11-29T08:00:00")
print("index written")   # never reached
"""


def crash(location: Path, what: str) -> None:
    env = {**os.environ, "BIAOGE_CRASH_AT": "before-index"}
    p = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(location), what], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 75 and "index written" not in p.stdout, p.stderr


def indexed_texts(location: Path) -> dict[int, str]:
    with sqlite3.connect(location / FORM / "search.sqlite") as db:
        return dict(db.execute("SELECT id, hay FROM hays"))


def test_a_crash_between_record_and_index_write_is_caught_up(tmp_path):
    location = tmp_path / "data"
    s = open_store(str(location))
    for name in ("华联超市", "东方商贸", "百货大楼"):
        add(s, data={"customer": name, "pay": "现金"})
    s.close()
    crash(location, "revise")
    crash(location, "add")
    # both changes reached the record files, neither the index
    fresh = open_store(str(location))
    assert fresh.get(FORM, 2)["data"]["customer"] == "崩溃前修改" and fresh.get(FORM, 4) is not None
    assert set(indexed_texts(location)) == {1, 2, 3} and "东方商贸" in indexed_texts(location)[2]
    # the next open's first search catches up
    assert ids(fresh.query(FORM, Query(text="崩溃前"))) == [4, 2]
    assert ids(fresh.query(FORM, Query(text="东方商贸"))) == []
    assert ids(fresh.query(FORM, Query(where=(("pay", "支票"),), date_from="2026-11-27"))) == [4, 2]
    assert "崩溃前修改" in indexed_texts(location)[2] and "崩溃前新增" in indexed_texts(location)[4]
    fresh.close()


def test_an_index_lost_or_from_other_records_is_rebuilt(tmp_path):
    location = tmp_path / "data"
    s = open_store(str(location), chunk_size=2)
    for i in range(5):
        add(s, data={"customer": f"客户{i}"})
    assert ids(s.query(FORM, Query(text="客户"))) == [5, 4, 3, 2, 1]
    s.close()
    for f in (location / FORM).glob("search.sqlite*"):
        f.unlink()
    assert ids(open_store(str(location)).query(FORM, Query(text="客户3"))) == [4]
    # the index of a folder restored from a backup with fewer chunks: it indexes a chunk that is gone
    (location / FORM / "records-000003.json").unlink()
    assert ids(open_store(str(location)).query(FORM, Query(text="客户"))) == [4, 3, 2, 1]


def test_reindex_rebuilds_from_the_records(tmp_path):
    location = tmp_path / "data"
    s = open_store(str(location))
    for name in ("华联超市", "东方商贸"):
        add(s, data={"customer": name})
    add(s, form="other_form", data={"customer": "别的表单"})
    s.close()
    with sqlite3.connect(location / FORM / "search.sqlite") as db:   # damage the derived data behind its back
        db.execute("UPDATE rec SET day = '1999-01-01'")
        db.execute("INSERT INTO tri(tri) VALUES ('delete-all')")
    assert ids(open_store(str(location)).query(FORM, Query(text="东方"))) == [2]   # grams are intact …
    assert ids(open_store(str(location)).query(FORM, Query(text="东方商贸"))) == []   # … trigrams are not
    result = CliRunner().invoke(main, ["store", "reindex", str(location)])
    assert result.exit_code == 0, result.output
    assert "order_form：2 条记录" in result.output and "other_form：1 条记录" in result.output
    s = open_store(str(location))
    assert ids(s.query(FORM, Query(text="东方商贸"))) == [2]
    assert ids(s.query(FORM, Query(date_from="2026-11-27"))) == [2, 1]
