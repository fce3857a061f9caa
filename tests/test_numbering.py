from datetime import date

import pytest

from forms.numbering import check_reset, format_number, parse_pattern, period_key


def test_format():
    assert format_number("DH-{yyyy}{mm}-{seq:4}", date(2026, 11, 27), 7) == "DH-202611-0007"
    assert format_number("{yy}{mm}{dd}{seq:3}", date(2026, 1, 5), 12) == "260105012"


@pytest.mark.parametrize("reset,key", [("never", ""), ("year", "2026"), ("month", "2026-11"), ("day", "2026-11-27")])
def test_period(reset, key):
    assert period_key(reset, date(2026, 11, 27)) == key


@pytest.mark.parametrize("pattern,fragment", [
    ("DH-{yyyy}", "{seq:N}"), ("{seq:4}{seq:2}", "{seq:N}"), ("{yyyy}{sq}", "不认识"), ("A/{seq:3}", "/"),
    ("{seq:4", "花括号"), ("{seq:40}", "位数"),
])
def test_bad_patterns(pattern, fragment):
    with pytest.raises(ValueError, match=None) as info:
        parse_pattern(pattern)
    assert fragment in str(info.value)


def test_monthly_reset_needs_year_and_month():
    check_reset("DH-{yyyy}{mm}-{seq:4}", "month")
    with pytest.raises(ValueError, match="mm"):
        check_reset("DH-{yyyy}-{seq:4}", "month")
    with pytest.raises(ValueError, match="yyyy"):
        check_reset("DH-{mm}-{seq:4}", "month")
