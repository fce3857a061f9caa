"""Time and memory of the list export (renderers.xlsx_list.export_list).

    .venv/bin/python bench/export.py [--records 100000] [--form order_form] [--out list.xlsx]

The export runs in a child process that does nothing else: it loads the
form, checks a few sample submissions (forms.sample + forms.submission.check,
3 line items each) and then times export_list over a generator that hands out
--records records made from them (each with its own 编号 and 提交日期; making
one is a tuple and two strings, so generating does not count in the time, and
the records are never held in a list, as the server's store iterates them).
Peak memory is the child's peak resident set size
(resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after it exits): everything
the process held, the interpreter and imports included, so it is an upper
bound of what an export adds. Ends with one line of name=value figures.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATES = 40


def records(form, n: int):
    """`n` records of `form`, lazily, varied from TEMPLATES checked sample submissions."""
    from forms.sample import sample_submission
    from forms.submission import check
    from renderers.base import Record

    datas = []
    for seed in range(TEMPLATES):
        result = check(form, sample_submission(form, seed, rows=3))
        assert result.ok, result.errors
        datas.append(result.data)
    days = [(date(2026, 1, 1) + timedelta(days=d)).isoformat() for d in range(365)]

    def gen():
        for i in range(n):
            day = days[i % 365]
            yield Record(datas[i % TEMPLATES], number=f"DH-{day[:4]}{day[5:7]}-{i + 1:06d}", created=day)
    return gen


def child(args) -> None:
    from services.catalog import load_catalog
    from renderers.xlsx_list import export_list

    form = load_catalog(ROOT / "schemas").require(args.form)
    gen = records(form, args.records)
    start = time.perf_counter()
    for _ in gen():
        pass
    generate_s = time.perf_counter() - start
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    content = export_list(form, gen())
    seconds = time.perf_counter() - start
    if args.out:
        Path(args.out).write_bytes(content)
    print(json.dumps({"seconds": seconds, "generate_seconds": generate_s, "bytes": len(content),
                      "before_mb": before_kb / 1024, "title": form.title}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--form", default="order_form")
    ap.add_argument("--out", default="", help="also write the workbook here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    cmd = [sys.executable, __file__, "--child", "--records", str(args.records), "--form", args.form]
    if args.out:
        cmd += ["--out", args.out]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    figures = json.loads(out.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024    # Linux: KiB
    print(f"{figures['title']} ({args.form}), {args.records} records, 3 line items each:")
    print(f"  generating the records alone  {figures['generate_seconds']:8.2f} s (not counted)")
    print(f"  export_list                   {figures['seconds']:8.2f} s")
    print(f"  workbook                      {figures['bytes'] / 2**20:8.1f} MB")
    print(f"  child peak RSS                {peak_mb:8.1f} MB (before the export: {figures['before_mb']:.1f} MB)")
    print(f"  child process, wall           {wall:8.2f} s")
    print(f"export_records={args.records} export_seconds={figures['seconds']:.2f} export_peak_mb={peak_mb:.1f}")


if __name__ == "__main__":
    main()
