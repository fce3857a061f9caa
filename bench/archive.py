"""Archive throughput: N filled one-page 商品订货单 records into one zip.

    .venv/bin/python bench/archive.py [--records 1000] [--speedup-records 200]

Stores N records in a fresh data folder, then runs `biaoge archive` as a
subprocess (so that the figures include start-up and every worker process):
N records with --jobs 2, and --speedup-records records with --jobs 1 and
--jobs 2 for the speed-up. Peak memory is the largest sum of the resident
memory of the archive process and its workers, sampled every 50 ms.
Ends with one line of name=value figures.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.catalog import load_catalog  # noqa: E402
from forms.definition import digest, frozen  # noqa: E402
from forms.numbering import format_number  # noqa: E402
from forms.sample import sample_submission  # noqa: E402
from forms.submission import check  # noqa: E402
from store import open_store  # noqa: E402


def fill(data_dir: Path, n: int) -> None:
    form = load_catalog(ROOT / "schemas").require("order_form")
    store = open_store(str(data_dir))
    definition = frozen(form)
    key = digest(definition)
    store.put_definition(form.id, key, definition)
    samples = [check(form, {**sample_submission(form, seed=i, rows=5), "order_date": "2026-11-27",
                            "delivery_date": "2026-11-30"}).data
               for i in range(50)]
    for i in range(n):
        store.add(form.id, samples[i % 50], version=form.version, definition=key, created="2026-11-27T10:00:00",
                  period="2026-11", make_number=lambda seq: format_number("DH-{yyyy}{mm}-{seq:4}",
                                                                         date(2026, 11, 27), seq))


def tree_rss_mb(pid: int) -> float:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def run_archive(data_dir: Path, out: Path, jobs: int, limit_to: str | None = None) -> tuple[float, float, int]:
    cmd = [sys.executable, "-m", "cli", "archive", "order_form", "--schemas", str(ROOT / "schemas"),
           "--data", str(data_dir), "--jobs", str(jobs), "-o", str(out)]
    if limit_to:
        cmd += ["--to", limit_to]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.05)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"archive failed: {stdout}\n{stderr}")
    import zipfile
    count = sum(1 for n in zipfile.ZipFile(out).namelist() if n.endswith(".pdf"))
    return seconds, peak[0], count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--speedup-records", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"storing {args.records} records …", flush=True)
        fill(tmp / "data", args.records)
        small = tmp / "small"
        fill(small, args.speedup_records)
        s1, _, _ = run_archive(small, tmp / "s1.zip", 1)
        s2, _, _ = run_archive(small, tmp / "s2.zip", 2)
        seconds, peak, count = run_archive(tmp / "data", tmp / "full.zip", 2)
        size = (tmp / "full.zip").stat().st_size
    rate = count / seconds
    speedup = s1 / s2
    print(f"{count} records, --jobs 2: {seconds:.1f} s, {rate:.1f} records/s, peak {peak:.0f} MB, "
          f"zip {size / 1e6:.1f} MB ({size / count / 1024:.0f} KB per record)")
    print(f"{args.speedup_records} records: --jobs 1 {s1:.1f} s, --jobs 2 {s2:.1f} s, speed-up {speedup:.2f}×")
    print(f"records_per_second={rate:.1f} peak_mb={peak:.0f} speedup_2_jobs={speedup:.2f}")


if __name__ == "__main__":
    main()
