"""The Jinja2 environment shared by the HTML renderers (autoescaping on)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from forms.formdata import dom_id

from .layout import display


@lru_cache(maxsize=None)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("renderers", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["display"] = lambda value, f: display(f, value)
    env.filters["css_string"] = css_string
    env.filters["dom_id"] = dom_id
    return env


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """Text of a static asset shipped with the project (CSS, JavaScript)."""
    if name == "expr-runtime.js":
        return resources.files("forms").joinpath("js", name).read_text("utf-8")
    return resources.files("renderers").joinpath("static", name).read_text("utf-8")


def css_string(text) -> str:
    """`text` as a quoted CSS string (for string-set in a style attribute)."""
    out = str(text).replace("\\", "\\\\").replace('"', "\\22 ").replace("\n", "\\A ")
    return f'"{out}"'
