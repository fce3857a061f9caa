"""How big a submission may be. Every size is bounded, by default and per form.

Per field: characters of text (the definition's `maxLength`, else its kind's default, see
forms.kinds), line items of a table (the table's `maxItems`, else `DEFAULT_ROWS`; a definition
may raise it up to `MAX_ROWS`). Per submission: nesting depth, number of values, items of a
plain list. Numbers are finite and below forms.kinds.NUMBER_LIMIT in magnitude. The render
time and memory of one PDF are bounded where PDFs are made (services.render_limits).
"""
from __future__ import annotations

DEFAULT_ROWS = 1000      # line items per table when the definition says nothing
MAX_ROWS = 5000          # the most a definition may allow (maxItems)
MAX_CELLS = 60_000       # values in one submission, all tables together
MAX_CHARS = 200_000      # characters of all its texts together (about 100 printed pages)
MAX_DEPTH = 12           # nesting of objects and lists (a table row's field is depth 4)
MAX_LIST = 200           # items of a list that is not a table (a multiple choice)
MAX_TEXT = 5000          # characters of a text not bound to a field (reported as unknown anyway)
SIGNATURE_BYTES = 200 * 1024            # a handwritten signature's PNG (services.approval_signature)
SIGNATURE_PIXELS = (1200, 600)          # its largest width and height (the pad: 600 × 200 CSS px at 2×)


def max_rows(table) -> int:
    """Line items a table may hold: its maxItems, else the default; never above MAX_ROWS."""
    declared = table.spec.get("maxItems")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
        return min(declared, MAX_ROWS)
    return DEFAULT_ROWS


def number_text(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

# Extra properties a record carries (keys its form does not define), as the record page lists them.
MAX_EXTRAS_SHOWN = 100   # entries listed under 其他字段 (the rest are counted, not listed)
MAX_EXTRA_CHARS = 300    # characters of one entry's value shown (longer values are cut, with …)
