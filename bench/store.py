"""Insert latency and query times of both stores, side by side, as the number of stored records grows.

    .venv/bin/python bench/store.py [--repeat 200] [--pg URL] [--pg-max 1000000] [--folder-max 100000]
                                    [--records 100000] [--fresh 5] [--no-pg | --no-folder]

Realistic order_form submissions (about 1 KB of JSON each). The embedded store (a temporary
folder) is filled in bulk through `TinyStore.add_many` (one atomic write per chunk) to 1k and
100k records; preloading it to 1M that way takes too long, so it is capped (--folder-max).
PostgreSQL runs in a throw-away database created on the server --pg (env BIAOGE_BENCH_PG,
default postgresql://127.0.0.1:5432/postgres) and dropped afterwards: filled to 1k and 100k by
`PgStore.add_many` (COPY), then to 1M by bulk SQL that copies the first 100k rows with new
ids, 编号 and search texts (indexes dropped during the load and rebuilt after). At each size
--repeat real add() calls are timed (each its own transaction, commit included): median and
p95. Then the newest page and text searches. Ends with one line of name=value figures.

Uncached searches on the embedded store (`UNCACHED`): the store filled to --records (default
100k, records spread over 200 creation days) is closed, and each search is timed as the first
query of a fresh process (--fresh processes per search; median), so neither the store's caches
nor SQLite's page cache help (the operating system's file cache does). The closing figure
`query_text_ms_100k` is the slowest of those medians; cached figures are named `…_cached_…`.
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
PER_DAY = 500   # records per creation day in the embedded store's fill (100k: 200 days from 2026-01-01)
# The searches timed uncached: what a person types into the list page of 发货单/订货单.
UNCACHED = {
    "name4": lambda total: Query(text="东方商贸"),                 # a common customer name (92% of records)
    "term2": lambda total: Query(text="广州"),                     # a 2-character term
    "number": lambda total: Query(text=make_number(total // 2 + 7)[-9:]),   # a 编号 substring, 1 match
    "phone": lambda total: Query(text="3048764"),                  # a phone substring
    "where_dates": lambda total: Query(where=(("customer_name", "王芳"),), date_from="2026-03-01",
                                       date_to="2026-03-31"),      # --where with a date range
    "scoped_name4": lambda total: Query(text="东方商贸", creators=frozenset({"user3"}),
                                        departments=frozenset()),  # the name, as a 业务员 sees it
}
SIZES = (("1k", 1_000), ("100k", 100_000), ("1M", 1_000_000))


def make_number(seq: int) -> str:
    from datetime import date
    return format_number("DH-{yyyy}{mm}-{seq:6}", date(2026, 11, 27), seq)


def fill(store, upto: int, samples, batch: int = 5000, spread: bool = False) -> float:
    """Bulk-add records through the store until `upto` are stored; returns seconds. With `spread`
    the records are created on successive days, PER_DAY a day, each day's by one of 20 people
    (user0 …) of 4 departments."""
    from datetime import date, timedelta
    start = time.perf_counter()
    have = store.query(FORM, limit=0)[1]
    while have < upto:
        n = min(PER_DAY if spread else batch, upto - have)
        created = f"{date(2026, 1, 1) + timedelta(days=have // PER_DAY)}T10:15:00" if spread else CREATED
        people = {"creator": f"user{have // PER_DAY % 20}", "department": f"dept{have // PER_DAY % 4}"} if spread else {}
        store.add_many(FORM, list(itertools.islice(samples, n)), version=1, definition=DEFINITION,
                       created=created, period="2026-11", make_number=make_number, **people)
        have += n
    return time.perf_counter() - start


def describe(q: Query) -> str:
    return " ".join(f"{k}={v!r}" for k, v in vars(q).items() if v)


def probe(location: str, name: str) -> None:
    """(In a fresh process) print the milliseconds of the search `name` as the process's first query."""
    store = open_store(location)
    total = store.query(FORM, limit=0)[1]   # the unfiltered count: from the newest chunk's counters
    query = UNCACHED[name](total)
    start = time.perf_counter()
    page, hits = store.query(FORM, query, limit=20)
    print(f"{(time.perf_counter() - start) * 1000:.3f} {hits} {len(page)}")


