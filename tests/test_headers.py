"""Security headers on every route of the OpenAPI document and every HTML page."""
import re

import pytest

ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}
SAMPLE = {"form_id": "order_form", "record_id": "1", "fmt": "pdf", "name": "form.css", "job_id": "0" * 32, "draft_id": "d" * 16}


def check_headers(r, url, cached=False):
    csp = r.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", url
    assert "unsafe-inline" not in directives.get("script-src", "") and "unsafe-eval" not in csp, url
    assert directives.get("default-src") == "'self'" and directives.get("object-src") == "'none'", url
    assert r.headers.get("X-Content-Type-Options") == "nosniff", url
    assert r.headers.get("Referrer-Policy") == "same-origin", url
    if not cached:
        assert r.headers.get("Cache-Control") == "no-store", url


def url_of(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE[m.group(1)], rule)


def test_every_openapi_route_has_the_headers(client):
    assert client.post("/api/forms/order_form/submissions", json=ORDER).status_code == 201
    doc = client.get("/api/openapi.json").get_json()
    seen = 0
    for path, ops in doc["paths"].items():
        url = re.sub(r"\{([a-z_]+)\}", lambda m: SAMPLE[m.group(1)], path)
        for method in ops:
            r = client.open(url, method=method.upper(), json=ORDER if method == "post" else None)
            check_headers(r, f"{method} {url} {r.status_code}")
            seen += 1
    assert seen == sum(len(ops) for ops in doc["paths"].values()) > 250


def test_every_page_and_error_has_the_headers(app, client):
    assert client.post("/api/forms/order_form/submissions", json=ORDER).status_code == 201
    pages = [rule for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")]
    assert len(pages) >= 10
    for rule in pages:
        url = url_of(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(url, method=method)
            check_headers(r, f"{method} {url} {r.status_code}", cached=rule.endpoint == "assets")
    for url in ("/no/such/page", "/forms/nope", "/forms/order_form/records/999"):
        check_headers(client.get(url), url)


def test_static_assets_are_cached_and_pages_carry_one_nonced_script(client):
    page = client.get("/forms/order_form")
    html = page.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [f' nonce="{nonce}"']           # the formulas: the only inline script
    assert "<style" not in html and 'style="' not in html
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        r = client.get(src)
        assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"]
    assert client.get("/static/nothing.js").status_code == 404


@pytest.mark.parametrize("https", [False, True])
def test_session_cookie(tmp_path, https):
    from server.app import create_app

    from .conftest import SCHEMAS
    app = create_app({"SCHEMAS": str(SCHEMAS), "DATA": str(tmp_path / "data"), "SECRET_KEY": "t", "HTTPS": https})
    r = app.test_client().get("/forms/order_form", base_url="https://localhost" if https else "http://localhost")
    cookie = r.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert ("Secure" in cookie) == https
    assert ("Strict-Transport-Security" in r.headers) == https
