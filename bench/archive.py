"""Archive throughput: the two-layer PDF engine beside the flow engine (default), or, with
--scheduling, the Dask LocalCluster beside the old process pool and a second worker process
joining a scheduler by hand (as a second host would).

    .venv/bin/python bench/archive.py [--records 1000] [--repeat 2] [--jobs 2] [--two-layer-only]
    .venv/bin/python bench/archive.py --scheduling [--records 400] [--repeat 3] [--jobs 2]

Engines (default): the same N records archived, each run a fresh subprocess (start-up included),
by the two-layer engine with `jobs` workers and with one, and by the flow engine with `jobs`
workers; then the merged PDF of all N (two-layer) against the sum of the single PDFs. Ends with
`records_per_second=… flow_records_per_second=… peak_mb=… speedup_2_jobs=…` (medians).

Scheduling (--scheduling):

Stores N filled one-page 商品订货单 records in a fresh data folder. Every run is a fresh
subprocess (so that the figures include start-up: the pool's or the cluster's worker processes
and their imports) that archives all N records and reports the seconds of `write_archive`:

  pool     the old ProcessPoolExecutor (fork, 2 × jobs batches in flight), kept here only
  dask     the default: a LocalCluster of `jobs` worker processes, one thread each
  manual   `dask scheduler` plus `dask worker` subprocesses started by hand: first one worker,
           then a second one joins; each set gets one warm-up run that is not counted

Peak memory (pool, dask) is the largest sum of the resident memory of the run and its child
processes, sampled every 50 ms. Prints medians; ends with one line of name=value figures.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
DASK = str(Path(PY).with_name("dask"))


def fill(data_dir: Path, n: int) -> None:
    from forms.definition import digest, frozen
    from forms.numbering import format_number
    from forms.sample import sample_submission
    from forms.submission import check
    from services.catalog import load_catalog
    from store import open_store
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


# ---------------------------------------------------------------- the old process pool (benchmark only)
def pool_runner(jobs: int):
    """What services.archive did before Dask: a fork ProcessPoolExecutor, 2 × jobs batches ahead."""
    def run(tasks, definitions, limits):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from services import archive
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=archive._init_worker,
                                 initargs=(definitions, limits)) as pool:
            pending = []
            for task in tasks:
                pending.append(pool.submit(archive._render_batch, task))
                while len(pending) > 2 * jobs:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()
    return run


def one(mode: str, data: str, jobs: int, scheduler: str | None, engine: str = "pdf", merge: bool = False) -> None:
    """One archive in this (fresh) process; prints {"seconds", "records", "sha"} as JSON."""
    import hashlib

    from services.archive import write_archive
    from services.archive_source import collect
    from services.catalog import load_catalog
    from store import open_store
    cat = load_catalog(ROOT / "schemas")
    entries, definitions, titles, keys = collect(cat, open_store(data), [(cat.require("order_form"), None)])
    buf = io.BytesIO()
    kw = {"runner": pool_runner(jobs)} if mode == "pool" else {"jobs": jobs, "scheduler": scheduler}
    start = time.perf_counter()
    summary = write_archive(entries, definitions, buf, titles=titles, key_fields=keys, engine=engine, merge=merge,
                            **kw)
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "records": summary.records, "failed": summary.failed,
           "sha": hashlib.sha256(buf.getvalue()).hexdigest()}
    if merge:
        import zipfile
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            sizes = {i.filename: i.file_size for i in zf.infolist()}
        out["merged_bytes"] = sizes.pop("合并.pdf")
        singles = [v for k, v in sizes.items() if k.endswith(".pdf")]
        out["singles_bytes"] = sum(singles)
        out["single_median_bytes"] = statistics.median(singles)
    print(json.dumps(out))


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


def run_one(mode: str, data: Path, jobs: int, scheduler: str | None = None, engine: str = "pdf",
            merge: bool = False) -> tuple[dict, float]:
    cmd = [PY, __file__, "--one", mode, "--data", str(data), "--jobs", str(jobs), "--engine", engine]
    if merge:
        cmd.append("--merge")
    if scheduler:
        cmd += ["--scheduler", scheduler]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.05)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    stdout, stderr = proc.communicate()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{stdout}\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), peak[0]


def wait_workers(scheduler_file: Path, n: int, timeout: float = 60) -> str:
    from distributed import Client
    deadline = time.monotonic() + timeout
    while not scheduler_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the scheduler did not start")
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    with Client(address, set_as_default=False) as client:
        client.wait_for_workers(n, timeout=timeout)
    return address


def engines(args) -> None:
    """Two-layer (jobs and 1 job) beside flow (jobs), interleaved runs; then the merged PDF."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"storing {args.records} records …", flush=True)
        fill(tmp / "data", args.records)
        runs = [("two-layer", "pdf2", args.jobs), ("two-layer", "pdf2", 1), ("flow", "pdf", args.jobs)]
        if args.two_layer_only:
            runs = runs[:1]
        times: dict = {r: [] for r in runs}
        peaks: dict = {r: [] for r in runs}
        for i in range(args.repeat):   # interleaved, so that a slow moment of the machine hits all
            for run in runs:
                result, peak = run_one("dask", tmp / "data", run[2], engine=run[1])
                assert result["failed"] == 0, result
                times[run].append(result["seconds"])
                peaks[run].append(peak)
                print(f"  {run[0]:<9} jobs={run[2]} run {i + 1}: {result['seconds']:.1f} s "
                      f"({args.records / result['seconds']:.1f} records/s), peak {peak:.0f} MB", flush=True)
        merged, _ = run_one("dask", tmp / "data", args.jobs, engine="pdf2", merge=True)
    n = args.records
    rate = {r: n / statistics.median(v) for r, v in times.items()}
    share = merged["merged_bytes"] / merged["singles_bytes"]
    if args.two_layer_only:
        print(f"{n} records of 商品订货单, two-layer jobs={args.jobs}: runs "
              f"{', '.join(f'{n / s:.1f}' for s in times[runs[0]])} records/s; merged PDF {share:.3f} of the singles")
        print(f"records_per_second={rate[runs[0]]:.1f} peak_mb={statistics.median(peaks[runs[0]]):.0f} "
              f"merged_share={share:.3f} single_kb={merged['single_median_bytes'] / 1024:.1f}")
        return
    two, two1, flow = runs
    print(f"{n} records of 商品订货单, medians of {args.repeat} runs (start-up included; the machine is shared):")
    print(f"  two-layer jobs={args.jobs}: {rate[two]:6.1f} records/s   peak {statistics.median(peaks[two]):.0f} MB")
    print(f"  two-layer jobs=1: {rate[two1]:6.1f} records/s   peak {statistics.median(peaks[two1]):.0f} MB")
    print(f"  flow      jobs={args.jobs}: {rate[flow]:6.1f} records/s   peak {statistics.median(peaks[flow]):.0f} MB")
    print(f"  two-layer / flow: {rate[two] / rate[flow]:.1f}×;  jobs={args.jobs} / jobs=1: {rate[two] / rate[two1]:.2f}×")
    print(f"  merged PDF {merged['merged_bytes'] / 1e6:.1f} MB against {merged['singles_bytes'] / 1e6:.1f} MB of single "
          f"PDFs ({share:.3f}); a single PDF {merged['single_median_bytes'] / 1024:.1f} KB (median); archive with "
          f"merge {n / merged['seconds']:.1f} records/s")
    print(f"records_per_second={rate[two]:.1f} flow_records_per_second={rate[flow]:.1f} "
          f"peak_mb={statistics.median(peaks[two]):.0f} speedup_2_jobs={rate[two] / rate[two1]:.2f} "
          f"speedup_vs_flow={rate[two] / rate[flow]:.2f} merged_share={share:.3f} "
          f"single_kb={merged['single_median_bytes'] / 1024:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--two-layer-only", action="store_true", help="only the two-layer engine with --jobs (quicker)")
    ap.add_argument("--scheduling", action="store_true", help="process pool / Dask / workers by hand (flow engine)")
    ap.add_argument("--one", choices=["pool", "dask", "manual"], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--scheduler", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="pdf", help=argparse.SUPPRESS)
    ap.add_argument("--merge", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one(args.one, args.data, args.jobs, args.scheduler, args.engine, args.merge)
    if not args.scheduling:
        args.records, args.repeat = args.records or 1000, args.repeat or 2
        return engines(args)
    args.records, args.repeat = args.records or 400, args.repeat or 3
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"storing {args.records} records …", flush=True)
        fill(tmp / "data", args.records)
        times: dict = {"pool": [], "dask": [], "one_worker": [], "two_workers": []}
        peaks: dict = {"pool": [], "dask": []}
        shas = set()
        for i in range(args.repeat):   # interleaved, so that a slow moment of the machine hits both
            for mode in ("pool", "dask"):
                result, peak = run_one(mode, tmp / "data", args.jobs)
                times[mode].append(result["seconds"])
                peaks[mode].append(peak)
                shas.add(result["sha"])
                print(f"  {mode} run {i + 1}: {result['seconds']:.1f} s, peak {peak:.0f} MB", flush=True)
        sf = tmp / "scheduler.json"
        procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(sf)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)]
        worker = [DASK, "worker", "--scheduler-file", str(sf), "--nthreads", "1", "--nworkers", "1",
                  "--no-dashboard"]
        try:
            for count, label in ((1, "one_worker"), (2, "two_workers")):
                procs.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
                address = wait_workers(sf, count)
                run_one("manual", tmp / "data", args.jobs, address)   # warm-up: imports and fonts
                for i in range(args.repeat):
                    result, _ = run_one("manual", tmp / "data", args.jobs, address)
                    times[label].append(result["seconds"])
                    shas.add(result["sha"])
                    print(f"  {count} worker(s) by hand, run {i + 1}: {result['seconds']:.1f} s", flush=True)
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    med = {k: statistics.median(v) for k, v in times.items()}
    n = args.records
    rate = {k: n / v for k, v in med.items()}
    ratio = rate["dask"] / rate["pool"]
    speedup = med["one_worker"] / med["two_workers"]
    print(f"{n} records, medians of {args.repeat} runs (start-up included), jobs={args.jobs}:")
    print(f"  process pool     {med['pool']:.1f} s  {rate['pool']:.1f} records/s  "
          f"peak {statistics.median(peaks['pool']):.0f} MB")
    print(f"  Dask LocalCluster {med['dask']:.1f} s  {rate['dask']:.1f} records/s  "
          f"peak {statistics.median(peaks['dask']):.0f} MB  ({ratio:.2f}× the pool)")
    print(f"  scheduler + 1 worker by hand  {med['one_worker']:.1f} s; + a second worker "
          f"{med['two_workers']:.1f} s: speed-up {speedup:.2f}×")
    print(f"  every run gave the same zip: {'yes' if len(shas) == 1 else 'NO'}")
    print(f"pool_rps={rate['pool']:.1f} dask_rps={rate['dask']:.1f} dask_vs_pool={ratio:.2f} "
          f"one_worker_s={med['one_worker']:.1f} two_workers_s={med['two_workers']:.1f} "
          f"second_worker_speedup={speedup:.2f} same_bytes={int(len(shas) == 1)}")


if __name__ == "__main__":
    main()
