"""The service worker (/sw.js, scope "/"): the fill pages of the forms a person has opened, and the
assets they use, keep working without a connection (renderers/static/sw.js). Submissions made
offline wait in the page's outbox (drafts.js) and carry an idempotency key (server/idempotency.py)."""
from __future__ import annotations

from flask import Response

from renderers.templating import asset

from .access import public


def register(app) -> None:
    @app.get("/sw.js", endpoint="service_worker")
    @public
    def _service_worker():
        resp = Response(asset("sw.js"), mimetype="text/javascript")
        resp.headers["Cache-Control"] = "no-cache"
        resp.headers["Service-Worker-Allowed"] = "/"
        return resp
