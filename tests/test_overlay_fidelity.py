"""The two-layer PDF (format pdf2) against the flow PDF (format pdf), over every definition.

For each of the 84 forms, sample data made to fit (Chinese texts cut to two characters so
that no cell wraps): when the record takes the two-layer engine, both PDFs' first pages hold
the same characters (pdftotext), every character lies within 2 mm of the same character in the flow
PDF (pdftotext -bbox words, their characters spread over the word's box) and the pages rasterised at 20 dpi differ in under 2% of their pixels; when
it does not, pdf2's PDF is WeasyPrint's (the flow engine). Records that cannot fit (too many
line items, text too long) are shown to take the flow engine.
"""
from __future__ import annotations

import html
import io
import re
import subprocess
from collections import Counter

from PIL import Image, ImageChops
from pypdf import PdfReader

from forms.sample import sample_submission
from forms.submission import check
from renderers import base
from renderers.overlay import XOBJECT, engine_for, layers
from renderers.pdf import font_config, print_html
from renderers.textwidth import WIDE_FROM

MM = 72 / 25.4
MARKS = str.maketrans("", "", "☐☑√ \n\t\f")


def fitting(form, seed=0):
    """A sample record whose Chinese texts are cut to two characters (choices left whole)."""
    data = sample_submission(form, seed=seed, rows=2)

    def cut(fields, values):
        for f in fields.values():
            v = values.get(f.key)
            if f.is_table and isinstance(v, list):
                for row in v:
                    if isinstance(row, dict):
                        cut(f.children, row)
            elif f.is_section and isinstance(v, dict):
                cut(f.children, v)
            elif isinstance(v, str) and not f.kind_def.options and any(ord(c) >= WIDE_FROM for c in v):
                values[f.key] = v[:2]
    short = {**data}
    cut(form.fields, short)
    try:
        return check(form, short).data
    except Exception:  # noqa: BLE001 - a cut value broke a rule: the sample as it was
        return check(form, data).data


def first_pages(contents: list) -> bytes:
    """One PDF of the first page of each of `contents` (so that poppler runs once for all)."""
    from pypdf import PdfWriter
    w = PdfWriter()
    for content in contents:
        w.append(PdfReader(io.BytesIO(content)), pages=(0, 1))
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def words(path) -> list:
    """Per page, its words: (text, (x0, x1), y)."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [[(html.unescape(t), (float(x), float(x2)), float(y)) for x, y, x2, t in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', page)]
            for page in out.split("<page ")[1:]]


def chars_at(words_: list) -> list:
    """(character, x of its centre, y): each word's characters spread evenly over its box (word
    breaks differ between the engines, characters do not)."""
    out = []
    for text, (x0, x1), y in words_:
        step = (x1 - x0) / max(1, len(text))
        out += [(ch, x0 + step * (i + 0.5), y) for i, ch in enumerate(text) if ch.translate(MARKS)]
    return out


def rasters(path, out) -> list:
    """Every page at 20 dpi in grey (one pdftoppm run)."""
    subprocess.run(["pdftoppm", "-r", "20", "-gray", "-png", str(path), str(out)], check=True)
    return [Image.open(p).convert("L") for p in sorted(out.parent.glob(f"{out.name}-*.png"))]


def compare(wa: list, wb: list, ia, ib) -> dict:
    """Characters, the worst distance of a character from the same one in the flow PDF, pixel share."""
    chars = (Counter("".join(w for w, _, _ in wa).translate(MARKS)),
             Counter("".join(w for w, _, _ in wb).translate(MARKS)))
    worst = 0.0
    flow_chars: dict = {}
    for ch, x, y in chars_at(wb):
        flow_chars.setdefault(ch, []).append((x, y))
    for ch, x, y in chars_at(wa):
        near = [max(abs(x - x2), abs(y - y2)) for x2, y2 in flow_chars.get(ch, [])]
        worst = max(worst, min(near) / MM if near else 99)
    diff = ImageChops.difference(ia, ib).point(lambda p: 255 if p > 64 else 0)
    share = diff.histogram()[255] / (diff.width * diff.height)
    return {"chars": chars, "worst_mm": worst, "pixels": share}


def flow_first_copy(form, record) -> bytes:
    """The flow engine's first copy (what page 1 of its PDF is), laid out alone to save time."""
    from renderers.layout import build_layout
    pdf = base.get("pdf")
    copies = build_layout(form).copies or [""]
    doc = print_html(pdf.document(form, record, copies[:1])).render(font_config=font_config())
    return pdf.write([doc], form, record)


_forms: dict = {}     # the catalog's forms, for the worker processes (inherited by fork)


def _both(fid: str):
    """(form id, engine, fitted, pdf2's PDF, the flow's first copy) of a form's fitting record;
    a record that takes the flow engine is not rendered (test_records_that_do_not_fit checks it does)."""
    form = _forms[fid]
    for seed in range(3):   # a record whose values all fit at full size, if the form has one
        record = base.Filled(fitting(form, seed), number="X-202611-0001", created="2026-11-27")
        engine = engine_for(form, record)
        fitted = engine == "two-layer" and any(r.fitted for page in layers(form, record)[1] for r in page)
        if engine == "flow" or not fitted:
            break
    if engine == "flow":
        return fid, engine, False, None, None
    return fid, engine, fitted, base.get("pdf2").render(form, record), flow_first_copy(form, record)


