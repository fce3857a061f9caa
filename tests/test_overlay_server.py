"""套打 on the server: one's calibration stored per user (both backends: Store documents), the
settings page, the 套打 button's PDF placed with the user's calibration, the calibration page."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from services import calibration

from .people import client_as, person

def first_word_x(content: bytes, tmp_path, name) -> float:
    import subprocess
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True).stdout
    return float(re.search(r'<word xMin="([\d.]+)"', out).group(1))


def test_calibration_per_user_and_overprint_button(app, tmp_path):
    from forms.sample import sample_submission
    client, client2 = client_as(app, person(app, "dy1")), client_as(app, person(app, "dy2"))
    form = app.extensions["biaoge.records"].catalog.require("order_form")
    r = client.post("/api/forms/order_form/submissions", json={**sample_submission(form, seed=1, rows=2),
                                                               "order_date": "2026-11-27", "delivery_date": "2026-11-30"})
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    rid = r.get_json()["id"]
    page = client.get(f"/forms/order_form/records/{rid}")
    assert page.status_code == 200 and "套打" in page.get_data(as_text=True)
    plain = client.get(f"/forms/order_form/records/{rid}/overprint.pdf")
    assert plain.status_code == 200 and plain.mimetype == "application/pdf"
    assert client.get("/account/overprint").status_code == 200
    bad = client.post("/account/overprint", data={"dx": "abc", "dy": "0", "scale": "1"})
    assert bad.status_code == 400 and "数字" in bad.get_data(as_text=True)
    assert client.post("/account/overprint", data={"dx": "99", "dy": "0", "scale": "1"}).status_code == 400
    ok = client.post("/account/overprint", data={"dx": "5", "dy": "0", "scale": "1"})
    assert ok.status_code == 200 and "已保存" in ok.get_data(as_text=True)
    store = app.extensions["biaoge.records"].store
    assert calibration.load(store, "dy1").dx == 5 and calibration.load(store, "dy2").dx == 0
    moved = client.get(f"/forms/order_form/records/{rid}/overprint.pdf")
    shift = first_word_x(moved.data, tmp_path, "moved") - first_word_x(plain.data, tmp_path, "plain")
    assert abs(shift - 5 * 72 / 25.4) < 0.05
    theirs = client2.get(f"/forms/order_form/records/{rid}/overprint.pdf")   # a colleague's own calibration
    assert theirs.status_code == 200
    assert abs(first_word_x(theirs.data, tmp_path, "theirs") - first_word_x(plain.data, tmp_path, "p2")) < 0.05
    cal = client.get("/forms/order_form/overprint-calibration.pdf")
    assert cal.status_code == 200
    assert "套打校准页" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(cal.data)).pages)
