"""The PostgreSQL store (PgStore): the store contract, and what is its own: schema migrations,
gap-free 编号 under concurrent processes and rolled-back transactions, the copy round trip."""
from __future__ import annotations

import hashlib
import random
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cli import main
from services.store_copy import digest_store
from store import Query, StorageError, open_store, pgschema
from store.postgres import PgStore

from .pg_helpers import database, url_for
from .store_contract import DEF, FORM, StoreContract, add, ids, number, writer


class TestPgStoreContract(StoreContract):
    @pytest.fixture
    def location(self):
        with database() as url:
            yield url

    @pytest.fixture
    def make(self, location):
        opened = []

        def make(**options):
            opened.append(open_store(location, **{"pool_size": 4, **options}))
            return opened[-1]
        yield make
        for s in opened:
            s.close()

    @pytest.fixture(scope="class")
    @classmethod
    def shared_store(cls):
        with database() as url:
            s = open_store(url, pool_size=2)
            yield s
            s.close()


# --- schema migrations ----------------------------------------------------------------------


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("previous", range(pgschema.LATEST))
def test_upgrade_from_each_previous_version_keeps_data(previous):
    assert pgschema.LATEST >= 2   # so this really upgrades something
    with database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            assert pgschema.upgrade(conn, upto=previous) == (0, previous)
        if previous:   # a store of that version holds data
            old = PgStore(url, upgrade=False, pool_size=2)
            assert old.schema_version() == previous
            for i in range(5):
                add(old, data={"customer": f"客户{i}", "pay": "现金"}, creator="zhang", department="d1")
            old.revise(FORM, 2, {"customer": "改"}, version=2, definition=DEF, updated="2026-11-28T09:00:00", by="li")
            old.put_definition(FORM, "ab" * 32, {"title": "订货单"})
            old.put_doc("users", "zhang", {"name": "张三"})
            old.append("audit", lambda last: {"what": "add"})
            old.close()
        r = CliRunner().invoke(main, ["store", "upgrade", url])
        assert r.exit_code == 0, r.output
        assert f"从版本 {previous} 升级到 {pgschema.LATEST}" in r.output
        again = CliRunner().invoke(main, ["store", "upgrade", url])
        assert again.exit_code == 0 and "已是最新版本" in again.output
        s = PgStore(url, pool_size=2)
        try:
            assert s.schema_version() == pgschema.LATEST
            with psycopg.connect(url) as conn:
                cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns"
                                                   " WHERE table_name = 'records'")}
                indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records'")}
            assert "status" in cols and {"records_creator", "records_department", "records_search"} <= indexes
            if previous:
                assert s.query(FORM)[1] == 5 and [h["by"] for h in s.history(FORM, 2)] == [None, "li"]
                assert ids(s.query(FORM, Query(text="客户3", creators=frozenset({"zhang"})))) == [4]
                assert s.get_definition(FORM, "ab" * 32) == {"title": "订货单"}
                assert s.get_doc("users", "zhang") == ({"name": "张三"}, 1)
                assert s.entries("audit") == [{"what": "add", "seq": 1}]
                assert add(s)["number"] == number(6)
        finally:
            s.close()


def test_a_newer_schema_is_refused():
    with database() as url:
        PgStore(url, pool_size=1).close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, 'future')", (pgschema.LATEST + 1,))
        with pytest.raises(StorageError, match="比本程序支持的 .* 新"):
            PgStore(url, pool_size=1)


def test_unreachable_server_or_database_is_a_clear_error():
    with pytest.raises(StorageError, match="无法连接数据库 127.0.0.1:1/nothing：.*请检查地址"):
        open_store("postgresql://127.0.0.1:1/nothing", timeout=1)
    with pytest.raises(StorageError, match='无法连接数据库 .*/biaoge_no_such_db：.*biaoge_no_such_db'):
        open_store(url_for("biaoge_no_such_db"))


# --- counters -------------------------------------------------------------------------------


