"""The pictures in docs/overprint/: a flow and a two-layer 出库单 side by side, the 套打 page
alone and laid over its blank (pdftoppm -r 60, as the brief asks PDFs to be looked at).

    PYTHONPATH=. .venv/bin/python scripts/overprint_pictures.py [--form stock_out_note]
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def png(pdf: bytes):
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "in.pdf", "page"],
                       cwd=tmp, check=True)
        return Image.open(io.BytesIO((Path(tmp) / "page.png").read_bytes())).convert("RGB")


def main() -> None:
    from PIL import Image, ImageChops
    from forms.sample import sample_submission
    from forms.submission import check
    from renderers import base
    from services.catalog import load_catalog
    ap = argparse.ArgumentParser()
    ap.add_argument("--form", default="stock_out_note")
    args = ap.parse_args()
    form = load_catalog(ROOT / "schemas").require(args.form)
    record = base.Filled(check(form, sample_submission(form, seed=1, rows=4)).data, number="CK-202611-0001",
                         created="2026-11-27")
    flow, two = png(base.get("pdf").render(form, record)), png(base.get("pdf2").render(form, record))
    side = Image.new("RGB", (flow.width + two.width + 20, max(flow.height, two.height)), "white")
    side.paste(flow, (0, 0))
    side.paste(two, (flow.width + 20, 0))
    out = ROOT / "docs" / "overprint"
    side.save(out / f"{form.id}-flow-vs-two-layer.png")
    values = png(base.get("overprint").render(form, record))
    values.save(out / f"{form.id}-overprint.png")
    blank = png(base.get("pdf").render(form))
    ImageChops.multiply(blank, values.resize(blank.size)).save(out / f"{form.id}-overprint-on-blank.png")
    print(f"wrote {out}/{form.id}-*.png")


if __name__ == "__main__":
    main()
