"""The store contract: one test class for the public `Store` interface, run against every backend.

A backend's test module subclasses `StoreContract` and provides three fixtures:
    location  -- where a fresh, empty store lives for this test (a folder or a URL)
    make      -- make(**options) opens a store at `location` (again: as another process would)
    shared_store -- (class scope) an empty store the class's search tests fill once
Expected values are worked out here from the inputs, never from the store's own helpers.
"""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from store.base import Conflict, Query, StorageError, field_texts, search_text

WRITER = Path(__file__).resolve().parent / "store_writer.py"
DEF = "d" * 64
FORM = "order_form"


def number(seq: int) -> str:
    return f"DH-202611-{seq:04d}"


def add(store, form=FORM, data=None, created="2026-11-27T10:00:00", period="2026-11", numbered=True, **meta):
    return store.add(form, data if data is not None else {"customer": "华联超市"}, version=1, definition=DEF,
                     created=created, period=period, make_number=number if numbered else None, **meta)


def ids(page):
    return [r["id"] for r in page[0]]


def writer(location, form, *args):
    return subprocess.Popen([sys.executable, str(WRITER), str(location), form, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def brute_text(values: dict, needle: str) -> list:
    """Ids (newest first) whose number or any value contains the needle, case-folded."""
    def texts(v):
        if isinstance(v, dict):
            for x in v.values():
                yield from texts(x)
        elif isinstance(v, list):
            for x in v:
                yield from texts(x)
        elif isinstance(v, str):
            yield v
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield str(int(v)) if float(v).is_integer() else repr(v)
    n = needle.strip().casefold()
    return [i for i in sorted(values, reverse=True)
            if any(n in t.casefold() for t in texts(values[i]["data"]))
            or n in (values[i]["number"] or "").casefold()]


SEARCH_NAMES = ["东方商贸有限公司", "东方", "华联超市", "联华", "百货大楼", "Acme Trading", "ACME 公司", "Straße 5",
                "STRASSE", "ﬁne Ünïcode", "说 \"你好\"", "50% 折扣_特价", "a\\b*c"]
SEARCH_WORDS = ["螺丝", "洗衣粉", "广州", "上海", "转账", "现金", "按时交货", "加急", "备注", "x"]


def search_corpus(store, rng: random.Random, n: int = 2000) -> dict:
    """Fill `store` with `n` varied records in bulk (add_many batches of shared metadata), then
    revise some: {id: latest revision as the store returned it}."""
    latest = {}
    while len(latest) < n:
        batch = [{"customer": rng.choice(SEARCH_NAMES), "phone": f"13{rng.randint(10 ** 8, 10 ** 9 - 1)}",
                  "pay": rng.choice(["现金", "转账", "支票"]), "qty": rng.choice([1, 2, 3.0, 2.5, 10]),
                  "urgent": rng.random() < 0.2, "tags": rng.sample(SEARCH_WORDS, rng.randint(0, 3)),
                  "items": [{"name": rng.choice(SEARCH_WORDS), "qty": rng.randint(1, 500)}
                            for _ in range(rng.randint(0, 3))],
                  "note": "".join(rng.choice(SEARCH_WORDS + list("aBß%_ \"")) for _ in range(rng.randint(0, 4)))}
                 for _ in range(min(rng.randint(1, 80), n - len(latest)))]
        people = rng.choice([(None, None), ("u1", "d1"), ("u2", "d1"), ("u3", "d2"), ("u1", "d2")])
        for r in store.add_many(FORM, batch, version=1, definition=DEF, period="2026-11",
                                created=f"2026-{rng.randint(10, 12)}-{rng.randint(1, 28):02d}T10:00:00",
                                make_number=number if rng.random() < 0.8 else None,
                                creator=people[0], department=people[1]):
            latest[r["id"]] = r
    for rid in rng.sample(sorted(latest), n // 30):
        data = dict(latest[rid]["data"], customer=rng.choice(SEARCH_NAMES) + "改", pay="支票")
        latest[rid] = store.revise(FORM, rid, data, version=2, definition=DEF, updated="2026-12-30T09:00:00")
    return latest


def random_search(rng: random.Random, latest: dict) -> Query:
    """A query as people make them: a piece of some record's text (1–8 characters, any case),
    its 编号, a field value, dates, a permission scope, or several at once."""
    some = latest[rng.choice(list(latest))]
    hay = search_text(some["number"], some["data"])
    text = None
    if rng.random() < 0.8:
        i = rng.randrange(len(hay))
        text = rng.choice([hay[i:i + rng.randint(1, 8)], hay[i:i + 2], hay[i:i + 1],
                           rng.choice(SEARCH_NAMES + SEARCH_WORDS)[:rng.randint(1, 5)], "%", "_", '"', "*"])
        text = text.upper() if rng.random() < 0.2 else text
    fields = [(k, v if isinstance(v, str) else rng.choice(v)) for k, v in field_texts(some["data"]).items()
              if isinstance(v, str) or v]
    where = tuple(rng.sample(fields, rng.choice([0, 0, 0, 1, 1, 2])))
    day = lambda: f"2026-{rng.randint(10, 12)}-{rng.randint(1, 28):02d}"   # noqa: E731
    lo, hi = (day() if rng.random() < 0.3 else None), (day() if rng.random() < 0.3 else None)
    creators = frozenset(rng.sample(["u1", "u2", "u3"], rng.randint(0, 2))) if rng.random() < 0.25 else None
    departments = frozenset(rng.sample(["d1", "d2"], rng.randint(0, 1))) if rng.random() < 0.25 else None
    return Query(date_from=lo, date_to=hi, text=text, where=where, creators=creators, departments=departments)


class StoreContract:
    """Subclasses provide the fixtures `location`, `make` and (class scope) `shared_store`."""

    @pytest.fixture(scope="class")
    @classmethod
    def corpus(cls, shared_store):
        return shared_store, search_corpus(shared_store, random.Random(20261202))

    def test_search_equals_a_full_scan(self, corpus):
        """200 random searches: the same records as Query.matches over every latest revision, in
        the same order (newest first), the same totals, on every page asked for."""
        store, latest = corpus
        newest_first = [latest[i] for i in sorted(latest, reverse=True)]
        rng = random.Random(18)
        hits = 0
        for k in range(200):
            q = random_search(rng, latest)
            want = [r["id"] for r in newest_first if q.matches(r)]
            offset, limit = rng.choice([(0, 20), (0, 20), (0, 0), (7, 5), (len(want) - 3, 20), (40, 20)])
            page, total = store.query(FORM, q, offset=max(0, offset), limit=limit)
            assert total == len(want), (k, q)
            assert [(r["id"], r["revision"]) for r in page] == \
                [(i, latest[i]["revision"]) for i in want[max(0, offset):max(0, offset) + limit]], (k, q)
            hits += bool(want)
        assert hits > 120   # most searches find something: the comparison is not between empty lists

    @pytest.fixture
    def store(self, make):
        s = make()
        yield s
        s.close()

    # -- add, numbers, ids ----------------------------------------------------------------
    def test_ids_and_numbers_per_period(self, store):
        recs = [add(store) for _ in range(7)]
        assert [r["id"] for r in recs] == [1, 2, 3, 4, 5, 6, 7]
        assert [r["number"] for r in recs] == [number(i) for i in range(1, 8)]
        assert recs[0] == {"id": 1, "number": number(1), "revision": 1, "created": "2026-11-27T10:00:00",
                           "updated": "2026-11-27T10:00:00", "version": 1, "definition": DEF, "creator": None,
                           "department": None, "by": None, "data": {"customer": "华联超市"}}
        dec = [add(store, period="2026-12", created="2026-12-01T08:00:00") for _ in range(2)]
        assert [(r["id"], r["number"]) for r in dec] == [(8, number(1)), (9, number(2))]
        plain = add(store, numbered=False)
        assert plain["id"] == 10 and plain["number"] is None
        assert add(store)["number"] == number(8)
        assert store.add(FORM, {}, version=1, definition=DEF, created="2026-11-27T10:00:00",
                         make_number=number)["number"] == number(1)   # period None is the period ''
        assert store.get(FORM, 12)["number"] == number(1)
        assert store.counters(FORM) == {"2026-11": 8, "2026-12": 2, "": 1}
        assert add(store, form="other_form")["id"] == 1   # ids and numbers are per form

    def test_creator_department_and_revision_author(self, store):
        r = add(store, creator="zhang", department="上海办事处")
        assert (r["creator"], r["department"], r["by"]) == ("zhang", "上海办事处", None)
        r2 = store.revise(FORM, 1, {"customer": "改"}, version=1, definition=DEF, updated="2026-11-28T09:00:00",
                          by="li")
        assert (r2["creator"], r2["department"], r2["by"]) == ("zhang", "上海办事处", "li")
        assert [h["by"] for h in store.history(FORM, 1)] == [None, "li"]

    def test_make_number_failure_stores_nothing(self, store):
        add(store)

        def boom(seq):
            raise RuntimeError("no")
        with pytest.raises(RuntimeError):
            store.add(FORM, {}, version=1, definition=DEF, created="2026-11-27", period="2026-11", make_number=boom)
        assert add(store)["id"] == 2 and store.get(FORM, 2)["number"] == number(2)
        assert store.query(FORM)[1] == 2

    def test_add_many(self, store):
        recs = store.add_many(FORM, [{"i": i} for i in range(5)], version=1, definition=DEF,
                              created="2026-11-27T10:00:00", period="2026-11", make_number=number)
        assert [(r["id"], r["number"], r["data"]["i"]) for r in recs] == [(i + 1, number(i + 1), i) for i in range(5)]
        assert add(store)["id"] == 6

    def test_ids_not_reused_after_reopening(self, store, make):
        for _ in range(4):
            add(store)
        again = make()
        assert (add(again)["id"], again.get(FORM, 5)["number"]) == (5, number(5))
        assert ids(make().query(FORM)) == [5, 4, 3, 2, 1]

    # -- revisions ------------------------------------------------------------------------
    def test_revise_history_and_get_revision(self, store):
        for _ in range(5):
            add(store)
        r2 = store.revise(FORM, 2, {"customer": "东方商贸"}, version=2, definition="e" * 64,
                          updated="2026-11-28T09:00:00")
        assert (r2["id"], r2["number"], r2["revision"], r2["version"], r2["definition"]) == \
            (2, number(2), 2, 2, "e" * 64)
        assert r2["created"] == "2026-11-27T10:00:00" and r2["updated"] == "2026-11-28T09:00:00"
        store.revise(FORM, 2, {"customer": "第三版"}, version=2, definition="e" * 64, updated="2026-11-29T09:00:00")
        hist = store.history(FORM, 2)
        assert [h["revision"] for h in hist] == [1, 2, 3]
        assert [h["data"]["customer"] for h in hist] == ["华联超市", "东方商贸", "第三版"]
        assert store.get(FORM, 2)["data"] == {"customer": "第三版"}
        assert store.get(FORM, 2, revision=1)["data"] == {"customer": "华联超市"}
        assert store.get(FORM, 2, revision=4) is None and store.get(FORM, 2, revision=0) is None
        assert store.get(FORM, 6) is None and store.get(FORM, 0) is None and store.history(FORM, 99) == []
        with pytest.raises(KeyError):
            store.revise(FORM, 99, {}, version=1, definition=DEF, updated="2026-11-29")
        assert add(store)["id"] == 6
        got = store.get(FORM, 2)
        got["data"]["customer"] = "改了"   # callers cannot change stored data through returned dicts
        assert store.get(FORM, 2)["data"]["customer"] == "第三版"

    # -- queries --------------------------------------------------------------------------
    def test_query_filters_paging_order(self, store):
        days = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"] * 3
        for i, day in enumerate(days, 1):
            add(store, data={"customer": f"客户{i}", "pay": "现金" if i % 3 == 0 else "转账", "tags": ["a", str(i)],
                             "items": [{"name": "Widget" if i % 5 == 0 else "螺丝", "qty": i * 10}]},
                created=f"{day}T09:30:00")
        page, total = store.query(FORM)
        assert total == 15 and [r["id"] for r in page] == list(range(15, 0, -1))
        assert ids(store.query(FORM, offset=3, limit=5)) == [12, 11, 10, 9, 8]
        assert store.query(FORM, offset=14, limit=5)[0][0]["id"] == 1
        assert store.query(FORM, offset=20) == ([], 15)
        assert store.query(FORM, limit=0) == ([], 15)
        q = Query(date_from="2026-11-02", date_to="2026-11-03")
        assert store.query(FORM, q)[1] == 6 and ids(store.query(FORM, q)) == [13, 12, 8, 7, 3, 2]
        assert ids(store.query(FORM, Query(date_from="2026-11-05"))) == [15, 10, 5]
        assert store.query(FORM, Query(date_to="2026-11-01"))[1] == 3
        assert ids(store.query(FORM, Query(text="widget"))) == [15, 10, 5]
        assert ids(store.query(FORM, Query(text="客户1"))) == [15, 14, 13, 12, 11, 10, 1]
        assert ids(store.query(FORM, Query(text="150"))) == [15]
        assert ids(store.query(FORM, Query(text="dh-202611-0007"))) == [7]
        assert ids(store.query(FORM, Query(text="customer"))) == []   # keys are not values
        page, total = store.query(FORM, Query(text="螺丝", date_from="2026-11-04"), offset=1, limit=2)
        assert total == 3 and [r["id"] for r in page] == [9, 4]
        assert ids(store.query(FORM, Query(where=(("pay", "现金"),)))) == [15, 12, 9, 6, 3]
        assert ids(store.query(FORM, Query(where=(("pay", "现金"), ("customer", "客户9"))))) == [9]
        assert ids(store.query(FORM, Query(where=(("tags", "7"),)))) == [7]
        assert ids(store.query(FORM, Query(where=(("items", "螺丝"),)))) == []   # rows are not field values
        assert ids(store.query(FORM, Query(where=(("pay", "现金"),), date_to="2026-11-03", text="客户"))) == [12, 6, 3]
        store.revise(FORM, 3, {"customer": "Widget 改"}, version=2, definition=DEF, updated="2026-11-06")
        page, _ = store.query(FORM, Query(text="WIDGET"))
        assert [r["id"] for r in page] == [15, 10, 5, 3] and page[-1]["revision"] == 2   # latest revision only
        assert 3 not in ids(store.query(FORM, Query(where=(("pay", "现金"),))))
        assert store.query("nobody") == ([], 0)

    def test_where_compares_values_as_text(self, store):
        for v in ("3", 3, 3.0, 2.5, True, None):
            add(store, data={"v": v} if v is not None else {}, numbered=False)
        assert ids(store.query(FORM, Query(where=(("v", "3"),)))) == [3, 2, 1]
        assert ids(store.query(FORM, Query(where=(("v", "2.5"),)))) == [4]
        assert ids(store.query(FORM, Query(where=(("v", "true"),)))) == [5]
        assert ids(store.query(FORM, Query(where=(("v", ""),)))) == []

    def test_scope_by_creator_or_department(self, store):
        people = [("a", "d1"), ("b", "d1"), ("c", "d2"), ("a", "d2"), (None, None)]
        for creator, dept in people:
            add(store, creator=creator, department=dept)
        assert ids(store.query(FORM, Query(creators=frozenset({"a"})))) == [4, 1]
        assert ids(store.query(FORM, Query(departments=frozenset({"d1"})))) == [2, 1]
        assert ids(store.query(FORM, Query(creators=frozenset({"c"}), departments=frozenset({"d1"})))) == [3, 2, 1]
        assert store.query(FORM, Query(creators=frozenset(), departments=frozenset())) == ([], 0)
        assert store.query(FORM, Query(creators=frozenset({"x"})), limit=0) == ([], 0)   # counts are scoped too
        assert [r["id"] for r in store.scan(FORM, Query(departments=frozenset({"d2"})))] == [3, 4]

    def test_text_search_agrees_with_brute_force(self, store):
        rng = random.Random(7)
        alphabet = list("aAbBsSkK\xdf \u1e9e\u017f\u212a\u0130i\u0131\ufb01\ufb00fF\u03a3\u03c3\u03c2\xdc\xfc中文0123-\"\\\n")
        alphabet += ["ss", "SS", "fi", "%", "_"]
        values = {}
        for _ in range(60):
            v = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            r = add(store, data={"v": v, "n": rng.choice([1, 2.5, 30])}, numbered=rng.random() < 0.5)
            values[r["id"]] = r
        texts = [r["data"]["v"] for r in values.values()]
        needles = {v[i:j] for v in texts for i, j in [sorted(rng.sample(range(len(v) + 1), 2))] if v[i:j].strip()}
        needles |= {n.upper() for n in list(needles)[:40]} | {"ss", "k", "fi", "i", "σ", "中文", "0", "%", "_", "2.5"}
        for needle in sorted(needles):
            assert ids(store.query(FORM, Query(text=needle), limit=100)) == brute_text(values, needle), needle

    def test_random_queries_agree_with_a_full_scan(self, store):
        rng = random.Random(11)
        names = ["东方商贸", "东方", "华联超市", "联华", "百货大楼", "Acme", "acme 公司"]
        values = {}
        for i in range(300):
            data = {"customer": rng.choice(names), "phone": f"13{rng.randint(100000000, 999999999)}",
                    "pay": rng.choice(["现金", "转账", "支票"]), "qty": rng.randint(1, 9)}
            r = add(store, data=data, created=f"2026-11-{rng.randint(1, 28):02d}T10:00:00",
                    creator=rng.choice(["u1", "u2", "u3"]), department=rng.choice(["d1", "d2"]))
            values[r["id"]] = r
        for k in range(200):
            text = rng.choice([None, rng.choice(names)[:rng.randint(1, 4)], values[rng.randint(1, 300)]["data"]["phone"][3:8],
                               f"DH-202611-{rng.randint(1, 300):04d}"[-6:]])
            lo = f"2026-11-{rng.randint(1, 28):02d}" if rng.random() < 0.4 else None
            hi = f"2026-11-{rng.randint(1, 28):02d}" if rng.random() < 0.4 else None
            where = tuple(rng.sample([("pay", rng.choice(["现金", "转账"])), ("qty", str(rng.randint(1, 9)))],
                                     rng.randint(0, 2)))
            creators = frozenset(rng.sample(["u1", "u2", "u3"], rng.randint(0, 2))) if rng.random() < 0.3 else None
            q = Query(date_from=lo, date_to=hi, text=text, where=where, creators=creators)
            n = text.casefold() if text else ""
            want = [i for i in sorted(values, reverse=True)
                    if (not lo or values[i]["created"][:10] >= lo) and (not hi or values[i]["created"][:10] <= hi)
                    and all(str(values[i]["data"][f]) == v for f, v in where)
                    and (creators is None or values[i]["creator"] in creators)
                    and (not n or n in values[i]["number"].casefold()
                         or any(n in str(x).casefold() for x in values[i]["data"].values()))]
            offset = rng.choice([0, 0, 5])
            page, total = store.query(FORM, q, offset=offset, limit=20)
            assert (total, [r["id"] for r in page]) == (len(want), want[offset:offset + 20]), (k, q)

    def test_scan_oldest_first(self, store):
        for i in range(23):
            add(store, data={"i": i, "even": "yes" if i % 2 == 0 else "no"})
        assert [r["data"]["i"] for r in store.scan(FORM)] == list(range(23))
        assert [r["id"] for r in store.scan(FORM, Query(where=(("even", "yes"),)), batch=4)] == list(range(1, 24, 2))
        assert list(store.scan("nobody")) == []

    def test_read_only_scan_yields_the_same_records(self, store):
        """scan(copy=False) (reports): the same latest revisions in the same order as scan(); what a
        copying scan yields can be changed without changing what later scans see."""
        for i in range(7):
            add(store, data={"i": i, "items": [{"q": i}], "tags": ["a", "b"]}, creator=f"u{i % 2}")
        store.revise(FORM, 3, {"i": 30, "items": [{"q": 30}], "tags": ["a", "b"]}, version=2, definition="d2", updated="2026-11-28T09:00:00")
        for q in (None, Query(creators=frozenset({"u0"})), Query(where=(("tags", "a"),))):
            assert list(store.scan(FORM, q, copy=False)) == list(store.scan(FORM, q))
        assert [r["data"]["i"] for r in store.scan(FORM, copy=False)] == [0, 1, 30, 3, 4, 5, 6]
        for r in store.scan(FORM):
            r["data"]["items"][0]["q"] = -1
            r["data"]["tags"].append("x")
        assert [r["data"]["items"][0]["q"] for r in store.scan(FORM, copy=False)] == [0, 1, 30, 3, 4, 5, 6]
        assert store.get(FORM, 1)["data"]["tags"] == ["a", "b"]

    def test_numbers_read_back_exactly(self, store, make):
        """Integers beyond 64 bits, long decimals and digit runs in texts come back as stored (the
        embedded store's fast JSON parser would read such an integer as a float)."""
        data = {"big": 2**70 + 1, "neg": -(2**65), "f": 0.1, "x": 2.5e-7, "card": "6222021234567890123"}
        add(store, data=data)
        add(store, data={"plain": 12})
        for s in (store, make()):   # this process's reader and a fresh one
            got = s.get(FORM, 1)["data"]
            assert got == data and isinstance(got["big"], int), got
            assert [r["data"] for r in s.scan(FORM, copy=False)] == [data, {"plain": 12}]

    def test_load_restores_histories_and_counters(self, store, make):
        """Store.load (biaoge store copy): ids, 编号, timestamps, authors and counters as given."""
        source = make()
        for i in range(5):
            add(source, form="src_form", data={"i": i}, creator="zhang", department="d1", numbered=i != 2)
        source.revise("src_form", 4, {"i": "改"}, version=2, definition="e" * 64, updated="2026-11-29T09:00:00", by="li")
        histories = [source.history("src_form", i) for i in range(1, 6)]
        assert store.load(FORM, iter(histories), source.counters("src_form")) == 5
        assert [store.history(FORM, i) for i in range(1, 6)] == histories
        assert store.counters(FORM) == {"2026-11": 4}
        assert ids(store.query(FORM, Query(text="改"))) == [4]
        assert add(store)["id"] == 6 and store.get(FORM, 6)["number"] == number(5)
        with pytest.raises(StorageError):
            store.load(FORM, iter(histories), {})   # the form has records already
        with pytest.raises(StorageError):
            store.load("gap_form", iter([histories[0], histories[2]]), {})   # ids must not skip
        assert store.query("gap_form") == ([], 0)

    def test_document_kinds_and_log_names(self, store):
        assert store.doc_kinds() == [] and store.log_names() == []
        store.put_doc("users", "a", {})
        store.put_doc("tokens", "t", {})
        store.append("audit", lambda last: {})
        assert store.doc_kinds() == ["tokens", "users"] and store.log_names() == ["audit"]
        store.delete_doc("tokens", "t")
        assert store.doc_kinds() == ["users"]

    # -- definitions ----------------------------------------------------------------------
    def test_definitions_round_trip(self, store):
        definition = {"title": "订货单", "properties": {"a": {"type": "string"}}}
        assert store.get_definition(FORM, "ab" * 32) is None
        store.put_definition(FORM, "ab" * 32, definition)
        store.put_definition(FORM, "ab" * 32, definition)   # idempotent
        assert store.get_definition(FORM, "ab" * 32) == definition
        assert store.definitions(FORM) == ["ab" * 32]
        assert store.get_definition("other_form", "ab" * 32) is None
        assert FORM in store.forms()

    def test_reading_an_empty_store(self, store):
        assert store.get(FORM, 1) is None and store.history(FORM, 1) == []
        assert store.query(FORM) == ([], 0) and store.get_definition(FORM, "ab") is None
        assert store.counters(FORM) == {} and store.definitions(FORM) == [] and list(store.scan(FORM)) == []
        with pytest.raises(KeyError):
            store.revise(FORM, 1, {}, version=1, definition=DEF, updated="2026-11-28")

    # -- refused input --------------------------------------------------------------------
    def test_data_json_cannot_hold_is_refused_before_writing(self, store):
        add(store)
        for bad in ({"x": object()}, {"x": float("nan")}, {"x": float("inf")}, {"x": "a\ud800b"}):
            with pytest.raises((TypeError, ValueError)):
                add(store, data=bad)
        assert add(store)["id"] == 2 and store.query(FORM)[1] == 2

    @pytest.mark.parametrize("form_id", ["../x", "..", "a/b", "", "Order", "/tmp/x", "a.b", "x\x00", "订单", 7])
    def test_bad_form_ids_are_refused(self, store, form_id):
        for call in (lambda: add(store, form=form_id), lambda: store.get(form_id, 1), lambda: store.query(form_id),
                     lambda: store.put_definition(form_id, "ab", {}), lambda: store.get_definition(form_id, "ab"),
                     lambda: store.revise(form_id, 1, {}, version=1, definition=DEF, updated="x")):
            with pytest.raises((ValueError, StorageError)):
                call()

    def test_bad_digests_are_refused(self, store):
        for digest in ("../../x", "a/b", "", ".."):
            with pytest.raises(ValueError):
                store.put_definition(FORM, digest, {})
            with pytest.raises(ValueError):
                store.get_definition(FORM, digest)

    # -- concurrency and crashes ----------------------------------------------------------
    def test_threads_share_a_store(self, store):
        out: list[dict] = []

        def work():
            for _ in range(25):
                out.append(add(store))
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r["id"] for r in out) == list(range(1, 101))
        assert sorted(r["number"] for r in out) == [number(i) for i in range(1, 101)]

    def test_concurrent_processes(self, location, make, tmp_path):
        n, writers = 100, 4
        go = tmp_path / "go"
        procs = [writer(location, FORM, "--count", str(n), "--tag", f"w{k}", "--go", str(go)) for k in range(writers)]
        for p in procs:
            assert p.stdout.readline() == b"ready\n", p.stderr.read().decode()
        go.touch()   # all start together
        acks = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
            acks += [tuple(line.split()) for line in out.decode().splitlines()]
        total = n * writers
        assert sorted(int(i) for i, _ in acks) == list(range(1, total + 1))
        assert sorted(int(num.rsplit("-", 1)[1]) for _, num in acks) == list(range(1, total + 1))
        s = make()
        page, count = s.query(FORM, limit=total)
        assert count == total and {r["data"]["writer"] for r in page} == {f"w{k}" for k in range(writers)}
        order = [r["data"]["writer"] for r in reversed(page)]
        assert sum(a != b for a, b in zip(order, order[1:])) >= 3   # the writers really interleaved
        for i, num in acks:
            assert s.get(FORM, int(i))["number"] == num

    def test_crash_at_random_points(self, location, make):
        """SIGKILL writers 60 times at random moments, two at a time (one may die mid-write while the
        other waits): acknowledged records stay, ids and 编号 stay gap-free, the store stays usable."""
        rng = random.Random(20261127)
        acked: dict[int, str] = {}
        for _ in range(30):
            procs = [writer(location, "crash") for _ in range(2)]
            for p in procs:
                assert p.stdout.readline() == b"ready\n", p.stderr.read().decode()
            start = time.monotonic()
            for p, at in sorted(zip(procs, (rng.uniform(0, 0.06) for _ in procs)), key=lambda x: x[1]):
                time.sleep(max(0.0, start + at - time.monotonic()))
                p.send_signal(signal.SIGKILL)
            for p in procs:
                out, err = p.communicate(timeout=30)
                assert p.returncode == -signal.SIGKILL, err.decode()
                for line in out.decode().split("\n")[:-1]:   # complete lines only: acknowledged
                    i, num = line.split()
                    assert int(i) not in acked
                    acked[int(i)] = num
        s = make()
        page, total = s.query("crash", limit=10**6)
        assert total >= len(acked) > 50
        assert sorted(r["id"] for r in page) == list(range(1, total + 1))
        assert sorted(r["number"] for r in page) == [number(i) for i in range(1, total + 1)]
        for i, num in acked.items():
            assert s.get("crash", i)["number"] == num
        after = add(s, form="crash")
        assert (after["id"], after["number"]) == (total + 1, number(total + 1))


    # -- documents ------------------------------------------------------------------------
    def test_documents_versions_and_conflicts(self, store, make):
        assert store.get_doc("users", "zhang") is None and store.docs("users") == []
        assert store.put_doc("users", "zhang", {"name": "张三", "roles": ["业务员"]}) == 1
        assert store.put_doc("users", "zhang", {"name": "张三", "roles": ["主管"]}, expect=1) == 2
        with pytest.raises(Conflict):
            store.put_doc("users", "zhang", {"name": "旧"}, expect=1)
        with pytest.raises(Conflict):
            store.put_doc("users", "zhang", {"name": "新"}, expect=0)   # 0: must not exist yet
        assert store.put_doc("users", "li", {"name": "李四"}, expect=0) == 1
        assert store.get_doc("users", "zhang") == ({"name": "张三", "roles": ["主管"]}, 2)
        assert [k for k, _, _ in store.docs("users")] == ["li", "zhang"]
        assert [k for k, _, _ in store.docs("users", prefix="zh")] == ["zhang"]
        assert store.docs("tokens") == [] and store.get_doc("tokens", "zhang") is None   # kinds are apart
        doc, _ = make().get_doc("users", "li")
        doc["name"] = "改了"   # returned documents are copies
        assert store.get_doc("users", "li")[0]["name"] == "李四"
        assert store.delete_doc("users", "li") and not store.delete_doc("users", "li")
        assert store.get_doc("users", "li") is None
        for key in ("中文键", "a/b", "../x", "k" * 200):   # keys are data, never paths
            store.put_doc("users", key, {"k": key})
            assert store.get_doc("users", key)[0] == {"k": key}
        for bad in ("", "k" * 201):
            with pytest.raises(ValueError):
                store.put_doc("users", bad, {})
        for bad in ("Users", "../x", "", "a b"):
            with pytest.raises(ValueError):
                store.get_doc(bad, "k")
        with pytest.raises((TypeError, ValueError)):
            store.put_doc("users", "x", {"v": float("nan")})

    def test_update_doc_is_atomic_across_threads_and_processes(self, store, location, tmp_path):
        def bump(doc):
            doc = doc or {"n": 0}
            return {"n": doc["n"] + 1}
        threads = [threading.Thread(target=lambda: [store.update_doc("counters", "c", bump) for _ in range(25)])
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        procs = [writer(location, FORM, "--docs", "25") for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
        assert store.get_doc("counters", "c")[0] == {"n": 150}
        assert store.update_doc("counters", "c", lambda d: None) is None and store.get_doc("counters", "c") is None

        def refuse(doc):
            raise RuntimeError("no")
        store.put_doc("counters", "d", {"n": 1})
        with pytest.raises(RuntimeError):
            store.update_doc("counters", "d", refuse)
        assert store.get_doc("counters", "d") == ({"n": 1}, 1)

    # -- logs -----------------------------------------------------------------------------
    def test_log_appends_in_order_with_the_previous_entry(self, store):
        assert store.entries("audit") == []
        seen = []
        for i in range(5):
            e = store.append("audit", lambda last: seen.append(last) or {"i": i, "prev": last["seq"] if last else 0})
            assert e == {"i": i, "prev": i, "seq": i + 1}
        assert seen[0] is None and [s["seq"] for s in seen[1:]] == [1, 2, 3, 4]
        assert [e["seq"] for e in store.entries("audit")] == [1, 2, 3, 4, 5]
        assert [e["seq"] for e in store.entries("audit", after=3)] == [4, 5]
        assert [e["seq"] for e in store.entries("audit", after=1, limit=2)] == [2, 3]
        assert store.entries("other") == []

    def test_log_appends_from_threads_get_one_seq_each(self, store):
        threads = [threading.Thread(target=lambda k=k: [store.append("audit", lambda last: {"k": k})
                                                        for _ in range(25)]) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = store.entries("audit", limit=1000)
        assert [e["seq"] for e in got] == list(range(1, 101))
        assert sorted(e["k"] for e in got) == sorted([0, 1, 2, 3] * 25)