def uncached(location: str, fresh: int) -> dict[str, tuple[float, int]]:
    """{search: (median ms over `fresh` fresh processes, matches)}."""
    import subprocess
    out = {}
    for name in UNCACHED:
        times, hits = [], 0
        for _ in range(fresh):
            line = subprocess.run([sys.executable, __file__, "--probe", location, name], check=True,
                                  capture_output=True, text=True).stdout.split()
            times.append(float(line[0]))
            hits = int(line[1])
        out[name] = statistics.median(times), hits
    return out


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
    lines = []
    if prefix == "pg":   # the embedded store's uncached searches, here (the server's caches are what they are)
        for name, make in UNCACHED.items():
            q = make(total)
            ms = median_ms(lambda: store.query(FORM, q, limit=20), repeat=3, warmup=1)
            figures[f"pg_{name}_ms_{label}"] = ms
            lines.append(f"  {name:<12} {ms:7.1f} ms  {store.query(FORM, q, limit=0)[1]:>9,} matches  {describe(q)}")
    return lines + [f"  at {total:,} stored: newest 20 {newest:.2f} ms, page at offset 50,000 {deep:.1f} ms",
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
    ap.add_argument("--records", type=int, default=100_000, help="embedded store size for the uncached searches")
    ap.add_argument("--fresh", type=int, default=5, help="fresh processes per uncached search")
    ap.add_argument("--no-pg", action="store_true", help="only the embedded store")
    ap.add_argument("--no-folder", action="store_true", help="only PostgreSQL")
    ap.add_argument("--probe", nargs=2, metavar=("LOCATION", "SEARCH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe(*args.probe)

    form = load_catalog(args.schemas).require(FORM)
    pool = [check(form, sample_submission(form, seed=i, rows=4 + i % 5)).data for i in range(50)]
    samples = itertools.cycle(pool)
    figures: dict[str, float] = {}
    rows: dict[str, dict[str, str]] = {label: {} for label, _ in SIZES}
    notes: dict[str, list[str]] = {"folder": [], "uncached": [], "postgresql": []}

    cap, at, slowest = 0, "", None
    if not args.no_folder:
        with tempfile.TemporaryDirectory(prefix="biaoge-bench-") as tmp:
            store = open_store(tmp)
            cap = min(args.folder_max, args.records)
            for label, size in SIZES:
                if size > cap:
                    rows[label]["folder"] = f"(capped at {cap:,})"
                    continue
                secs = fill(store, size, samples, spread=True)
                med, p95 = insert_times(store, args.repeat, samples)
                figures[f"folder_insert_median_ms_{label}"], figures[f"folder_insert_p95_ms_{label}"] = med, p95
                rows[label]["folder"] = f"{med:6.2f} / {p95:6.2f} ms (fill {secs:.0f} s)"
            fill(store, args.records, samples, spread=True)
            notes["folder"] = queries(store, "capped", figures, "folder_cached")   # this process's caches are warm
            store.close()
            total = open_store(tmp).query(FORM, limit=0)[1]
            at = "100k" if 100_000 <= total < 110_000 else str(total)
            found = uncached(tmp, args.fresh)
            notes["uncached"] = [f"  at {total:,} stored over {total // PER_DAY + 1} creation days; median of {args.fresh}"
                                 " fresh processes, each timing its first query (page of 20 and total):"]
            for name, (ms, hits) in found.items():
                notes["uncached"].append(f"  {name:<12} {ms:7.1f} ms  {hits:>7,} matches  {describe(UNCACHED[name](total))}")
                figures[f"folder_uncached_{name}_ms_{at}"] = ms
            slowest = max(ms for ms, _ in found.values())

    if not args.no_pg:
        url, drop = pg_server_database(args.pg)
        try:
            store = open_store(url)
            for label, size in SIZES:
                if size > args.pg_max:
                    rows[label]["postgresql"] = "(skipped)"
                    continue
                secs = fill(store, size, samples, spread=True) if size <= 100_000 else pg_bulk_fill(url, size)
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
    print(f"embedded folder, queries in the filling process (cached; capped at {cap:,}: a 1M preload through chunk"
          " files is too slow):")
    print("\n".join(notes["folder"]))
    print("embedded folder, uncached searches:")
    print("\n".join(notes["uncached"]))
    print("PostgreSQL, queries:")
    print("\n".join(notes["postgresql"]))
    if "pg_insert_median_ms_1M" in figures:   # flat: the median at 1M over the median at 1k
        figures["pg_insert_ratio_1M_1k"] = figures["pg_insert_median_ms_1M"] / figures["pg_insert_median_ms_1k"]
    if slowest is not None:
        figures[f"query_text_ms_{at}"] = slowest   # last: the slowest uncached search
    print(" ".join(f"{k}={v:.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
