"""Response headers every page and API answer carries, set by Flask-Talisman (a well-kept
extension) rather than by hand: a Content-Security-Policy (scripts and styles from this
server only, plus the one nonced inline script of a fill page; no framing), nosniff, a
same-origin Referrer-Policy, and SameSite=Lax session cookies, `Secure` when HTTPS is on.
`Cache-Control: no-store` on every dynamic response (pages, API, downloads carry record
data); only the static assets may be cached."""
from __future__ import annotations

from flask import request
from flask_talisman import Talisman

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register(app) -> None:
    https = bool(app.config.get("HTTPS"))
    Talisman(app, force_https=False, strict_transport_security=https, session_cookie_secure=https,
             session_cookie_http_only=True, session_cookie_samesite="Lax", frame_options="DENY",
             content_security_policy=POLICY, content_security_policy_nonce_in=["script-src"],
             referrer_policy="same-origin", x_content_type_options=True, permissions_policy={})

    @app.after_request
    def _no_store(resp):
        if request.endpoint != "assets":
            resp.headers["Cache-Control"] = "no-store"
        return resp
