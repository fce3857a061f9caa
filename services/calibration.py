"""套打 calibration per user: how far (mm, right and down) and how much (scale) a user's printer
puts the values off the pre-printed form. One small document per login (Store.get_doc/put_doc,
kind "overprint"), so it works on both store backends."""
from __future__ import annotations

import math

from renderers.overlay_draw import Calibration

KIND = "overprint"
MAX_OFFSET_MM = 50.0
SCALE_RANGE = (0.8, 1.2)


class CalibrationError(ValueError):
    """A calibration out of bounds or not a number; the message is Chinese."""


def parse(dx, dy, scale) -> Calibration:
    """A Calibration from what a user typed (strings or numbers), within bounds."""
    try:
        values = [float(str(v).strip() or default) for v, default in ((dx, 0), (dy, 0), (scale, 1))]
    except ValueError:
        raise CalibrationError("偏移和缩放须填写数字，例如 1.5 或 -2。") from None
    x, y, s = values
    if not all(math.isfinite(v) for v in values):
        raise CalibrationError("偏移和缩放须填写数字，例如 1.5 或 -2。")
    if abs(x) > MAX_OFFSET_MM or abs(y) > MAX_OFFSET_MM:
        raise CalibrationError(f"偏移应在 -{MAX_OFFSET_MM:.0f}～{MAX_OFFSET_MM:.0f} 毫米之间。")
    if not SCALE_RANGE[0] <= s <= SCALE_RANGE[1]:
        raise CalibrationError(f"缩放应在 {SCALE_RANGE[0]}～{SCALE_RANGE[1]} 之间（1 为不缩放）。")
    return Calibration(round(x, 2), round(y, 2), round(s, 4))


def load(store, login: str) -> Calibration:
    found = store.get_doc(KIND, login)
    if found is None:
        return Calibration()
    doc = found[0]
    try:
        return parse(doc.get("dx", 0), doc.get("dy", 0), doc.get("scale", 1))
    except CalibrationError:   # written by another tool: ignore rather than misprint
        return Calibration()


def save(store, login: str, dx, dy, scale) -> Calibration:
    cal = parse(dx, dy, scale)
    store.put_doc(KIND, login, {"dx": cal.dx, "dy": cal.dy, "scale": cal.scale})
    return cal