def test_every_form_two_layer_matches_flow(catalog, tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    _forms.update(catalog.forms)
    # WeasyPrint (a frame and a flow layout per form) is most of the time: both cores share it
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        got = list(pool.map(_both, sorted(catalog.forms), chunksize=4))
    flow = [fid for fid, engine, *_ in got if engine == "flow"]
    drawn = [g for g in got if g[1] == "two-layer"]
    for fid, _, _, content, _ in drawn:     # the blank frame under the values, not a WeasyPrint layout
        page = PdfReader(io.BytesIO(content)).pages[0]
        assert XOBJECT in page["/Resources"]["/XObject"], fid
    (tmp_path / "two.pdf").write_bytes(first_pages([g[3] for g in drawn]))
    (tmp_path / "flow.pdf").write_bytes(first_pages([g[4] for g in drawn]))
    wa, wb = words(tmp_path / "two.pdf"), words(tmp_path / "flow.pdf")
    ia, ib = rasters(tmp_path / "two.pdf", tmp_path / "a"), rasters(tmp_path / "flow.pdf", tmp_path / "b")
    assert len(wa) == len(wb) == len(ia) == len(ib) == len(drawn)
    failures, stats, fitted = [], [], []
    for k, (fid, _, shrunk, _, _) in enumerate(drawn):
        res = compare(wa[k], wb[k], ia[k], ib[k])
        if res["chars"][0] != res["chars"][1]:
            failures.append((fid, "chars", res["chars"][0] - res["chars"][1], res["chars"][1] - res["chars"][0]))
        if shrunk:
            # a value shrunk into its box, where the flow engine grows the box and moves what follows
            fitted.append(fid)
            continue
        stats.append((fid, round(res["worst_mm"], 2), round(res["pixels"], 4)))
        if res["worst_mm"] > 2 or res["pixels"] >= 0.02:
            failures.append((fid, round(res["worst_mm"], 2), round(res["pixels"], 4)))
    print(f"two-layer {len(drawn)} (of which {len(fitted)} with a value shrunk to fit: {fitted}), "
          f"flow {len(flow)}: {flow}")
    print("worst mm, pixel share:", max(s[1] for s in stats), max(s[2] for s in stats))
    assert not failures, failures
    assert len(drawn) + len(flow) == len(catalog.forms) == 84
    assert len(drawn) >= 60 and len(drawn) - len(fitted) >= 50


def test_records_that_do_not_fit_take_the_flow_engine(catalog, monkeypatch):
    form = catalog.require("stock_out_note")
    data = fitting(form)
    record = base.Filled(data, number="X-1", created="2026-11-27")
    assert engine_for(form, record) == "two-layer"
    table = next(f for f in form.fields.values() if f.is_table)
    many = check(form, {**sample_submission(form, seed=0, rows=25)}).data   # more rows than one page holds
    assert len(many[table.key]) == 25
    assert engine_for(form, base.Filled(many, number="X-2")) == "flow"
    long_text = dict(data)
    text = next(f for f in form.fields.values() if f.kind == "text" and not f.is_table and not f.computed)
    long_text[text.key] = "很长的文字" * 30
    assert engine_for(form, base.Filled(long_text, number="X-3")) == "flow"
    assert engine_for(form, base.Filled(data, number="X-4", void="作废")) == "flow"     # the stamp: flow
    report = catalog.require("shipment_monthly_report")      # a report's chart prints on a page of its own
    assert engine_for(report, base.Filled(fitting(report), number="X-5")) == "flow"
    # pdf2 hands such a record to the flow engine (its layout is WeasyPrint's, tested with the flow engine)
    from renderers.pdf import PdfRenderer
    asked = []
    monkeypatch.setattr(PdfRenderer, "render", lambda self, form, record=None: asked.append(record) or b"flow")
    assert base.get("pdf2").render(form, base.Filled(long_text, number="X-3")) == b"flow" and len(asked) == 1


def test_joined_pdf_is_well_formed_and_carries_the_qr_code(catalog, tmp_path):
    """The byte join (renderers.overlay_join): a strict parser and poppler read it without repairs;
    a record with a link gets its QR code as vector modules, in the box the flow engine gives it."""
    from pypdf.generic import ContentStream
    form = catalog.require("order_form")
    record = base.Filled(fitting(form), number="X-202611-0002", created="2026-11-27", link="https://h.example/r/2")
    content = base.get("pdf2").render(form, record)
    reader = PdfReader(io.BytesIO(content), strict=True)
    assert len(reader.pages) == 1 and XOBJECT in reader.pages[0]["/Resources"]["/XObject"]
    ops = [op for _, op in ContentStream(reader.pages[0].get_contents(), reader).operations]
    assert ops.count(b"re") > 50 and ops[:3] == [b"q", b"Do", b"Q"]      # the frame first, then values and code
    (tmp_path / "r.pdf").write_bytes(content)
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True, text=True)
    assert info.returncode == 0 and info.stderr == "", info.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "X-202611-0002" in text and form.title.replace(" ", "") in text.replace(" ", "")
