"""Handwritten signatures on decisions: a PNG drawn on the decision form's canvas, checked
(a real PNG by its header, bounded bytes and dimensions), kept in a store document of its own
per image (kind "flow_sig", key "form:record:sha256"; the decision log entry names its sha256,
so the flow document stays small), and printed as data: URIs in the signer's field.

    sha, new = keep(store, form_id, record_id, check(data_url))   # before the decision is taken
    drop(store, form_id, record_id, sha)                           # when the decision is then refused
    images(store, form, doc)       # {signer field path: [data URI, …]} for the print HTML
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from forms.limits import SIGNATURE_BYTES as MAX_BYTES
from forms.limits import SIGNATURE_PIXELS

from .approval import FlowError, key

KIND = "flow_sig"
MAX_WIDTH, MAX_HEIGHT = SIGNATURE_PIXELS
PREFIX = "data:image/png;base64,"
_PNG = b"\x89PNG\r\n\x1a\n"


def check(data_url) -> bytes:
    """The PNG bytes of a posted signature, or FlowError (413 too large, 422 not a PNG) in Chinese."""
    if not isinstance(data_url, str) or not data_url.startswith(PREFIX):
        raise FlowError("签名应为手写板生成的 PNG 图片（data:image/png;base64,…），其他格式不接受。", 422)
    if len(data_url) > len(PREFIX) + (MAX_BYTES * 4) // 3 + 4:
        raise FlowError(f"签名图片过大：最多 {MAX_BYTES // 1024} KB，请清除后重新签名。", 413)
    try:
        png = base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise FlowError("签名图片已损坏（不是有效的 base64 编码），请清除后重新签名。", 422) from None
    if len(png) > MAX_BYTES:
        raise FlowError(f"签名图片过大：最多 {MAX_BYTES // 1024} KB，请清除后重新签名。", 413)
    if len(png) < 33 or png[:8] != _PNG or png[12:16] != b"IHDR":
        raise FlowError("签名不是 PNG 图片，请在签名板上手写签名。", 422)
    width, height = struct.unpack(">II", png[16:24])
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise FlowError(f"签名图片尺寸为 {width}×{height}，超出上限 {MAX_WIDTH}×{MAX_HEIGHT}，"
                        f"请清除后重新签名。", 413)
    return png


def keep(store, form_id: str, record_id: int, png: bytes) -> tuple[str, bool]:
    """Store the image (once per content); (its sha256, which the decision names; whether it is
    new here, so that a decision refused afterwards can take it back with `drop`)."""
    sha = hashlib.sha256(png).hexdigest()
    k = f"{key(form_id, record_id)}:{sha}"
    if store.get_doc(KIND, k) is not None:
        return sha, False
    store.put_doc(KIND, k, {"png": base64.b64encode(png).decode()})
    return sha, True


def drop(store, form_id: str, record_id: int, sha: str) -> None:
    """Take back an image no decision names (its decision was refused): nothing unbounded stays."""
    store.delete_doc(KIND, f"{key(form_id, record_id)}:{sha}")


def images(store, form, doc: dict | None) -> dict:
    """{dotted path of the signer's field: [data URI, …]} for the decisions that print (the
    counted decisions of the latest round, as services.approval_print.signed says)."""
    from .approval_print import signed
    out: dict = {}
    if doc is None or form.flow is None:
        return out
    decided = signed(form, doc)
    for step in form.flow.steps:
        path = step.field("signer") or (step.fields[0][1] if step.fields else None)
        for e in decided.get(step.id, []):
            found = store.get_doc(KIND, f"{key(form.id, doc['record'])}:{e['signature']}") \
                if path and e.get("signature") else None
            if found is not None:
                out.setdefault(path, []).append(PREFIX + found[0]["png"])
    return out
