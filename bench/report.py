"""Time and memory of generating 发货月报表 from the stored 商品发货单, the way `biaoge report` does.

    .venv/bin/python bench/report.py [--records 100000] [--store DIR] [--runs 5]

The store is filled first (not timed) with --records 商品发货单 of 2026 (3 line items each, 12
products, 8 departments), with the store's bulk loader (`store.add_many`), one batch per day.
Then each run generates the November report (本月, 上月 and 本年累计: every record of the year is
read) with `services.reports.generate` as a user who reads everything, keeping the trace of
every row (as the 生成 button does), in a child process that does nothing else. report_seconds is
the median of the runs' generation time (wall clock; each run also prints its CPU time, which a
loaded machine inflates less); report_peak_mb the peak of traced Python memory (tracemalloc,
started just before generating, in one more run) without the trace (`biaoge report` without
--trace) — what the generation holds beyond the interpreter and the imports;
report_traced_peak_mb the same keeping the trace, which is output: 8 bytes per id while generating. It also prints (stderr) the
store's bare scan of the same records, copying and read-only (`copy=False`, what reports read):
the floor any report over Store.scan has.
Run it with --records 10000 too: the peak must
not grow ten times.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCTS = [f"商品{i:02d}" for i in range(12)]
DEPARTMENTS = ["上海办事处", "杭州办事处", "广州办事处", "深圳办事处", "北京办事处", "销售管理部", "华东大区", "华南大区"]


def fill(location: str, n: int) -> None:
    from store import open_store
    store = open_store(location)
    have = store.query("delivery_note", None, limit=0)[1]
    per_day = max(1, n // 365)
    i, day = have, date(2026, 1, 1)
    while i < n:
        batch = []
        for _ in range(min(per_day, n - i)):
            items = [{"product_name": PRODUCTS[(i + k) % 12], "spec": "500ml", "unit": "箱", "quantity": (i % 7) + k + 1,
                      "unit_price": 12.5, "amount": round(((i % 7) + k + 1) * 12.5, 2)} for k in range(3)]
            batch.append({"ship_date": day.isoformat(), "customer_name": f"客户{i % 300}", "address": "上海市",
                          "ship_method": "公司配送", "items": items, "total": sum(x["amount"] for x in items)})
            i += 1
        store.add_many("delivery_note", batch, version=1, definition="bench", created=f"{day.isoformat()}T09:00:00",
                       creator="bench", department=DEPARTMENTS[day.toordinal() % len(DEPARTMENTS)])
        day = min(day + timedelta(days=1), date(2026, 12, 31))
    store.close()


def child(location: str, mode: str) -> None:
    """One generation: timed ("time"), or under tracemalloc for its memory ("peak"; tracemalloc
    slows Python down several times, so the two are separate runs). "scan": the store's bare scan."""
    from services.access import Access
    from services.accounts import User
    from services.catalog import load_catalog
    from services.reports import generate
    from store import open_store
    from store.base import Query
    cat = load_catalog(ROOT / "schemas")
    store = open_store(location)
    access = Access(cat.policy, User("boss", "总经理", "总经理办公室", ["总经理"]))
    form = cat.forms["shipment_monthly_report"]
    if mode in ("scan", "view"):   # copying scan (exports) or read-only scan (what reports use)
        t, cpu = time.perf_counter(), time.process_time()
        n = sum(1 for _ in store.scan("delivery_note", Query(), copy=mode == "scan"))
        print(f"{time.perf_counter() - t:.4f} 0 0 {n} {time.process_time() - cpu:.4f}")
        return
    if mode.startswith("peak"):
        import tracemalloc
        tracemalloc.start()
    t, cpu = time.perf_counter(), time.process_time()
    gen = generate(cat, store, access, form, "2026-11", trace=mode != "peak")
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = 0.0
    if mode.startswith("peak"):
        import tracemalloc
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    print(f"{seconds:.4f} {peak:.2f} {len(gen.data['items'])} {gen.counts['delivery_note']} {cpu:.4f}")


def _run(location: str, mode: str) -> list:
    return subprocess.run([sys.executable, __file__, "--child", location, "--mode", mode], capture_output=True,
                          text=True, check=True).stdout.split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--store")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="time", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.mode)
        return
    location = args.store or tempfile.mkdtemp(prefix="bench-report-")
    t = time.perf_counter()
    fill(location, args.records)
    print(f"filled {args.records} records in {time.perf_counter() - t:.1f} s ({location})", file=sys.stderr)
    scan, view = _run(location, "scan"), _run(location, "view")
    print(f"the store's bare scan of every record: {float(scan[0]):.2f} s (CPU {float(scan[4]):.2f} s), read-only "
          f"(copy=False): {float(view[0]):.2f} s (CPU {float(view[4]):.2f} s)", file=sys.stderr)
    times = []
    for _ in range(args.runs):
        out = _run(location, "time")
        times.append(float(out[0]))
        print(f"run: {out[0]} s (CPU {out[4]} s), {out[2]} rows from {out[3]} records", file=sys.stderr)
    peak, traced = _run(location, "peak"), _run(location, "peak-traced")
    print(f"under tracemalloc: {peak[0]} s, peak {peak[1]} MB; keeping the trace (as 生成 does): {traced[0]} s, "
          f"peak {traced[1]} MB", file=sys.stderr)
    print(f"report_seconds={statistics.median(times):.3f} report_peak_mb={float(peak[1]):.1f} "
          f"report_traced_peak_mb={float(traced[1]):.1f}")


if __name__ == "__main__":
    main()
