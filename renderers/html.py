"""The web form to fill online (format "html").

Controls follow each field's kind, sections become fieldsets, tables get
add-row/remove-row buttons, and computed fields update as the user types:
each formula is translated to JavaScript by forms.expr.to_js (no eval of
anything a user typed) and run by the small runtime shipped in the page.
Without JavaScript the form still posts and the server computes.
"""
from __future__ import annotations

import json

from forms.expr import to_js
from forms.formdata import field_name

from .base import Record, Renderer, register
from .templating import asset, environment

INPUT_TYPES = {"text": "text", "signature": "text", "integer": "number", "number": "number", "money": "number",
               "percent": "number", "score": "number", "year": "number", "date": "date", "month": "month",
               "phone": "tel", "email": "email", "idcard": "text"}
STEPS = {"integer": "1", "year": "1", "money": "0.01", "number": "any", "percent": "any", "score": "any"}
PATTERNS = {"phone": r"[0-9\- ]{7,20}", "idcard": r"\d{17}[\dXx]"}


def _required_keys(spec) -> set:
    return set(spec.get("required") or [])


class FieldView:
    """What the template needs of one field at one data path."""

    def __init__(self, f, path, value, errors, required, formulas):
        self.f, self.path, self.value, self.required = f, path, value, required
        self.name = field_name(path)
        self.error = errors.get(self.name)
        self.formula_index = formulas.get(("when", f.path))

    @property
    def input_type(self):
        return INPUT_TYPES.get(self.f.kind, "text")

    @property
    def attrs(self) -> dict:
        s, kind = self.f.spec, self.f.kind
        out = {}
        if kind in STEPS:
            out["step"] = STEPS[kind]
            out["inputmode"] = "numeric" if kind in ("integer", "year") else "decimal"
        for key, attr in (("minimum", "min"), ("maximum", "max"), ("maxLength", "maxlength"),
                          ("minLength", "minlength")):
            if key in s:
                out[attr] = s[key]
        if kind == "year":
            out.setdefault("min", 1900)
            out.setdefault("max", 2100)
        if "pattern" in s:
            out["pattern"] = s["pattern"]
        elif kind in PATTERNS:
            out["pattern"] = PATTERNS[kind]
        if kind == "idcard":
            out["maxlength"] = 18
        if s.get("x-placeholder"):
            out["placeholder"] = s["x-placeholder"]
        return out


@register
class HtmlRenderer(Renderer):
    name = "html"
    extension = ".html"
    media_type = "text/html; charset=utf-8"
    label = "网页表单"

    def render(self, form, record: Record | None = None) -> bytes:
        return self.page(form, values=record.data if record else None).encode("utf-8")

    def page(self, form, values=None, errors=None, action="", csrf_token="", hidden=None, notice="",
             links=(), title_suffix="") -> str:
        """The whole page. `errors` are the engine's {path, message} dicts."""
        values = values or {}
        error_map = {e["path"].strip("/").replace("/", "."): e["message"] for e in (errors or [])}
        computed, formulas, conditions = [], {}, []
        for f in form.computed_order:
            computed.append({"table": list(f.table.path) if f.table else None, "path": list(f.path),
                             "key": f.key, "kind": f.kind, "round": f.spec.get("x-round"),
                             "fn": f"function (d, r) {{ return {to_js(f.compute)}; }}"})
        for f in form.walk():
            if f.when is not None:
                formulas[("when", f.path)] = len(conditions)
                conditions.append({"table": list(f.table.path) if f.table else None,
                                   "fn": f"function (d, r) {{ return {to_js(f.when)}; }}"})
        script = ("(function (B) { BiaogeForm.init(document.getElementById('biaoge-form'), {computed: ["
                  + ", ".join(_js_entry(c) for c in computed) + "], conditions: ["
                  + ", ".join(_js_entry(c) for c in conditions) + "]}); })(BiaogeExpr);")
        env = environment()
        return env.get_template("fill.html.j2").render(
            form=form, values=values, errors=errors or [], error_map=error_map, action=action,
            csrf_token=csrf_token, hidden=hidden or {}, notice=notice, links=links, title_suffix=title_suffix,
            view=lambda f, path, value, owner_spec: FieldView(f, path, value, error_map,
                                                              f.key in _required_keys(owner_spec), formulas),
            table_rows=_table_rows, css=asset("form.css"), runtime=asset("expr-runtime.js"),
            form_js=asset("form.js"), init_script=script, field_name=field_name)


def _js_entry(entry: dict) -> str:
    fn = entry.pop("fn")
    body = json.dumps(entry, ensure_ascii=False).replace("<", "\\u003c")
    return body[:-1] + ", \"fn\": " + fn + "}"


def _table_rows(f, rows) -> int:
    rows = rows if isinstance(rows, list) else []
    return max(len(rows), int(f.spec.get("minItems", 0)), min(int(f.spec.get("x-rows", 3)), 3), 1)
