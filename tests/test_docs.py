"""docs/authoring.md documents every keyword of the meta-schema."""
import json
import re

from .conftest import ROOT

META = json.loads((ROOT / "forms" / "metaschema.json").read_text("utf-8"))
DOC = (ROOT / "docs" / "authoring.md").read_text("utf-8")


def keywords(schema):
    found = set()
    if isinstance(schema, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for key, sub in props.items():
            if key == "$ref":  # a reference, not a keyword named "$ref"
                continue
            found.add(key)
            found |= keywords(sub)
        for value in schema.values():
            if isinstance(value, (dict, list)):
                found |= keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= keywords(item)
    return found


def test_every_keyword_documented():
    documented = set(re.findall(r"`([^`\s]+?):?`", DOC))
    missing = sorted(k for k in keywords(META) if k not in documented)
    assert not missing, f"not documented in docs/authoring.md: {missing}"


def test_every_kind_documented():
    kinds = META["$defs"]["field"]["properties"]["x-kind"]["enum"]
    missing = [k for k in kinds if f"`{k}`" not in DOC]
    assert not missing, missing


def test_doc_examples_use_real_messages():
    """The mistakes section quotes messages the linter really prints."""
    from forms.errors import CATALOGUE
    codes = set(re.findall(r"\bE\d{3}\b", DOC))
    assert len(codes) >= 10
    assert codes <= {e.code for e in CATALOGUE.values()}


def test_every_shared_field_listed_with_its_kind():
    import yaml
    shared = yaml.safe_load((ROOT / "schemas" / "_shared.yaml").read_text("utf-8"))["fields"]
    for key, spec in shared.items():
        row = re.search(rf"^\| `{key}` \| ([^|]+) \| `([a-z]+)` \|", DOC, re.M)
        assert row, f"shared field {key} not listed in docs/authoring.md"
        assert (row.group(1).strip(), row.group(2)) == (spec["title"], spec["x-kind"]), key
