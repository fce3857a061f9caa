import shutil
import textwrap
from pathlib import Path

import pytest

from forms.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


@pytest.fixture(scope="session")
def catalog():
    cat = load_catalog(SCHEMAS, display_root=ROOT)
    assert cat.ok, "\n".join(map(str, cat.problems))
    return cat


@pytest.fixture
def order_form(catalog):
    return catalog.require("order_form")


@pytest.fixture
def make_schemas(tmp_path):
    """Write definition files into a fresh folder (with the real _shared.yaml) and return it."""
    def write(files: dict) -> Path:
        shutil.copy(SCHEMAS / "_shared.yaml", tmp_path / "_shared.yaml")
        for name, text in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                p.write_bytes(text)
            else:
                p.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
        return tmp_path
    return write
