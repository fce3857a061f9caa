"""Charts as SVG, drawn on the server from plain data (pygal), in the PDF's Chinese fonts, so that
the same chart shows on a page and prints in a PDF.

    bar_chart("各商品发货数量", ["苹果汁", "橙汁"], [("本月", [17, 2]), ("上月", [7, 6])])
    form_chart(form, data)     # the chart a report declares (x-chart), from a filled record's data

Each data point carries its value in a `<desc class="value">` (pygal's), and the labels are SVG
text: a PDF made from it has the labels as text.
"""
from __future__ import annotations

import pygal
from pygal.style import Style

FONTS = "WenQuanYi Micro Hei, AR PL UMing CN, Noto Sans CJK SC, sans-serif"   # as renderers.pdf
_STYLE = Style(font_family=FONTS, background="white", plot_background="white", foreground="#222",
               foreground_strong="#000", foreground_subtle="#888", title_font_size=16, label_font_size=11,
               major_label_font_size=11, legend_font_size=12, value_font_size=10,
               colors=("#1f5fa8", "#e08a1e", "#3a9a48", "#c0392b", "#7d4fa0", "#7f8c8d"))
MAX_POINTS = 60          # labels on one chart; more are summed into 其他 by the caller


def _chart(kind, title, labels, series, width, height):
    chart = kind(style=_STYLE, js=[], disable_xml_declaration=True, width=width, height=height, title=title,
                 print_values=len(labels) <= 24, show_legend=len(series) > 1, legend_at_bottom=True,
                 x_label_rotation=30 if len(labels) > 8 else 0, truncate_label=-1, margin=12)
    chart.x_labels = [str(x) for x in labels]
    for name, values in series:
        chart.add(str(name), [None if v is None else float(v) for v in values])
    return chart.render(is_unicode=True)


def bar_chart(title: str, labels: list, series: list, width: int = 720, height: int = 340) -> str:
    return _chart(pygal.Bar, title, labels, series, width, height)


def stacked_bar_chart(title: str, labels: list, series: list, width: int = 720, height: int = 340) -> str:
    return _chart(pygal.StackedBar, title, labels, series, width, height)


def line_chart(title: str, labels: list, series: list, width: int = 720, height: int = 340) -> str:
    return _chart(pygal.Line, title, labels, series, width, height)


def form_chart(form, data) -> str | None:
    """The chart of a report's x-chart ({table, label, values, title}) for its data, or None."""
    spec = form.definition.get("x-chart")
    table = form.fields.get(spec.get("table")) if isinstance(spec, dict) else None
    if table is None or not isinstance(data, dict) or not isinstance(data.get(table.key), list):
        return None
    label = table.children.get(spec.get("label"))
    columns = [table.children[c] for c in spec.get("values") or () if c in table.children]
    rows = [r for r in data[table.key] if isinstance(r, dict) and r.get(label.key) not in (None, "")][:MAX_POINTS] \
        if label is not None else []
    if not rows or not columns:
        return None
    labels = [str(r.get(label.key)) for r in rows]
    series = [(c.title, [r.get(c.key) if isinstance(r.get(c.key), (int, float)) else None for r in rows])
              for c in columns]
    return bar_chart(str(spec.get("title") or table.title), labels, series)
