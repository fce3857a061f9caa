"""The static assets of the pages (stylesheet, scripts), served from the package that owns them.
Their URLs carry a digest of the content, so browsers may cache them for good."""
from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Response, abort, url_for

from renderers.templating import asset

from .access import public

SERVED = {"form.css": "text/css", "form.js": "text/javascript", "expr-runtime.js": "text/javascript",
          "records.js": "text/javascript", "drafts.js": "text/javascript",
          "sections.js": "text/javascript", "signature.js": "text/javascript"}


@lru_cache(maxsize=None)
def _digest(name: str) -> str:
    return hashlib.sha256(asset(name).encode("utf-8")).hexdigest()[:12]


def asset_url(name: str) -> str:
    return url_for("assets", name=name, v=_digest(name))


def fill_assets() -> dict:
    return {name: asset_url(name) for name in ("form.css", "expr-runtime.js", "form.js", "drafts.js", "sections.js")}


def register(app) -> None:
    @app.get("/static/<name>", endpoint="assets")
    @public
    def _asset(name):
        if name not in SERVED:
            abort(404)
        resp = Response(asset(name), mimetype=SERVED[name])
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return resp

    app.jinja_env.globals["asset_url"] = asset_url
