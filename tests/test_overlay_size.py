"""The two-layer PDF's size: the bench's record (bench/render.py: 商品订货单, 8 line items) in one
page of at most 40 KB, its text face (AR PL UMing) embedded once for the blank's labels and the
values alike; the runs a merged archive needs only in the PDFs an archive asks for."""
from __future__ import annotations

import io
import subprocess

from pypdf import PdfReader

from forms.sample import sample_submission
from forms.submission import check
from renderers import base
from renderers.overlay import VALUES


def bench_record(form):
    return base.Filled(check(form, sample_submission(form, seed=1, rows=8)).data, number="DH-202611-0001",
                       created="2026-11-27")


def embedded_faces(content: bytes) -> list:
    """The FontName of every embedded FontFile2 reachable from the pages (their resources and their
    Form XObjects' resources), each font file counted once."""
    reader = PdfReader(io.BytesIO(content), strict=True)
    files: dict = {}
    stack = [page["/Resources"] for page in reader.pages]
    while stack:
        res = stack.pop().get_object()
        for ref in res.get("/XObject", {}).values():
            stack.append(ref.get_object()["/Resources"])
        for font in res.get("/Font", {}).values():
            font = font.get_object()      # a Type0 font's descendant or a simple TrueType font
            for f in [d.get_object() for d in font.get("/DescendantFonts", [])] + [font]:
                desc = f.get("/FontDescriptor")
                if desc is not None and "/FontFile2" in desc.get_object():
                    desc = desc.get_object()
                    files[desc.raw_get("/FontFile2").idnum] = str(desc["/FontName"])
    return list(files.values())


def test_the_bench_record_is_one_page_under_40_kb_with_one_subset_of_its_face(catalog, tmp_path):
    form = catalog.require("order_form")
    record = bench_record(form)
    content = base.get("pdf2").render(form, record)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    assert len(content) <= 40 * 1024, len(content)
    faces = embedded_faces(content)
    assert sum("UMing" in name for name in faces) == 1, faces
    assert VALUES not in PdfReader(io.BytesIO(content)).trailer["/Root"]      # a single download
    (tmp_path / "r.pdf").write_bytes(content)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True)
    assert fonts.stderr == "" and sum("UMing" in line for line in fonts.stdout.splitlines()) == 1, fonts.stdout
    # the values are in the one UMing font: pdftotext finds them, spaced as the flow engine's
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "DH-202611-0001" in text and "2026年9月7日" in text


def test_archives_get_the_runs_they_merge(catalog):
    form = catalog.require("order_form")
    (content,) = base.get("pdf2").render_many(form, [bench_record(form)])
    assert VALUES in PdfReader(io.BytesIO(content)).trailer["/Root"]