def test_counters_gap_free_across_processes_periods_and_rollbacks(tmp_path):
    """Writer processes on two periods add at once while threads here add with a make_number
    that fails every third time (its transaction, counter bumps included, rolls back)."""
    with database() as url:
        s = PgStore(url, pool_size=4)
        try:
            go = tmp_path / "go"
            procs = [writer(url, FORM, "--count", "60", "--period", period, "--go", str(go))
                     for period in ("2026-11", "2026-12", "2026-11", "2026-12")]
            for p in procs:
                assert p.stdout.readline() == b"ready\n", p.stderr.read().decode()
            failed, done = [], []

            def work(k):
                for i in range(30):
                    def make(seq, i=i):
                        if i % 3 == 0:
                            raise RuntimeError("refused")
                        return f"X-{seq:04d}"
                    try:
                        done.append(s.add(FORM, {"k": k}, version=1, definition=DEF, created="2026-11-27",
                                          period="x", make_number=make))
                    except RuntimeError:
                        failed.append(k)
            threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
            go.touch()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for p in procs:
                out, err = p.communicate(timeout=120)
                assert p.returncode == 0, err.decode()
            assert len(failed) == 30 and len(done) == 60
            total = 4 * 60 + 60
            page, count = s.query(FORM, limit=total)
            assert count == total and sorted(r["id"] for r in page) == list(range(1, total + 1))
            assert s.counters(FORM) == {"2026-11": 120, "2026-12": 120, "x": 60}
            assert sorted(r["number"] for r in page if r["number"].startswith("X-")) == \
                [f"X-{i:04d}" for i in range(1, 61)]
            assert sorted(r["number"] for r in page if not r["number"].startswith("X-")) == \
                sorted([number(i) for i in range(1, 121)] * 2)
        finally:
            s.close()


# --- copy -----------------------------------------------------------------------------------


def test_copy_folder_to_postgres_and_back_gives_identical_hashes(tmp_path):
    src = tmp_path / "data"
    s = open_store(str(src))
    rng = random.Random(5)
    for batch in range(10):
        s.add_many(FORM, [{"customer": f"客户{batch}-{i}", "qty": rng.randint(1, 9), "price": 12.5,
                           "items": [{"name": "螺丝", "n": i}], "tags": ["a", str(i)]} for i in range(1000)],
                   version=1, definition=DEF, created=f"2026-11-{batch + 1:02d}T10:00:00", period="2026-11",
                   make_number=number, creator=f"u{batch % 3}", department="华东")
    s.add_many("other_form", [{"v": i} for i in range(7)], version=1, definition=DEF, created="2026-12-01T08:00:00")
    for rid in (3, 500, 9999):
        s.revise(FORM, rid, {"customer": "改过"}, version=2, definition="e" * 64, updated="2026-12-02T09:00:00",
                 by="li")
    s.put_definition(FORM, DEF, {"title": "订货单", "properties": {"b": {}, "a": {}}})
    s.put_doc("users", "zhang", {"name": "张三"})
    for i in range(3):
        s.append("audit", lambda last, i=i: {"i": i})
    before = _tree(src)
    back = tmp_path / "back"
    with database() as url:
        r = CliRunner().invoke(main, ["store", "copy", str(src), url])
        assert r.exit_code == 0, r.output
        lines = [line for line in r.output.splitlines() if "哈希" in line]
        assert len(lines) == 2 and "order_form：10000 条记录，10003 个修订" in r.output
        again = CliRunner().invoke(main, ["store", "copy", str(src), url])
        assert again.exit_code != 0 and "目标存储不是空的" in again.output
        r2 = CliRunner().invoke(main, ["store", "copy", url, str(back)])
        assert r2.exit_code == 0, r2.output
        assert [line for line in r2.output.splitlines() if "哈希" in line] == lines
        pg = PgStore(url, pool_size=2)
        try:
            assert pg.get(FORM, 500)["by"] == "li" and pg.history(FORM, 500)[0]["data"]["customer"] == "客户0-499"
            assert pg.get_definition(FORM, DEF) == {"title": "订货单", "properties": {"b": {}, "a": {}}}
            assert list(pg.get_definition(FORM, DEF)["properties"]) == ["b", "a"]   # field order kept
        finally:
            pg.close()
    assert _tree(src) == before   # the source was only read
    copy = open_store(str(back))
    assert digest_store(copy) == digest_store(open_store(str(src)))
    assert add(copy)["id"] == 10001 and copy.get(FORM, 10001)["number"] == number(10001)


def test_reindex_recomputes_search_and_field_texts():
    with database() as url:
        s = open_store(url, pool_size=2)
        try:
            add(s, data={"customer": "东方商贸", "pay": "现金"})
            add(s, data={"customer": "华联超市", "pay": "转账"})
            with psycopg.connect(url, autocommit=True) as conn:   # derived columns damaged behind the store's back
                conn.execute("UPDATE records SET search = '', fields = '{}'")
            assert ids(s.query(FORM, Query(text="东方"))) == [] and ids(s.query(FORM, Query(where=(("pay", "转账"),)))) == []
            assert s.reindex() == {FORM: 2}
            assert ids(s.query(FORM, Query(text="东方"))) == [1]
            assert ids(s.query(FORM, Query(where=(("pay", "转账"),)))) == [2]
        finally:
            s.close()
