"""What an approval prints: a record's approver fields filled from its decision log (never from
what the applicant typed, never a date nobody signed), the form as the applicant fills it (without
those fields), and the approved record's frozen PDF."""
from __future__ import annotations

import copy

from .approval import KIND, RUNNING, key



def signed(form, doc: dict | None) -> dict:
    """step id -> what prints in its fields: the counted decisions of the latest round that reached it."""
    out = {}
    if doc is None or form.flow is None:
        return out
    last_round = doc.get("round", 0)
    for e in doc.get("log", []):
        if e["round"] != last_round or not e.get("step") or not e.get("decision") or e.get("pending"):
            continue
        out.setdefault(e["step"], []).append(e)
    if doc.get("state") == RUNNING and doc.get("step") is not None:
        # the step being decided (again, after 退回) prints only what was signed since it was entered
        current = form.flow.steps[doc["step"]].id
        fresh = doc["log"][doc.get("since_log", 0):]
        out[current] = [e for e in out.get(current, []) if any(e is x for x in fresh)]
        if not out[current]:
            del out[current]
    return out


def printed(form, data: dict, doc: dict | None) -> dict:
    """The data as it prints: every approver field from the decision log (a step not decided
    prints blank — never what the applicant typed, never a date nobody signed)."""
    flow = form.flow
    if flow is None:
        return data
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    for path in flow.approver_paths():
        _put(data, path, None)
    from forms.flow import words_for
    submitted = [e for e in (doc or {}).get("log", []) if e["action"] == "提交" and e["round"] == doc.get("round")]
    if flow.applicant and submitted:
        _put(data, flow.applicant, f"{submitted[-1]['name']} {submitted[-1]['at'][:10]}")
    decided = signed(form, doc)
    for step in flow.steps:
        entries = decided.get(step.id)
        if not entries:
            continue
        decision = "不同意" if any(e["decision"] == "不同意" for e in entries) else "同意"
        day = entries[-1]["at"][:10]
        names = "、".join(e["name"] + (f"（见习 {e['confirms_name']} 经确认）" if e.get("confirms_name") else "")
                         for e in entries)
        for role, path in step.fields:
            f = form.field_at(tuple(path.split(".")))
            if role == "conclusion":
                yes, no = words_for(f)
                _put(data, path, yes if decision == "同意" else no)
            elif role == "opinion":
                _put(data, path, "；".join(e["comment"] for e in entries if e.get("comment")) or None)
            elif role == "signer":
                _put(data, path, names if step.field("date") else f"{names} {day}")
            elif role == "date":
                _put(data, path, day)
        for e in entries:
            for path, value in (e.get("values") or {}).items():
                _put(data, path, value)
        if flow.veto and flow.veto.field and step.id == flow.veto.step and entries[-1].get("consistent"):
            _put(data, flow.veto.field, entries[-1]["consistent"])
    return data


def _put(data: dict, path: str, value):
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            if value is None:
                return
            node[part] = {}
        node = node[part]
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def approver_fields_in(form, data) -> list[str]:
    """Titles of the approver fields that `data` fills (what an applicant may not post)."""
    if form.flow is None or not isinstance(data, dict):
        return []
    out = []
    for path in sorted(form.flow.approver_paths()):
        node = data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node not in (None, "", []):
            out.append(form.field_at(tuple(path.split("."))).title)
    return out


_applicant_forms: dict = {}


def applicant_form(form):
    """The form as the applicant fills it: without the fields its deciders sign (compiled, cached)."""
    if form.flow is None:
        return form
    cached = _applicant_forms.get(id(form))
    if cached is not None and cached[0] is form:
        return cached[1]
    from forms.definition import compile_frozen, frozen
    from services.access import _remove_property
    definition = copy.deepcopy(frozen(form))
    definition.pop("x-approval", None)
    paths = form.flow.approver_paths()
    signatures = (definition.get("x-layout") or {}).get("signatures") or []
    for path in sorted(paths, key=len, reverse=True):
        _remove_property(definition, form, tuple(path.split(".")))
    if signatures:       # a sign-off line the deciders sign stays on the paper, blank
        definition["x-layout"]["signatures"] = [
            {"label": it.get("label") or form.fields[it["field"]].title, "blank": "line"}
            if isinstance(it, dict) and it.get("field") in paths else it for it in signatures]
    for section in [k for k, f in form.fields.items() if f.is_section]:   # a section left empty goes too
        if not (definition["properties"].get(section) or {}).get("properties", True):
            definition["properties"].pop(section)
            definition["required"] = [k for k in definition.get("required") or [] if k != section]
    compiled = compile_frozen(definition, form.filename)
    compiled.filename = form.filename
    if len(_applicant_forms) > 256:
        _applicant_forms.clear()
    _applicant_forms[id(form)] = (form, compiled)
    return compiled


# -- the approved record's PDF, frozen ----------------------------------------------------------------
PDF_KIND = "flow_pdf"


def frozen_pdf(store, form_id: str, record_id: int, revision: int, render) -> bytes:
    """The approved record's PDF: rendered once (`render()`), then the same bytes on every
    download; its SHA-256 is kept in the flow document. Two first downloads at once keep one."""
    import base64
    import hashlib

    from store import Conflict
    k = key(form_id, record_id)
    found = store.get_doc(PDF_KIND, k)
    if found is not None and found[0].get("revision") == revision:
        return base64.b64decode(found[0]["pdf"])
    content = render()
    sha = hashlib.sha256(content).hexdigest()
    try:
        store.put_doc(PDF_KIND, k, {"revision": revision, "sha256": sha, "pdf": base64.b64encode(content).decode()},
                      expect=0 if found is None else found[1])
    except Conflict:
        return base64.b64decode(store.get_doc(PDF_KIND, k)[0]["pdf"])
    store.update_doc(KIND, k, lambda d: dict(d, pdf_sha256=sha, pdf_revision=revision) if d else d)
    return content


def frozen_for_archive(store, form, record: dict, definition: dict | None) -> bytes | None:
    """An approved record's frozen PDF for an archive (`record` as printed_record gives it, seen
    whole and not voided): the stored bytes, or rendered and frozen now, so that the archive
    holds the very bytes whose SHA-256 is kept with the record. None for any other record."""
    from .approval import PASSED
    found = store.get_doc(KIND, key(form.id, record["id"])) if form.flow is not None else None
    if found is None or found[0].get("state") != PASSED or record.get("void"):
        return None

    def render():
        from forms.definition import compile_frozen
        from renderers.base import Filled

        from .rendering import render_record
        made_with = compile_frozen(definition, form.filename) if definition else form
        filled = Filled(record["data"], number=record.get("number") or "", created=str(record["created"])[:10],
                        signatures=record.get("signatures") or {})
        return render_record("pdf", made_with, definition, filled)
    return frozen_pdf(store, form.id, record["id"], record["revision"], render)


def printed_record(store, form, record: dict) -> dict:
    """A stored record with its approver fields from its decision log (archives, exports)."""
    if form.flow is None or not isinstance(record.get("data"), dict):
        return record
    from .approval_signature import images
    found = store.get_doc(KIND, key(form.id, record["id"]))
    doc = found[0] if found else None
    signs = images(store, form, doc)
    return dict(record, data=printed(form, record["data"], doc), **({"signatures": signs} if signs else {}))
