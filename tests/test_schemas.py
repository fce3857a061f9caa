"""Every definition in schemas/ goes through the same checks."""
import pytest

from services.catalog import definition_files
from forms.sample import sample_submission
from forms.submission import check

from .conftest import ROOT, SCHEMAS

FILES = [p.relative_to(ROOT).as_posix() for p in definition_files(SCHEMAS)]
EXEMPLARS = {"商品订货单", "销售日报表", "催款通知单", "客户投诉登记表", "销售人员绩效考核表"}


def test_exemplars_present(catalog):
    assert EXEMPLARS <= {f.title for f in catalog.forms.values()}


@pytest.mark.parametrize("name", FILES)
def test_lints_clean(catalog, name):
    assert catalog.files[name] is not None


@pytest.mark.parametrize("name", FILES)
def test_sample_submission_is_valid_and_computed(catalog, name):
    form = catalog.files[name]
    for seed in range(3):
        r = check(form, sample_submission(form, seed))
        assert r.ok, r.errors
        for f in form.computed_order:
            if f.table is None:
                owner = r.data
                for part in f.path[:-1]:
                    owner = owner[part]
                assert f.key in owner, f.title


@pytest.mark.parametrize("name", FILES)
def test_metadata(catalog, name):
    form = catalog.files[name]
    assert form.title and form.chapter and form.version >= 1
    assert all(f.title for f in form.walk())


def test_shared_fields_mean_the_same_everywhere(catalog):
    """Same title, same data type (text and textarea are both text)."""
    seen = {}
    for form in catalog.forms.values():
        for f in form.walk():
            if not f.is_value:
                continue
            kd = f.kind_def
            seen.setdefault(f.title, set()).add((kd.json_type, kd.format, kd.numeric))
    mixed = {t: k for t, k in seen.items() if len(k) > 1}
    assert not mixed, mixed
