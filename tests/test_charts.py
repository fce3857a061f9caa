"""Charts: the SVG's data points are the records' figures, and a report's chart prints in its PDF."""
from __future__ import annotations

import re
import subprocess
from datetime import date

from renderers.base import Filled, get
from renderers.charts import form_chart
from services.charts import period_starts
from tests.people import client_as, person


def _series(svg: str) -> list[list[float]]:
    """Each series' values, from pygal's <desc class="value"> of each point, in order."""
    parts = re.split(r'<g class="series serie-\d+ color-\d+">', svg)[1:]
    found = [[float(v.replace(",", "")) for v in re.findall(r"<desc class=\"value\">([^<]*)</desc>", p)] for p in parts]
    return [v for v in found if v]


def _legend(svg: str) -> list[str]:
    body = svg.split("</defs>", 1)[1]
    legends = body.split('class="legends"', 1)[1].split('class="titles"', 1)[0] if 'class="titles"' in body else \
        body.split('class="legends"', 1)[1]
    return re.findall(r"<text[^>]*>([^<]+)</text>", legends)


def test_records_chart_points_are_the_records(app, client):
    store = app.extensions["biaoge.records"].store
    months = [s.isoformat() for s in period_starts("month", date.today())]
    made = [(months[-1], "上海办事处", 120.5), (months[-1], "上海办事处", 30.0), (months[-1], "北京办事处", 7.25),
            (months[-3], "北京办事处", 50.0), (months[0], "上海办事处", 1.0), ("2001-01-01", "上海办事处", 999.0)]
    for day, dept, total in made:
        store.add("delivery_note", {"ship_date": day, "customer_name": "甲", "total": total}, version=1,
                  definition="t", created=f"{day[:8]}01T09:00:00", creator="w", department=dept)
    counts = _series(client.get("/forms/delivery_note/chart.svg?by=month&of=count").get_data(as_text=True))
    expected = [sum(1 for d, _, _ in made if d[:7] == m[:7]) for m in months]
    assert counts == [expected] and sum(expected) == 5
    svg = client.get("/forms/delivery_note/chart.svg?by=month&of=money").get_data(as_text=True)
    by_dept = dict(zip(_legend(svg), _series(svg)))
    for dept in ("上海办事处", "北京办事处"):
        want = [sum(t for d, dp, t in made if dp == dept and d[:7] == m[:7]) for m in months]
        got = by_dept[dept]
        assert got == want, (dept, got, want)
    assert months[-1][:7] in svg and "上海办事处" in svg

    # a 业务员 sees only their own records in the chart
    token = person(app, "ywy9", roles=["业务员"], department="上海办事处")
    own = _series(client_as(app, token).get("/forms/delivery_note/chart.svg?by=month&of=count").get_data(as_text=True))
    assert sum(own[0]) == 0
    listing = client.get("/forms/delivery_note/records").get_data(as_text=True)
    assert 'id="records-chart"' in listing and "chart.svg?by=month&amp;of=money" in listing


def test_a_reports_chart_prints_in_its_pdf(catalog, tmp_path):
    form = catalog.require("complaint_statistics")
    rows = [{"category": "产品质量", "count": 5, "resolved": 3}, {"category": "交货延误", "count": 2, "resolved": 2},
            {"category": "服务态度", "count": 1, "resolved": 0}]
    data = {"period": "2026-11", "by_category": rows}
    svg = form_chart(form, data)
    assert _series(svg) == [[5, 2, 1], [3, 2, 0]]                   # the rows' figures, per column
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert {"产品质量", "交货延误", "服务态度", "各类别投诉件数与已解决件数", "投诉件数", "已解决件数"} <= set(labels)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(get("pdf").render(form, Filled(data, number="TS-1")))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    chart_page = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    for label in ("各类别投诉件数与已解决件数", "产品质量", "交货延误", "服务态度", "投诉件数", "已解决件数"):
        assert label in chart_page, label
