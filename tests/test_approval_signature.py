"""Handwritten signatures on decisions (issue 14): a PNG drawn on the decision form is checked,
kept with the decision and printed in the signer's field; anything else is refused in Chinese.
An approved record's frozen PDF carries it, and an archive holds those very bytes."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from services.approval import FlowError
from services.approval_signature import check
from tests.approval_helpers import fast_passwords  # noqa: F401 - autouse fixture
from tests.test_approval_http import FORM, decide, five, submit  # noqa: F401 - five is a fixture


def png_url(size=(600, 200)) -> str:
    im = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(im).line([(20, 150), (200, 40), (380, 160), (580, 50)], fill=(0, 0, 0, 255), width=6)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def images_on(page) -> int:
    xobjects = page["/Resources"].get("/XObject") or {}
    found = 0
    for ref in xobjects.values():
        x = ref.get_object()
        if x["/Subtype"] == "/Image":
            found += 1
        elif x["/Subtype"] == "/Form" and "/Resources" in x:
            found += images_on(x)
    return found


def test_a_signed_decision_prints_its_signature_and_bad_images_are_refused(app, five, client):
    rid = submit(five, app)
    jpeg = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + b"0" * 100).decode()
    fake = "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"0" * 100).decode()
    for bad, status in ((jpeg, 422), (fake, 422), ("data:image/png;base64,@@@", 422),
                        (png_url((2000, 200)), 413)):
        r = decide(five["manager"], rid, "同意", "同意", signature=bad)
        assert r.status_code == status, (bad[:40], r.get_json())
        assert "签名" in r.get_json()["error"]["message"]
    flow = five["applicant"].get(f"/api/forms/{FORM}/submissions/{rid}/approval").get_json()
    assert flow["step"] == "manager" and len(flow["log"]) == 1          # nothing was decided
    with pytest.raises(FlowError, match="最多 200 KB") as big:     # above the test app's request cap, so not over HTTP
        check("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 210_000).decode())
    assert big.value.status == 413

    store = app.extensions["biaoge.records"].store
    r = decide(five["manager"], rid, "同意", "情况属实", signature=png_url(), values={"nosuch": "1"})
    assert r.status_code == 422 and store.docs("flow_sig") == []       # a refused decision keeps no image
    r = decide(five["manager"], rid, "同意", "情况属实", signature=png_url())
    assert r.status_code == 200, r.get_json()
    assert len(r.get_json()["log"][-1]["signature"]) == 64
    assert decide(five["admin"], rid, "同意", "资料完整合理").get_json()["state"] == "已通过"

    first = five["applicant"].get(f"/forms/{FORM}/records/{rid}.pdf").data
    reader = PdfReader(io.BytesIO(first))
    signer = [i for i, p in enumerate(reader.pages) if "李经理" in p.extract_text()]
    assert signer and any(images_on(reader.pages[i]) for i in signer)     # the signer's page has the image
    assert sum(images_on(p) for p in reader.pages) == 1                 # 赵管理 did not sign by hand
    assert five["manager"].get(f"/forms/{FORM}/records/{rid}.pdf").data == first      # frozen
    kept = five["applicant"].get(f"/api/forms/{FORM}/submissions/{rid}/approval").get_json()["pdf_sha256"]
    assert kept == hashlib.sha256(first).hexdigest()

    # the archive holds the frozen bytes, and its manifest their hash
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/forms/{FORM}/archive.zip").data))
    [name] = [n for n in archive.namelist() if n.endswith(".pdf") and n != "合并.pdf"]
    assert archive.read(name) == first
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [r["SHA-256"] for r in rows] == [kept]


def test_the_two_layer_engine_leaves_a_signed_record_to_the_flow_engine(app):
    from renderers import base
    from renderers.overlay import engine_for
    form = app.extensions["biaoge.records"].catalog.require("delivery_note")
    data = {"customer": "华联超市"}
    sign = {"supervisor_sign": [png_url()]}
    assert engine_for(form, base.Filled(data, number="FH-1")) == "two-layer"
    assert engine_for(form, base.Filled(data, number="FH-1", signatures=sign)) == "flow"
    signed = base.Filled(dict(data, supervisor_sign="李主管 2026-12-02"), number="FH-1", signatures=sign)
    reader = PdfReader(io.BytesIO(base.get("pdf2").render(form, signed)))
    assert images_on(reader.pages[0]) == 1
