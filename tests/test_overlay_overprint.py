"""套打 (format overprint): the values alone — no grid, no labels — moved exactly by a printer's
calibration; the calibration page; `biaoge render --overprint`."""
from __future__ import annotations

import io
import json
import re
import subprocess
from collections import Counter

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ContentStream

from forms.sample import sample_submission
from forms.submission import check
from renderers import base
from renderers.overlay import layers
from renderers.overlay_draw import Calibration

MM = 72 / 25.4
STROKES = {b"S", b"s", b"B", b"B*", b"b", b"b*"}
SPACE = str.maketrans("", "", " \n\t\f")


@pytest.fixture(scope="module")
def setup(catalog):       # the session's catalog: its forms' frames are laid out once for every test file
    form = catalog.require("order_form")
    data = check(form, {**sample_submission(form, seed=2, rows=3), "order_date": "2026-11-27",
                        "delivery_date": "2026-11-30"}).data
    return form, base.Filled(data, number="DH-202611-0007", created="2026-11-27")


def operators(content: bytes) -> Counter:
    reader = PdfReader(io.BytesIO(content))
    ops = Counter()
    for page in reader.pages:
        for _, op in ContentStream(page.get_contents(), reader).operations:
            ops[op] += 1
    return ops


def text(content: bytes, tmp_path, name) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def word_boxes(content: bytes, tmp_path, name) -> list:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [(t, float(x), float(y)) for x, y, t in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">(.*?)</word>', out)]


def test_overprint_is_values_only(setup, tmp_path):
    form, record = setup
    content = base.get("overprint").render(form, record)
    ops = operators(content)
    assert not STROKES & set(ops), ops            # no grid, no underlines, no boxes
    assert b"Do" not in ops and b"re" not in ops   # no frame, no images, no rectangles
    assert ops[b"Tj"] + ops[b"TJ"] > 20            # but the values
    # its characters are the two-layer PDF's less the blank frame's: the values, no label
    frame, _ = layers(form, record)
    values = Counter(text(content, tmp_path, "op").translate(SPACE))
    whole = Counter(text(base.get("pdf2").render(form, record), tmp_path, "two").translate(SPACE))
    blank = Counter(text(frame.pdf, tmp_path, "frame").translate(SPACE))
    assert values == whole - blank
    assert form.title not in text(content, tmp_path, "op2")


@pytest.mark.parametrize("cal", [Calibration(3.0, -2.0, 1.0), Calibration(-1.5, 4.25, 1.0),
                                 Calibration(0.0, 0.0, 1.02)])
def test_calibration_moves_every_value_exactly(setup, tmp_path, cal):
    form, record = setup
    plain = word_boxes(base.get("overprint").render(form, record), tmp_path, "a")
    moved = word_boxes(base.get("overprint").render(form, record, calibration=cal), tmp_path, "b")
    assert len(plain) == len(moved) > 20
    for (t, x, y), (t2, x2, y2) in zip(plain, moved):
        assert t == t2
        # about the page's top left: x' = s·x + dx, y' = s·y + dy (pdftotext's y is from the top)
        assert x2 == pytest.approx(cal.scale * x + cal.dx * MM, abs=0.05)
        if cal.scale == 1.0:
            assert y2 - y == pytest.approx(cal.dy * MM, abs=0.01)
            assert x2 - x == pytest.approx(cal.dx * MM, abs=0.01)


def test_calibration_page(setup, tmp_path):
    form, _ = setup
    content = base.get("overprint").render(form, None, calibration=Calibration(1, 2, 1))
    assert STROKES & set(operators(content))       # the ruler grid and crosshairs are drawn
    words = text(content, tmp_path, "cal")
    assert "套打校准页" in words and "X +1.0" in words and "Y +2.0" in words


def test_cli_render_overprint(setup, tmp_path):
    from cli import main
    form, record = setup
    data = tmp_path / "data.json"
    data.write_text(json.dumps(sample_submission(form, seed=2, rows=3), ensure_ascii=False))
    out = tmp_path / "op.pdf"
    res = CliRunner().invoke(main, ["render", "order_form", "--data", str(data), "--overprint", "--offset-x", "2",
                                    "--offset-y", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert not STROKES & set(operators(out.read_bytes()))
    res = CliRunner().invoke(main, ["render", "order_form", "--overprint", "--offset-x", "80", "-o", str(out)])
    assert res.exit_code != 0 and "超出范围" in res.output
