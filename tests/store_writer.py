"""A writer process for the store contract tests: adds records to a store and acknowledges each.

    python tests/store_writer.py LOCATION FORM [--count N] [--chunk-size K] [--period P] [--tag T] [--go FILE]

Prints "ready" once the store is open, then "<id> <number>" per stored record, flushed, so a
parent that kills it knows which submissions were acknowledged. Without --count it runs until
killed. Imports only the store package (and the standard library) to start quickly.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import open_store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("location")
    ap.add_argument("form")
    ap.add_argument("--count", type=int, default=0, help="0: until killed")
    ap.add_argument("--chunk-size", type=int, default=5)
    ap.add_argument("--period", default="2026-11")
    ap.add_argument("--tag", default="w")
    ap.add_argument("--go", help="after 'ready', wait until this file exists (to start writers together)")
    ap.add_argument("--docs", type=int, default=0, help="instead of records: add one to document counters/c N times")
    args = ap.parse_args()
    store = open_store(args.location, chunk_size=args.chunk_size)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    while args.go and not os.path.exists(args.go):
        time.sleep(0.002)
    if args.docs:
        for _ in range(args.docs):
            store.update_doc("counters", "c", lambda d: {"n": (d or {"n": 0})["n"] + 1})
        return
    i = 0
    while not args.count or i < args.count:
        i += 1
        rec = store.add(args.form, {"writer": args.tag, "i": i, "text": "测试数据" * 8}, version=1,
                        definition="d" * 64, created="2026-11-27T10:00:00", period=args.period,
                        make_number=lambda seq: f"DH-202611-{seq:04d}")
        out.write(f"{rec['id']} {rec['number']}\n")
        out.flush()


if __name__ == "__main__":
    main()
