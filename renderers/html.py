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
from forms.kinds import browser_kinds

from .base import Filled, Renderer, register
from .templating import asset, environment

class FieldView:
    """What the template needs of one field at one data path (the control comes from its kind)."""

    def __init__(self, f, path, value, errors, required, formulas):
        self.f, self.path, self.value, self.required = f, path, value, required
        self.name = field_name(path)
        self.error = errors.get(self.name)
        self.formula_index = formulas.get(("when", f.path))
        self.widget = f.kind_def.widget_of(f)
        self.input_type = f.kind_def.input_type

    @property
    def attrs(self) -> dict:
        return self.f.kind_def.input_attrs(self.f)


@register
class HtmlRenderer(Renderer):
    name = "html"
    extension = ".html"
    media_type = "text/html; charset=utf-8"
    label = "网页表单"

    def render(self, form, record: Filled | None = None) -> bytes:
        return self.page(form, values=record.data if record else None).encode("utf-8")

    def page(self, form, values=None, errors=None, action="", csrf_token="", hidden=None, notice="",
             links=(), title_suffix="", assets=None, nonce="", online=None) -> str:
        """The whole page. `errors` are the engine's {path, message} dicts. `assets` maps an asset name
        (form.css, expr-runtime.js, form.js) to its URL for a served page; without it the page carries
        them inline (a file that stands alone). `nonce` is the Content-Security-Policy nonce of the one
        script that must be inline: the form's formulas. `online` (a served page): where its 草稿 is
        saved {draft_url, draft_id, form_key, restore, sw} (drafts.js)."""
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
        rules = [{"table": list(r.table.path) if r.table else None, "field": r.field.key,
                  "path": list(r.field.path), "message": r.message,
                  "fn": f"function (d, r) {{ return {to_js(r.check)}; }}"} for r in form.rules]
        kinds = json.dumps(browser_kinds(), ensure_ascii=False).replace("<", "\\u003c")
        script = ("(function (B) { BiaogeForm.init(document.getElementById('biaoge-form'), {computed: ["
                  + ", ".join(_js_entry(c) for c in computed) + "], conditions: ["
                  + ", ".join(_js_entry(c) for c in conditions) + "], rules: ["
                  + ", ".join(_js_entry(r) for r in rules) + "], kinds: " + kinds + "}); })(BiaogeExpr);")
        env = environment()
        return env.get_template("fill.html.j2").render(
            form=form, values=values, errors=errors or [], error_map=error_map, action=action,
            csrf_token=csrf_token, hidden=hidden or {}, notice=notice, links=links, title_suffix=title_suffix,
            view=lambda f, path, value, in_row=False: FieldView(f, path, value, error_map,
                                                                f.required and not in_row, formulas),
            table_rows=_table_rows, assets=assets, inline=(lambda name: asset(name)) if not assets else None,
            init_script=script, nonce=nonce, field_name=field_name, online=online or {})


def _js_entry(entry: dict) -> str:
    fn = entry.pop("fn")
    body = json.dumps(entry, ensure_ascii=False).replace("<", "\\u003c")
    return body[:-1] + ", \"fn\": " + fn + "}"


def _table_rows(f, rows) -> int:
    """Rows the page shows: every stored row (never fewer than the record has), else a few blanks."""
    rows = rows if isinstance(rows, list) else []
    return max(len(rows), int(f.spec.get("minItems", 0)), min(int(f.spec.get("x-rows", 3)), 3), 1)
