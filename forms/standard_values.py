"""Standard JSON Schema property names as biaoge field keys (no I/O).

biaoge's own definitions name fields with identifiers (forms.definition.FIELD_KEY: formulas refer to them).
A standard schema's properties are named by the systems that exchange the data (`ship-to`, `联系 电话`), and
the data must keep those names, or jsonschema's verdict on the same data would differ. So in a standard schema
(one that declares `$schema`) a property name is the field's key as written — the key of the submitted,
stored and API data — provided every layer can carry it: the browser's input names are dotted data paths
(no `.`) and form.js finds a control by `[name="…"]` (no `"` or backslash), the Excel map joins paths with
`.`, a JSON pointer escapes `/` and `~` (refused to keep messages plain), a name of digits only would read as
a row number, and the HTML id replaces whitespace (forms.formdata.dom_id). Such a field needs no `title`: the
name is printed."""
from __future__ import annotations

import re

# any visible text but . / ~ " \ and control characters, not only digits, no space at either end, ≤ 64 characters
STANDARD_KEY = re.compile(r'^(?!\d+$)(?=\S)[^./~"\\\x00-\x1f\x7f]{1,64}(?<=\S)$')


def key_ok(key, standard: bool, field_key: re.Pattern) -> bool:
    """Whether `key` may name a field: an identifier, or in a standard schema a name as above."""
    return bool(field_key.match(str(key))) or (standard and isinstance(key, str) and bool(STANDARD_KEY.match(key)))


def fill_titles(props) -> None:
    """A standard schema's property without a title is titled with its own name, at every depth."""
    if not isinstance(props, dict):
        return
    for key, spec in props.items():
        if not isinstance(spec, dict):
            continue
        title = spec.get("title")
        if ("title" not in spec or (isinstance(title, str) and not title.strip())) and "x-use" not in spec:
            spec["title"] = str(key)
        fill_titles(spec.get("properties"))
        items = spec.get("items")
        if isinstance(items, dict):
            fill_titles(items.get("properties"))
