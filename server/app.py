"""The Flask application factory.

    create_app({"SCHEMAS": "schemas", "DATA": "data"})

Configuration: SCHEMAS (definitions folder), DATA (the embedded store's folder, also where the
secret key is kept), STORE (where records are stored: a folder or a postgresql:// URL; default
DATA), SECRET_KEY
(signs the session that carries the CSRF token; generated and kept in DATA
when not given), MAX_CONTENT_LENGTH (request bodies above it get 413),
PER_PAGE (list size), MAX_UPLOAD_UNPACKED (Excel uploads), ARCHIVE_JOBS (archives built at once),
ARCHIVE_JOB_* and DASK_SCHEDULER (large archives as background jobs: server/jobs.py),
HTTPS (served over HTTPS behind a proxy: Secure cookies and HSTS; env BIAOGE_HTTPS=1),
RENDER_SECONDS and RENDER_MEMORY_MB (the bounds of one large record's PDF or Excel),
LOGIN_RATE (login attempts per address, e.g. "30 per minute"), API_RATE (API requests per
token or address), RATELIMIT_STORAGE_URI (where the limits are counted: memory:// per process,
redis://… shared by several processes), PUBLIC_URL (the address people reach the server at,
printed in each record's QR code; env BIAOGE_PUBLIC_URL; default: the address a request came to).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from services.catalog import CatalogCache
from services.accounts import Accounts
from services.audit import Audit
from services.records import Records
from store import open_store


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SCHEMAS=os.environ.get("BIAOGE_SCHEMAS", "schemas"),
        DATA=os.environ.get("BIAOGE_DATA", "data"),
        STORE=os.environ.get("BIAOGE_STORE") or None,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        MAX_UPLOAD_UNPACKED=50 * 1024 * 1024,
        PER_PAGE=20,
        ARCHIVE_JOBS=2,
        RENDER_SECONDS=120,
        RENDER_MEMORY_MB=1536,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        JSON_AS_ASCII=False,
        HTTPS=os.environ.get("BIAOGE_HTTPS", "") not in ("", "0"),
        LOGIN_RATE=os.environ.get("BIAOGE_LOGIN_RATE", "30 per minute"),
        API_RATE=os.environ.get("BIAOGE_API_RATE", "600 per minute"),
        RATELIMIT_STORAGE_URI=os.environ.get("BIAOGE_RATELIMIT_STORAGE", "memory://"),
        DASK_SCHEDULER=os.environ.get("BIAOGE_DASK_SCHEDULER") or None,
        ARCHIVE_JOB_THRESHOLD=200,
        PUBLIC_URL=os.environ.get("BIAOGE_PUBLIC_URL") or None,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False
    data = Path(app.config["DATA"])
    data.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret(data)
    cache = CatalogCache(Path(app.config["SCHEMAS"]))
    store = open_store(app.config["STORE"] or str(data))
    app.extensions["biaoge.records"] = Records(store, cache.current)
    app.extensions["biaoge.accounts"] = Accounts(store, lambda: cache.current().policy)
    app.extensions["biaoge.audit"] = Audit(store)

    from . import access, api, assets, auth, errors, pages, security
    from .exports import bp as exports_bp
    security.register(app)
    assets.register(app)
    errors.register(app)
    auth.register(app, api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(exports_bp)
    from . import jobs, voids
    jobs.register(app)
    voids.register(app)
    from . import approvals, drafts, offline, reports
    reports.register(app)
    approvals.register(app)
    drafts.register(app)
    offline.register(app)
    from . import sheetforms
    sheetforms.register(app)
    app.before_request(access.enforce)
    access.check_declared(app)
    return app


def _secret(data: Path) -> str:
    """A secret kept in the data folder, so that every server process shares it."""
    path = data / ".secret_key"
    if not path.exists():
        tmp = data / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # readable by the server's user only
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # first writer wins; others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        os.chmod(path, 0o600)   # keys written by older versions were world-readable
    except OSError:
        pass
    return path.read_text().strip()
