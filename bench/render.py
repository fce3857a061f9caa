"""Steady-state rendering time per form: filled two-layer PDF (pdf2) and 套打, filled and blank
flow PDF, XLSX, HTML; and the two-layer PDF's size.

    .venv/bin/python bench/render.py [--form order_form] [--repeat 15]

Renders each format a few times to warm up (fonts, templates, validators),
then reports the median of --repeat runs in one process, and ends with one
line of name=value figures.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.catalog import load_catalog  # noqa: E402
from forms.sample import sample_submission  # noqa: E402
from forms.submission import check  # noqa: E402
from renderers import base  # noqa: E402
from timing import median_ms  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--form", default="order_form")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--schemas", default=str(Path(__file__).resolve().parent.parent / "schemas"))
    args = ap.parse_args()
    form = load_catalog(args.schemas).require(args.form)
    record = base.Filled(check(form, sample_submission(form, seed=1, rows=8)).data, number="DH-202611-0001",
                         created="2026-11-27")
    from renderers.overlay import engine_for
    assert engine_for(form, record) == "two-layer", "the bench record should take the two-layer engine"
    two_layer = base.get("pdf2").render(form, record)
    figures = {
        "pdf2_filled_ms": median_ms(lambda: base.get("pdf2").render(form, record), args.repeat, 3, True),
        "overprint_ms": median_ms(lambda: base.get("overprint").render(form, record), args.repeat, 3, True),
        "pdf_filled_ms": median_ms(lambda: base.get("pdf").render(form, record), args.repeat, 3, True),
        "pdf_blank_ms": median_ms(lambda: base.get("pdf").render(form), args.repeat, 3, True),
        "xlsx_ms": median_ms(lambda: base.get("xlsx").render(form, record), args.repeat, 3, True),
        "html_ms": median_ms(lambda: base.get("html").render(form, record), args.repeat, 3, True),
    }
    print(f"{form.title} ({form.id}), median of {args.repeat} runs after warm-up:")
    for name, value in figures.items():
        print(f"  {name:<14} {value:8.1f} ms")
    print(f"  two-layer PDF  {len(two_layer) / 1024:8.1f} KB (flow {len(base.get('pdf').render(form, record)) / 1024:.1f} KB)")
    figures["pdf2_kb"] = len(two_layer) / 1024
    print(" ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
