"""大写金额 under Chinese financial conventions, in Python and in the JavaScript runtime."""
import json
import subprocess
from pathlib import Path

import pytest

from forms.daxie import daxie, integer_words

RUNTIME = Path(__file__).resolve().parent.parent / "forms" / "js" / "expr-runtime.js"

CASES = [
    (0, "零元整"),
    (0.5, "伍角"),
    (0.05, "伍分"),
    (0.55, "伍角伍分"),
    (1, "壹元整"),
    (10, "壹拾元整"),
    (11, "壹拾壹元整"),
    (20.2, "贰拾元贰角"),
    (100, "壹佰元整"),
    (101, "壹佰零壹元整"),
    (110, "壹佰壹拾元整"),
    (1000, "壹仟元整"),
    (1001, "壹仟零壹元整"),
    (1010.1, "壹仟零壹拾元壹角"),
    (10000, "壹万元整"),
    (10010.05, "壹万零壹拾元零伍分"),
    (100000, "壹拾万元整"),
    (105000, "壹拾万伍仟元整"),
    (1000010, "壹佰万零壹拾元整"),
    (10000000, "壹仟万元整"),
    (100000000, "壹亿元整"),
    (100010000, "壹亿零壹万元整"),
    (100000001, "壹亿零壹元整"),
    (123456789.12, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    (1680.32, "壹仟陆佰捌拾元叁角贰分"),
    (107000.53, "壹拾万柒仟元伍角叁分"),
    (325.04, "叁佰贰拾伍元零肆分"),
    (-0.5, "负伍角"),
    (-1234.5, "负壹仟贰佰叁拾肆元伍角"),
    (0.005, "壹分"),            # rounds half away from zero
    (0.004, "零元整"),
    (1.005, "壹元零壹分"),      # decimal rounding, not binary (1.005 is 1.00499… as a float)
    (2.675, "贰元陆角捌分"),
    (99.999, "壹佰元整"),
    (-0.001, "零元整"),
    ("12.30", "壹拾贰元叁角"),
    (None, "零元整"),
    (999999999999.99, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize("value,expected", CASES)
def test_daxie(value, expected):
    assert daxie(value) == expected


def test_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_beyond_a_trillion_is_refused():
    with pytest.raises(ValueError, match="一万亿"):
        daxie(1e12)


@pytest.mark.parametrize("n,text", [(0, "零"), (1010, "壹仟零壹拾"), (100010000, "壹亿零壹万"),
                                    (101010101, "壹亿零壹佰零壹万零壹佰零壹"), (300000000000, "叁仟亿")])
def test_integer_words(n, text):
    assert integer_words(n) == text


def test_javascript_runtime_agrees():
    values = [v for v, _ in CASES]
    script = f"const B = require({json.dumps(str(RUNTIME))});" \
             f"console.log(JSON.stringify({json.dumps(values)}.map(B.daxie)));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [t for _, t in CASES]
