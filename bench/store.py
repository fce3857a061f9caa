"""Insert latency of the embedded store (TinyStore) as the number of stored submissions grows.

    .venv/bin/python bench/store.py [--repeat 200] [--root DIR] [--chunk-size 200]

Fills one form with realistic order_form submissions (about 1.6 KB each) in bulk through the
store's own chunk-writing code (`TinyStore.add_many`, one atomic write per chunk), then times
--repeat real add() calls at 1k, 10k and 100k stored submissions (each with its fsyncs and the
inter-process lock) and reports the medians; then the time of query() pages at 100k. Ends with
one line of name=value figures.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.catalog import load_catalog  # noqa: E402
from forms.numbering import format_number  # noqa: E402
from forms.sample import sample_submission  # noqa: E402
from forms.submission import check  # noqa: E402
from store import Query, open_store  # noqa: E402
from timing import median_ms  # noqa: E402

FORM = "order_form"
DEFINITION = "0" * 64
CREATED = "2026-11-27T10:15:00"


def make_number(seq: int) -> str:
    from datetime import date
    return format_number("DH-{yyyy}{mm}-{seq:6}", date(2026, 11, 27), seq)


def fill(store, upto: int, samples) -> float:
    """Bulk-add records until `upto` are stored; returns seconds."""
    start = time.perf_counter()
    have = store.query(FORM, limit=0)[1]
    while have < upto:
        n = min(2000, upto - have)
        store.add_many(FORM, list(itertools.islice(samples, n)), version=1, definition=DEFINITION,
                      created=CREATED, period="2026-11", make_number=make_number)
        have += n
    return time.perf_counter() - start


def insert_ms(store, repeat: int, samples) -> float:
    return median_ms(lambda: store.add(FORM, next(samples), version=1, definition=DEFINITION, created=CREATED,
                                       period="2026-11", make_number=make_number), repeat, collect=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--chunk-size", type=int, default=200)
    ap.add_argument("--root", help="keep the data here (default: a temporary folder, removed)")
    ap.add_argument("--schemas", default=str(Path(__file__).resolve().parent.parent / "schemas"))
    args = ap.parse_args()

    form = load_catalog(args.schemas).require(FORM)
    pool = [check(form, sample_submission(form, seed=i, rows=4 + i % 5)).data for i in range(50)]
    samples = itertools.cycle(pool)

    with tempfile.TemporaryDirectory(prefix="biaoge-bench-") as tmp:
        store = open_store(args.root or tmp, chunk_size=args.chunk_size)
        figures = {}
        for label, size in (("1k", 1_000), ("10k", 10_000), ("100k", 100_000)):
            secs = fill(store, size, samples)
            ms = insert_ms(store, args.repeat, samples)
            figures[f"insert_ms_{label}"] = ms
            print(f"{size:>7} stored (filled in {secs:.1f} s): add() median {ms:.2f} ms over {args.repeat}")

        total = store.query(FORM, limit=0)[1]
        newest = median_ms(lambda: store.query(FORM, limit=20), repeat=20)
        deep = median_ms(lambda: store.query(FORM, offset=50_000, limit=20), repeat=20)
        get_ms = median_ms(lambda: store.get(FORM, 12_345), repeat=20)
        print(f"query at {total} stored: newest 20 {newest:.2f} ms, page at offset 50000 {deep:.2f} ms, "
              f"get(id) {get_ms:.2f} ms")
        # text search in a process that has not indexed anything yet, then with the index cached
        time.sleep(2.1)   # chunks are cached once their mtime is two seconds old
        rare = median_ms(lambda: open_store(str(store.root)).query(FORM, Query(text=make_number(54_321))))
        common = "东方商贸"   # in most sample submissions
        cold = median_ms(lambda: store.query(FORM, Query(text=common)))
        warm = median_ms(lambda: store.query(FORM, Query(text=common), limit=20), repeat=5)
        hits = store.query(FORM, Query(text=common), limit=0)[1]
        print(f"text search at {total}: a 编号 (1 match) {rare:.0f} ms uncached; "
              f"'{common}' ({hits} matches) {cold:.0f} ms uncached, {warm:.0f} ms cached")
        figures.update(query_newest20_ms_100k=newest, query_text_ms_100k=warm)
    print(" ".join(f"{k}={v:.2f}" for k, v in figures.items() if k.startswith("query_")))
    print(" ".join(f"{k}={v:.2f}" for k, v in figures.items() if k.startswith("insert_")))


if __name__ == "__main__":
    main()
