"""Insert latency and query times of both stores, side by side, as the number of stored records grows.

    .venv/bin/python bench/store.py [--repeat 200] [--pg URL] [--pg-max 1000000] [--folder-max 100000]

Realistic order_form submissions (about 1 KB of JSON each). The embedded store (a temporary
folder) is filled in bulk through `TinyStore.add_many` (one atomic write per chunk) to 1k and
100k records; preloading it to 1M that way takes too long, so it is capped (--folder-max).
PostgreSQL runs in a throw-away database created on the server --pg (env BIAOGE_BENCH_PG,
default postgresql://127.0.0.1:5432/postgres) and dropped afterwards: filled to 1k and 100k by
`PgStore.add_many` (COPY), then to 1M by bulk SQL that copies the first 100k rows with new
ids, 编号 and search texts (indexes dropped during the load and rebuilt after). At each size
--repeat real add() calls are timed (each its own transaction, commit included): median and
p95. Then the newest page and text searches. Ends with one line of name=value figures.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
SIZES = (("1k", 1_000), ("100k", 100_000), ("1M", 1_000_000))


def make_number(seq: int) -> str:
    from datetime import date
    return format_number("DH-{yyyy}{mm}-{seq:6}", date(2026, 11, 27), seq)


def fill(store, upto: int, samples, batch: int = 5000) -> float:
    """Bulk-add records through the store until `upto` are stored; returns seconds."""
    start = time.perf_counter()
    have = store.query(FORM, limit=0)[1]
    while have < upto:
        n = min(batch, upto - have)
        store.add_many(FORM, list(itertools.islice(samples, n)), version=1, definition=DEFINITION,
                       created=CREATED, period="2026-11", make_number=make_number)
        have += n
    return time.perf_counter() - start


# Bulk SQL for the PostgreSQL preload: rows 1 … `base` copied as base+1 … upto.
_DROP = ["records_day", "records_search", "records_fields", "records_creator", "records_department"]
_REBUILD = ["CREATE INDEX records_day ON records (form, day, id)",
            "CREATE INDEX records_search ON records USING gin (search gin_trgm_ops)",
            "CREATE INDEX records_fields ON records USING gin (fields jsonb_path_ops)",
            "CREATE INDEX records_creator ON records (form, creator, id)",
            "CREATE INDEX records_department ON records (form, department, id)"]
_NUMBER = "'DH-202611-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END"


def pg_bulk_fill(url: str, upto: int) -> float:
    import psycopg
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        base = conn.execute("SELECT next_id - 1 FROM forms WHERE form = %s", (FORM,)).fetchone()[0]
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name in _DROP:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        have = base
        while have < upto:
            n = min(base, upto - have)
            conn.execute(f"""INSERT INTO records (form, id, number, created, day, creator, department, revision, updated,
                                                 version, definition, author, data, search, fields)
                SELECT form, n, {_NUMBER}, created, day, creator, department, revision, updated, version, definition,
                       author, data, lower({_NUMBER}) || substr(search, length(number) + 1), fields
                FROM (SELECT *, id + %s AS n FROM records WHERE form = %s AND id <= %s) AS src""", (have, FORM, n))
            conn.execute("""INSERT INTO revisions (form, id, revision, updated, version, definition, author, data)
                SELECT form, id + %s, revision, updated, version, definition, author, data
                FROM revisions WHERE form = %s AND id <= %s""", (have, FORM, n))
            have += n
        conn.execute("UPDATE forms SET next_id = %s WHERE form = %s", (upto + 1, FORM))
        conn.execute("UPDATE counters SET seq = %s WHERE form = %s AND period = '2026-11'", (upto, FORM))
        for sql in _REBUILD:
            conn.execute(sql)
        conn.execute("VACUUM ANALYZE records")
        conn.execute("VACUUM ANALYZE revisions")
    return time.perf_counter() - start


def insert_times(store, repeat: int, samples) -> tuple[float, float]:
    """(median, p95) milliseconds of single add() calls."""
    times = []
    for _ in range(repeat):
        data = next(samples)
        t = time.perf_counter()
        store.add(FORM, data, version=1, definition=DEFINITION, created=CREATED, period="2026-11",
                  make_number=make_number)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]


def queries(store, label: str, figures: dict, prefix: str) -> list[str]:
    total = store.query(FORM, limit=0)[1]
    rare = make_number(total // 2 + 7)
    newest = median_ms(lambda: store.query(FORM, limit=20), repeat=20, warmup=2)
    deep = median_ms(lambda: store.query(FORM, offset=50_000, limit=20), repeat=5, warmup=1)
    by_number = median_ms(lambda: store.query(FORM, Query(text=rare)), repeat=10, warmup=2)
    common = "东方商贸"   # in most sample submissions
    hits = store.query(FORM, Query(text=common), limit=0)[1]
    common_ms = median_ms(lambda: store.query(FORM, Query(text=common), limit=20), repeat=3, warmup=1)
    scoped = Query(text=rare[-6:], creators=frozenset({"nobody"}), departments=frozenset({"华东"}))
    scoped_ms = median_ms(lambda: store.query(FORM, scoped), repeat=10, warmup=1)
    figures[f"{prefix}_list_ms_{label}"] = newest
    figures[f"{prefix}_search_ms_{label}"] = by_number
    return [f"  at {total:,} stored: newest 20 {newest:.2f} ms, page at offset 50,000 {deep:.1f} ms",
            f"  text search for a 编号 ({rare}, 1 match) {by_number:.1f} ms; scoped search {scoped_ms:.1f} ms;"
            f" '{common}' ({hits:,} matches, total counted) {common_ms:.0f} ms"]


def pg_server_database(server: str):
    import psycopg
    name = f"biaoge_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(server)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))

    def admin(sql):
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql)
    admin(f'CREATE DATABASE "{name}"')
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    import os
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--pg", default=os.environ.get("BIAOGE_BENCH_PG", "postgresql://127.0.0.1:5432/postgres"))
    ap.add_argument("--pg-max", type=int, default=1_000_000)
    ap.add_argument("--folder-max", type=int, default=100_000)
    ap.add_argument("--schemas", default=str(Path(__file__).resolve().parent.parent / "schemas"))
    args = ap.parse_args()

    form = load_catalog(args.schemas).require(FORM)
    pool = [check(form, sample_submission(form, seed=i, rows=4 + i % 5)).data for i in range(50)]
    samples = itertools.cycle(pool)
    figures: dict[str, float] = {}
    rows: dict[str, dict[str, str]] = {label: {} for label, _ in SIZES}
    notes: dict[str, list[str]] = {"folder": [], "postgresql": []}

    with tempfile.TemporaryDirectory(prefix="biaoge-bench-") as tmp:
        store = open_store(tmp)
        for label, size in SIZES:
            if size > args.folder_max:
                rows[label]["folder"] = f"(capped at {args.folder_max:,})"
                continue
            secs = fill(store, size, samples)
            med, p95 = insert_times(store, args.repeat, samples)
            figures[f"folder_insert_median_ms_{label}"], figures[f"folder_insert_p95_ms_{label}"] = med, p95
            rows[label]["folder"] = f"{med:6.2f} / {p95:6.2f} ms (fill {secs:.0f} s)"
        notes["folder"] = queries(store, "capped", figures, "folder")

    url, drop = pg_server_database(args.pg)
    try:
        store = open_store(url)
        for label, size in SIZES:
            if size > args.pg_max:
                rows[label]["postgresql"] = "(skipped)"
                continue
            secs = fill(store, size, samples) if size <= 100_000 else pg_bulk_fill(url, size)
            med, p95 = insert_times(store, args.repeat, samples)
            figures[f"pg_insert_median_ms_{label}"], figures[f"pg_insert_p95_ms_{label}"] = med, p95
            rows[label]["postgresql"] = f"{med:6.2f} / {p95:6.2f} ms (fill {secs:.0f} s)"
        notes["postgresql"] = queries(store, "1M" if args.pg_max >= 1_000_000 else "max", figures, "pg")
        store.close()
    finally:
        drop()

    print(f"add() median / p95 over {args.repeat} calls, at N records stored:")
    print(f"{'stored':>8}  {'embedded folder (TinyStore)':<36}  PostgreSQL (PgStore)")
    for label, size in SIZES:
        print(f"{size:>8,}  {rows[label].get('folder', ''):<36}  {rows[label].get('postgresql', '')}")
    print(f"embedded folder, queries (capped at {args.folder_max:,}: a 1M preload through chunk files is too slow):")
    print("\n".join(notes["folder"]))
    print("PostgreSQL, queries:")
    print("\n".join(notes["postgresql"]))
    if "pg_insert_median_ms_1M" in figures:   # flat: the median at 1M over the median at 1k
        figures["pg_insert_ratio_1M_1k"] = figures["pg_insert_median_ms_1M"] / figures["pg_insert_median_ms_1k"]
    print(" ".join(f"{k}={v:.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
