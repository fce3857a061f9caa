"""Time and memory of the records list export, the way a user gets it.

    .venv/bin/python bench/export.py [--records 100000] [--form order_form] [--store DIR] [--out list.xlsx]

First the store is filled (not timed): --records checked sample submissions
(forms.sample + forms.submission.check, 3 line items each, 40 varied ones)
stored with the store's bulk loader (`store.add_many`), one batch per day of
2026 so that the records have their own 编号 and 提交日期. With --store DIR the
data is kept there and a second run only tops it up.

Then a child process that does nothing else runs what the 下载 Excel button
and `biaoge export` run: `services.export.export_records(form, store, query,
out)`, the store's scan of every record (an empty query) into the list
export, written to a file. It then times the scan alone (not counted), to
tell the store's share from the workbook's. Peak memory is the child's
peak resident set size (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after
it exits): everything the process held, the interpreter, the imports and the
store's reading included, so it is an upper bound of what an export adds.
Ends with one line of name=value figures.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATES = 40
DAYS = 365


def fill(store, form, n: int) -> float:
    """Top the store up to `n` records of `form`; returns the seconds it took."""
    from forms.definition import digest, frozen
    from forms.numbering import format_number
    from forms.sample import sample_submission
    from forms.submission import check

    have = store.query(form.id, limit=0)[1]
    if have >= n:
        return 0.0
    start = time.perf_counter()
    definition = frozen(form)
    key = digest(definition)
    store.put_definition(form.id, key, definition)
    datas = []
    for seed in range(TEMPLATES):
        result = check(form, sample_submission(form, seed, rows=3))
        assert result.ok, result.errors
        datas.append(result.data)
    per_day = -(-n // DAYS)
    while have < n:
        day = date(2026, 1, 1) + timedelta(days=have // per_day)
        count = min(per_day - have % per_day, n - have)
        store.add_many(form.id, [datas[(have + i) % TEMPLATES] for i in range(count)], version=form.version,
                       definition=key, created=f"{day.isoformat()}T09:00:00", period=day.isoformat()[:7],
                       make_number=lambda seq, day=day: format_number("DH-{yyyy}{mm}-{seq:6}", day, seq))
        have += count
    return time.perf_counter() - start


def child(args) -> None:
    from services.catalog import load_catalog
    from services.export import export_records
    from store import open_store
    from store.base import Query

    form = load_catalog(ROOT / "schemas").require(args.form)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        count = export_records(form, open_store(args.store), Query(), out)
        seconds = time.perf_counter() - start
        size = out.tell()
        if args.out:
            out.seek(0)
            Path(args.out).write_bytes(out.read())
    start = time.perf_counter()                 # the scan alone, on a store of its own (no shared cache)
    scanned = sum(1 for _ in open_store(args.store).scan(form.id, Query()))
    scan_s = time.perf_counter() - start
    assert count == scanned, (count, scanned)
    print(json.dumps({"seconds": seconds, "scan_seconds": scan_s, "bytes": size, "records": count,
                      "before_mb": before_kb / 1024, "title": form.title}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--form", default="order_form")
    ap.add_argument("--store", default="", help="keep the store here (default: a temporary folder, removed)")
    ap.add_argument("--out", default="", help="also write the workbook here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="biaoge-bench-") as tmp:
        location = args.store or str(Path(tmp) / "data")
        from services.catalog import load_catalog
        from store import open_store
        form = load_catalog(ROOT / "schemas").require(args.form)
        fill_s = fill(open_store(location), form, args.records)
        cmd = [sys.executable, __file__, "--child", "--form", args.form, "--store", location]
        if args.out:
            cmd += ["--out", args.out]
        start = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - start
    figures = json.loads(out.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024    # Linux: KiB
    n = figures["records"]
    print(f"{figures['title']} ({args.form}), {n} stored records, 3 line items each:")
    print(f"  filling the store             {fill_s:8.2f} s (not counted)")
    print(f"  scanning the store alone      {figures['scan_seconds']:8.2f} s (not counted)")
    print(f"  export_records                {figures['seconds']:8.2f} s (scan and workbook)")
    print(f"  workbook                      {figures['bytes'] / 2**20:8.1f} MB")
    print(f"  child peak RSS                {peak_mb:8.1f} MB (before the export: {figures['before_mb']:.1f} MB)")
    print(f"  child process, wall           {wall:8.2f} s")
    print(f"export_records={n} export_seconds={figures['seconds']:.2f} export_peak_mb={peak_mb:.1f}")


if __name__ == "__main__":
    main()
